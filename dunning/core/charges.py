"""Fees and interest of one letter.

A fee is charged for the level reached only (a jump does not charge the levels
it skipped), once per record, level and cycle; a repeat charges none. Interest
is simple, ACT/365, on each invoice's open principal for every day it is
overdue, so each payment lowers it from its own date on.
"""
from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from decimal import Decimal

from .balance import allocated
from .facts import Item, Level, Procedure, Rates
from .money import ZERO, in_currency, round_money


def fee_for(level: Level, currency: str, invoices_total: Decimal, procedure: Procedure,
            rates: Rates, minor_units: Mapping[str, int]) -> Decimal:
    """Fixed fee in the currency (or the default currency's, converted) plus a percent of the dunned invoices."""
    fixed, _missing = in_currency(level.fee_fixed, currency, procedure.default_currency, rates)
    fee = fixed or ZERO
    if level.fee_percent:
        fee += invoices_total * level.fee_percent / Decimal(100)
    return round_money(fee, currency, minor_units)


def interest_rate(level: Level, procedure: Procedure) -> Decimal:
    if level.interest_rate is not None:
        return level.interest_rate
    return procedure.interest_rate or ZERO


def item_interest(item: Item, start: date, as_of: date, yearly_percent: Decimal) -> Decimal:
    """Unrounded interest for the days after `start` up to and including `as_of`.

    The open principal of a day counts the allocations dated on or before it.
    """
    if yearly_percent == 0 or as_of <= start:
        return ZERO
    changes = sorted({a.date for a in item.allocations if start < a.date <= as_of})
    total = ZERO
    day = start + timedelta(days=1)
    for boundary in [*changes, as_of + timedelta(days=1)]:
        if boundary > day:
            principal = item.amount - allocated(item.allocations, day)
            if principal > 0:
                total += principal * (boundary - day).days
            day = boundary
    return total * yearly_percent / Decimal(36500)


def interest_start(item: Item, charged_until: date | None) -> date | None:
    """Interest runs from the due date, or from the end of the period an earlier letter charged."""
    if item.due_date is None:
        return None
    if charged_until is not None and charged_until > item.due_date:
        return charged_until
    return item.due_date


def letter_interest(parts: tuple[Decimal, ...], currency: str, minor_units: Mapping[str, int]) -> Decimal:
    """Rounded half-up once per letter, not per line."""
    return round_money(sum(parts, ZERO), currency, minor_units)
