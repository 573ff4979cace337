"""Rounding and tolerance, in each currency's own minor unit."""
from __future__ import annotations

from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Decimal

# ISO 4217 currencies whose minor unit is not 2 digits; the shell passes Babel's
# figures in the snapshot, this table only fills in when it does not.
_NOT_TWO_DIGITS = {
    "BIF": 0, "CLP": 0, "DJF": 0, "GNF": 0, "ISK": 0, "JPY": 0, "KMF": 0, "KRW": 0, "PYG": 0, "RWF": 0,
    "UGX": 0, "UYI": 0, "VND": 0, "VUV": 0, "XAF": 0, "XOF": 0, "XPF": 0,
    "BHD": 3, "IQD": 3, "JOD": 3, "KWD": 3, "LYD": 3, "OMR": 3, "TND": 3,
}
ZERO = Decimal(0)


def digits(currency: str, minor_units: Mapping[str, int]) -> int:
    return minor_units.get(currency, _NOT_TWO_DIGITS.get(currency, 2))


def round_money(amount: Decimal, currency: str, minor_units: Mapping[str, int]) -> Decimal:
    """Half-up to the currency's minor unit: 0.005 EUR is 0.01, 0.5 JPY is 1."""
    return amount.quantize(Decimal(1).scaleb(-digits(currency, minor_units)), rounding=ROUND_HALF_UP)


def tolerance(currency: str, minor_units: Mapping[str, int], tolerances: Mapping[str, Decimal]) -> Decimal:
    """An open amount at or below this is paid; by default one minor unit."""
    if currency in tolerances:
        return tolerances[currency]
    return Decimal(1).scaleb(-digits(currency, minor_units))


def convert(amount: Decimal, source: str, target: str,
            rates: Mapping[tuple[str, str], Decimal]) -> Decimal | None:
    """Only thresholds and fees given in another currency are converted; None when no rate is known."""
    if source == target:
        return amount
    if (source, target) in rates:
        return amount * rates[(source, target)]
    if (target, source) in rates and rates[(target, source)] != 0:
        return amount / rates[(target, source)]
    return None


def in_currency(per_currency: Mapping[str, Decimal], currency: str, default_currency: str,
                rates: Mapping[tuple[str, str], Decimal]) -> tuple[Decimal | None, bool]:
    """An amount set per currency, for `currency`: its own line, else the default line converted.

    Returns (amount or None when not set, whether a needed rate was missing).
    """
    if currency in per_currency:
        return per_currency[currency], False
    if default_currency in per_currency:
        converted = convert(per_currency[default_currency], default_currency, currency, rates)
        return converted, converted is None
    return None, False
