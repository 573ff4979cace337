"""Money is stored as integer minor units so SQL sums are exact on SQLite too."""
from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from babel.numbers import get_currency_precision
from django.db import models


def minor_units(currency: str) -> int:
    """Digits after the decimal point for a currency (JPY 0, EUR 2, KWD 3)."""
    return get_currency_precision(currency)


def to_minor(amount: Decimal, currency: str) -> int:
    exp = minor_units(currency)
    scaled = (Decimal(amount) * (10**exp)).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    if scaled != Decimal(amount) * (10**exp):
        raise ValueError(f"{amount} has more decimals than {currency} allows ({exp})")
    return int(scaled)


def from_minor(value: int, currency: str) -> Decimal:
    exp = minor_units(currency)
    return (Decimal(value) / (10**exp)).quantize(Decimal(1).scaleb(-exp))


class MinorUnitsField(models.BigIntegerField):
    """An amount in the currency's smallest unit (cents; yen)."""
