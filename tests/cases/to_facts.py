"""Turn one case of cases.yaml into the decision core's facts (a Snapshot per company).

The case file speaks in its own words (levels with `min_days_overdue`, negative credit-note amounts,
`excluded_from_dunning`, a history of letters); here they become the product's terms: a Procedure
with Levels ranked by days, Items with dated Allocations, Credits, PastLetters and charge Items.
"""
from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Iterable, Optional

from babel.numbers import get_currency_precision

from dunning.core.facts import (
    DUNNABLE_STATUSES, Allocation, Credit, Customer, Item, Level, PastLetter, Pause, Procedure, RecordKey, Snapshot,
)

PROCEDURE = "CASE"
DEFAULT_LEVELS = (
    {"level": 1, "min_days_overdue": 1},
    {"level": 2, "min_days_overdue": 30},
    {"level": 3, "min_days_overdue": 60},
)


def money(value: Any) -> Decimal:
    """Case amounts are decimal strings; never go through float."""
    return Decimal(str(value))


def day(value: Any) -> date:
    """A case date, or the calendar date of a case instant (instants are UTC)."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return datetime.fromisoformat(str(value)).date()


def case_currencies(case: dict) -> list[str]:
    found = {c["currency"] for c in case.get("customers", [])}
    found |= {i["currency"] for i in case.get("invoices", [])}
    return sorted(found)


def level_entries(config: dict) -> list[dict]:
    return list(config.get("levels") or config.get("levels_as_entered") or DEFAULT_LEVELS)


def levels_from_config(config: dict, currencies: Iterable[str]) -> tuple[Level, ...]:
    """Levels in the order the case enters them; each numbered by its rank in days (Level.number)."""
    entries = level_entries(config)
    by_days = sorted(entries, key=lambda e: e["min_days_overdue"])
    levels = []
    for entry in entries:
        number = by_days.index(entry) + 1
        fee = money(entry.get("fee", "0"))
        rate = entry.get("interest_rate_pa")
        percent = entry.get("late_fee_percent")
        levels.append(Level(
            number=number,
            days=int(entry["min_days_overdue"]),
            name=entry.get("level_name", f"Level {number}"),
            fee_fixed={cur: fee for cur in currencies} if fee else {},
            fee_percent=money(percent) if percent is not None else None,
            interest_rate=money(rate) if rate is not None else None,
        ))
    return tuple(levels)


def procedure_from_case(case: dict, **overrides: Any) -> Procedure:
    config = case.get("config") or {}
    policy = config.get("charges_policy", "collect")
    procedure = Procedure(
        code=PROCEDURE,
        levels=levels_from_config(config, case_currencies(case)),
        mode="step" if config.get("escalation_policy") == "sequential" else "jump",
        charges_policy="waive" if policy.startswith("waive") else "collect",
    )
    return replace(procedure, **overrides)


def customer_from_case(entry: dict) -> Customer:
    return Customer(
        number=entry["id"],
        name=f"Customer {entry['id']}",
        language=entry.get("language") or "",
        pause=Pause(reason="paused") if entry.get("dunning_paused") else None,
        procedure=PROCEDURE,
    )


def allocations_by_invoice(case: dict) -> dict[str, list[Allocation]]:
    """Every payment's and credit note's allocation, seen from the invoice it pays."""
    found: dict[str, list[Allocation]] = {}
    for payment in case.get("payments", []):
        when = payment_allocation_day(payment)
        for alloc in payment.get("allocations", []):
            found.setdefault(alloc["invoice"], []).append(Allocation(when, money(alloc["amount"])))
    for note in case.get("credit_notes", []):
        if note.get("applied_to") and note.get("status", "posted") != "cancelled":
            found.setdefault(note["applied_to"], []).append(Allocation(day(note["date"]), -money(note["amount"])))
    return found


def payment_day(payment: dict) -> date:
    return day(payment.get("date") or payment["received_at"])


def payment_allocation_day(payment: dict) -> date:
    return day(payment.get("date") or payment.get("allocated_at") or payment["received_at"])


def invoice_due_date(entry: dict) -> Optional[date]:
    if entry.get("installments"):
        return min(day(i["due_date"]) for i in entry["installments"])
    return day(entry["due_date"]) if entry.get("due_date") else None


def invoice_excluded(entry: dict, config: dict) -> bool:
    """An excluded document is held; excluding one installment holds the whole invoice when so configured."""
    if entry.get("excluded_from_dunning"):
        return True
    parts = entry.get("installments") or []
    return bool(config.get("exclusion_applies_to_all_installments")) and any(
        p.get("excluded_from_dunning") for p in parts)


def item_from_case(entry: dict, allocations: dict[str, list[Allocation]], config: dict) -> Item:
    return Item(
        number=entry["id"],
        customer=entry["customer"],
        currency=entry["currency"],
        amount=money(entry["amount"]),
        due_date=invoice_due_date(entry),
        issue_date=day(entry["issue_date"]) if entry.get("issue_date") else None,
        status=entry.get("status", "open"),
        disputed=bool(entry.get("disputed")),
        pause=Pause(reason="excluded from dunning") if invoice_excluded(entry, config) else None,
        allocations=tuple(sorted(allocations.get(entry["id"], []), key=lambda a: a.date)),
    )


def credits_from_case(case: dict) -> list[Credit]:
    credits = []
    for payment in case.get("payments", []):
        when = payment_allocation_day(payment)
        credits.append(Credit(
            number=payment["id"], customer=payment["customer"], currency=payment["currency"],
            amount=money(payment["amount"]), date=payment_day(payment), kind="payment",
            allocations=tuple(Allocation(when, money(a["amount"])) for a in payment.get("allocations", [])),
        ))
    for note in case.get("credit_notes", []):
        applied = () if not note.get("applied_to") else (Allocation(day(note["date"]), -money(note["amount"])),)
        credits.append(Credit(
            number=note["id"], customer=note["customer"], currency=note["currency"],
            amount=-money(note["amount"]), date=day(note["date"]), kind="credit_note",
            status="cancelled" if note.get("status") == "cancelled" else "posted", allocations=applied,
        ))
    return credits


def open_on(item: Item, when: date) -> Decimal:
    return item.amount - sum((a.amount for a in item.allocations if a.date <= when), Decimal(0))


def history_items(entry: dict, currency: str, items: list[Item]) -> list[str]:
    """The items a past letter listed: as the case names them, else the customer's overdue open invoices then."""
    if entry.get("items"):
        return list(entry["items"])
    when = day(entry["date"])
    return [i.number for i in items
            if i.customer == entry["customer"] and i.currency == currency and i.kind == "invoice"
            and i.status in DUNNABLE_STATUSES and i.due_date is not None and i.due_date < when
            and open_on(i, when) > 0]


def history_from_case(case: dict, items: list[Item]) -> tuple[list[PastLetter], list[Item]]:
    """Sent letters of the case, and the charge items (fee, interest) each of them created."""
    currency_of = {c["id"]: c["currency"] for c in case.get("customers", [])}
    letters, charges = [], []
    for entry in case.get("history", []) or []:
        currency = currency_of[entry["customer"]]
        when = day(entry["date"])
        level = int(entry["level"])
        listed = history_items(entry, currency, items)
        fee = money(entry.get("fee", "0"))
        interest = money(entry.get("interest", "0"))
        letters.append(PastLetter(
            number=entry["letter"], record=RecordKey(entry["customer"], currency), date=when, level=level,
            items={number: level for number in listed}, fee_level=level if fee else None,
            interest_until={number: when for number in listed} if "interest" in entry else {},
        ))
        for what, amount in (("fee", fee), ("interest", interest)):
            if amount:
                charges.append(Item(
                    number=f"{entry['letter']}/{what}", customer=entry["customer"], currency=currency,
                    amount=amount, due_date=when, issue_date=when, kind="charge",
                    origin_letter=entry["letter"], origin_items=tuple(listed),
                ))
    return letters, charges


def rates_from_config(config: dict) -> dict[tuple[str, str], Decimal]:
    per_100 = config.get("current_rate_dkk_per_100_nok")
    if per_100 is None:
        return {}
    rate = money(per_100) / 100
    return {("NOK", "DKK"): rate, ("DKK", "NOK"): (1 / rate).quantize(Decimal("0.0000000001"))}


def companies(case: dict) -> list[str]:
    return sorted({c["company"] for c in case.get("customers", [])}) or ["CO1"]


def as_of_for(case: dict, company: str) -> date:
    value = case["as_of_date"]
    return day(value[company]) if isinstance(value, dict) else day(value)


def snapshot(case: dict, company: Optional[str] = None, as_of: Optional[date] = None,
             procedure: Optional[Procedure] = None, extra_history: Iterable[PastLetter] = ()) -> Snapshot:
    """One company's facts for the case (the only company when not named)."""
    config = case.get("config") or {}
    company = company or companies(case)[0]
    customers = [c for c in case.get("customers", []) if c["company"] == company]
    names = {c["id"] for c in customers}
    allocations = allocations_by_invoice(case)
    items = [item_from_case(i, allocations, config) for i in case.get("invoices", []) if i["customer"] in names]
    history, charges = history_from_case(case, items)
    history = [h for h in history if h.record.customer in names] + list(extra_history)
    currencies = case_currencies(case) + sorted(config.get("company_base_currency", {}).values())
    return Snapshot(
        company=company,
        as_of=as_of or as_of_for(case, company),
        procedures={PROCEDURE: procedure or procedure_from_case(case)},
        customers={c["id"]: customer_from_case(c) for c in customers},
        items=tuple(items + [c for c in charges if c.customer in names]),
        credits=tuple(c for c in credits_from_case(case) if c.customer in names),
        history=tuple(history),
        minor_units={cur: get_currency_precision(cur) for cur in currencies},
        rates=rates_from_config(config),
    )


def snapshots(case: dict) -> dict[str, Snapshot]:
    return {company: snapshot(case, company) for company in companies(case)}
