"""Secrets and privacy, end to end: headers nobody can inject, logs without customer data, SMTP
credentials from the environment only, and exported CSV cells that a spreadsheet cannot run.
"""
from __future__ import annotations

import csv
import io
import logging
import re
import shutil
import sqlite3
from datetime import date

import pytest
import smtp_server as server_fixtures
import test_delivery_crash
import test_delivery_send
from smtp_server import SMTPTestServer

from dunning.delivery.send import deliver_letter, deliver_queued
from dunning.delivery.smtp import SmtpTransport

smtp_server, smtp_config = server_fixtures.smtp_server, server_fixtures.smtp_config  # fixtures
queued = test_delivery_send.queued  # fixture
template_database, database = test_delivery_crash.template_database, test_delivery_crash.database  # fixtures


# ---------------------------------------------------------------------------------------------
# Header injection through every name and address that reaches a header
# ---------------------------------------------------------------------------------------------

def test_no_name_anywhere_can_add_a_header_or_a_recipient(queued, smtp_server, smtp_config, django_user_model):
    from dunning.models import Contact, Procedure, Template

    collector = django_user_model.objects.create(username="mm", first_name="Maria\r\nBcc: evil3@x.example",
                                                 last_name="Meyer", email="maria.meyer@acme.example.de")
    letter = queued(name="ACME\r\nBcc: evil1@x.example", collector=collector)
    Contact.objects.create(customer=letter.customer, name="Jane\nCc: evil2@x.example", email="jane@northwind.example.com",
                           role="cc")
    company = letter.company
    company.name = "Acme\r\nReply-To: evil4@x.example"
    company.save()
    Template.objects.update_or_create(
        procedure=Procedure.objects.get(code="standard"), level=2, channel="email", language="en",
        defaults={"subject": "Reminder for {{ customer.name }}\r\nBcc: evil5@x.example",
                  "body_text": "Dear {{ customer.name }}, please pay {{ totals.total|money }}.", "body_html": ""})

    assert deliver_letter(letter.pk, transport=SmtpTransport(smtp_config())) == "sent"

    (received,) = smtp_server.received
    assert sorted(received.rcpt_tos) == ["ap1@northwind.example.com", "jane@northwind.example.com"]
    head = received.content.split(b"\r\n\r\n", 1)[0].decode()
    header_names = [line.split(":", 1)[0] for line in head.split("\r\n") if line and not line[0].isspace()]
    assert "Bcc" not in header_names and header_names.count("Reply-To") == 1 and header_names.count("Cc") == 1
    message = received.message
    addresses = [a.addr_spec for name in ("From", "To", "Cc", "Reply-To") for a in message[name].addresses]
    assert not [a for a in addresses if "evil" in a]  # the hostile text stays inside display names
    assert [a.addr_spec for a in message["To"].addresses] == ["ap1@northwind.example.com"]
    assert [a.addr_spec for a in message["Cc"].addresses] == ["jane@northwind.example.com"]
    assert [a.addr_spec for a in message["Reply-To"].addresses] == ["maria.meyer@acme.example.de"]
    assert message["Subject"] == "Reminder for ACME Bcc: evil1@x.example Bcc: evil5@x.example"


def test_an_address_with_a_line_break_fails_the_letter_and_reaches_no_one(queued, smtp_server, smtp_config):
    from dunning.models import Contact

    letter = queued()
    Contact.objects.filter(customer=letter.customer).delete()
    Contact.objects.bulk_create([Contact(customer=letter.customer, email="jane@northwind.example.com\r\nBcc: "
                                                                          "evil@x.example", role="cc")])

    assert deliver_letter(letter.pk, transport=SmtpTransport(smtp_config())) == "failed"
    letter.refresh_from_db()
    assert letter.last_error == "contact (cc) contains a line break or control character"
    assert smtp_server.received == [] and smtp_server.handler.transactions == 0


# ---------------------------------------------------------------------------------------------
# Logs: no customer data at INFO (nor DEBUG), on the good path and on every failure path
# ---------------------------------------------------------------------------------------------

SECRET_BITS = ("Zanzibar Quokka", "quokka.zanzibar", "Wombat Lane 17", "Please settle promptly")


def test_no_customer_data_in_logs_on_any_path(queued, smtp_server, smtp_config, caplog):
    from dunning.models import Procedure, Template

    caplog.set_level(logging.DEBUG, logger="dunning")
    caplog.set_level(logging.INFO)
    Template.objects.update_or_create(
        procedure=Procedure.objects.get(code="standard"), level=2, channel="email", language="en",
        defaults={"subject": "Reminder {{ customer.name }}", "body_html": "<p>Please settle promptly</p>",
                  "body_text": "Dear {{ customer.name }}, {{ customer.address|join(', ') }}. Please settle promptly."})

    def hostile(n: int, **fields):
        return queued(**{"name": "Zanzibar Quokka Trading", "email": f"quokka.zanzibar{n}@northwind.example.com",
                         "address": "Wombat Lane 17\nLondon", **fields})

    ok, refused, unknown, busy = hostile(1), hostile(2), hostile(3), hostile(4)
    unprintable = hostile(5, name="Zanzibar Quokka 😀")
    smtp_server.script[:] = ["ok", "550 5.1.1 <quokka.zanzibar2@northwind.example.com>: no such user", "vanish",
                             "451 4.2.1 <quokka.zanzibar4@northwind.example.com> busy", "ok"]
    states = deliver_queued(transport=SmtpTransport(smtp_config())).states
    assert [states[x.pk] for x in (ok, refused, unknown, busy, unprintable)] == ["sent", "failed", "review", "sent",
                                                                                 "failed"]

    ours = [r for r in caplog.records if not r.name.startswith("mail.")]  # mail.log: the test server's own
    assert len(ours) >= 10, "the paths above log something"
    formatter = logging.Formatter("%(name)s %(levelname)s %(message)s")
    logged = "\n".join(formatter.format(r) for r in ours)  # messages and tracebacks
    leaked = [bit for bit in SECRET_BITS if bit.lower() in logged.lower()]
    assert leaked == [], logged


# ---------------------------------------------------------------------------------------------
# SMTP credentials: from the environment, never stored
# ---------------------------------------------------------------------------------------------

@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_smtp_login_comes_from_the_environment_and_is_stored_nowhere(template_database, database, tmp_path):
    other = tmp_path / "other.sqlite3"
    shutil.copyfile(template_database, other)
    server = SMTPTestServer(logins={"dunning-mailer": "Pw-7f3a-not-in-the-db"}).start()
    try:
        right = test_delivery_crash.send(database, server, DUNNING_SMTP_USER="dunning-mailer",
                                         DUNNING_SMTP_PASSWORD="Pw-7f3a-not-in-the-db")
        wrong = test_delivery_crash.send(other, server, DUNNING_SMTP_USER="dunning-mailer",
                                         DUNNING_SMTP_PASSWORD="Pw-wrong-one", DUNNING_SMTP_ATTEMPTS="1")
    finally:
        server.stop()

    assert right.returncode == 0, right.stderr
    assert {state for state, _ in test_delivery_crash.letters(database).values()} == {"sent"}
    assert server.logins == ["dunning-mailer"] * 3 and len(server.received) == 3
    assert wrong.returncode == 0, wrong.stderr
    assert {state for state, _ in test_delivery_crash.letters(other).values()} == {"failed"}  # 535: visible
    assert "Pw-" not in wrong.stdout + wrong.stderr + right.stdout + right.stderr
    with sqlite3.connect(other) as db:
        assert {e for (e,) in db.execute("SELECT last_error FROM dunning_letter")} == {
            "connect: 535 5.7.8 Authentication credentials invalid"}

    with sqlite3.connect(database) as db:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        texts = [row for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
                 for row in db.execute(f'SELECT * FROM "{name}"')]
    assert not any("Pw-7f3a" in str(value) for row in texts for value in row)
    for path in database.parent.glob(database.name + "*"):
        assert b"Pw-7f3a" not in path.read_bytes()


def test_no_model_has_a_place_for_smtp_credentials():
    from django.apps import apps

    suspicious = [f"{model.__name__}.{f.name}" for model in apps.get_app_config("dunning").get_models()
                  for f in model._meta.get_fields()
                  if re.search(r"passw|secret|smtp|credential|token|api_?key", f.name, re.I)]
    assert suspicious == []


# ---------------------------------------------------------------------------------------------
# CSV export: cells a spreadsheet would run as formulas are neutralised
# ---------------------------------------------------------------------------------------------

FORMULAS = ["=HYPERLINK(\"http://x.example\",\"pay\")", "+SUM(A1:A9)", "-2+3+cmd|' /C calc'!A0", "@SUM(A1)"]


@pytest.fixture
def formula_books(db, company, customer, invoice):
    """Four customers whose number, name and invoice number are each a formula; one letter each."""
    from dunning.services.run import run_dunning
    from dunning.services.setup import ensure_default_setup

    ensure_default_setup()
    acme = company("ACME-DE")
    for raw in FORMULAS:
        invoice(customer(acme, raw, name=raw), "100.00", date(2026, 11, 2), number=raw)
    run_dunning(as_of=date(2026, 12, 3), deliver=False)


def _cells(text: str) -> tuple[list[str], list[dict]]:
    rows = list(csv.DictReader(io.StringIO(text)))
    return [cell for row in rows for cell in row.values()], rows


def test_letters_csv_export_neutralises_every_formula_cell(formula_books, capsys, tmp_path):
    from dunning.cli import main

    assert main(["letters", "--csv", "-"]) == 0
    cells, rows = _cells(capsys.readouterr().out)
    assert len(rows) == len(FORMULAS)
    assert not [cell for cell in cells if cell[:1] in ("=", "+", "@", "\t", "\r")]
    assert not [cell for cell in cells if cell.startswith("-") and not re.fullmatch(r"-\d+(\.\d+)?", cell)]
    for raw in FORMULAS:  # customer number, customer name, the items list and the reasons all start with it
        assert sum(cell == "'" + raw for cell in cells) == 3, raw  # number, name, items: neutralised, else unchanged
    assert all(row["items"].startswith("'") and row["reasons"].startswith("'") for row in rows)

    target = tmp_path / "letters.csv"
    assert main(["letters", "--csv", str(target)]) == 0
    on_disk, _ = _cells(target.read_text(encoding="utf-8-sig"))
    assert sorted(on_disk) == sorted(cells)
