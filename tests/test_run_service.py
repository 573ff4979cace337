"""The run on a real database: letters made once per record and day, in each company's own calendar."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from fixtures_spine import past_letter, procedure, standard  # noqa: F401  (fixtures)

from dunning.models import AuditEvent, Invoice, Letter, LetterItem, Run
from dunning.services.letters import letter_mark_sent
from dunning.services.run import run_dunning

pytestmark = pytest.mark.django_db


def _items(letter):
    return [(i.invoice.number, i.open_minor, i.days_overdue, i.level)
            for i in letter.items.select_related("invoice").order_by("invoice__number")]


def test_run_makes_one_letter_per_customer_with_each_items_own_amount(standard, company, customer, invoice):
    """BUG-01: two invoices, one letter at level 2, each line with its own open amount."""
    acme = company("CO1", base_currency="EUR")
    c1 = customer(acme, "C1", currency="EUR")
    invoice(c1, "1000.00", date(2025, 1, 31), number="INV-1", issue_date=date(2025, 1, 1))
    invoice(c1, "250.00", date(2025, 2, 10), number="INV-2", issue_date=date(2025, 1, 11))

    result = run_dunning(as_of=date(2025, 3, 15), deliver=False)

    letter = Letter.objects.get()
    assert (letter.customer.number, letter.currency, letter.level, letter.state, letter.date) == (
        "C1", "EUR", 2, "queued", date(2025, 3, 15))
    assert letter.total_minor == 125000
    assert _items(letter) == [("INV-1", 100000, 43, 2), ("INV-2", 25000, 33, 2)]
    assert letter.data["totals"] == {"dunned": "1250.00", "fee": "0.00", "interest": "0.00", "credits": "0.00",
                                     "total": "1250.00"}
    assert [(i["number"], i["open_amount"], i["days_overdue"], i["issue_date"]) for i in letter.data["items"]] == [
        ("INV-1", "1000.00", 43, "2025-01-01"), ("INV-2", "250.00", 33, "2025-01-11")]
    assert letter.data["letter"]["level_name"] == "Second reminder"
    assert letter.data["customer"]["address"] == ["221 Baker Street", "London NW1 6XE", "United Kingdom"]
    run = Run.objects.get(pk=result.run_id)
    assert (run.status, run.counts["letters"], run.counts["by_level"], run.counts["by_channel"]) == (
        "finished", 1, {"2": 1}, {"email": 1})
    assert run.duration_ms is not None
    assert AuditEvent.objects.filter(action="letter_created", object_id=str(letter.pk)).count() == 1


def test_rerun_same_day_makes_nothing_new(standard, company, customer, invoice):
    c1 = customer(company("CO1"), "C1")
    invoice(c1, "400.00", date(2024, 6, 1), number="INV-1")

    first = run_dunning(as_of=date(2024, 7, 3), deliver=False)
    second = run_dunning(as_of=date(2024, 7, 3), deliver=False)

    assert len(first.letters) == 1 and second.letters == []
    assert Letter.objects.count() == 1
    assert Run.objects.get(pk=second.run_id).counts["letters"] == 0


def test_missed_days_catch_up_once(company, customer, invoice, procedure):
    """BUG-07: level 1 at 30 days; the run of 2024-06-30 finds nothing, 2024-07-03 catches up, once."""
    procedure("P", levels=[(30, {})])
    c1 = customer(company("CO1"), "C1")
    invoice(c1, "400.00", date(2024, 6, 1), number="INV-1")

    assert run_dunning(as_of=date(2024, 6, 30), deliver=False).letters == []
    made = run_dunning(as_of=date(2024, 7, 3), deliver=False).letters
    assert [(m.decision.level, m.decision.total, m.decision.lines[0].days_overdue) for m in made] == [
        (1, Decimal("400.00"), 32)]
    assert run_dunning(as_of=date(2024, 7, 4), deliver=False).letters == []  # still waiting for delivery


def test_hourly_runs_all_day_send_one_letter_and_charge_one_fee(company, customer, invoice, procedure, past_letter):
    """BUG-15: 24 runs on 2018-09-03, each followed by delivery: one level-3 letter, one 100.00 fee."""
    procedure("P", levels=[(7, {}), (14, {}), (30, {"fee_percent": "10"})])
    co1 = company("CO1", base_currency="USD", timezone="UTC")
    c1 = customer(co1, "C1", currency="USD")
    inv = invoice(c1, "1000.00", date(2018, 8, 4), number="INV-1", issue_date=date(2018, 7, 5))
    past_letter(c1, date(2018, 8, 11), 1, {inv: 1})
    past_letter(c1, date(2018, 8, 18), 2, {inv: 2})

    for hour in range(24):
        now = datetime(2018, 9, 3, hour, tzinfo=timezone.utc)
        run_dunning(now=now, deliver=False)
        for letter in Letter.objects.filter(state="queued"):
            letter_mark_sent(letter, now)

    today = Letter.objects.get(date=date(2018, 9, 3))
    assert (today.level, today.state, today.fee_minor, today.total_minor) == (3, "sent", 10000, 110000)
    assert _items(today) == [("INV-1", 100000, 30, 3)]
    charge = Invoice.objects.get(kind="charge")
    assert (charge.amount_minor, charge.due_date, charge.origin_letter_id, charge.customer_id) == (
        10000, date(2018, 9, 3), today.pk, c1.pk)
    assert Run.objects.count() == 24 + 2


def test_dry_run_writes_nothing(standard, company, customer, invoice):
    c1 = customer(company("CO1"), "C1")
    invoice(c1, "400.00", date(2024, 6, 1), number="INV-1")

    result = run_dunning(as_of=date(2024, 7, 3), dry_run=True)

    assert result.run_id is None
    assert [(m.decision.customer, m.decision.level, m.letter_id) for m in result.letters] == [("C1", 2, None)]
    assert (Letter.objects.count(), Run.objects.count(), LetterItem.objects.count()) == (0, 0, 0)
    assert AuditEvent.objects.exclude(action__in=["procedure_created", "assignment_rule_created"]).count() == 0


def test_each_company_runs_on_its_own_local_date(standard, company, customer, invoice):
    """BUG-18: at 2022-01-23 12:30 UTC it is the 24th in Auckland and still the 23rd in Honolulu."""
    nz = company("CO-NZ", base_currency="NZD", timezone="Pacific/Auckland")
    hi = company("CO-HI", base_currency="USD", timezone="Pacific/Honolulu")
    invoice(customer(nz, "C1", currency="NZD"), "100.00", date(2022, 1, 23), number="INV-NZ-1")
    invoice(customer(hi, "C2", currency="USD"), "100.00", date(2022, 1, 23), number="INV-HI-1")

    result = run_dunning(now=datetime(2022, 1, 23, 12, 30, tzinfo=timezone.utc), deliver=False)

    assert [(c.company, c.as_of) for c in result.companies] == [("CO-HI", date(2022, 1, 23)),
                                                                ("CO-NZ", date(2022, 1, 24))]
    letter = Letter.objects.get()
    assert (letter.company.code, letter.customer.number, letter.date, letter.level, letter.total_minor) == (
        "CO-NZ", "C1", date(2022, 1, 24), 1, 10000)
    assert _items(letter) == [("INV-NZ-1", 10000, 1, 1)]


def test_company_without_time_zone_uses_utc(standard, company, customer, invoice):
    co = company("CO-UTC", timezone="")
    invoice(customer(co, "C1"), "100.00", date(2022, 1, 23), number="INV-1")

    result = run_dunning(now=datetime(2022, 1, 23, 23, 59, tzinfo=timezone.utc), dry_run=True)

    assert [(c.as_of, len(c.letters)) for c in result.companies] == [(date(2022, 1, 23), 0)]


def test_review_procedure_puts_letters_in_review(company, customer, invoice, procedure):
    procedure("R", sending="review")
    invoice(customer(company("CO1"), "C1"), "100.00", date(2024, 6, 1), number="INV-1")

    run_dunning(as_of=date(2024, 7, 3), deliver=False)

    assert list(Letter.objects.values_list("state", "procedure_code", "level")) == [("review", "R", 2)]


def test_the_interval_counts_from_the_day_a_reviewed_letter_was_actually_sent(company, customer, invoice,
                                                                             procedure):
    """Written on 07-03, left in review until 07-08 (Berlin): the next letter waits until 07-15, not 07-10."""
    from dunning.services.letters import letter_approve

    procedure("R", sending="review")
    acme = company("CO1", timezone="Europe/Berlin")
    invoice(customer(acme, "C1"), "100.00", date(2024, 6, 2), number="INV-1")
    run_dunning(as_of=date(2024, 7, 3), deliver=False)  # 31 days overdue: level 2 of 1/30/60
    letter = Letter.objects.get()
    letter_approve(letter)
    letter_mark_sent(letter, datetime(2024, 7, 7, 22, 30, tzinfo=timezone.utc))  # 00:30 on 07-08 in Berlin
    invoice(Letter.objects.get().customer, "50.00", date(2024, 5, 1), number="INV-0")  # a level-3 item appears

    early = run_dunning(as_of=date(2024, 7, 14), dry_run=True)
    assert [(s.code, s.reason) for s in early.companies[0].decisions.skips] == [
        ("interval", "last letter 6 days ago; minimum interval 7 days")]
    (made,) = run_dunning(as_of=date(2024, 7, 15), dry_run=True).letters
    assert made.decision.level == 3


def test_one_company_can_be_run_alone(standard, company, customer, invoice):
    a, b = company("A"), company("B")
    invoice(customer(a, "C1"), "100.00", date(2024, 6, 1), number="A-1")
    invoice(customer(b, "C1"), "100.00", date(2024, 6, 1), number="B-1")

    run_dunning(as_of=date(2024, 7, 3), company="B", deliver=False)

    assert list(Letter.objects.values_list("company__code", "customer__number")) == [("B", "C1")]


# --- the re-check just before delivery -----------------------------------------------------------

def _bug09(company, customer, invoice, procedure):
    procedure("P", levels=[(1, {}), (15, {})])
    co1 = company("CO1", base_currency="USD", timezone="UTC")
    c1 = customer(co1, "C1", currency="USD")
    inv = invoice(c1, "100.00", date(2016, 1, 1), number="INV-1", issue_date=date(2015, 12, 2))
    return c1, inv


def test_payment_recorded_after_the_run_cancels_the_letter_before_sending(procedure, company, customer, invoice,
                                                                          credit):
    """BUG-09: the run at 10:00:01 makes a letter; the payment allocated at 10:00:02 must stop it."""
    from dunning.services.recheck import recheck_before_delivery

    c1, inv = _bug09(company, customer, invoice, procedure)
    run_dunning(now=datetime(2016, 1, 18, 10, 0, 1, tzinfo=timezone.utc), deliver=False)
    letter = Letter.objects.get()
    assert (letter.state, letter.level, letter.total_minor) == ("queued", 2, 10000)  # 17 days overdue; level 2 from 15
    credit(c1, "100.00", date(2016, 1, 18), allocate=[(inv, "100.00")])

    checked = recheck_before_delivery(letter)

    assert (checked.pk, checked.state) == (letter.pk, "cancelled")
    assert checked.reasons[-1] == "paid before sending"
    assert AuditEvent.objects.filter(action="letter_cancelled", object_id=str(letter.pk)).count() == 1
    assert not Letter.objects.filter(state__in=["queued", "sent"]).exists()


def test_payment_dated_after_the_letter_still_cancels_it(procedure, company, customer, invoice, credit):
    """Delivered a day late: a payment booked the day after the run date counts too."""
    from dunning.services.recheck import recheck_before_delivery

    c1, inv = _bug09(company, customer, invoice, procedure)
    run_dunning(as_of=date(2016, 1, 18), deliver=False)
    credit(c1, "100.00", date(2016, 1, 19), allocate=[(inv, "100.00")])

    assert recheck_before_delivery(Letter.objects.get()).state == "cancelled"


def test_unchanged_letter_passes_the_recheck(procedure, company, customer, invoice):
    from dunning.services.recheck import recheck_before_delivery

    _bug09(company, customer, invoice, procedure)
    run_dunning(as_of=date(2016, 1, 18), deliver=False)
    letter = Letter.objects.get()

    assert (recheck_before_delivery(letter).pk, Letter.objects.get().state) == (letter.pk, "queued")


def test_customer_paused_meanwhile_holds_the_letter_for_review(procedure, company, customer, invoice):
    from dunning.services.recheck import recheck_before_delivery

    c1, _ = _bug09(company, customer, invoice, procedure)
    run_dunning(as_of=date(2016, 1, 18), deliver=False)
    c1.paused, c1.pause_reason, c1.pause_until = True, "promised to pay", date(2016, 1, 31)
    c1.save()

    held = recheck_before_delivery(Letter.objects.get())

    assert (held.state, held.reasons[-1]) == ("review", "paused until 2016-01-31 (promised to pay)")


def test_partial_payment_meanwhile_remakes_the_letter_with_current_amounts(procedure, company, customer, invoice,
                                                                           credit):
    from dunning.services.recheck import recheck_before_delivery

    c1, inv = _bug09(company, customer, invoice, procedure)
    run_dunning(as_of=date(2016, 1, 18), deliver=False)
    old = Letter.objects.get()
    credit(c1, "40.00", date(2016, 1, 18), allocate=[(inv, "40.00")])

    new = recheck_before_delivery(old)

    old.refresh_from_db()
    assert (old.state, new.state, new.supersedes_id, new.total_minor, new.date) == (
        "superseded", "queued", old.pk, 6000, date(2016, 1, 18))
    assert _items(new) == [("INV-1", 6000, 17, 2)]
    assert new.data["totals"]["total"] == "60.00"


# --- reading the facts: a constant number of queries ----------------------------------------------

def _company_with(company, customer, invoice, credit, past_letter, n: int):
    co = company(f"Q{n}")
    for k in range(n):
        c = customer(co, f"Q{n}-C{k}")
        first = invoice(c, "100.00", date(2024, 5, 1), number=f"Q{n}-INV-{k}-1")
        invoice(c, "50.00", date(2024, 6, 1), number=f"Q{n}-INV-{k}-2", disputed=k % 2 == 0)
        credit(c, "30.00", date(2024, 6, 10), allocate=[(first, "20.00")])
        past_letter(c, date(2024, 5, 20), 1, {first: 1})
    return co


@pytest.mark.parametrize("customers", [10, 200])
def test_reading_a_company_takes_the_same_queries_for_10_or_200_customers(
        standard, company, customer, invoice, credit, past_letter, django_assert_max_num_queries, customers):
    from dunning.selectors.snapshot import build_company_facts

    co = _company_with(company, customer, invoice, credit, past_letter, customers)

    with django_assert_max_num_queries(12):
        facts = build_company_facts(co, date(2024, 7, 3))

    snapshot = facts.snapshot
    assert (len(snapshot.customers), len(snapshot.items), len(snapshot.credits), len(snapshot.history)) == (
        customers, 2 * customers, customers, customers)
    first = next(i for i in snapshot.items if i.number == f"Q{customers}-INV-0-1")
    assert [(a.date, a.amount) for a in first.allocations] == [(date(2024, 6, 10), Decimal("20.00"))]
    assert snapshot.customers[f"Q{customers}-C0"].procedure == "standard"
    assert snapshot.history[0].items == {f"Q{customers}-INV-0-1": 1}


def test_a_run_whose_process_died_is_marked_interrupted_by_the_next_one_and_a_live_one_is_not(
        standard, company, customer, invoice, monkeypatch):
    import subprocess

    from dunning.services.worker import worker_identity

    gone = subprocess.Popen(["true"])
    gone.wait()
    dead = Run.objects.create(as_of=date(2025, 3, 14), parameters={"worker": {**worker_identity(), "pid": gone.pid,
                                                                              "start": "1"}})
    live = Run.objects.create(as_of=date(2025, 3, 14), parameters={"worker": worker_identity()})
    elsewhere = Run.objects.create(as_of=date(2025, 3, 14),
                                   parameters={"worker": {**worker_identity(), "host": "worker-7"}})

    run_dunning(as_of=date(2025, 3, 15), deliver=False)
    assert {r.pk: r.status for r in Run.objects.filter(pk__in=[dead.pk, live.pk, elsewhere.pk])} == {
        dead.pk: "interrupted", live.pk: "running", elsewhere.pk: "running"}  # another machine: trusted for a lease
    dead.refresh_from_db()
    assert dead.finished_at is not None
    assert dead.errors == ["interrupted: the process making this run stopped before it finished"]
    assert AuditEvent.objects.filter(action="run_interrupted", object_id=str(dead.pk)).count() == 1

    monkeypatch.setenv("DUNNING_RUN_LEASE_SECONDS", "0")
    run_dunning(as_of=date(2025, 3, 15), deliver=False)
    assert Run.objects.get(pk=elsewhere.pk).status == "interrupted"
    assert Run.objects.get(pk=live.pk).status == "running"


def test_partitions_run_alone_make_the_company_run_letters_and_deliver_only_their_own(
        standard, company, customer, invoice, tmp_path):
    """A range of customer ids is a partition: evaluated and delivered alone, the same letters as the company at once."""
    from django.test import override_settings

    acme = company("CO1", base_currency="EUR")
    customers = [customer(acme, f"C{n}", currency="EUR") for n in range(1, 5)]
    for n, cust in enumerate(customers, 1):
        invoice(cust, f"{n}00.00", date(2025, 3, 15) - timedelta(days=10 * n), number=f"INV-{n}")
    as_of, ids = date(2025, 3, 15), sorted(c.pk for c in customers)
    whole = [(m.decision.customer, m.decision.level, m.decision.total)
             for m in run_dunning(as_of=as_of, dry_run=True).letters]

    first = run_dunning(as_of=as_of, customer_ids=range(ids[0], ids[2]), deliver=False)
    with override_settings(DUNNING_DELIVERY="folder", DUNNING_OUTBOX=str(tmp_path)):
        second = run_dunning(as_of=as_of, customer_ids=range(ids[2], ids[3] + 1))

    parts = [(m.decision.customer, m.decision.level, m.decision.total) for m in first.letters + second.letters]
    assert parts == whole == [("C1", 1, Decimal("100.00")), ("C2", 1, Decimal("200.00")),
                              ("C3", 2, Decimal("300.00")), ("C4", 2, Decimal("400.00"))]
    assert dict(Letter.objects.values_list("customer__number", "state")) == {
        "C1": "queued", "C2": "queued", "C3": "sent", "C4": "sent"}  # the other partition's queue is left alone
    assert len(list(tmp_path.rglob("*.eml"))) == 2
