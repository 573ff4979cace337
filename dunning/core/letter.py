"""The decision for one record: a letter with its lines and amounts, or the reason for none."""
from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from decimal import Decimal

from .charges import fee_for, interest_rate, interest_start, item_interest, letter_interest
from .decision import CreditLine, InfoLine, LetterDecision, Line, Skip
from .facts import Credit, Level, Rates
from .history import RecordHistory
from .level import item_level
from .money import ZERO, round_money
from .record import Candidate, RecordInput


def _line(c: Candidate, level: int, memory: Mapping[str, int], interest: Decimal = ZERO,
          interest_from: date | None = None) -> Line:
    item = c.item
    assert item.due_date is not None
    return Line(number=item.number, kind=item.kind, due_date=item.due_date, amount=item.amount,
                open_amount=c.open_amount, days_overdue=c.days, level=level,
                reminded_level=memory.get(item.number, 0), interest=interest, interest_from=interest_from,
                origin_letter=item.origin_letter)


def _info(c: Candidate, note: str) -> InfoLine:
    return InfoLine(c.item.number, c.item.due_date, c.open_amount, c.days, note)


class RecordDecider:
    """Facts of one record in, one LetterDecision or one Skip out."""

    def __init__(self, company: str, as_of: date, record: RecordInput, levels: tuple[Level, ...],
                 history: RecordHistory, memory: Mapping[str, int], credits: list[tuple[Credit, Decimal]],
                 rates: Rates, minor_units: Mapping[str, int]):
        self.company, self.as_of, self.record, self.levels = company, as_of, record, levels
        self.proc = record.procedure
        self.history, self.memory, self.credits = history, memory, credits
        self.rates, self.minor_units = rates, minor_units
        self.missing_rate = False
        self.by_number = {c.item.number: c for c in record.candidates}

    def skip(self, code: str, reason: str) -> Skip:
        key = self.record.key
        return Skip(self.company, key.customer, reason, code, key.currency, key.invoice)

    def decide(self) -> LetterDecision | Skip:
        lines, info, levels_by_number = self._levels()
        writing = [ln for ln in lines if not self._riding(ln.number)]
        if not writing:
            return self.skip("not_overdue", self._not_overdue_reason(info))
        if self.history.pending:
            waiting = self.history.pending[-1]
            return self.skip("pending", f"a letter from {waiting.date} is still waiting for review or delivery")
        letter_level = max(ln.level for ln in writing)
        rose = any(ln.level > ln.reminded_level for ln in writing)
        repeat = not rose and self._repeat_due()
        if not rose and not repeat:
            last = self.history.last_sent
            since = f" since the letter of {last.date} (level {last.level})" if last else ""
            return self.skip("no_change", f"nothing new{since}: every item was already reminded at its level")
        if repeat:  # the last letter's level, within this procedure's levels (it may have changed since)
            letter_level = min(self.history.last_in_cycle.level, len(self.levels))  # type: ignore[union-attr]
        interval = self._interval_skip()
        if interval:
            return interval
        return self._letter(lines, info, levels_by_number[letter_level], repeat, writing)

    # -- levels --------------------------------------------------------------------------
    def _levels(self) -> tuple[list[Line], list[InfoLine], dict[int, Level]]:
        first = self.levels[0].days
        record_total = sum((c.open_amount for c in self.record.candidates
                            if not c.held and not c.riding and c.days >= first), ZERO)
        cap = self.history.highest_in_cycle + 1 if self.proc.mode == "step" else None
        lines: list[Line] = []
        info: list[InfoLine] = []
        for c in sorted(self.record.candidates, key=lambda c: (c.item.due_date, c.item.number)):
            if c.held:
                info.append(_info(c, c.held))
                continue
            level, missing = item_level(self.levels, c.days, c.open_amount, record_total, c.item.currency,
                                        self.proc, self.rates)
            self.missing_rate = self.missing_rate or missing
            if level is None and not c.riding:
                info.append(_info(c, "not_due" if c.days < 1 else "below_first_level"))
                continue
            number = level.number if level else 0
            lines.append(_line(c, min(number, cap) if cap else number, self.memory))
        dunned = {ln.number for ln in lines if not self._riding(ln.number)}
        lines = [ln for ln in lines if not self._riding(ln.number) or self._rides_on(ln.number, dunned)]
        return lines, info, {lv.number: lv for lv in self.levels}

    def _candidate(self, number: str) -> Candidate:
        return self.by_number[number]

    def _riding(self, number: str) -> bool:
        return self._candidate(number).riding

    def _rides_on(self, number: str, dunned: set[str]) -> bool:
        return bool(dunned.intersection(self._candidate(number).item.origin_items))

    def _not_overdue_reason(self, info: list[InfoLine]) -> str:
        first = self.levels[0]
        worst = max(info, key=lambda i: (i.days_overdue or 0), default=None)
        if worst is None:
            return "only charges are open while their invoices are still owed"
        if worst.note in ("disputed", "paused"):
            return f"{worst.number} is {worst.note}"
        if worst.note == "not_due":
            return f"{worst.number} is not due until {worst.due_date}"
        return (f"{worst.number} is {worst.days_overdue} days overdue; "
                f"level 1 starts at {first.days} days" + (" and its amount thresholds" if _has_thresholds(first)
                                                          else ""))

    # -- timing --------------------------------------------------------------------------
    def _repeat_due(self) -> bool:
        last = self.history.last_in_cycle
        days = self.proc.repeat_days
        return bool(days and last and (self.as_of - last.counted_from).days >= days)

    def _interval_skip(self) -> Skip | None:
        last = self.history.last_sent
        if last is None:
            return None
        since = (self.as_of - last.counted_from).days
        minimum = max(self.proc.min_interval_days, 1)  # never two letters to a record on one day
        if since < minimum:
            return self.skip("interval", f"last letter {since} days ago; minimum interval "
                                         f"{self.proc.min_interval_days} days")
        return None

    # -- amounts -------------------------------------------------------------------------
    def _letter(self, lines: list[Line], info: list[InfoLine], level: Level, repeat: bool,
                writing: list[Line]) -> LetterDecision | Skip:
        currency = self.record.key.currency
        dunned_total = sum((ln.open_amount for ln in lines), ZERO)
        credit_lines = tuple(CreditLine(c.number, c.kind, c.date, -amount)
                             for c, amount in sorted(self.credits, key=lambda ca: (ca[0].date, ca[0].number)))
        credit_total = sum((amount for _, amount in self.credits), ZERO)
        if credit_total >= dunned_total:
            net = credit_total - dunned_total
            reason = (f"net balance is a credit of {round_money(net, currency, self.minor_units)}" if net
                      else f"open credits of {credit_total} cover the overdue {dunned_total}")
            return self.skip("credit_covers", reason)
        invoices_total = sum((ln.open_amount for ln in lines if ln.kind == "invoice"), ZERO)
        fee = round_money(ZERO, currency, self.minor_units)
        if not repeat and not self.history.fee_charged_in_cycle(level.number):
            fee = fee_for(level, currency, invoices_total, self.proc, self.rates, self.minor_units)
        lines = self._with_interest(lines, level)
        interest = letter_interest(tuple(ln.interest for ln in lines), currency, self.minor_units)
        top = max(writing, key=lambda ln: (ln.level, ln.days_overdue))
        reasons = [f"{top.number} is {top.days_overdue} days overdue; level {level.number} starts at "
                   f"{level.days}" if not repeat else
                   f"repeat of level {level.number}: {self.proc.repeat_days} days since the last letter"]
        if fee:
            reasons.append(f"fee {fee} for level {level.number}")
        return LetterDecision(
            company=self.company, record=self.record.key, procedure=self.proc.code, as_of=self.as_of,
            level=level.number, level_name=level.name, channels=level.channels, sending=self.proc.sending,
            lines=tuple(lines), credits=credit_lines, info=tuple(info), dunned_total=dunned_total, fee=fee,
            fee_level=level.number if fee else None, interest=interest, credit_total=credit_total,
            total=dunned_total + fee + interest - credit_total, repeat=repeat, reasons=tuple(reasons))

    def _with_interest(self, lines: list[Line], level: Level) -> list[Line]:
        rate = interest_rate(level, self.proc)
        if not rate:
            return lines
        out = []
        for ln in lines:
            if ln.kind != "invoice":
                out.append(ln)
                continue
            item = self._candidate(ln.number).item
            start = interest_start(item, self.history.interest_charged_until(ln.number))
            amount = item_interest(item, start, self.as_of, rate) if start else ZERO
            first_day = start + timedelta(days=1) if start else None
            out.append(Line(**{**ln.__dict__, "interest": amount, "interest_from": first_day}))
        return out


def _has_thresholds(level: Level) -> bool:
    return bool(level.min_item or level.min_total)
