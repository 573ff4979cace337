"""Amount, date and currency parsing: exact values, clear refusals, and properties (hypothesis)."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dunning.importers.parsing import FieldError, amount, currency, identifier, parse_date, to_minor


@pytest.mark.parametrize("text, decimal, expected", [
    ("1.234,56", ",", "1234.56"),
    ("1 234,56", ",", "1234.56"),
    ("1\u202f234,56", ",", "1234.56"),
    ("1,234.56", ".", "1234.56"),
    ("1'234.56", ".", "1234.56"),
    ("1’234’567.50", ".", "1234567.50"),
    ("12345678.9", ".", "12345678.9"),
    ("-5", ".", "-5"),
    ("(1,000.00)", ".", "-1000.00"),
    ("+7,5", ",", "7.5"),
    ("0.0", ".", "0.0"),
    (" 42 ", ".", "42"),
])
def test_amounts_in_several_locales(text, decimal, expected):
    assert amount(text, decimal) == Decimal(expected)
    assert str(amount(text, decimal)) == expected


@pytest.mark.parametrize("text, decimal, reason", [
    ("1,5", ".", "'1,5' has thousands groups that are not 3 digits"),
    ("1.234,56", ".", "'1.234,56' is not an amount (decimal separator '.')"),
    ("1,234.56", ",", "'1,234.56' is not an amount (decimal separator ',')"),
    ("12,34,567.00", ".", "'12,34,567.00' has thousands groups that are not 3 digits"),
    ("1e5", ".", "'1e5' is not an amount (decimal separator '.')"),
    ("NaN", ".", "'NaN' is not an amount (decimal separator '.')"),
    ("€ 5", ".", "'€ 5' is not an amount (decimal separator '.')"),
    ("", ".", "empty; an amount is required"),
])
def test_amounts_refused_with_reason(text, decimal, reason):
    with pytest.raises(FieldError) as caught:
        amount(text, decimal)
    assert str(caught.value) == reason


@pytest.mark.parametrize("value, code, minor", [("1234.56", "EUR", 123456), ("100", "JPY", 100), ("1.234", "KWD", 1234),
                                                ("0.10", "USD", 10)])
def test_minor_units_per_currency(value, code, minor):
    assert to_minor(Decimal(value), code) == minor


@pytest.mark.parametrize("value, code, reason", [
    ("1.234", "EUR", "1.234 has more decimals than EUR allows (2 decimals)"),
    ("100.5", "JPY", "100.5 has more decimals than JPY allows (no decimals)"),
])
def test_too_many_decimals_for_the_currency(value, code, reason):
    with pytest.raises(FieldError) as caught:
        to_minor(Decimal(value), code)
    assert str(caught.value) == reason


def test_currency_codes_are_checked_against_babel():
    assert currency(" chf ") == "CHF"
    with pytest.raises(FieldError, match=r"unknown currency 'XYZ'"):
        currency("XYZ")
    with pytest.raises(FieldError, match=r"unknown currency 'XXX'"):
        currency("XXX")  # ISO's "no currency" is not money


@pytest.mark.parametrize("text, formats, expected", [
    ("26-Apr-11", ("%d-%b-%y",), date(2011, 4, 26)),
    ("4/6/2013", ("%m/%d/%Y",), date(2013, 4, 6)),
    ("04.06.2013", ("%d.%m.%Y",), date(2013, 6, 4)),
    ("31/12/99", ("%d/%m/%y",), date(1999, 12, 31)),
    ("01/01/68", ("%d/%m/%y",), date(2068, 1, 1)),
    ("2020-02-27", ("%Y-%m-%d",), date(2020, 2, 27)),
    ("13.01.2026", ("%m/%d/%Y", "%d.%m.%Y"), date(2026, 1, 13)),
])
def test_dates_day_first_and_two_digit_years(text, formats, expected):
    assert parse_date(text, formats) == expected


@pytest.mark.parametrize("text, formats, reason", [
    ("13/31/2013", ("%m/%d/%Y",), "'13/31/2013' is not a date in the form M/D/YYYY"),
    ("2013-02-30", ("%Y-%m-%d",), "'2013-02-30' is not a date in the form YYYY-M-D"),
    ("0001-01-01", ("%Y-%m-%d",), "'0001-01-01' is outside the years 1900–2199"),
    ("26-Apr-11", ("%Y-%m-%d", "%d.%m.%Y"), "'26-Apr-11' is not a date in the form YYYY-M-D or D.M.YYYY"),
])
def test_dates_refused_with_reason(text, formats, reason):
    with pytest.raises(FieldError) as caught:
        parse_date(text, formats)
    assert str(caught.value) == reason


def test_identifiers_stay_text_and_float_text_is_undone_only_when_asked():
    assert identifier(" 0200769623 ") == "0200769623"
    assert identifier("1930571429.0", float_text=True) == "1930571429"
    assert identifier("1930571429.0") == "1930571429.0"
    assert identifier("12.5", float_text=True) == "12.5"


# -- properties -----------------------------------------------------------------------------------

def grouped(digits: str, mark: str) -> str:
    head = len(digits) % 3 or 3
    return mark.join([digits[:head]] + [digits[i:i + 3] for i in range(head, len(digits), 3)])


@given(st.decimals(min_value=Decimal("-1e12"), max_value=Decimal("1e12"), places=2, allow_nan=False),
       st.sampled_from([(".", ","), (".", "'"), (".", " "), (",", "."), (",", " "), (",", "\u202f"), (".", "")]))
def test_any_amount_written_in_any_locale_reads_back_exactly(value, style):
    decimal, mark = style
    whole, fraction = f"{abs(value):.2f}".split(".")
    text = ("-" if value < 0 else "") + (grouped(whole, mark) if mark else whole) + decimal + fraction
    assert amount(text, decimal) == value


@given(st.text(max_size=30), st.sampled_from([".", ","]))
def test_amount_parser_either_reads_or_refuses_clearly(text, decimal):
    try:
        result = amount(text, decimal)
    except FieldError as exc:
        assert str(exc)
    else:
        assert isinstance(result, Decimal) and result.is_finite()


@given(st.dates(min_value=date(1900, 1, 1), max_value=date(2199, 12, 31)),
       st.sampled_from(["%Y-%m-%d", "%d.%m.%Y", "%m/%d/%Y", "%d-%b-%Y"]))
def test_any_date_written_in_a_format_reads_back(day, fmt):
    assert parse_date(day.strftime(fmt), (fmt,)) == day


@given(st.text(max_size=20))
def test_date_parser_either_reads_or_refuses_clearly(text):
    try:
        result = parse_date(text, ("%Y-%m-%d", "%d-%b-%y", "%m/%d/%Y"))
    except FieldError as exc:
        assert str(exc)
    else:
        assert 1900 <= result.year <= 2199
