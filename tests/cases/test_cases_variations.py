"""Variations of the cases' kinds of fault, on the pure decision core (the service side is in
test_cases_service.py). Each starts from a shared case and changes one thing."""
from __future__ import annotations

import copy
from datetime import date
from decimal import Decimal

from dunning.core import evaluate

from . import load, to_facts
from .expect import assert_case_letters


def variant(case_id: str, **changes) -> dict:
    case = copy.deepcopy(load.case(case_id))
    case.update(changes)
    return case


def letters(case: dict):
    return [letter for snap in to_facts.snapshots(case).values() for letter in evaluate(snap).letters]


def lines(letter) -> list[tuple[str, Decimal, int, int]]:
    return [(ln.number, ln.open_amount, ln.days_overdue, ln.level) for ln in letter.lines]


# --- partial payments (BUG-01, BUG-02, BUG-10) ------------------------------------------------------

def test_bug02_two_partial_payments_only_those_dated_by_the_run_date_count():
    case = variant("BUG-02")
    case["payments"].append({"id": "P-2", "customer": "C1", "currency": "EUR", "amount": "100.00",
                             "date": date(2024, 6, 10), "allocations": [{"invoice": "INV-1", "amount": "100.00"}]})
    case["payments"].append({"id": "P-3", "customer": "C1", "currency": "EUR", "amount": "500.00",
                             "date": date(2024, 6, 16), "allocations": [{"invoice": "INV-1", "amount": "500.00"}]})
    (letter,) = letters(case)
    assert lines(letter) == [("INV-1", Decimal("500.00"), 45, 2)]
    assert (letter.fee, letter.total) == (Decimal("10.00"), Decimal("510.00"))


def test_bug10_partial_payment_leaving_one_cent_is_paid_two_cents_are_dunned():
    for rest, dunned in (("0.01", False), ("0.02", True)):
        case = variant("BUG-10")
        case["payments"][0]["allocations"][0]["amount"] = str(Decimal("1000.00") - Decimal(rest))
        got = letters(case)
        assert bool(got) is dunned, rest
        if dunned:
            assert lines(got[0]) == [("INV-1", Decimal(rest), 45, 2)]


def test_bug01_same_invoice_amounts_for_two_customers_never_mix():
    case = variant("BUG-01")
    case["customers"].append({"id": "C2", "company": "CO1", "currency": "EUR", "language": "en"})
    case["invoices"].append({"id": "INV-9", "customer": "C2", "company": "CO1", "currency": "EUR",
                             "amount": "75.00", "issue_date": date(2025, 1, 1), "due_date": date(2025, 1, 31)})
    case["expected"] = {"letters": case["expected"]["letters"] + [
        {"customer": "C2", "level": 2, "items": [{"invoice": "INV-9", "open_amount": "75.00", "days_overdue": 43,
                                                  "level": 2}], "total_due": "75.00"}]}
    assert_case_letters(case, [evaluate(to_facts.snapshot(case))])


# --- credits (BUG-11, BUG-14) -----------------------------------------------------------------------

def test_bug11_a_credit_note_in_another_currency_or_dated_after_the_run_offsets_nothing():
    case = variant("BUG-11")
    case["credit_notes"] += [
        {"id": "CN-USD", "customer": "C1", "currency": "USD", "amount": "-500.00", "date": date(2023, 4, 1),
         "status": "posted", "applied_to": None},
        {"id": "CN-LATER", "customer": "C1", "currency": "EUR", "amount": "-500.00", "date": date(2023, 5, 2),
         "status": "posted", "applied_to": None},
    ]
    c1 = [l for l in letters(case) if l.customer == "C1"]
    assert [(l.currency, l.total, [c.number for c in l.credits]) for l in c1] == [
        ("EUR", Decimal("680.00"), ["CN-1"])]


def test_bug11_a_credit_note_applied_to_an_invoice_lowers_that_invoice_and_is_not_counted_twice():
    case = variant("BUG-11")
    case["credit_notes"][0]["applied_to"] = "INV-1"
    c1 = next(l for l in letters(case) if l.customer == "C1")
    assert lines(c1) == [("INV-1", Decimal("380.00"), 31, 2), ("INV-2", Decimal("300.00"), 16, 1)]
    assert (c1.credits, c1.total) == ((), Decimal("680.00"))


def test_bug14_several_credits_together_cover_the_overdue_amount():
    case = variant("BUG-14")
    case["credit_notes"] = [
        {"id": "CN-1", "customer": "C1", "currency": "EUR", "amount": "-120.00", "date": date(2020, 9, 15),
         "status": "posted", "applied_to": None},
        {"id": "CN-2", "customer": "C1", "currency": "EUR", "amount": "-80.00", "date": date(2020, 10, 1),
         "status": "posted", "applied_to": None}]
    case["payments"] = []
    assert letters(case) == []
    case["credit_notes"][1]["status"] = "cancelled"
    (letter,) = letters(case)
    assert (letter.credit_total, letter.total) == (Decimal("120.00"), Decimal("80.00"))


# --- currencies (BUG-23) ------------------------------------------------------------------------------

def test_bug23_an_invoice_in_another_currency_gets_its_own_letter_never_a_converted_line():
    case = variant("BUG-23")
    case["invoices"].append({"id": "INV-EUR", "customer": "C1", "company": "CO1", "currency": "EUR",
                             "amount": "500.00", "issue_date": date(2026, 6, 1), "due_date": date(2026, 7, 1)})
    got = sorted(letters(case), key=lambda l: l.currency)
    assert [(l.currency, l.total, [ln.number for ln in l.lines]) for l in got] == [
        ("EUR", Decimal("500.00"), ["INV-EUR"]), ("NOK", Decimal("17830.11"), ["INV-1"])]


# --- thresholds and levels (BUG-06, BUG-12, BUG-20) ---------------------------------------------------

def test_bug12_an_item_minimum_not_reached_keeps_the_item_off_the_letter():
    from dataclasses import replace

    case = variant("BUG-12")
    snap = to_facts.snapshot(case)
    proc = snap.procedures[to_facts.PROCEDURE]
    level = replace(proc.levels[0], min_item={"EUR": Decimal("100.01")})
    snap = replace(snap, procedures={proc.code: replace(proc, levels=(level,))})
    assert evaluate(snap).letters == ()
    level = replace(level, min_item={"EUR": Decimal("100.00")})
    (letter,) = evaluate(replace(snap, procedures={proc.code: replace(proc, levels=(level,))})).letters
    assert lines(letter) == [("INV-A", Decimal("100.00"), 10, 1)]


def test_bug06_levels_entered_out_of_order_with_a_pre_due_level_rank_by_days():
    case = variant("BUG-06")
    case["config"] = {"levels_as_entered": [{"level_name": "late", "min_days_overdue": 60},
                                            {"level_name": "friendly", "min_days_overdue": -60}]}
    (letter,) = letters(case)
    assert (letter.level, letter.level_name) == (2, "late")
    assert lines(letter) == [("INV-2", Decimal("200.00"), 60, 2), ("INV-1", Decimal("200.00"), -60, 1)]  # by due date
