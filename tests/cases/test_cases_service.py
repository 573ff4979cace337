"""Every shared case through the real services on a real database: run, re-check, deliver, read back.

`test_case_through_the_run_and_delivery` loads each case into the models, runs it as the case says
and delivers what was queued; the letters in the database must be exactly the expected ones, sent
once each, with their exact items, amounts, dates and languages. The tests after it are the
cases that need the service itself (payment before sending, hourly runs, time zones, concurrent
runs, template languages, policy change) and the variations of their kind of fault.
"""
from __future__ import annotations

from collections import Counter
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from dunning.models import (
    Allocation, AuditEvent, Credit, Customer, ExchangeRate, Invoice, Letter, LetterItem, Level, LevelAmount,
    Procedure, Run,
)

from . import load
from .database import Recorder, assert_case_in_database, load_case, past_letter, run_case

pytestmark = pytest.mark.django_db

SERVICE_CASES = [c for c in load.case_ids() if c != "BUG-30"]  # BUG-30 has no rows, only a budget: see below


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=timezone.utc)


def deliver(run_id=None) -> Recorder:
    from dunning.delivery.send import deliver_queued

    recorder = Recorder()
    deliver_queued(run_id, transport=recorder)
    return recorder


def run(**kwargs):
    from dunning.services.run import run_dunning

    result = run_dunning(deliver=False, **kwargs)
    assert not result.errors, result.errors
    return result


def items(letter) -> list[tuple[str, int, int, int]]:
    return [(i.invoice.number, i.open_minor, i.days_overdue, i.level)
            for i in letter.items.select_related("invoice").order_by("invoice__number")]


def skips(result, customer: str) -> list[tuple[str, str]]:
    return [(s.code, s.reason) for c in result.companies for s in c.decisions.skips if s.customer == customer]


@pytest.mark.parametrize("case_id", SERVICE_CASES)
def test_case_through_the_run_and_delivery(case_id):
    loaded = load_case(load.case(case_id))
    transport = Recorder()
    results = run_case(loaded, transport)
    assert_case_in_database(loaded, transport, results)


# --- BUG-04 fees and interest are charge items, never dropped ------------------------------------

def test_bug04_charges_of_the_sent_letter_are_one_charge_item_dunned_after_the_principal_is_paid():
    loaded = load_case(load.case("BUG-04"))
    charge = Invoice.objects.get(kind="charge")
    assert (charge.customer.number, charge.amount_minor, charge.due_date, charge.origin_letter_id) == (
        "C1", 1041, date(2026, 7, 15), loaded.history["D-1"].pk)
    assert charge.info == {"fee": "10.00", "interest": "0.41", "level": 2}

    run_case(loaded, Recorder())

    c1 = loaded.made().get(customer__number="C1")
    assert items(c1) == [(charge.number, 1041, 36, 2)]  # due on D-1's date, 36 days overdue, never reminded
    assert (c1.fee_minor, c1.interest_minor, c1.total_minor, c1.fee_level) == (0, 0, 1041, None)
    assert Invoice.objects.get(number="INV-1").amount_minor == 10000  # the invoice itself was never edited
    # A sent letter that charges nothing creates no charge item; C2's 50.00 fee is one charge of C2.
    assert list(Invoice.objects.filter(kind="charge").order_by("id").values_list("customer__number", "amount_minor")) \
        == [("C1", 1041), ("C2", 5000)]


def test_bug04_waive_policy_closes_the_charges_with_a_recorded_waiver_once():
    loaded = load_case(load.case("BUG-04"), procedure_fields={"charges_policy": "waive"})
    results = run_case(loaded, Recorder())

    assert list(loaded.made().values_list("customer__number", "total_minor")) == [("C2", 105000)]
    waiver = Allocation.objects.get(source="waiver")
    assert (waiver.invoice.kind, waiver.invoice.customer.number, waiver.amount_minor, waiver.date, waiver.credit) == (
        "charge", "C1", 1041, date(2026, 8, 20), None)
    assert AuditEvent.objects.filter(action="charge_waived").count() == 1
    assert Run.objects.get(pk=results[0].run_id).counts["waivers"] == 1
    run(as_of=date(2026, 8, 20))
    run(as_of=date(2026, 8, 27))
    assert Allocation.objects.filter(source="waiver").count() == 1  # waived once, nothing disappears or repeats


def test_bug04_charges_ride_along_while_the_principal_is_owed():
    """Without P-1, INV-1 stays owed: its charge is listed and counted, but never makes a letter by itself."""
    loaded = load_case(load.case("BUG-04"), payments=False)
    Level.objects.create(procedure=loaded.procedure, days=60, name="Level 3")
    charge = Invoice.objects.get(kind="charge")
    first = run(as_of=date(2026, 7, 20))  # INV-1 at 49 days, already reminded at 2; the charge alone: nothing
    assert not loaded.made().filter(customer__number="C1").exists()
    assert [code for code, _ in skips(first, "C1")] == ["no_change"]
    run(as_of=date(2026, 8, 2))  # INV-1 at 62 days rises to level 3
    deliver()
    letter = loaded.made().get(customer__number="C1")
    assert items(letter) == [(charge.number, 1041, 18, 1), ("INV-1", 10000, 62, 3)]
    assert (letter.level, letter.state, letter.dunned_minor, letter.fee_minor, letter.total_minor) == (
        3, "sent", 11041, 0, 11041)


def test_bug04_interest_and_fee_together_are_both_charged_and_become_one_charge_item():
    """C2 at 5 % a year: 1000.00 x 31 days x 5 / 36500 = 4.2466 -> 4.25; fee 50.00; total 1054.25."""
    loaded = load_case(load.case("BUG-04"))
    Level.objects.filter(procedure=loaded.procedure, days=30).update(interest_rate=Decimal("5"))
    run_case(loaded, Recorder())
    c2 = loaded.made().get(customer__number="C2")
    assert (c2.fee_minor, c2.interest_minor, c2.total_minor) == (5000, 425, 105425)
    assert c2.data["totals"] == {"dunned": "1000.00", "fee": "50.00", "interest": "4.25", "credits": "0.00",
                                 "total": "1054.25"}
    line = c2.items.get()
    assert (line.interest_minor, line.interest_until) == (425, date(2026, 8, 20))
    charge = Invoice.objects.get(kind="charge", origin_letter=c2)
    assert (charge.amount_minor, charge.info["fee"], charge.info["interest"]) == (5425, "50.00", "4.25")


def test_bug04_a_later_letter_charges_interest_only_from_the_end_of_the_period_already_charged():
    """C2's next letter at level 3 (2026-09-18): interest only for 08-21 .. 09-18, no second 50.00 fee."""
    loaded = load_case(load.case("BUG-04"))
    Level.objects.filter(procedure=loaded.procedure, days=30).update(interest_rate=Decimal("5"))
    level3 = Level.objects.create(procedure=loaded.procedure, days=60, name="Level 3", interest_rate=Decimal("5"))
    run_case(loaded, Recorder())
    run(as_of=date(2026, 9, 18))  # 60 days on 09-18
    deliver()
    later = loaded.made().get(customer__number="C2", date=date(2026, 9, 18))
    first_charge = Invoice.objects.filter(kind="charge", customer__number="C2").order_by("id").first()
    # 1000.00 x 29 days (08-21 .. 09-18) x 5 / 36500 = 3.9726 -> 3.97; the level-3 letter charges no fee (none set)
    assert (later.level, later.fee_minor, later.interest_minor) == (3, 0, 397)
    assert items(later) == [(first_charge.number, 5425, 29, 1), ("INV-2", 100000, 60, 3)]
    assert later.total_minor == 100000 + 5425 + 397
    assert level3.name == later.level_name


# --- BUG-07 thresholds are "at least": a missed run catches up, once -------------------------------

def test_bug07_after_the_catch_up_letter_went_out_no_day_sends_it_again():
    loaded = load_case(load.case("BUG-07"))
    run_case(loaded, Recorder())
    for offset in range(1, 30):
        run(as_of=date(2024, 7, 3) + timedelta(days=offset))
    assert deliver().sent == []
    (letter,) = loaded.made()
    assert (letter.date, letter.state, letter.level, items(letter)) == (
        date(2024, 7, 3), "sent", 1, [("INV-1", 40000, 32, 1)])


# --- BUG-09 a payment before the send moment wins -------------------------------------------------

def _bug09(*, sending="automatic"):
    case = load.case("BUG-09")
    loaded = load_case(case, payments=False, procedure_fields={"sending": sending})
    return loaded, loaded.customers["C1"], loaded.invoices["INV-1"]


def _pay(customer, inv, when=date(2016, 1, 18), amount="100.00", allocate=True):
    credit = Credit.objects.create(company=customer.company, customer=customer, kind="payment",
                                   number=f"P-{Credit.objects.count() + 1}", date=when, currency="USD",
                                   amount_minor=int(Decimal(amount) * 100))
    if allocate:
        Allocation.objects.create(invoice=inv, credit=credit, date=when, amount_minor=credit.amount_minor)
    return credit


def test_bug09_payment_allocated_between_run_and_delivery_cancels_the_letter_and_nothing_goes_out():
    loaded, c1, inv = _bug09()
    result = run(now=utc(2016, 1, 18, 10, 0, 1))
    (letter,) = loaded.made()
    assert (letter.state, letter.level, letter.total_minor, items(letter)) == (
        "queued", 2, 10000, [("INV-1", 10000, 17, 2)])
    _pay(c1, inv)  # received 10:00:00, allocated 10:00:02

    recorder = deliver(result.run_id)

    assert recorder.sent == []
    letter.refresh_from_db()
    assert (letter.state, letter.reasons[-1]) == ("cancelled", "paid before sending")
    assert not Invoice.objects.filter(kind="charge").exists()
    assert run(as_of=date(2016, 1, 18)).letters == [] and run(as_of=date(2016, 1, 25)).letters == []


def test_bug09_payment_received_but_not_yet_allocated_is_open_credit_that_stops_the_letter():
    loaded, c1, inv = _bug09()
    _pay(c1, inv, allocate=False)  # received at 10:00:00, allocation only at 10:00:02

    result = run(now=utc(2016, 1, 18, 10, 0, 1))

    assert result.letters == [] and not loaded.made().exists()
    assert skips(result, "C1") == [("credit_covers", "open credits of 100.00 cover the overdue 100.00")]


def test_bug09_payment_received_after_the_run_but_unallocated_still_cancels_before_sending():
    loaded, c1, inv = _bug09()
    run(now=utc(2016, 1, 18, 10, 0, 1))
    _pay(c1, inv, allocate=False)
    assert deliver().sent == []
    assert loaded.made().get().state == "cancelled"


def test_bug09_letter_waiting_in_review_is_cancelled_when_approved_after_the_payment():
    from dunning.services.letters import letter_approve

    loaded, c1, inv = _bug09(sending="review")
    run(as_of=date(2016, 1, 18))
    letter = loaded.made().get()
    assert letter.state == "review"
    _pay(c1, inv, when=date(2016, 1, 19))  # paid the next day, approved after that
    letter_approve(letter, actor="collector")

    assert deliver().sent == []
    letter.refresh_from_db()
    assert (letter.state, letter.reasons[-1]) == ("cancelled", "paid before sending")


def test_bug09_partial_payment_meanwhile_sends_the_remade_letter_with_the_current_amount():
    loaded, c1, inv = _bug09()
    run(as_of=date(2016, 1, 18))
    _pay(c1, inv, amount="60.00")

    recorder = deliver()

    old, new = loaded.made()
    assert (old.state, new.state, new.supersedes_id, new.total_minor, items(new)) == (
        "superseded", "sent", old.pk, 4000, [("INV-1", 4000, 17, 2)])
    assert recorder.per_letter() == Counter({new.pk: 1})


def test_bug09_a_cancelled_letter_reminded_nothing_a_new_invoice_starts_at_level_1():
    """'Stays blocked after paying' is the other face: once paid, the customer is treated as never reminded."""
    loaded, c1, inv = _bug09()
    run(as_of=date(2016, 1, 18))
    _pay(c1, inv)
    deliver()
    Invoice.objects.create(company=c1.company, customer=c1, number="INV-2", currency="USD", amount_minor=5000,
                           issue_date=date(2016, 1, 1), due_date=date(2016, 1, 20))
    run(as_of=date(2016, 1, 21))
    recorder = deliver()
    letter = loaded.made().get(state="sent")
    assert (letter.level, items(letter)) == (1, [("INV-2", 5000, 1, 1)]) and len(recorder.sent) == 1


# --- BUG-10 a partial payment keeps the item and its history -------------------------------------

def test_bug10_history_of_the_partly_paid_invoice_stays_and_the_letter_shows_the_open_rest():
    case = load.case("BUG-10")
    loaded = load_case(case, payments=False)
    run(as_of=date(2023, 9, 2))
    deliver()
    load_payments_only(case, loaded)
    run(as_of=date(2023, 10, 16))
    deliver()
    first, second = loaded.made().order_by("date")
    assert (first.level, items(first)) == (1, [("INV-1", 100000, 1, 1)])
    assert (second.level, second.total_minor, items(second)) == (2, 70000, [("INV-1", 70000, 45, 2)])
    line = second.data["items"][0]
    assert (line["amount"], line["open_amount"], line["reminded_level"]) == ("1000.00", "700.00", 1)


def load_payments_only(case, loaded):
    from .database import load_payments

    load_payments(case, loaded.customers, loaded.invoices)


# --- BUG-11 / BUG-14 credits --------------------------------------------------------------------

def test_bug11_cancelled_credit_note_is_no_credit_and_no_data_issue():
    loaded = load_case(load.case("BUG-11"))
    results = run_case(loaded, Recorder())
    c2 = loaded.made().get(customer__number="C2")
    assert (c2.credit_minor, c2.data["credits"]) == (0, [])
    c1 = loaded.made().get(customer__number="C1")
    assert (c1.dunned_minor, c1.credit_minor, c1.total_minor) == (80000, 12000, 68000)
    assert c1.data["credits"] == [{"number": "CN-1", "kind": "credit_note", "date": "2023-04-05",
                                   "open_amount": "-120.00"}]
    assert Run.objects.get(pk=results[0].run_id).counts["data_issues"] == 0


def test_bug14_credit_larger_than_the_overdue_amount_no_letter_and_the_reason():
    loaded = load_case(load.case("BUG-14"))
    results = run_case(loaded, Recorder())
    assert skips(results[0], "C1") == [("credit_covers", "net balance is a credit of 100.00")]
    assert Run.objects.get(pk=results[0].run_id).counts["skips"] == {"credit_covers": 1}


def test_bug14_credit_exactly_equal_to_the_overdue_amount_gives_no_letter_either():
    case = load.case("BUG-14")
    case = {**case, "credit_notes": [{**case["credit_notes"][0], "amount": "-200.00"}]}
    loaded = load_case(case)
    results = run_case(loaded, Recorder())
    assert not loaded.made().exists()
    assert skips(results[0], "C1") == [("credit_covers", "open credits of 200.00 cover the overdue 200.00")]


def test_bug14_credit_smaller_than_the_overdue_amount_gives_the_net_letter():
    case = load.case("BUG-14")
    case = {**case, "credit_notes": [{**case["credit_notes"][0], "amount": "-150.00"}]}
    loaded = load_case(case)
    run_case(loaded, Recorder())
    letter = loaded.made().get()
    assert (letter.state, letter.dunned_minor, letter.credit_minor, letter.total_minor) == ("sent", 20000, 15000, 5000)


# --- BUG-15 hourly runs: one letter, one fee -------------------------------------------------------

def test_bug15_24_hourly_runs_with_delivery_after_each_send_one_letter_and_charge_one_fee():
    loaded = load_case(load.case("BUG-15"))
    recorders = []
    for hour in range(24):
        result = run(now=utc(2018, 9, 3, hour))
        recorders.append(deliver(result.run_id))

    (letter,) = loaded.made()
    assert (letter.date, letter.state, letter.level, letter.fee_minor, letter.total_minor) == (
        date(2018, 9, 3), "sent", 3, 10000, 110000)
    assert items(letter) == [("INV-1", 100000, 30, 3)]
    assert [len(r.sent) for r in recorders] == [1] + [0] * 23  # count_sent_that_day: 1
    charge = Invoice.objects.get(kind="charge", origin_letter=letter)
    assert (charge.amount_minor, charge.due_date) == (10000, date(2018, 9, 3))
    assert Invoice.objects.filter(kind="charge").count() == 1
    counts = [r.counts for r in Run.objects.exclude(pk__in=[l.run_id for l in loaded.history.values()]).order_by("id")]
    assert [c["letters"] for c in counts] == [1] + [0] * 23


def test_bug15_hourly_runs_while_delivery_is_down_still_make_one_letter():
    loaded = load_case(load.case("BUG-15"))
    for hour in range(24):
        run(now=utc(2018, 9, 3, hour))
    (letter,) = loaded.made()
    assert (letter.state, letter.fee_minor) == ("queued", 10000)
    assert len(deliver().sent) == 1 and deliver().sent == []
    assert Invoice.objects.filter(kind="charge").count() == 1


def test_bug15_hourly_runs_across_local_midnight_make_no_second_letter_the_next_local_day():
    """Company in Berlin: 22:00 and 23:00 UTC on 2018-09-03 are already 2018-09-04 there."""
    loaded = load_case(load.case("BUG-15"))
    loaded.companies["CO1"].timezone = "Europe/Berlin"
    loaded.companies["CO1"].save()
    sent = 0
    for hour in range(24):
        result = run(now=utc(2018, 9, 3, hour))
        sent += len(deliver(result.run_id).sent)
    (letter,) = loaded.made()
    assert (sent, letter.date, letter.fee_minor) == (1, date(2018, 9, 3), 10000)
    assert skips(run(now=utc(2018, 9, 3, 23)), "C1") == [
        ("no_change", "nothing new since the letter of 2018-09-03 (level 3): "
                      "every item was already reminded at its level")]


def test_bug15_a_run_killed_right_after_writing_the_letter_leaves_nothing_and_the_retry_writes_it_once():
    """The first statement after the letter row was written fails as a power cut would; nothing is kept."""
    from django.db import connection

    loaded = load_case(load.case("BUG-15"))
    seen = []

    def power_cut(execute, sql, params, many, context):
        if seen and not sql.lstrip().upper().startswith(("SAVEPOINT", "RELEASE", "ROLLBACK")):
            raise SystemExit("power cut")
        result = execute(sql, params, many, context)
        if sql.lstrip().upper().startswith('INSERT INTO "DUNNING_LETTER"'):
            seen.append(sql)
        return result

    with connection.execute_wrapper(power_cut), pytest.raises(SystemExit):
        run(as_of=date(2018, 9, 3))
    assert seen and not loaded.made().exists() and not Invoice.objects.filter(kind="charge").exists()
    run(as_of=date(2018, 9, 3))
    run(as_of=date(2018, 9, 3))
    assert len(deliver().sent) == 1
    assert list(loaded.made().values_list("state", "fee_minor", "total_minor")) == [("sent", 10000, 110000)]


# --- BUG-16 / BUG-05 / BUG-12 / BUG-06 day boundaries through the service --------------------------

@pytest.mark.parametrize(("case_id", "as_of", "expected"), [
    ("BUG-16", date(2024, 3, 27), []),
    ("BUG-16", date(2024, 3, 28), [("INV-1", 75000, 7, 1)]),
    ("BUG-05", date(2025, 2, 2), []),  # INV-2 due that day: not overdue
    ("BUG-12", date(2021, 7, 21), []),  # INV-A at 4 days, level 1 from 5
    ("BUG-12", date(2021, 7, 22), [("INV-A", 10000, 5, 1)]),
    ("BUG-06", date(2024, 8, 25), []),  # INV-2 at 59 days; INV-1 60 days *before* its due date
    ("BUG-06", date(2024, 12, 24), [("INV-1", 20000, 60, 1), ("INV-2", 20000, 180, 1)]),
])
def test_day_boundaries_through_the_run(case_id, as_of, expected):
    loaded = load_case(load.case(case_id))
    run(as_of=as_of)
    deliver()
    assert [row for letter in loaded.made() for row in items(letter)] == expected
    assert all(letter.state == "sent" and letter.date == as_of for letter in loaded.made())


def test_bug06_a_pre_due_level_reminds_before_the_due_date_not_after():
    """A friendly reminder 10 days before the due date (negative days) fires on due - 10, never on due + 10."""
    loaded = load_case(load.case("BUG-06"))
    Level.objects.create(procedure=loaded.procedure, days=-10, name="Friendly")
    Invoice.objects.filter(number="INV-2").update(status="paid")
    assert run(as_of=date(2024, 10, 14)).letters == []
    run(as_of=date(2024, 10, 15))
    deliver()
    letter = loaded.made().get()
    assert (letter.level, letter.level_name, items(letter)) == (1, "Friendly", [("INV-1", 20000, -10, 1)])
    assert run(as_of=date(2024, 11, 4)).letters == []  # due + 10: nothing new (level 2 starts at 60)


# --- BUG-18 each company on its own local date ----------------------------------------------------

@pytest.mark.parametrize(("now", "nz", "hi"), [
    (utc(2022, 1, 23, 10, 59, 59), None, None),  # 23:59:59 on the 23rd in Auckland (UTC+13)
    (utc(2022, 1, 23, 11, 0, 0), date(2022, 1, 24), None),  # midnight in Auckland
    (utc(2022, 1, 23, 12, 30, 0), date(2022, 1, 24), None),  # the case's instant
    (utc(2022, 1, 24, 9, 59, 59), date(2022, 1, 24), None),  # 23:59:59 on the 23rd in Honolulu (UTC-10)
    (utc(2022, 1, 24, 10, 0, 0), date(2022, 1, 24), date(2022, 1, 24)),  # midnight in Honolulu
])
def test_bug18_one_run_two_time_zones_each_on_its_own_date(now, nz, hi):
    loaded = load_case(load.case("BUG-18"))
    result = run(now=now)
    recorder = deliver(result.run_id)
    by_company = {c.company: c.as_of for c in result.companies}
    assert by_company["CO-NZ"] == now.astimezone(__import__("zoneinfo").ZoneInfo("Pacific/Auckland")).date()
    assert by_company["CO-HI"] == now.astimezone(__import__("zoneinfo").ZoneInfo("Pacific/Honolulu")).date()
    got = {l.company.code: l for l in loaded.made()}
    assert {code: l.date for code, l in got.items()} == {code: d for code, d in (("CO-NZ", nz), ("CO-HI", hi)) if d}
    for code, letter in got.items():
        number = {"CO-NZ": "INV-NZ-1", "CO-HI": "INV-HI-1"}[code]
        assert (letter.state, letter.level, letter.total_minor, items(letter)) == (
            "sent", 1, 10000, [(number, 10000, 1, 1)])
        assert letter.data["letter"]["date"] == letter.date.isoformat()
    assert len(recorder.sent) == len(got)


def test_bug18_hourly_runs_over_two_utc_days_give_each_company_one_letter_on_its_own_first_overdue_day():
    loaded = load_case(load.case("BUG-18"))
    start = utc(2022, 1, 23, 0)
    for hour in range(48):
        result = run(now=start + timedelta(hours=hour))
        deliver(result.run_id)
    assert sorted((l.company.code, l.customer.number, l.date, l.state) for l in loaded.made()) == [
        ("CO-HI", "C2", date(2022, 1, 24), "sent"), ("CO-NZ", "C1", date(2022, 1, 24), "sent")]


# --- BUG-19 concurrent / retried runs and copied invoices ------------------------------------------

def _bug19_invariants(loaded):
    today = [l for l in loaded.made() if l.state not in ("superseded", "cancelled", "removed")]
    assert len(today) == 1
    assert LetterItem.objects.filter(invoice__number="INV-1", letter__date=date(2024, 3, 10)).exclude(
        letter__state__in=["superseded", "cancelled", "removed"]).count() == 1
    assert not LetterItem.objects.filter(invoice__number="INV-1b").exists()
    assert today[0].data["items"][0]["reminded_level"] == 1
    return today[0]


def test_bug19_a_copied_invoice_gets_no_history_and_a_rerun_no_second_record():
    loaded = load_case(load.case("BUG-19"))
    for _ in range(3):
        run(as_of=date(2024, 3, 10))
    letter = _bug19_invariants(loaded)
    assert items(letter) == [("INV-1", 25000, 38, 2)]
    assert [i["number"] for i in letter.data["info"]] == ["INV-1b"]  # not yet due: information only
    assert len(deliver().sent) == 1


def test_bug19_the_database_refuses_a_second_letter_for_the_record_and_day():
    from django.db import IntegrityError, transaction

    loaded = load_case(load.case("BUG-19"))
    run(as_of=date(2024, 3, 10))
    letter = loaded.made().get()
    with pytest.raises(IntegrityError), transaction.atomic():
        Letter.objects.create(run=letter.run, company=letter.company, customer=letter.customer,
                              currency=letter.currency, date=letter.date, procedure_code="CASE", level=2)
    with pytest.raises(IntegrityError), transaction.atomic():
        LetterItem.objects.create(letter=letter, invoice=loaded.invoices["INV-1"], level=2, days_overdue=38,
                                  open_minor=25000)


class _BlindLetters:
    """What a second writer sees when it looks for today's letters before the first one committed."""

    class objects:  # noqa: N801 - stands in for Letter.objects
        @staticmethod
        def filter(*args, **kwargs):
            return Letter.objects.none()


@pytest.mark.parametrize("blind", [False, True], ids=["stale-facts", "stale-facts-and-blind-check"])
def test_bug19_a_second_writer_with_stale_facts_still_makes_no_second_letter(monkeypatch, blind):
    """Two runs read the facts before either wrote: the check of today's letters, and behind it the
    unique constraint, keep it to one letter."""
    import dunning.services.run as run_service
    from dunning.selectors.snapshot import build_company_facts

    loaded = load_case(load.case("BUG-19"))
    stale = build_company_facts(loaded.companies["CO1"], date(2024, 3, 10))
    run(as_of=date(2024, 3, 10))
    monkeypatch.setattr(run_service, "build_company_facts", lambda *a, **k: stale)
    if blind:
        monkeypatch.setattr(run_service, "Letter", _BlindLetters)
    second = run(as_of=date(2024, 3, 10))
    assert second.letters == [] and second.companies[0].already_made == 1
    _bug19_invariants(loaded)


@pytest.mark.django_db(transaction=True)
@pytest.mark.postgres
def test_bug19_two_runs_started_at_the_same_moment_make_one_letter():
    import threading

    from django.db import connection

    loaded = load_case(load.case("BUG-19"))
    barrier, results, errors = threading.Barrier(4), [], []

    def worker():
        try:
            barrier.wait()
            results.append(run(now=utc(2024, 3, 10, 6)))
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == [] and len(results) == 4
    assert sorted(len(r.letters) for r in results) == [0, 0, 0, 1]
    letter = _bug19_invariants(loaded)
    assert items(letter) == [("INV-1", 25000, 38, 2)]
    assert len(deliver().sent) == 1


# --- BUG-20 levels ranked by days; step mode climbs one level per letter ---------------------------

def test_bug20_step_mode_climbs_one_level_per_letter_in_order_of_days():
    loaded = load_case(load.case("BUG-20"))
    assert list(Level.objects.filter(procedure=loaded.procedure).order_by("id").values_list("name", flat=True)) == [
        "final_notice", "second", "first"]  # entered in this order
    seen = []
    for when in (date(2025, 3, 1), date(2025, 3, 4), date(2025, 3, 8), date(2025, 3, 15), date(2025, 3, 22)):
        run(as_of=when)
        deliver()
    for letter in loaded.made().order_by("date"):
        seen.append((letter.date, letter.level, letter.level_name, items(letter)))
    assert seen == [
        (date(2025, 3, 1), 1, "first", [("INV-1", 10000, 45, 1)]),
        (date(2025, 3, 8), 2, "second", [("INV-1", 10000, 52, 2)]),
        (date(2025, 3, 15), 3, "final_notice", [("INV-1", 10000, 59, 3)]),
    ]


def test_bug20_jump_mode_goes_straight_to_the_final_notice():
    loaded = load_case(load.case("BUG-20"), procedure_fields={"mode": "jump"})
    run_case(loaded, Recorder())
    letter = loaded.made().get()
    assert (letter.level, letter.level_name, letter.state, items(letter)) == (
        3, "final_notice", "sent", [("INV-1", 10000, 45, 3)])


# --- BUG-22 the customer's language, else the default text, never an empty body ----------------------

def test_bug22_the_sent_emails_and_pdfs_are_in_the_expected_language_and_never_empty():
    from dunning.delivery.render import render_letter

    loaded = load_case(load.case("BUG-22"))
    recorder = Recorder()
    run_case(loaded, recorder)
    messages = {number: message for _, number, message in recorder.sent}
    assert sorted(messages) == ["C1", "C2", "C3"]
    expected = {"C1": ("de", "Zu zahlender Gesamtbetrag: 100,00\u00a0€"),
                "C2": ("en", "Total amount due: €100.00"),  # no text in French: the default (English) text
                "C3": ("en", "Total amount due: €100.00")}
    for number, (language, total_line) in expected.items():
        text = messages[number].get_body(("plain",)).get_content()
        assert total_line in text, (number, text)
        letter = loaded.made().get(customer__number=number)
        rendered = render_letter(letter)
        assert rendered.language == language
        assert rendered.text.strip() == text.strip()
        assert rendered.subject.strip() and rendered.html.strip() and rendered.pdf.startswith(b"%PDF")


@pytest.mark.parametrize(("language", "written_in"), [
    ("de_CH", "de"), ("de-AT", "de"), ("DE", "de"), ("fr_CH", "en"), ("it", "en"), ("", "en")])
def test_bug22_locale_variants_fall_back_to_their_language_then_the_default(language, written_in):
    loaded = load_case(load.case("BUG-22"))
    Customer.objects.filter(number="C2").update(language=language)
    recorder = Recorder()
    run_case(loaded, recorder)
    from dunning.delivery.render import render_email

    assert render_email(loaded.made().get(customer__number="C2")).language == written_in
    assert all(m.get_body(("plain",)).get_content().strip() for _, _, m in recorder.sent)


def test_bug22_a_french_customer_with_the_english_text_keeps_the_french_number_format():
    loaded = load_case(load.case("BUG-22"))
    Customer.objects.filter(number="C2").update(country="FR")
    recorder = Recorder()
    run_case(loaded, recorder)
    (text,) = [m.get_body(("plain",)).get_content() for _, n, m in recorder.sent if n == "C2"]
    assert text.startswith("Dear Customer C2,") and "Total amount due: 100,00\u00a0€" in text


def test_bug22_an_empty_text_in_the_customers_language_is_never_sent():
    """de has no usable level-2 email text: the product takes the highest lower level in German
    (templates.py: the reader's language before the level); the body is never empty."""
    from dunning.delivery.render import render_email
    from dunning.models import Template

    loaded = load_case(load.case("BUG-22"))
    Template.objects.filter(language="de", level=2, channel="email").update(body_text="   \n", body_html="")
    recorder = Recorder()
    run_case(loaded, recorder)
    (message,) = [m for _, n, m in recorder.sent if n == "C1"]
    text = message.get_body(("plain",)).get_content()
    assert "Zu zahlender Gesamtbetrag: 100,00\u00a0€" in text and text.strip()
    email = render_email(loaded.made().get(customer__number="C1"))
    assert (email.language, email.subject) == ("de", "Zahlungserinnerung von Company CO1 – Kundennummer C1")


def test_bug22_customer_without_language_uses_the_company_default_not_the_product_default():
    """default_language of the case is the company's; a German company writes German to C3."""
    from dunning.delivery.render import render_email

    loaded = load_case(load.case("BUG-22"))
    loaded.companies["CO1"].language = "de"
    loaded.companies["CO1"].save()
    run_case(loaded, Recorder())
    assert render_email(loaded.made().get(customer__number="C3")).language == "de"
    assert render_email(loaded.made().get(customer__number="C2")).language == "en"  # fr: no text, product default


# --- BUG-23 no conversion of a same-currency letter -----------------------------------------------

def test_bug23_rates_in_the_database_never_touch_a_nok_letter():
    loaded = load_case(load.case("BUG-23"))
    assert ExchangeRate.objects.count() == 2
    run_case(loaded, Recorder())
    letter = loaded.made().get()
    assert (letter.currency, letter.total_minor, letter.data["totals"]["total"]) == ("NOK", 1783011, "17830.11")
    assert letter.data["items"][0]["open_amount"] == letter.data["items"][0]["amount"] == "17830.11"


def test_bug23_a_threshold_and_a_fee_given_in_dkk_are_converted_only_for_the_comparison_and_the_fee():
    loaded = load_case(load.case("BUG-23"), procedure_fields={"default_currency": "DKK"})
    level2 = Level.objects.get(procedure=loaded.procedure, days=30)
    LevelAmount.objects.create(level=level2, kind="min_total", currency="DKK", amount_minor=1188600)  # 11886.00 DKK
    LevelAmount.objects.create(level=level2, kind="fee", currency="DKK", amount_minor=10000)  # 100.00 DKK
    run_case(loaded, Recorder())
    letter = loaded.made().get()
    # 17830.11 NOK * 0.66666 = 11886.59 DKK >= 11886.00: level 2; fee 100 DKK / 0.66666 = 150.0015 -> 150.00 NOK
    assert (letter.level, letter.fee_minor, letter.dunned_minor, letter.total_minor) == (2, 15000, 1783011, 1798011)
    assert items(letter) == [("INV-1", 1783011, 50, 2)]


# --- BUG-25 paused and excluded ------------------------------------------------------------------

def test_bug25_paused_customer_gets_nothing_on_any_channel_nor_in_review():
    loaded = load_case(load.case("BUG-25"), procedure_fields={"sending": "review"})
    Level.objects.filter(procedure=loaded.procedure).update(channels="email,print,task")
    result = run(as_of=date(2026, 9, 8))
    assert {m.decision.customer for m in result.letters} == {"C2"}
    assert not Letter.objects.filter(customer__number="C1").exists()
    assert skips(result, "C1") == [("paused", "paused (internal customer)")]


@pytest.mark.parametrize(("until", "dunned"), [(date(2026, 9, 8), False), (date(2026, 9, 7), True)])
def test_bug25_a_pause_until_a_date_ends_by_itself_the_day_after(until, dunned):
    load_case(load.case("BUG-25"))
    Customer.objects.filter(number="C1").update(pause_until=until, pause_reason="promised to pay")
    result = run(as_of=date(2026, 9, 8))
    assert Letter.objects.filter(customer__number="C1").exists() is dunned
    if not dunned:
        assert skips(result, "C1") == [("paused", "paused until 2026-09-08 (promised to pay)")]


def test_bug25_excluded_documents_are_information_never_dunned():
    loaded = load_case(load.case("BUG-25"))
    run_case(loaded, Recorder())
    c2 = loaded.made().get(customer__number="C2")
    assert sorted((i["number"], i["note"]) for i in c2.data["info"]) == [("INV-2R", "paused"), ("INV-4", "paused")]
    assert c2.total_minor == 20000


# --- BUG-27 not eligible documents --------------------------------------------------------------

def test_bug27_missing_due_date_is_counted_as_a_data_issue_and_ineligible_documents_are_not_read():
    loaded = load_case(load.case("BUG-27"))
    results = run_case(loaded, Recorder())
    assert Run.objects.get(pk=results[0].run_id).counts["data_issues"] == 1
    issues = [(d.customer, d.invoice, d.problem) for c in results[0].companies for d in c.decisions.data_issues]
    assert issues == [("C1", "INV-6", "missing_due_date")]
    letter = loaded.made().get()
    listed = {i["number"] for i in letter.data["items"]} | {i["number"] for i in letter.data["info"]}
    assert listed == {"INV-5"}


@pytest.mark.parametrize("status", ["void", "cancelled", "draft", "paid"])
def test_bug27_an_invoice_no_longer_open_when_the_letter_is_delivered_is_not_sent(status):
    loaded = load_case(load.case("BUG-27"))
    run(as_of=date(2021, 8, 9))
    Invoice.objects.filter(number="INV-5").update(status=status)
    assert deliver().sent == []
    assert loaded.made().get().state == "cancelled"
    assert not Invoice.objects.filter(kind="charge").exists()


def test_bug27_a_letter_cancelled_because_its_invoice_was_voided_does_not_say_paid():
    loaded = load_case(load.case("BUG-27"))
    run(as_of=date(2021, 8, 9))
    Invoice.objects.filter(number="INV-5").update(status="void")
    deliver()
    letter = loaded.made().get()
    assert (letter.state, letter.reasons[-1]) == ("cancelled", "no longer due: INV-5 was voided before sending")


# --- BUG-28 a policy change keeps the history -----------------------------------------------------

def _bug28(new_fields=None, legacy_date=date(2026, 6, 22)):
    case = load.case("BUG-28")
    loaded = load_case(case, history=False)
    c1, inv = loaded.customers["C1"], loaded.invoices["INV-1"]
    legacy = Procedure.objects.create(code="LEGACY", name="Legacy schedule", min_interval_days=14)
    Level.objects.create(procedure=legacy, days=7, name="Reminder")
    Level.objects.create(procedure=legacy, days=45, name="Final")
    Customer.objects.filter(pk=c1.pk).update(procedure=legacy)
    old = past_letter(Customer.objects.get(pk=c1.pk), legacy_date, 1, {inv: 1}, procedure_code="LEGACY")
    Procedure.objects.filter(pk=loaded.procedure.pk).update(**(new_fields or {}))
    Customer.objects.filter(pk=c1.pk).update(procedure=None)  # 2026-07-04: the new policy (the rule) applies
    return loaded, old


@pytest.mark.parametrize("mode", ["jump", "step"])
def test_bug28_the_new_policy_continues_from_the_legacy_letter(mode):
    loaded, old = _bug28({"mode": mode})
    run(as_of=date(2026, 7, 20))
    deliver()
    letter = loaded.made().exclude(pk=old.pk).get()
    assert (letter.procedure_code, letter.level, letter.state, letter.total_minor) == ("CASE", 2, "sent", 30000)
    assert items(letter) == [("INV-1", 30000, 35, 2)]
    assert letter.data["items"][0]["reminded_level"] == 1


def test_bug28_without_the_legacy_history_step_mode_would_start_at_level_1():
    """The control for the test above: the history is what makes the step letter level 2."""
    loaded = load_case(load.case("BUG-28"), history=False, procedure_fields={"mode": "step"})
    run(as_of=date(2026, 7, 20))
    assert loaded.made().get().level == 1


def test_bug28_daily_runs_after_the_switch_leave_no_gap_and_do_not_restart_at_level_1():
    loaded, old = _bug28({"mode": "step"})
    sent = []
    for offset in range(17):  # 2026-07-04 .. 2026-07-20
        result = run(as_of=date(2026, 7, 4) + timedelta(days=offset))
        sent += [(m.decision.as_of, m.decision.level) for m in result.letters]
        deliver(result.run_id)
    assert sent == [(date(2026, 7, 15), 2)]  # INV-1 reaches 30 days on 07-15: level 2 that day, nothing before


def test_bug28_the_minimum_interval_counts_from_the_legacy_letter():
    loaded, old = _bug28(legacy_date=date(2026, 7, 17))
    result = run(as_of=date(2026, 7, 20))
    assert result.letters == []
    assert skips(result, "C1") == [("interval", "last letter 3 days ago; minimum interval 7 days")]


def test_bug28_switching_to_a_per_invoice_policy_keeps_the_history_too():
    loaded, old = _bug28({"scope": "invoice", "mode": "step"})
    run(as_of=date(2026, 7, 20))
    deliver()
    letter = loaded.made().exclude(pk=old.pk).get()
    assert (letter.invoice_key, letter.level, letter.state, items(letter)) == (
        "INV-1", 2, "sent", [("INV-1", 30000, 35, 2)])


# --- BUG-30 reading a company does not grow with its settled history ---------------------------------

def _settled_history(loaded, start: int, count: int) -> None:
    """Paid invoices of 2017, each settled by its own payment, spread over the customers."""
    for k in range(start, start + count):
        owner = loaded.customers[f"C{k % 10}"]
        inv = Invoice.objects.create(company=owner.company, customer=owner, number=f"OLD-{k}", currency="EUR",
                                     amount_minor=5000, issue_date=date(2017, 1, 1), due_date=date(2017, 2, 1),
                                     status="paid")
        pay = Credit.objects.create(company=owner.company, customer=owner, kind="payment", number=f"PAY-{k}",
                                    date=date(2017, 2, 10), currency="EUR", amount_minor=5000)
        Allocation.objects.create(invoice=inv, credit=pay, date=date(2017, 2, 10), amount_minor=5000)


def _bug30_company():
    case = {"id": "BUG-30-small", "as_of_date": date(2019, 3, 31), "config": {},
            "customers": [{"id": f"C{n}", "company": "CO1", "currency": "EUR", "language": "en"} for n in range(10)],
            "invoices": [{"id": f"OPEN-{n}", "customer": f"C{n}", "company": "CO1", "currency": "EUR",
                          "amount": "100.00", "issue_date": date(2019, 1, 1), "due_date": date(2019, 2, 1)}
                         for n in range(10)]}
    return load_case(case)


def test_bug30_queries_of_a_run_do_not_grow_with_the_settled_history():
    """10 open invoices; then 10, then 310 settled invoices with their payments: same number of queries."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from dunning.selectors.snapshot import build_company_facts

    loaded = _bug30_company()
    co1 = loaded.companies["CO1"]
    counts = []
    for start, more in ((0, 10), (10, 300)):
        _settled_history(loaded, start, more)
        with CaptureQueriesContext(connection) as read:
            facts = build_company_facts(co1, date(2019, 3, 31))
        with CaptureQueriesContext(connection) as dry:
            result = run(as_of=date(2019, 3, 31), dry_run=True)
        counts.append((len(read), len(dry)))
        assert sorted(i.number for i in facts.snapshot.items) == sorted(f"OPEN-{n}" for n in range(10))
        assert len(result.letters) == 10
    assert counts[0] == counts[1] and counts[0][0] <= 12, counts


def test_bug30_fully_used_payments_of_settled_invoices_are_not_read_by_the_run():
    """Payments used up on long-paid invoices offset nothing: the run does not read them (nor the re-check)."""
    from dunning.selectors.snapshot import build_company_facts

    loaded = _bug30_company()
    _settled_history(loaded, 0, 300)
    facts = build_company_facts(loaded.companies["CO1"], date(2019, 3, 31))
    assert len(facts.snapshot.credits) == 0, f"{len(facts.snapshot.credits)} settled payments read"
    again = build_company_facts(loaded.companies["CO1"], date(2019, 3, 31), payments_known_now=True)
    assert len(again.snapshot.credits) == 0
    # A payment with something left is still read, and one dated after the run date is not (yet).
    owner = loaded.customers["C0"]
    Credit.objects.create(company=owner.company, customer=owner, kind="payment", number="LEFT", currency="EUR",
                          date=date(2019, 3, 1), amount_minor=1000)
    Credit.objects.create(company=owner.company, customer=owner, kind="payment", number="LATER", currency="EUR",
                          date=date(2019, 4, 1), amount_minor=1000)
    facts = build_company_facts(loaded.companies["CO1"], date(2019, 3, 31))
    assert [c.number for c in facts.snapshot.credits] == ["LEFT"]
    letter = next(m.decision for m in run(as_of=date(2019, 3, 31), dry_run=True).letters if m.decision.customer == "C0")
    assert (letter.credit_total, letter.total) == (Decimal("10.00"), Decimal("90.00"))


# --- BUG-19 on SQLite: separate processes on one database file --------------------------------------

BUG19_SEED = r"""
import sys
from dunning import bootstrap
bootstrap.setup(sys.argv[1]); bootstrap.migrate()
sys.path.insert(0, sys.argv[2])
from cases import load
from cases.database import load_case
load_case(load.case("BUG-19"))
"""


@pytest.mark.django_db(False)
def test_bug19_three_run_processes_started_at_once_on_one_sqlite_file_make_one_letter(tmp_path):
    import json
    import os
    import sqlite3
    import subprocess
    import sys
    import time
    from pathlib import Path

    tests = Path(__file__).resolve().parents[1]
    path = tmp_path / "bug19.sqlite3"
    url = f"sqlite:///{path}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("DUNNING_")}
    env.update(DUNNING_DELIVERY="folder", DUNNING_OUTBOX=str(tmp_path / "outbox"), PYTHONPATH=str(tests.parent))
    seeded = subprocess.run([sys.executable, "-c", BUG19_SEED, url, str(tests)], env=env, capture_output=True,
                            text=True, timeout=300)
    assert seeded.returncode == 0, seeded.stderr

    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # all three start while another writer holds the lock
    try:
        runs = [subprocess.Popen([sys.executable, "-m", "dunning.cli", "--database", url, "run", "--as-of",
                                  "2024-03-10", "--json"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                 text=True) for _ in range(3)]
        time.sleep(3)
    finally:
        holder.execute("COMMIT")
        holder.close()
    outputs = [process.communicate(timeout=300) for process in runs]
    assert [process.returncode for process in runs] == [0, 0, 0], [err for _, err in outputs]
    assert sorted(len(json.loads(out)["letters"]) for out, _ in outputs) == [0, 0, 1]

    with sqlite3.connect(path) as db:
        letters = db.execute("SELECT l.state, l.level, l.total_minor, c.number FROM dunning_letter l "
                             "JOIN dunning_customer c ON c.id = l.customer_id WHERE l.date = '2024-03-10'").fetchall()
        lines = db.execute("SELECT i.number, li.level, li.open_minor, li.days_overdue FROM dunning_letteritem li "
                           "JOIN dunning_invoice i ON i.id = li.invoice_id "
                           "JOIN dunning_letter l ON l.id = li.letter_id WHERE l.date = '2024-03-10'").fetchall()
        copied = db.execute("SELECT count(*) FROM dunning_letteritem li JOIN dunning_invoice i ON i.id = li.invoice_id "
                            "WHERE i.number = 'INV-1b'").fetchone()[0]
    assert letters == [("sent", 2, 25000, "C1")]
    assert lines == [("INV-1", 2, 25000, 38)] and copied == 0
    assert len(list((tmp_path / "outbox").rglob("*.eml"))) == 1
