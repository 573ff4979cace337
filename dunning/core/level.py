"""Which escalation level an item stands at today.

Levels are ranked by their days, never by the order they were entered in.
Days are always required; amount thresholds combine with AND (every one that is
set) or OR (any one); with none set, days alone decide. Thresholds are "at
least": a run missed yesterday still finds the level today.
"""
from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from .facts import Level, Procedure, Rates
from .money import in_currency


def ranked(levels: tuple[Level, ...]) -> tuple[Level, ...]:
    """Levels sorted by days and numbered 1..n in that order."""
    ordered = sorted(levels, key=lambda lv: (lv.days, lv.number))
    return tuple(replace(lv, number=i) for i, lv in enumerate(ordered, start=1))


def level_applies(level: Level, days: int, open_amount: Decimal, record_total: Decimal, currency: str,
                  procedure: Procedure, rates: Rates) -> tuple[bool, bool]:
    """(applies, a needed exchange rate was missing)."""
    if days < level.days:
        return False, False
    min_item, missing_item = in_currency(level.min_item, currency, procedure.default_currency, rates)
    min_total, missing_total = in_currency(level.min_total, currency, procedure.default_currency, rates)
    checks = []
    if min_item is not None or missing_item:
        checks.append(min_item is not None and open_amount >= min_item)
    if min_total is not None or missing_total:
        checks.append(min_total is not None and record_total >= min_total)
    if not checks:
        return True, False
    met = all(checks) if level.combine == "and" else any(checks)
    return met, missing_item or missing_total


def item_level(levels: tuple[Level, ...], days: int, open_amount: Decimal, record_total: Decimal,
               currency: str, procedure: Procedure, rates: Rates) -> tuple[Level | None, bool]:
    """The highest ranked level the item meets (None below the first), and whether a rate was missing."""
    best: Level | None = None
    missing_rate = False
    for level in levels:
        applies, missing = level_applies(level, days, open_amount, record_total, currency, procedure, rates)
        missing_rate = missing_rate or missing
        if applies:
            best = level
    return best, missing_rate
