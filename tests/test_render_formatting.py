"""Amounts and dates as the reader's locale writes them, rounded half-up to the currency's minor unit."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

from dunning.delivery.formatting import (format_date, format_money, format_number, format_percent, locale_for,
                                         quantize_amount)

NBSP = "\u00a0"
NNBSP = "\u202f"  # narrow no-break space: French thousands separator


def test_german_amount_and_dates():
    assert format_money(Decimal("1234.56"), "EUR", "de") == f"1.234,56{NBSP}€"
    assert format_date(date(2026, 12, 3), "de") == "03.12.2026"
    assert format_date("2026-12-03", "de", "long") == "3. Dezember 2026"


def test_yen_has_no_decimals_and_rounds_half_up():
    # Babel alone would round 1234.5 half-even to 1,234; the run rounds half-up.
    assert format_money("1234.5", "JPY", "ja") == "￥1,235"
    assert format_money("1236.5", "JPY", "ja") == "￥1,237"
    assert format_date("2026-12-03", "ja", "long") == "2026年12月3日"


def test_three_decimal_currency():
    assert quantize_amount("1.2345", "KWD") == Decimal("1.235")
    assert format_money("1.2345", "KWD", "en") == "KWD1.235"


def test_half_up_on_cents():
    assert format_money("0.125", "EUR", "en") == "€0.13"
    assert format_money("2.675", "USD", "en_US") == "$2.68"


def test_french_groups_with_narrow_no_break_space():
    assert format_money("1234.56", "EUR", "fr") == f"1{NNBSP}234,56{NBSP}€"
    assert format_date("2026-12-03", "fr", "long") == "3 décembre 2026"


def test_spanish_and_swiss():
    assert format_money("1234.5", "EUR", "es") == f"1.234,50{NBSP}€"
    assert format_money("12345.5", "EUR", "es") == f"12.345,50{NBSP}€"
    assert format_money("1234.5", "CHF", locale_for("fr", "CH")) == f"1'234,50{NBSP}CHF"


def test_percent_and_numbers():
    assert format_percent("8", "de") == f"8{NBSP}%"
    assert format_percent("8.25", "en") == "8.25%"
    assert format_percent("5.50", "fr") == f"5,5{NBSP}%"
    assert format_number("1234.5", "de", 2) == "1.234,50"


def test_locale_resolution():
    assert str(locale_for("fr", "CH")) == "fr_CH"
    assert str(locale_for("fr-CH")) == "fr_CH"
    assert str(locale_for(None)) == "en"
    assert str(locale_for("xx-unknown")) == "en"
