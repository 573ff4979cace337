"""Every shared case, evaluated by the pure decision core, with its exact expected letters.

Cases about the run service (two runs, hourly runs, time zones, concurrency, scale) also get the
part the core can express here; their database side is in test_cases_service.py.
"""
from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

import pytest

from dunning.core import evaluate
from dunning.core.facts import Allocation, Credit, Item, PastLetter

from . import load, to_facts
from .expect import assert_case_letters, expected_letters, skip_reasons


def evaluate_case(case: dict):
    return [evaluate(snap) for snap in to_facts.snapshots(case).values()]


def sent(letter, state: str = "sent") -> PastLetter:
    """What the shell records once a decided letter is made: its items' own levels, fee and interest periods."""
    return PastLetter(
        number=f"{letter.customer}-{letter.currency}-{letter.as_of.isoformat()}",
        record=letter.record, date=letter.as_of, level=letter.level, state=state,
        items={line.number: line.level for line in letter.lines}, fee_level=letter.fee_level,
        interest_until={line.number: letter.as_of for line in letter.lines if line.kind == "invoice"},
        repeat=letter.repeat,
    )


@pytest.mark.parametrize("case_id", load.case_ids())
def test_case_gives_exactly_the_expected_letters(case_id):
    case = load.case(case_id)
    assert_case_letters(case, evaluate_case(case))


# --- the kinds of fault behind single cases, a little further ---------------------------------


def test_bug01_each_line_keeps_its_own_open_amount_whatever_the_order():
    case = load.case("BUG-01")
    snap = to_facts.snapshot(case)
    forward = evaluate(snap).letters[0]
    backward = evaluate(replace(snap, items=tuple(reversed(snap.items)))).letters[0]
    assert {l.number: l.open_amount for l in forward.lines} == {"INV-1": Decimal("1000.00"),
                                                                 "INV-2": Decimal("250.00")}
    assert {l.number: l.open_amount for l in backward.lines} == {l.number: l.open_amount for l in forward.lines}
    # A third invoice added to the letter changes no existing line.
    extra = Item(number="INV-3", customer="C1", currency="EUR", amount=Decimal("80.00"),
                 due_date=date(2025, 3, 1), issue_date=date(2025, 2, 1))
    more = evaluate(replace(snap, items=snap.items + (extra,))).letters[0]
    assert {l.number: l.open_amount for l in more.lines} == {"INV-1": Decimal("1000.00"),
                                                              "INV-2": Decimal("250.00"), "INV-3": Decimal("80.00")}
    assert more.total == Decimal("1330.00")


def test_bug02_payment_after_the_run_date_does_not_count_yet():
    case = load.case("BUG-02")
    before = evaluate(to_facts.snapshot(case, as_of=date(2024, 5, 19))).letters[0]
    assert before.lines[0].open_amount == Decimal("1000.00")
    assert before.level == 1 and before.fee == Decimal("0") and before.total == Decimal("1000.00")


def test_bug04_waive_policy_closes_the_charges_with_a_recorded_waiver():
    case = load.case("BUG-04")
    snap = to_facts.snapshot(case, procedure=to_facts.procedure_from_case(case, charges_policy="waive"))
    decisions = evaluate(snap)
    assert [l.customer for l in decisions.letters] == ["C2"]
    waived = {w.charge: w.amount for w in decisions.waivers}
    assert waived == {"D-1/fee": Decimal("10.00"), "D-1/interest": Decimal("0.41")}
    assert all(w.customer == "C1" and w.currency == "EUR" and w.reason for w in decisions.waivers)


def test_bug04_charges_while_principal_open_ride_along_but_do_not_make_a_letter_due():
    case = load.case("BUG-04")
    # Before the payment of 2026-08-01 the principal is still dunned at level 2, already reminded at 2.
    snap = to_facts.snapshot(case, as_of=date(2026, 7, 30))
    c1 = [l for l in evaluate(snap).letters if l.customer == "C1"]
    assert c1 == []


def test_bug05_due_today_is_at_most_information():
    decisions = evaluate(to_facts.snapshot(load.case("BUG-05")))
    letter = decisions.letters[0]
    assert [l.number for l in letter.lines] == ["INV-2"]
    info = {i.number: i for i in letter.info}
    if "INV-1" in info:
        assert info["INV-1"].days_overdue == 0 and info["INV-1"].note == "not_due"


def test_bug07_missed_run_catches_up_once():
    case = load.case("BUG-07")
    assert evaluate(to_facts.snapshot(case, as_of=date(2024, 6, 30))).letters == ()
    first = evaluate(to_facts.snapshot(case, as_of=date(2024, 7, 3))).letters
    assert [(l.customer, l.level, l.lines[0].days_overdue) for l in first] == [("C1", 1, 32)]
    history = [sent(first[0])]
    for later in (date(2024, 7, 3), date(2024, 7, 4), date(2024, 7, 20)):
        again = evaluate(to_facts.snapshot(case, as_of=later, extra_history=history))
        assert again.letters == (), later


def test_bug09_payment_allocated_on_the_run_date_wins():
    case = load.case("BUG-09")
    decisions = evaluate(to_facts.snapshot(case))
    assert decisions.letters == ()


def test_bug09_payment_received_but_not_yet_allocated_is_credit_that_covers():
    case = load.case("BUG-09")
    snap = to_facts.snapshot(case)
    items = tuple(replace(i, allocations=()) for i in snap.items)
    credits = tuple(replace(c, allocations=()) for c in snap.credits)
    decisions = evaluate(replace(snap, items=items, credits=credits))
    assert decisions.letters == ()
    assert any(s.customer == "C1" for s in decisions.skips)


def test_bug11_cancelled_credit_note_counts_for_nothing_and_raises_no_issue():
    decisions = evaluate(to_facts.snapshot(load.case("BUG-11")))
    c2 = [l for l in decisions.letters if l.customer == "C2"][0]
    assert c2.credits == () and c2.credit_total == Decimal("0")
    assert not [d for d in decisions.data_issues if d.invoice == "CN-2"]


def test_bug12_item_below_the_first_level_is_not_dunned():
    letter = evaluate(to_facts.snapshot(load.case("BUG-12"))).letters[0]
    assert [l.number for l in letter.lines] == ["INV-A"]
    info = {i.number: i for i in letter.info}  # a template may show it, outside the total
    if "INV-B" in info:
        assert (info["INV-B"].days_overdue, info["INV-B"].note) == (1, "below_first_level")
    assert letter.total == Decimal("100.00")


def test_bug14_credit_covering_the_overdue_items_gives_no_letter_and_says_why():
    decisions = evaluate(to_facts.snapshot(load.case("BUG-14")))
    assert decisions.letters == ()
    reasons = skip_reasons(decisions, "C1")
    assert any("net balance is a credit of 100.00" in r for r in reasons), reasons
    assert [s.code for s in decisions.skips if s.customer == "C1"] == ["credit_covers"]


def test_bug15_hourly_runs_give_one_letter_and_one_fee():
    case = load.case("BUG-15")
    snap = to_facts.snapshot(case)
    first = evaluate(snap).letters
    assert [(l.level, l.fee, l.total) for l in first] == [(3, Decimal("100.00"), Decimal("1100.00"))]
    pending = replace(snap, history=snap.history + (sent(first[0], state="pending"),))
    done = replace(snap, history=snap.history + (sent(first[0]),))
    letters, fees = list(first), [first[0].fee]
    for hour in range(1, 24):
        for result in (evaluate(pending), evaluate(done)):
            letters += result.letters
            fees += [l.fee for l in result.letters if l.fee]
    assert len(letters) == 1 and fees == [Decimal("100.00")]


def test_bug16_nothing_before_due_plus_seven():
    case = load.case("BUG-16")
    assert evaluate(to_facts.snapshot(case, as_of=date(2024, 3, 27))).letters == ()
    letters = evaluate(to_facts.snapshot(case, as_of=date(2024, 3, 28))).letters
    assert [(l.level, l.lines[0].days_overdue) for l in letters] == [(1, 7)]


def test_bug18_each_company_on_its_own_date():
    case = load.case("BUG-18")
    nz = evaluate(to_facts.snapshot(case, "CO-NZ"))
    hi = evaluate(to_facts.snapshot(case, "CO-HI"))
    assert nz.as_of == date(2022, 1, 24) and hi.as_of == date(2022, 1, 23)
    assert [(l.company, l.as_of, l.lines[0].days_overdue) for l in nz.letters] == [("CO-NZ", date(2022, 1, 24), 1)]
    assert hi.letters == ()
    # Had Honolulu been evaluated on Auckland's date (the bug), it would have dunned.
    assert len(evaluate(to_facts.snapshot(case, "CO-HI", as_of=date(2022, 1, 24))).letters) == 1


def test_bug19_duplicate_history_and_a_copied_invoice_give_one_record_one_letter():
    case = load.case("BUG-19")
    snap = to_facts.snapshot(case)
    once = evaluate(snap)
    assert evaluate(snap) == once
    doubled = evaluate(replace(snap, history=snap.history + snap.history))
    assert len(doubled.letters) == 1
    line = {l.number: l for l in once.letters[0].lines}
    assert set(line) == {"INV-1"} and line["INV-1"].reminded_level == 1


def test_bug20_jump_mode_goes_to_the_final_notice():
    case = load.case("BUG-20")
    snap = to_facts.snapshot(case, procedure=to_facts.procedure_from_case(case, mode="jump"))
    letter = evaluate(snap).letters[0]
    assert (letter.level, letter.level_name) == (3, "final_notice")


def test_bug20_step_mode_caps_the_item_level_at_the_letter_level():
    letter = evaluate(to_facts.snapshot(load.case("BUG-20"))).letters[0]
    assert (letter.level, letter.level_name, letter.lines[0].level) == (1, "first", 1)


def test_bug23_exchange_rates_do_not_touch_a_same_currency_letter():
    case = load.case("BUG-23")
    snap = to_facts.snapshot(case)
    assert snap.rates  # the rates are there, and must not be used
    letter = evaluate(snap).letters[0]
    assert (letter.currency, letter.total) == ("NOK", Decimal("17830.11"))
    assert evaluate(replace(snap, rates={})).letters[0].total == Decimal("17830.11")


def test_bug25_paused_customer_gets_nothing_and_the_reason_says_paused():
    decisions = evaluate(to_facts.snapshot(load.case("BUG-25")))
    reasons = skip_reasons(decisions, "C1")
    assert reasons and all("paused" in r.lower() for r in reasons), reasons
    c2 = [l for l in decisions.letters if l.customer == "C2"][0]
    assert {l.number for l in c2.lines} == {"INV-3"}


def test_bug27_missing_due_date_is_a_data_issue_not_a_guess():
    decisions = evaluate(to_facts.snapshot(load.case("BUG-27")))
    assert [(d.customer, d.invoice, d.problem) for d in decisions.data_issues] == [("C1", "INV-6", "missing_due_date")]
    numbers = {l.number for letter in decisions.letters for l in letter.lines}
    numbers |= {i.number for letter in decisions.letters for i in letter.info}
    assert not numbers & {"INV-1", "INV-2", "INV-3", "INV-4", "INV-6"}


def test_bug28_history_carries_over_in_step_mode_too():
    case = load.case("BUG-28")
    step = to_facts.procedure_from_case(case, mode="step")
    letter = evaluate(to_facts.snapshot(case, procedure=step)).letters[0]
    assert (letter.level, letter.lines[0].reminded_level) == (2, 1)
    # Without the legacy letter, step mode would restart at level 1: the history is what makes it 2.
    fresh = evaluate(replace(to_facts.snapshot(case, procedure=step), history=())).letters[0]
    assert fresh.level == 1


def test_bug30_many_customers_in_one_snapshot():
    """Scale at the core: 3,000 customers × 3 invoices, one letter each with the right totals."""
    as_of = date(2019, 3, 31)
    items, credits, customers = [], [], {}
    case = {"customers": [], "invoices": [], "config": {}, "as_of_date": as_of}
    base = to_facts.snapshot(case, company="CO1")
    for n in range(3000):
        number = f"C{n:05d}"
        customers[number] = to_facts.customer_from_case({"id": number})
        for k, days in enumerate((5, 35, 400)):
            amount = Decimal(100 + k)
            paid = Decimal("50.00") if (n + k) % 7 == 0 else Decimal(0)
            items.append(Item(number=f"{number}-{k}", customer=number, currency="EUR", amount=amount,
                              due_date=as_of - timedelta(days=days),
                              allocations=(Allocation(as_of - timedelta(days=1), paid),) if paid else ()))
        if n % 10 == 0:
            credits.append(Credit(number=f"P-{number}", customer=number, currency="EUR",
                                  amount=Decimal("10.00"), date=as_of, kind="payment"))
    snap = replace(base, customers=customers, items=tuple(items), credits=tuple(credits),
                   minor_units={"EUR": 2})
    letters = evaluate(snap).letters
    assert len(letters) == 3000
    assert all(l.level == 3 and len(l.lines) == 3 for l in letters)
    expected_total = sum((Decimal(303) - Decimal("50.00") * sum(1 for k in range(3) if (n + k) % 7 == 0)
                          - (Decimal("10.00") if n % 10 == 0 else 0)) for n in range(3000))
    assert sum((l.total for l in letters), Decimal(0)) == expected_total


def test_every_case_has_expectations_this_module_can_read():
    for case in load.all_cases():
        for letter in expected_letters(case):
            assert {"customer", "total_due"} <= set(letter), case["id"]
