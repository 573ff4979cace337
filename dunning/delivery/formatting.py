"""Amounts, dates and percentages written the way the reader's locale writes them.

Babel does the locale work, but it rounds half-even; collections letters must show the same
figures as the run computed (half-up, to the currency's own minor unit: JPY none, KWD three),
so every amount is quantized here first and Babel only lays it out.
Plain functions on plain data: no Django, safe to use inside the template sandbox.
"""
from __future__ import annotations

from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from babel import Locale, UnknownLocaleError
from babel.dates import format_date as _babel_date
from babel.numbers import format_currency as _babel_currency
from babel.numbers import format_decimal as _babel_decimal
from babel.numbers import format_percent as _babel_percent
from babel.numbers import get_currency_precision

DEFAULT_LANGUAGE = "en"


def locale_for(language: str | None, country: str | None = None) -> Locale:
    """The Babel locale for a customer's language ("de", "fr_CH", "fr-CH"); English when unknown.

    A bare language gains the customer's country when Babel knows that pair (fr + CH -> fr_CH),
    so a Swiss customer reading French gets Swiss grouping.
    """
    tag = (language or DEFAULT_LANGUAGE).strip().replace("-", "_") or DEFAULT_LANGUAGE
    if "_" not in tag and country and len(country.strip()) == 2:
        try:
            return Locale.parse(f"{tag}_{country.strip().upper()}")
        except (UnknownLocaleError, ValueError):
            pass
    try:
        return Locale.parse(tag)
    except (UnknownLocaleError, ValueError):
        return Locale.parse(DEFAULT_LANGUAGE)


def _locale(locale: Locale | str | None) -> Locale:
    return locale if isinstance(locale, Locale) else locale_for(locale)


def to_decimal(value: object) -> Decimal:
    """Decimal from a Decimal, int or decimal string; floats go through str() so 0.1 stays 0.1."""
    if isinstance(value, Decimal):
        return value
    if isinstance(value, bool):
        raise ValueError(f"not an amount: {value!r}")
    if isinstance(value, (int, str)):
        try:
            return Decimal(value)
        except InvalidOperation:
            raise ValueError(f"not an amount: {value!r}") from None
    if isinstance(value, float):
        return Decimal(str(value))
    raise ValueError(f"not an amount: {value!r}")


def quantize_amount(amount: object, currency: str) -> Decimal:
    """The amount rounded half-up to the currency's minor unit (JPY 0 digits, EUR 2, KWD 3)."""
    exp = get_currency_precision(currency.upper())
    return to_decimal(amount).quantize(Decimal(1).scaleb(-exp), rounding=ROUND_HALF_UP)


def format_money(amount: object, currency: str, locale: Locale | str | None = None) -> str:
    """'1.234,56 €' (de), '￥1,235' (ja, JPY), '1 234,56 €' (fr, narrow no-break space)."""
    value = quantize_amount(amount, currency)
    return _babel_currency(value, currency.upper(), locale=_locale(locale), currency_digits=True)


def format_number(value: object, locale: Locale | str | None = None, digits: int | None = None) -> str:
    """A plain number in the locale ('1.234,5'); `digits` rounds half-up and keeps that many decimals."""
    number = to_decimal(value)
    if digits is not None:
        number = number.quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP)
        pattern_digits = "0" * digits
        fmt = "#,##0" + (f".{pattern_digits}" if digits else "")
        return _babel_decimal(number, format=fmt, locale=_locale(locale), decimal_quantization=False)
    return _babel_decimal(number, locale=_locale(locale), decimal_quantization=False)


def format_percent(percent: object, locale: Locale | str | None = None, max_digits: int = 2) -> str:
    """A rate given in percent (8 means 8 %) written the locale's way: '8 %' (de), '8%' (en)."""
    value = to_decimal(percent).quantize(Decimal(1).scaleb(-max_digits), rounding=ROUND_HALF_UP)
    value = value.quantize(Decimal(1)) if value == value.to_integral() else value.normalize()
    return _babel_percent(value / 100, locale=_locale(locale), decimal_quantization=False)


def to_date(value: object) -> date:
    """A date from a date, datetime or ISO string (the form Letter.data keeps dates in)."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        return date.fromisoformat(value[:10])
    raise ValueError(f"not a date: {value!r}")


def format_date(value: object, locale: Locale | str | None = None, style: str = "medium") -> str:
    """'03.12.2026' (de medium), '3. Dezember 2026' (de long), '2026年12月3日' (ja long).

    `style` is one of short, medium, long, full, or a Babel/CLDR pattern such as 'dd.MM.yyyy'.
    """
    return _babel_date(to_date(value), format=style, locale=_locale(locale))
