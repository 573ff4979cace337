"""One company's receivables as the decision core's facts, as of its local run date.

A constant number of queries per company, whatever the number of invoices: rows are read as plain
values and grouped in memory. The same function serves the run (one company, or one range of its
customers as a partition a worker can evaluate alone), the re-check before delivery (one customer,
payments known now), and the backtest (every invoice ever posted).
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal
from typing import Collection, Mapping, Optional

from django.db.models import F, OuterRef, Q, Subquery, Sum
from django.db.models.functions import Coalesce

from dunning.core import facts
from dunning.core.balance import open_amount, open_credit
from dunning.core.money import convert, round_money
from dunning.models import Allocation, Credit, Customer, Invoice, Letter, LetterItem
from dunning.models.money import from_minor, minor_units, to_minor
from dunning.services.assignment import ordered_rules, procedures_for, rules_use_balance

from .company_date import company_zone
from .procedures import all_procedures, level_currencies
from .rates import rates_as_of

# Letter states as history: only a sent letter reminds; a waiting one blocks a second; the rest reminded nothing.
HISTORY_STATES = {"sent": "sent", "review": "pending", "queued": "pending", "sending": "pending",
                  "unknown": "pending", "removed": "removed", "cancelled": "removed", "failed": "removed"}


@dataclass(frozen=True)
class InvoiceRow:
    id: int
    number: str
    kind: str
    issue_date: Optional[date]


@dataclass(frozen=True)
class CompanyFacts:
    """The snapshot, plus what the run service needs to turn decisions back into rows."""

    company: object
    snapshot: facts.Snapshot
    customers: Mapping[str, Customer]  # customer number -> row
    invoices: Mapping[str, InvoiceRow]  # item number -> row
    letter_numbers: Mapping[str, int] = field(default_factory=dict)  # history letter number -> id


def build_company_facts(company, as_of: date, *, customer_ids: Optional[Collection[int]] = None,
                        payments_known_now: bool = False, include_settled: bool = False,
                        exclude_letter: Optional[int] = None) -> CompanyFacts:
    """Read one company (or some of its customers) and build the core's snapshot as of `as_of`.

    payments_known_now: count every allocation and credit recorded so far, even dated after `as_of`
    (the re-check before delivery: a payment that arrived after the run still stops the letter).
    include_settled: also read invoices whose status says paid, letting their dated allocations tell
    when (the backtest replays history).
    exclude_letter: leave one letter out of the history (the one being re-checked).
    """
    scope = CustomerScope(customer_ids)
    customers = list(scope.filter(Customer.objects.filter(company=company), "id").select_related("procedure"))
    by_id = {c.id: c for c in customers}
    clamp = _clamp(as_of) if payments_known_now else (lambda day: day)

    rules = ordered_rules()
    invoice_rows, items = _items(company, as_of, scope, by_id, clamp, include_settled)
    # A credit used up as of the run date offsets nothing: only the backtest (which replays earlier
    # days) and balance rules (which see every credit's customer) read them all.
    credits = _credits(company, as_of, scope, by_id, clamp, payments_known_now,
                       all_credits=include_settled or rules_use_balance(rules))
    history, letter_numbers = _history(company, as_of, scope, by_id, exclude_letter)
    items = _with_charge_origins(items, history)
    procedures = all_procedures()
    rates = rates_as_of(as_of)
    currencies = {company.base_currency} | {i.currency for i in items} | {c.currency for c in credits}
    currencies |= level_currencies(procedures)

    balances = _balances(items, credits, as_of, company.base_currency, rates) if rules_use_balance(rules) else {}
    codes = procedures_for(customers, rules, {cid: balances.get(c.number) for cid, c in by_id.items()})
    snapshot = facts.Snapshot(
        company=company.code, as_of=as_of, procedures=procedures,
        customers={c.number: _customer_fact(c, company, codes[c.id]) for c in customers},
        items=tuple(items), credits=tuple(credits), history=tuple(history),
        minor_units={cur: minor_units(cur) for cur in sorted(currencies)}, rates=rates,
    )
    return CompanyFacts(company=company, snapshot=snapshot, customers={c.number: c for c in customers},
                        invoices=invoice_rows, letter_numbers=letter_numbers)


class CustomerScope:
    """All of a company's customers, a set of them, or a range of ids (a partition)."""

    def __init__(self, ids: Optional[Collection[int]]):
        self.ids = ids

    def filter(self, queryset, path: str):
        if self.ids is None:
            return queryset
        if isinstance(self.ids, range) and self.ids.step == 1:
            return queryset.filter(**{f"{path}__gte": self.ids.start, f"{path}__lt": self.ids.stop})
        return queryset.filter(**{f"{path}__in": list(self.ids)})


def _clamp(as_of: date):
    return lambda day: min(day, as_of)


def _pause(paused: bool, reason: str, until: Optional[date]) -> Optional[facts.Pause]:
    return facts.Pause(reason=reason or "paused", until=until) if paused else None


def _customer_fact(customer, company, procedure: Optional[str]) -> facts.Customer:
    return facts.Customer(number=customer.number, name=customer.name,
                          language=customer.language or company.language or "en",
                          pause=_pause(customer.paused, customer.pause_reason, customer.pause_until),
                          procedure=procedure)


def _items(company, as_of, scope, by_id, clamp, include_settled):
    statuses = ["open", "paid"] if include_settled else ["open"]
    existed = Q(issue_date__isnull=True) | Q(issue_date__lte=as_of)
    invoices = scope.filter(Invoice.objects.filter(existed, company=company, status__in=statuses), "customer_id")
    allocations = scope.filter(
        Allocation.objects.filter(invoice__company=company, invoice__status__in=statuses)
        .filter(Q(credit__isnull=True) | Q(credit__status="posted")), "invoice__customer_id")
    paid_in = defaultdict(list)
    for invoice_id, day, amount_minor, currency in allocations.values_list(
            "invoice_id", "date", "amount_minor", "invoice__currency").order_by("date", "id"):
        paid_in[invoice_id].append(facts.Allocation(date=clamp(day), amount=from_minor(amount_minor, currency)))
    rows, items = {}, []
    for row in invoices.values("id", "number", "customer_id", "currency", "amount_minor", "due_date", "issue_date",
                               "kind", "status", "disputed", "dispute_reason", "paused", "pause_reason",
                               "pause_until", "procedure__code", "origin_letter_id").order_by("id"):
        amount = from_minor(row["amount_minor"], row["currency"])
        paid = tuple(paid_in.get(row["id"], ()))
        status = row["status"]
        if status == "paid" and sum((a.amount for a in paid), Decimal(0)) >= amount:
            status = "open"  # settled later: its allocations say from which day it counts as paid
        rows[row["number"]] = InvoiceRow(row["id"], row["number"], row["kind"], row["issue_date"])
        items.append(facts.Item(
            number=row["number"], customer=by_id[row["customer_id"]].number, currency=row["currency"],
            amount=amount, due_date=row["due_date"], kind=row["kind"], issue_date=row["issue_date"], status=status,
            disputed=row["disputed"], dispute_reason=row["dispute_reason"],
            pause=_pause(row["paused"], row["pause_reason"], row["pause_until"]),
            procedure=row["procedure__code"], allocations=paid,
            origin_letter=str(row["origin_letter_id"]) if row["origin_letter_id"] else None,
        ))
    return rows, items


def _credits(company, as_of, scope, by_id, clamp, payments_known_now, *, all_credits=True):
    """The company's posted credits; with all_credits=False only those with something left as of `as_of`.

    Left out then: a credit dated after `as_of` (counted from its date on, unless payments_known_now
    dates it back) and one whose allocations counted as of `as_of` add up to its amount exactly (open 0).
    Settled payments are most of a long history, so the run reads what is open, not all there was.
    """
    posted = scope.filter(Credit.objects.filter(company=company, status="posted"), "customer_id")
    allocations = scope.filter(Allocation.objects.filter(credit__company=company, credit__status="posted"),
                               "credit__customer_id")
    if not all_credits:
        counted = Allocation.objects.filter(credit=OuterRef("pk"))
        if not payments_known_now:
            posted = posted.filter(date__lte=as_of)
            counted = counted.filter(date__lte=as_of)
        used = Subquery(counted.order_by().values("credit").annotate(total=Sum("amount_minor")).values("total")[:1])
        posted = posted.alias(used=Coalesce(used, 0)).exclude(used=F("amount_minor"))
        allocations = allocations.filter(credit__in=posted.values("id"))
    used = defaultdict(list)
    for credit_id, day, amount_minor, currency in allocations.values_list(
            "credit_id", "date", "amount_minor", "credit__currency").order_by("date", "id"):
        used[credit_id].append(facts.Allocation(date=clamp(day), amount=from_minor(amount_minor, currency)))
    return [facts.Credit(number=row["number"], customer=by_id[row["customer_id"]].number, currency=row["currency"],
                         amount=from_minor(row["amount_minor"], row["currency"]), date=clamp(row["date"]),
                         allocations=tuple(used.get(row["id"], ())), status=row["status"], kind=row["kind"])
            for row in posted.values("id", "number", "customer_id", "currency", "amount_minor", "date", "status",
                                     "kind").order_by("id")]


def _history(company, as_of, scope, by_id, exclude_letter):
    letters = scope.filter(Letter.objects.filter(company=company, date__lte=as_of)
                           .exclude(state="superseded"), "customer_id")
    if exclude_letter is not None:
        letters = letters.exclude(id=exclude_letter)
    items = scope.filter(LetterItem.objects.filter(letter__company=company, letter__date__lte=as_of)
                         .exclude(letter__state="superseded"), "letter__customer_id")
    levels, until = defaultdict(dict), defaultdict(dict)
    for letter_id, number, level, interest_until in items.values_list(
            "letter_id", "invoice__number", "level", "interest_until"):
        levels[letter_id][number] = level
        if interest_until is not None:
            until[letter_id][number] = interest_until
    history, numbers = [], {}
    zone = company_zone(company)
    for row in letters.values("id", "customer_id", "currency", "invoice_key", "date", "level", "state",
                              "fee_level", "repeat", "sent_at", "printed_at").order_by("date", "id"):
        number = str(row["id"])
        numbers[number] = row["id"]
        record = facts.RecordKey(by_id[row["customer_id"]].number, row["currency"], row["invoice_key"] or None)
        history.append(facts.PastLetter(number=number, record=record, date=row["date"], level=row["level"],
                                        state=HISTORY_STATES[row["state"]], items=levels.get(row["id"], {}),
                                        fee_level=row["fee_level"], interest_until=until.get(row["id"], {}),
                                        repeat=row["repeat"], sent_on=_went_out_on(row, zone, as_of)))
    return history, numbers


def _went_out_on(row: dict, zone, as_of: date) -> Optional[date]:
    """The local day a letter went out when that is known by `as_of` (a later send leaves its date)."""
    went_out = row["sent_at"] or row["printed_at"]
    day = went_out.astimezone(zone).date() if went_out else None
    return day if day is not None and day <= as_of else None


def _with_charge_origins(items, history):
    """A charge relates to the invoices on the letter that created it (charges on it excluded)."""
    charges = {i.number for i in items if i.kind == "charge"}
    listed = {letter.number: tuple(n for n in letter.items if n not in charges) for letter in history}
    return [item if item.kind != "charge" or item.origin_letter not in listed
            else replace(item, origin_items=listed[item.origin_letter]) for item in items]


def _balances(items, credits, as_of, base_currency, rates) -> dict[str, int]:
    """Open balance per customer number in the company's currency (minor units), for assignment rules."""
    totals: dict[str, Decimal] = defaultdict(Decimal)
    for item in items:
        converted = convert(open_amount(item, as_of), item.currency, base_currency, rates)
        totals[item.customer] += converted or Decimal(0)
    for credit in credits:
        converted = convert(open_credit(credit, as_of), credit.currency, base_currency, rates)
        totals[credit.customer] -= converted or Decimal(0)
    digits = {base_currency: minor_units(base_currency)}
    return {number: to_minor(round_money(total, base_currency, digits), base_currency)
            for number, total in totals.items()}
