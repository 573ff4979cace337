"""The audit trail is append-only and a sent letter is final — enforced by the database itself.

Given rows written the normal way, when anything (ORM, QuerySet.update, raw SQL, another program)
tries to change or remove them, then the database refuses. These tests run on SQLite and again in
the PostgreSQL pass of scripts/test; the raw SQL is the same on both.
"""
from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from datetime import date, datetime, timezone

import pytest
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction

from dunning.models import AuditEvent, Letter, LetterItem, Run
from dunning.models.append_only import POSTGRES_TRIGGERS, SQLITE_TRIGGERS
from dunning.models.letter import LetterFrozen
from dunning.services.supersede import LetterNotSupersedable, letter_supersede

SENT_AT = datetime(2026, 12, 3, 9, 30, tzinfo=timezone.utc)


def refused(sql: str, params=()) -> str:
    """Run raw SQL that must fail; the savepoint keeps the test's transaction usable on PostgreSQL."""
    with pytest.raises(IntegrityError) as caught:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, params)
    return str(caught.value)


@pytest.fixture
def letter(db, customer, invoice):
    """make a letter with one item, for a new customer each time; state "sent" unless told."""

    def make(state: str = "sent", total: int = 119000) -> Letter:
        inv = invoice(customer=customer())
        run = Run.objects.create(as_of=date(2026, 12, 3), status="finished")
        row = Letter.objects.create(run=run, company=inv.company, customer=inv.customer, currency="EUR",
                                    date=date(2026, 12, 3), procedure_code="STANDARD", level=2,
                                    level_name="Second reminder", state=state, dunned_minor=total,
                                    total_minor=total, data={"totals": {"total": "1190.00"}},
                                    sent_at=SENT_AT if state == "sent" else None)
        LetterItem.objects.create(letter=row, invoice=inv, level=2, days_overdue=31, open_minor=total)
        return row

    return make


# ---------------------------------------------------------------------------------------------
# Audit events
# ---------------------------------------------------------------------------------------------

def test_the_guards_are_installed_after_migrating(db):
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
            expected = SQLITE_TRIGGERS
        else:
            cursor.execute("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal")
            expected = POSTGRES_TRIGGERS
        assert set(expected) <= {name for (name,) in cursor.fetchall()}


def test_an_audit_event_cannot_be_updated_or_deleted_even_by_raw_sql(db):
    event = AuditEvent.objects.create(actor="anna", action="customer_paused", object_type="customer",
                                      object_id="17", data={"reason": "dispute"})

    assert "append-only" in refused("UPDATE dunning_auditevent SET actor = %s WHERE id = %s", ["mallory", event.pk])
    assert "append-only" in refused("DELETE FROM dunning_auditevent WHERE id = %s", [event.pk])
    assert "append-only" in refused("DELETE FROM dunning_auditevent")

    with pytest.raises(IntegrityError), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(action="nothing_happened")
    with pytest.raises(IntegrityError), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk)._raw_delete(connection.alias)

    stored = AuditEvent.objects.get(pk=event.pk)
    assert (stored.actor, stored.action, stored.data) == ("anna", "customer_paused", {"reason": "dispute"})


def test_new_audit_events_can_still_be_appended(db):
    AuditEvent.objects.create(action="letter_sent", object_type="letter", object_id="1")
    with connection.cursor() as cursor:
        cursor.execute("INSERT INTO dunning_auditevent (at, actor, action, object_type, object_id, data) "
                       "VALUES (%s, 'system', 'letter_printed', 'letter', '1', '{}')", [SENT_AT])
    assert list(AuditEvent.objects.order_by("id").values_list("action", flat=True)) == ["letter_sent",
                                                                                        "letter_printed"]


@pytest.mark.postgres
def test_on_postgresql_the_refusal_is_an_integrity_error_with_the_reason(db):
    event = AuditEvent.objects.create(action="letter_sent", object_type="letter", object_id="5")
    message = refused("UPDATE dunning_auditevent SET data = '{}'::jsonb WHERE id = %s", [event.pk])
    assert "audit events are append-only: they cannot be updated or deleted" in message


def test_another_program_on_the_sqlite_file_cannot_delete_the_trail(tmp_path):
    """A connection that is not Django's (the sqlite3 shell, a script) is refused too."""
    path = tmp_path / "books.sqlite3"
    env = {**os.environ, "DUNNING_DATABASE_URL": f"sqlite:///{path}"}
    script = ("from dunning import bootstrap; bootstrap.setup(); bootstrap.migrate();"
              "from dunning.models import AuditEvent;"
              "AuditEvent.objects.create(action='letter_sent', object_type='letter', object_id='9')")
    subprocess.run([sys.executable, "-c", script], env=env, check=True)

    raw = sqlite3.connect(path)
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        raw.execute("UPDATE dunning_auditevent SET actor = 'mallory'")
    with pytest.raises(sqlite3.OperationalError, match="dunning_may_purge"):
        raw.execute("DELETE FROM dunning_auditevent")
    assert raw.execute("SELECT actor, action FROM dunning_auditevent").fetchall() == [("system", "letter_sent")]
    raw.close()


@pytest.mark.django_db(transaction=True)
def test_erasing_the_whole_database_still_works(letter):
    """`flush` (what the test suite does between transactional tests) is the one sanctioned purge."""
    letter()
    AuditEvent.objects.create(action="letter_sent", object_type="letter", object_id="1")

    call_command("flush", interactive=False, verbosity=0)

    assert (AuditEvent.objects.count(), Letter.objects.count()) == (0, 0)


# ---------------------------------------------------------------------------------------------
# Sent letters: final, only superseded
# ---------------------------------------------------------------------------------------------

def test_a_sent_letters_amounts_cannot_be_changed_by_save(letter):
    sent = letter()
    sent.total_minor = 100
    with pytest.raises(LetterFrozen, match="total_minor cannot change"):
        sent.save()
    sent.refresh_from_db()
    sent.data = {"totals": {"total": "1.00"}}
    with pytest.raises(LetterFrozen, match="data"):
        sent.save(update_fields=["data"])
    assert Letter.objects.get(pk=sent.pk).total_minor == 119000


def test_a_sent_letter_keeps_its_delivery_bookkeeping(letter):
    sent = letter()
    printed = datetime(2026, 12, 4, 8, 0, tzinfo=timezone.utc)
    sent.printed_at = printed
    sent.attempts = 2
    sent.save()
    Letter.objects.filter(pk=sent.pk).update(last_error="bounce report: mailbox full")
    stored = Letter.objects.get(pk=sent.pk)
    assert (stored.printed_at, stored.attempts, stored.last_error) == (printed, 2, "bounce report: mailbox full")


def test_the_database_refuses_changing_a_sent_letter(letter):
    sent = letter()
    with pytest.raises(IntegrityError), transaction.atomic():
        Letter.objects.filter(pk=sent.pk).update(total_minor=1)
    assert "only superseded" in refused("UPDATE dunning_letter SET fee_minor = 500 WHERE id = %s", [sent.pk])
    assert "only superseded" in refused("UPDATE dunning_letter SET data = '{}' WHERE id = %s", [sent.pk])
    assert "only superseded" in refused("UPDATE dunning_letter SET state = 'queued' WHERE id = %s", [sent.pk])
    assert "only superseded" in refused("DELETE FROM dunning_letter WHERE id = %s", [sent.pk])
    assert "only superseded" in refused("UPDATE dunning_letteritem SET open_minor = 1 WHERE letter_id = %s",
                                        [sent.pk])
    assert "only superseded" in refused("DELETE FROM dunning_letteritem WHERE letter_id = %s", [sent.pk])
    with pytest.raises(LetterFrozen):
        sent.delete()
    stored = Letter.objects.get(pk=sent.pk)
    assert (stored.state, stored.total_minor, stored.fee_minor, stored.items.get().open_minor) == (
        "sent", 119000, 0, 119000)


def test_a_letter_not_yet_sent_can_still_be_changed(letter):
    queued = letter(state="queued")
    queued.total_minor = 100000
    queued.save()
    Letter.objects.filter(pk=queued.pk).update(fee_minor=500)
    queued.items.update(open_minor=100000)
    stored = Letter.objects.get(pk=queued.pk)
    assert (stored.total_minor, stored.fee_minor, stored.items.get().open_minor) == (100000, 500, 100000)


def test_a_sent_letter_is_superseded_by_a_corrected_one(letter):
    sent = letter()

    new = letter_supersede(sent, "fee charged twice", actor="anna",
                           changes={"total_minor": 118000, "data": {"totals": {"total": "1180.00"}}})

    old = Letter.objects.get(pk=sent.pk)
    assert (old.state, old.total_minor, old.data, old.sent_at) == (
        "superseded", 119000, {"totals": {"total": "1190.00"}}, SENT_AT)
    assert (new.state, new.supersedes_id, new.total_minor, new.sent_at, new.message_id) == (
        "review", sent.pk, 118000, None, "")
    assert (new.customer_id, new.currency, new.date, new.level) == (sent.customer_id, "EUR", sent.date, 2)
    assert [(i.invoice_id, i.open_minor) for i in new.items.all()] == [(i.invoice_id, i.open_minor)
                                                                        for i in old.items.all()]
    events = AuditEvent.objects.filter(action__in=["letter_superseded", "letter_created"]).order_by("id")
    assert [(e.action, e.object_id, e.actor, e.data) for e in events] == [
        ("letter_superseded", str(sent.pk), "anna", {"reason": "fee charged twice", "by": new.pk, "from": "sent"}),
        ("letter_created", str(new.pk), "anna", {"reason": "fee charged twice", "supersedes": sent.pk,
                                                 "state": "review"}),
    ]
    # what was sent stays as it was sent, also after it was superseded
    assert "only superseded" in refused("UPDATE dunning_letter SET total_minor = 1 WHERE id = %s", [sent.pk])


def test_a_letter_superseded_once_cannot_be_superseded_again(letter):
    sent = letter()
    letter_supersede(sent, "wrong address")
    with pytest.raises(LetterNotSupersedable, match="superseded"):
        letter_supersede(sent, "again")
    with pytest.raises(ValueError, match="cannot change customer_id"):
        letter_supersede(letter(), "other customer", changes={"customer_id": 1})
