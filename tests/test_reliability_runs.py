"""Runs that race: with a payment or a pause that lands between the decision and the delivery, with
another run of the same company and date, and the same run repeated hourly with real delivery.

Each test goes through the real run service (`run_dunning(..., deliver=True)`) and a real local SMTP
server, so what is checked is what would leave the building.
"""
from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import threading
from datetime import date, datetime, timezone
from pathlib import Path

import pytest
import smtp_server as server_fixtures
from django.test import override_settings
from fixtures_spine import procedure, standard  # noqa: F401  (fixtures)

from dunning.models import Invoice, Letter, Run
from dunning.services import run as run_service
from dunning.services.run import run_dunning

smtp_server = server_fixtures.smtp_server  # fixture
REPO = Path(__file__).resolve().parents[1]
AS_OF = date(2026, 12, 3)


@pytest.fixture
def smtp_settings(smtp_server):
    """The run's own delivery (transport from settings) pointed at the local test server."""
    with override_settings(DUNNING_DELIVERY="smtp", EMAIL_HOST=smtp_server.host, EMAIL_PORT=smtp_server.port,
                           EMAIL_TIMEOUT=5):
        yield smtp_server


@pytest.fixture
def owing(db, standard, company, customer, invoice):
    """A customer owing INV-1 (1,190.00 EUR due 2026-11-02): a level-2 letter on 2026-12-03."""
    acme = company("ACME-DE", timezone="UTC")
    cust = customer(acme, "C-1", email="ap1@northwind.example.com")
    return invoice(cust, "1190.00", date(2026, 11, 2), number="INV-1")


def between_decision_and_delivery(monkeypatch, action):
    """Do `action` after the run committed its letters and before it hands them to delivery."""
    original = run_service._deliver

    def deliver(*args):
        action()
        return original(*args)

    monkeypatch.setattr(run_service, "_deliver", deliver)


# ---------------------------------------------------------------------------------------------
# Between the decision and the delivery
# ---------------------------------------------------------------------------------------------

def test_payment_between_decision_and_delivery_cancels_the_letter(owing, credit, smtp_settings, monkeypatch):
    between_decision_and_delivery(monkeypatch, lambda: credit(owing.customer, "1190.00", AS_OF,
                                                              allocate=[(owing, "1190.00")]))

    result = run_dunning(as_of=AS_OF)

    (made,) = result.letters
    letter = Letter.objects.get(pk=made.letter_id)
    assert (letter.state, letter.reasons[-1]) == ("cancelled", "paid before sending")
    assert smtp_settings.received == [] and smtp_settings.handler.transactions == 0
    assert not Invoice.objects.filter(kind="charge").exists()


def test_customer_paused_between_decision_and_delivery_holds_the_letter(owing, smtp_settings, monkeypatch):
    def pause():
        owing.customer.paused, owing.customer.pause_reason = True, "payment plan agreed"
        owing.customer.save()

    between_decision_and_delivery(monkeypatch, pause)
    (made,) = run_dunning(as_of=AS_OF).letters

    assert Letter.objects.get(pk=made.letter_id).state == "review"
    assert smtp_settings.received == []


@pytest.mark.parametrize("change", ["paused", "disputed"])
def test_invoice_paused_or_disputed_between_decision_and_delivery_holds_the_letter(owing, smtp_settings, monkeypatch,
                                                                                   change):
    def hold():
        Invoice.objects.filter(pk=owing.pk).update(**{change: True})

    between_decision_and_delivery(monkeypatch, hold)
    (made,) = run_dunning(as_of=AS_OF).letters

    letter = Letter.objects.get(pk=made.letter_id)
    assert (letter.state, letter.reasons[-1]) == ("review", f"INV-1 is {change}")
    assert smtp_settings.received == []


# ---------------------------------------------------------------------------------------------
# The same run hourly, all day, with real delivery
# ---------------------------------------------------------------------------------------------

def test_hourly_runs_with_delivery_send_one_email_and_charge_one_fee(db, company, customer, invoice, procedure,
                                                                      smtp_settings):
    from dunning.delivery.defaults import install_default_templates

    install_default_templates()
    procedure("P", levels=[(1, {"fee": {"EUR": "5.00"}}), (30, {"fee": {"EUR": "10.00"}})])
    acme = company("ACME-DE", timezone="UTC")
    cust = customer(acme, "C-1", email="ap1@northwind.example.com")
    invoice(cust, "1190.00", date(2026, 11, 2), number="INV-1")

    for hour in range(24):
        result = run_dunning(now=datetime(2026, 12, 3, hour, 5, tzinfo=timezone.utc))
        assert result.errors == []

    (letter,) = Letter.objects.all()
    assert (letter.state, letter.level, letter.fee_minor) == ("sent", 2, 1000), letter.last_error
    assert len(smtp_settings.received) == 1
    (charge,) = Invoice.objects.filter(kind="charge")
    assert (charge.amount_minor, charge.origin_letter_id) == (1000, letter.pk)
    assert Run.objects.filter(status="finished").count() == 24


# ---------------------------------------------------------------------------------------------
# Two runs at once for the same company and date
# ---------------------------------------------------------------------------------------------

@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_runs_at_once_on_postgresql_make_one_set_of_letters(standard, company, customer, invoice):
    from django.db import connection

    acme = company("ACME-DE", timezone="UTC")
    for n in range(1, 7):
        invoice(customer(acme, f"C-{n}"), "1190.00", date(2026, 11, 2), number=f"INV-{n}")
    start, made, errors = threading.Barrier(2), [], []

    def one_run() -> None:
        try:
            start.wait()
            result = run_dunning(as_of=AS_OF, company="ACME-DE", deliver=False)
            made.append(len(result.letters))
            errors.extend(result.errors)
        finally:
            connection.close()

    threads = [threading.Thread(target=one_run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)

    assert errors == []
    assert sorted(made) == [0, 6]  # one wrote them all, the other waited for its lock and found them made
    assert Letter.objects.count() == 6
    assert sorted(Letter.objects.values_list("customer__number", flat=True)) == [f"C-{n}" for n in range(1, 7)]
    assert Run.objects.filter(status="finished").count() == 2


REFUSED_DRIVER = r"""
import sys
from django.conf import settings
from dunning import bootstrap
bootstrap.setup()
settings.DATABASES["default"]["OPTIONS"]["timeout"] = 1  # wait 1 s for the write lock, not 30
from dunning.cli import main
sys.exit(main(sys.argv[1:]))
"""

SEED = r"""
from datetime import date
from dunning import bootstrap
bootstrap.setup(); bootstrap.migrate()
from dunning.models import Company, Customer, Invoice, customer_key
from dunning.services.setup import ensure_default_setup
ensure_default_setup()
co = Company.objects.create(code="CO1", name="Acme GmbH", timezone="UTC", sender_email="ar@acme.example")
c = Customer.objects.create(company=co, number="C1", key=customer_key("C1"), name="C1", email="c1@example.com")
Invoice.objects.create(company=co, customer=c, number="INV-1", currency="EUR", due_date=date(2026, 11, 2),
                       issue_date=date(2026, 10, 3), amount_minor=119000)
"""


def test_a_run_that_cannot_get_the_lock_in_time_is_refused_with_a_clear_message(tmp_path):
    path = tmp_path / "dunning.sqlite3"
    env = {k: v for k, v in os.environ.items() if not k.startswith("DUNNING_")}
    env.update(DUNNING_DATABASE_URL=f"sqlite:///{path}", DUNNING_DELIVERY="folder",
               DUNNING_OUTBOX=str(tmp_path / "out"), PYTHONPATH=str(REPO))
    seeded = subprocess.run([sys.executable, "-c", SEED], cwd=REPO, env=env, capture_output=True, text=True,
                            timeout=120, check=False)
    assert seeded.returncode == 0, seeded.stderr

    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another run writing, for longer than this one waits
    try:
        refused = subprocess.run([sys.executable, "-c", REFUSED_DRIVER, "run", "--as-of", "2026-12-03"], cwd=REPO,
                                 env=env, capture_output=True, text=True, timeout=120, check=False)
    finally:
        holder.execute("ROLLBACK")
        holder.close()

    assert refused.returncode == 2, (refused.stdout, refused.stderr)
    assert refused.stderr.strip().startswith("dunning run: the database is busy with another run; try again when "
                                             "it finishes"), refused.stderr
    assert "Traceback" not in refused.stderr
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT count(*) FROM dunning_letter").fetchone()[0] == 0

    again = subprocess.run([sys.executable, "-m", "dunning.cli", "run", "--as-of", "2026-12-03"], cwd=REPO, env=env,
                           capture_output=True, text=True, timeout=120, check=False)
    assert again.returncode == 0, again.stderr
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT count(*), min(state) FROM dunning_letter").fetchone() == (1, "sent")
