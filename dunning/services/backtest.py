"""Replay history: what would the procedures have sent each day, and what was paid after each level?

Nothing is written. Each company is read once (every invoice ever posted, with its dated payments);
then every day only the date and the history change: the day's letters are treated as sent and
feed the next day's history, exactly as delivery would.

Each day's facts hold only what can change that day's decisions, which keeps two years of daily
runs over thousands of invoices to seconds: invoices issued and not yet paid, credits dated and
not yet used up, and earlier letters that list one of those invoices or are recent enough to hold
back the next letter (within the longest minimum interval). The core would ignore the rest.
Charges are not simulated: a backtest reports letters and levels, not fee income.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Optional

from dunning.core import Credit, Item, LetterDecision, PastLetter, Snapshot, evaluate
from dunning.core.balance import open_amount, open_credit
from dunning.core.money import tolerance
from dunning.models import Company
from dunning.selectors.snapshot import build_company_facts


@dataclass(frozen=True)
class LevelOutcome:
    """Letters at one level, and how many of the invoices they reminded were paid afterwards."""

    level: int
    letters: int
    invoices: int  # distinct invoices that stood at this level on a letter
    paid: int  # of those, paid in full later within the data
    avg_days_to_pay: Optional[Decimal]  # from the first letter at this level to the payment

    @property
    def share_paid(self) -> Optional[Decimal]:
        if not self.invoices:
            return None
        return (Decimal(self.paid) / Decimal(self.invoices)).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)


@dataclass
class BacktestResult:
    start: date
    end: date
    companies: list[str] = field(default_factory=list)
    letters: list[LetterDecision] = field(default_factory=list)
    levels: list[LevelOutcome] = field(default_factory=list)

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


def backtest(start: date, end: date, company: Optional[str] = None) -> BacktestResult:
    if end < start:
        raise ValueError(f"--to {end} is before --from {start}")
    rows = Company.objects.order_by("code")
    if company:
        rows = rows.filter(code=company)
    result = BacktestResult(start, end)
    paid_on: dict[tuple[str, str], Optional[date]] = {}
    for row in rows:
        snapshot = replace(build_company_facts(row, end, include_settled=True).snapshot, history=())
        paid = _paid_dates(snapshot)
        result.companies.append(row.code)
        result.letters.extend(replay(snapshot, start, end, paid))
        paid_on.update({(row.code, item.number): day for item, day in paid.items()})
    result.levels = _level_outcomes(result.letters, paid_on)
    return result


def replay(base: Snapshot, start: date, end: date,
           paid: Optional[dict[Item, Optional[date]]] = None) -> list[LetterDecision]:
    """Every day's letters for one company, each day's letters becoming the next day's history."""
    paid = _paid_dates(base) if paid is None else paid
    items = _Alive((item.issue_date or date.min, day or date.max, item) for item, day in paid.items())
    credits = _Alive(_credit_spans(base))
    window = max((max(p.min_interval_days, 1) for p in base.procedures.values()), default=1)
    history: list[PastLetter] = []
    made: list[LetterDecision] = []
    day = start
    while day <= end:
        active = items.on(day)
        numbers = {item.number for item in active}
        recent = tuple(lt for lt in history if (day - lt.date).days < window or not numbers.isdisjoint(lt.items))
        decisions = evaluate(replace(base, as_of=day, items=active, credits=credits.on(day), history=recent))
        for decision in decisions.letters:
            history.append(_as_sent(decision, len(history) + 1))
            made.append(decision)
        day += timedelta(days=1)
    return made


class _Alive:
    """Facts that live from one day until (not including) another, asked for day after day in order."""

    def __init__(self, spans):
        self.waiting = sorted(spans, key=lambda span: (span[0], span[1]), reverse=True)
        self.alive: list = []

    def on(self, day: date) -> tuple:
        while self.waiting and self.waiting[-1][0] <= day:
            self.alive.append(self.waiting.pop())
        self.alive = [span for span in self.alive if span[1] > day]
        return tuple(span[2] for span in self.alive)


def _credit_spans(snapshot: Snapshot) -> list[tuple[date, date, Credit]]:
    """(from, until) for each credit: open from its date until the day it is used up."""
    spans = []
    for credit in snapshot.credits:
        if credit.status == "cancelled":
            continue
        used = next((a.date for a in sorted(credit.allocations, key=lambda a: a.date)
                     if open_credit(credit, a.date) <= 0 and a.date >= credit.date), date.max)
        spans.append((credit.date, used, credit))
    return spans


def _paid_dates(snapshot: Snapshot) -> dict[Item, Optional[date]]:
    """When each open item became paid in full (None: not within the data)."""
    out: dict[Item, Optional[date]] = {}
    for item in snapshot.items:
        if item.status != "open":
            continue
        limit = tolerance(item.currency, snapshot.minor_units, snapshot.tolerance)
        out[item] = next((a.date for a in sorted(item.allocations, key=lambda a: a.date)
                          if open_amount(item, a.date) <= limit), None)
    return out


def _as_sent(decision: LetterDecision, number: int) -> PastLetter:
    return PastLetter(number=f"backtest-{number}", record=decision.record, date=decision.as_of,
                      level=decision.level, state="sent", items={ln.number: ln.level for ln in decision.lines},
                      fee_level=decision.fee_level,
                      interest_until={ln.number: decision.as_of for ln in decision.lines if ln.interest_from},
                      repeat=decision.repeat)


def _level_outcomes(letters: list[LetterDecision], paid_on: dict) -> list[LevelOutcome]:
    count: dict[int, int] = defaultdict(int)
    first_reminded: dict[int, dict[tuple[str, str], date]] = defaultdict(dict)
    for letter in letters:
        count[letter.level] += 1
        for line in letter.lines:
            if line.kind == "invoice":
                first_reminded[line.level].setdefault((letter.company, line.number), letter.as_of)
    outcomes = []
    for level in sorted(set(count) | set(first_reminded)):
        reminded = first_reminded[level]
        waits = [(paid_on[key] - day).days for key, day in reminded.items() if paid_on.get(key)]
        average = (Decimal(sum(waits)) / len(waits)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP) if waits \
            else None
        outcomes.append(LevelOutcome(level, count[level], len(reminded), len(waits), average))
    return outcomes
