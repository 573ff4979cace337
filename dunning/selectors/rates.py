"""Exchange rates as of a date: for each pair, the latest rate dated on or before it."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

from dunning.models import ExchangeRate


def rates_as_of(as_of: date) -> dict[tuple[str, str], Decimal]:
    """(base, quote) -> rate; one query. A later row of the same pair replaces an earlier one."""
    rates: dict[tuple[str, str], Decimal] = {}
    for base, quote, rate in (ExchangeRate.objects.filter(date__lte=as_of).order_by("date")
                              .values_list("base", "quote", "rate")):
        rates[(base, quote)] = rate
    return rates
