"""Open amounts and days overdue, as of a date.

Allocations dated after the date do not count, so evaluating a past date gives
the same answer whenever it is computed.
"""
from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal

from .facts import Allocation, Credit, Item


def allocated(allocations: Iterable[Allocation], as_of: date) -> Decimal:
    return sum((a.amount for a in allocations if a.date <= as_of), Decimal(0))


def open_amount(item: Item, as_of: date) -> Decimal:
    return item.amount - allocated(item.allocations, as_of)


def open_credit(credit: Credit, as_of: date) -> Decimal:
    """What is left of a payment or credit note to offset; nothing before its date or once cancelled."""
    if credit.status == "cancelled" or credit.date > as_of:
        return Decimal(0)
    return credit.amount - allocated(credit.allocations, as_of)


def days_overdue(due: date | None, as_of: date) -> int | None:
    """The due date itself is not overdue: 0 on the due date, 1 the day after."""
    return None if due is None else (as_of - due).days
