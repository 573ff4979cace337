"""Text from a file to dates, amounts and currencies — or a FieldError that says what is wrong.

Amounts are Decimal from the text itself, never through float. The decimal separator comes
from the profile; thousands may be grouped with `,` `.` `'` `’` or a (narrow) space, whichever
is not the decimal separator, and every group after the first must have exactly three digits,
so "1,5" is refused when the decimal separator is "." instead of silently becoming 15.
"""
from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from babel.numbers import get_currency_precision, list_currencies

# Babel's list includes ISO 4217's codes for testing and "no currency"; neither is money.
CURRENCIES = frozenset(list_currencies()) - {"XXX", "XTS"}
GROUP_MARKS = (",", ".", "'", "\u2019", " ", "\u00a0", "\u202f")
MAX_MINOR = 2**63 - 1
FORMAT_NAMES = {"%Y": "YYYY", "%y": "YY", "%m": "M", "%d": "D", "%b": "Mon", "%B": "Month",
                "%H": "hh", "%M": "mm", "%S": "ss"}


class FieldError(ValueError):
    """A value that cannot be used; the message is the reason shown to the person importing."""


def text(value) -> str:
    if value is None:
        return ""
    return str(value).strip()


def identifier(value, float_text: bool = False) -> str:
    """A customer or invoice number: text, never a number. Optionally undo float text ('12.0')."""
    result = text(value)
    if float_text and re.fullmatch(r"\d+\.0+", result):
        result = result.split(".")[0]
    return result


def amount(value, decimal: str = ".") -> Decimal:
    """'1.234,56' (decimal ','), '1,234.56', "1'234.56", '1 234,56', '-5', '(5.00)' -> Decimal."""
    raw = text(value)
    if not raw:
        raise FieldError("empty; an amount is required")
    body, negative = raw, False
    if body.startswith("(") and body.endswith(")"):
        body, negative = body[1:-1].strip(), True
    if body[:1] in "+-":
        negative = negative or body[0] == "-"
        body = body[1:].strip()
    whole, separator, fraction = body.partition(decimal)
    fraction_ok = fraction.isascii() and fraction.isdigit() if separator else True
    if not whole or not fraction_ok:
        raise FieldError(f"'{raw}' is not an amount (decimal separator '{decimal}')")
    whole = _ungroup(whole, decimal, raw)
    try:
        result = Decimal(f"{whole}.{fraction}" if fraction else whole)
    except InvalidOperation:
        raise FieldError(f"'{raw}' is not an amount") from None
    return -result if negative else result


def _ungroup(whole: str, decimal: str, raw: str) -> str:
    if whole.isascii() and whole.isdigit():
        return whole
    marks = {ch for ch in whole if not (ch.isascii() and ch.isdigit())}
    if len(marks) != 1 or marks & {decimal} or not marks <= set(GROUP_MARKS):
        raise FieldError(f"'{raw}' is not an amount (decimal separator '{decimal}')")
    groups = whole.split(marks.pop())
    if not (1 <= len(groups[0]) <= 3 and all(len(g) == 3 for g in groups[1:])
            and all(g.isascii() and g.isdigit() for g in groups)):
        raise FieldError(f"'{raw}' has thousands groups that are not 3 digits")
    return "".join(groups)


def to_minor(value: Decimal, currency: str) -> int:
    """Integer minor units; refuses more decimals than the currency has (2.345 USD)."""
    exp = get_currency_precision(currency)
    scaled = value.scaleb(exp)
    if scaled != scaled.to_integral_value():
        digits = "no decimals" if exp == 0 else f"{exp} decimals"
        raise FieldError(f"{value} has more decimals than {currency} allows ({digits})")
    minor = int(scaled)
    if abs(minor) > MAX_MINOR:
        raise FieldError(f"{value} is too large")
    return minor


def currency(value) -> str:
    code = text(value).upper()
    if not code:
        raise FieldError("empty; a currency code such as EUR is required")
    if code not in CURRENCIES:
        raise FieldError(f"unknown currency '{text(value)}' (expected an ISO 4217 code such as EUR)")
    return code


def parse_date(value, formats: tuple[str, ...]) -> date:
    """A date in one of the profile's formats; %y reads 00–68 as 20xx and 69–99 as 19xx."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    raw = text(value)
    if not raw:
        raise FieldError("empty; a date is required")
    for fmt in formats:
        try:
            parsed = datetime.strptime(raw, fmt).date()
        except ValueError:
            continue
        if not 1900 <= parsed.year <= 2199:
            raise FieldError(f"'{raw}' is outside the years 1900–2199")
        return parsed
    expected = " or ".join(describe_format(f) for f in formats)
    raise FieldError(f"'{raw}' is not a date in the form {expected}")


def describe_format(fmt: str) -> str:
    for code, name in FORMAT_NAMES.items():
        fmt = fmt.replace(code, name)
    return fmt


def flag(value) -> bool:
    raw = text(value).lower()
    if raw in ("1", "yes", "y", "true", "t", "x", "ja", "oui", "si", "sí"):
        return True
    if raw in ("", "0", "no", "n", "false", "f", "nein", "non"):
        return False
    raise FieldError(f"'{text(value)}' is not yes or no")
