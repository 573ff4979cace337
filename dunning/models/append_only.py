"""What the database itself refuses: editing or deleting the audit trail, editing a sent letter.

Why in the database and not only in `save()`: `QuerySet.update()`, raw SQL, a shell session or a
second program bypass Python. Triggers (migration 0002) refuse UPDATE and DELETE of audit events and
any change to what a sent letter said, on SQLite and PostgreSQL alike.

The one sanctioned way to empty those tables is erasing the whole database (Django's `flush`, which
the test suite uses between transactional tests). PostgreSQL's flush is TRUNCATE, which row
triggers do not see. SQLite's flush is DELETE, so its DELETE triggers ask the SQL function
`dunning_may_purge()`, which this module registers on every Django connection and which answers 1
only inside `execute_sql_flush`. A connection that is not Django's (the sqlite3 shell, another
program) has no such function, so its DELETE fails: closed by default.
"""
from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator

from django.db.backends.signals import connection_created
from django.dispatch import receiver

_purging = contextvars.ContextVar("dunning_purging", default=False)

TRIGGER_MESSAGE_AUDIT = "audit events are append-only: they cannot be updated or deleted"
TRIGGER_MESSAGE_LETTER = "a sent letter cannot be edited or deleted, only superseded"


@contextlib.contextmanager
def purge_allowed() -> Iterator[None]:
    """Inside this block this thread may erase append-only rows (whole-database flush only)."""
    token = _purging.set(True)
    try:
        yield
    finally:
        _purging.reset(token)


def _may_purge() -> int:
    return 1 if _purging.get() else 0


@receiver(connection_created, dispatch_uid="dunning_append_only_sqlite")
def _sqlite_connection_created(sender, connection, **kwargs) -> None:
    if connection.vendor != "sqlite":
        return
    connection.connection.create_function("dunning_may_purge", 0, _may_purge)
    ops = connection.ops
    if getattr(ops, "_dunning_flush_allowed", False):
        return
    flush = ops.execute_sql_flush

    def execute_sql_flush(sql_list):
        with purge_allowed():
            return flush(sql_list)

    ops.execute_sql_flush = execute_sql_flush
    ops._dunning_flush_allowed = True


# ---------------------------------------------------------------------------------------------
# The triggers. Installed by migration 0002; a later migration that rebuilds dunning_auditevent,
# dunning_letter or dunning_letteritem on SQLite (a table remake drops its triggers) must call
# install_guards again. tests/test_audit.py checks they are all present after migrating.
# Items may still be added to a sent letter's row set (tests and history imports create a sent
# letter, then its items); changing or removing an item of a sent letter is refused.
# ---------------------------------------------------------------------------------------------

LETTER_CONTENT_COLUMNS = ("run_id", "company_id", "customer_id", "currency", "invoice_key", "date", "procedure_code",
                          "level", "level_name", "language", "channels", "repeat", "dunned_minor", "fee_minor",
                          "fee_level", "interest_minor", "credit_minor", "total_minor", "reasons", "data",
                          "supersedes_id")
SQLITE_TRIGGERS = ("dunning_auditevent_no_update", "dunning_auditevent_no_delete", "dunning_letter_sent_no_update",
                   "dunning_letter_sent_no_delete", "dunning_letteritem_sent_no_update", "dunning_letteritem_sent_no_delete")
POSTGRES_TRIGGERS = ("dunning_auditevent_append_only", "dunning_letter_sent_is_final",
                     "dunning_letteritem_sent_is_final")


def _was_sent(row: str) -> str:
    return (f"({row}.state = 'sent' OR ({row}.state = 'superseded' AND "
            f"({row}.sent_at IS NOT NULL OR {row}.printed_at IS NOT NULL)))")


def _sqlite_sql() -> list[str]:
    changed = " OR ".join(f'NEW."{c}" IS NOT OLD."{c}"' for c in LETTER_CONTENT_COLUMNS)
    audit = f"SELECT RAISE(ABORT, '{TRIGGER_MESSAGE_AUDIT}');"
    letter = f"SELECT RAISE(ABORT, '{TRIGGER_MESSAGE_LETTER}');"
    sent_parent = "EXISTS (SELECT 1 FROM dunning_letter AS l WHERE l.id = {id} AND " + _was_sent("l") + ")"
    return [
        f"CREATE TRIGGER dunning_auditevent_no_update BEFORE UPDATE ON dunning_auditevent BEGIN {audit} END",
        f"CREATE TRIGGER dunning_auditevent_no_delete BEFORE DELETE ON dunning_auditevent "
        f"WHEN dunning_may_purge() = 0 BEGIN {audit} END",
        f"CREATE TRIGGER dunning_letter_sent_no_update BEFORE UPDATE ON dunning_letter "
        f"WHEN {_was_sent('OLD')} AND (NEW.state NOT IN ('sent', 'superseded') OR {changed}) BEGIN {letter} END",
        f"CREATE TRIGGER dunning_letter_sent_no_delete BEFORE DELETE ON dunning_letter "
        f"WHEN {_was_sent('OLD')} AND dunning_may_purge() = 0 BEGIN {letter} END",
        f"CREATE TRIGGER dunning_letteritem_sent_no_update BEFORE UPDATE ON dunning_letteritem "
        f"WHEN {sent_parent.format(id='OLD.letter_id')} OR {sent_parent.format(id='NEW.letter_id')} "
        f"BEGIN {letter} END",
        f"CREATE TRIGGER dunning_letteritem_sent_no_delete BEFORE DELETE ON dunning_letteritem "
        f"WHEN {sent_parent.format(id='OLD.letter_id')} AND dunning_may_purge() = 0 BEGIN {letter} END",
    ]


def _postgres_sql() -> list[str]:
    new_row = ", ".join(f'NEW."{c}"' for c in LETTER_CONTENT_COLUMNS)
    old_row = ", ".join(f'OLD."{c}"' for c in LETTER_CONTENT_COLUMNS)
    raise_letter = f"RAISE EXCEPTION '{TRIGGER_MESSAGE_LETTER}' USING ERRCODE = 'integrity_constraint_violation';"
    return [
        f"""CREATE OR REPLACE FUNCTION dunning_refuse_audit_change() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION '{TRIGGER_MESSAGE_AUDIT}' USING ERRCODE = 'integrity_constraint_violation';
        END $$""",
        """CREATE TRIGGER dunning_auditevent_append_only BEFORE UPDATE OR DELETE ON dunning_auditevent
        FOR EACH ROW EXECUTE FUNCTION dunning_refuse_audit_change()""",
        f"""CREATE OR REPLACE FUNCTION dunning_letter_sent_is_final() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF {_was_sent('OLD')} THEN
                IF TG_OP = 'DELETE' THEN {raise_letter} END IF;
                IF NEW.state NOT IN ('sent', 'superseded') OR ROW({new_row}) IS DISTINCT FROM ROW({old_row}) THEN
                    {raise_letter}
                END IF;
            END IF;
            IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
            RETURN NEW;
        END $$""",
        """CREATE TRIGGER dunning_letter_sent_is_final BEFORE UPDATE OR DELETE ON dunning_letter
        FOR EACH ROW EXECUTE FUNCTION dunning_letter_sent_is_final()""",
        f"""CREATE OR REPLACE FUNCTION dunning_letteritem_sent_is_final() RETURNS trigger LANGUAGE plpgsql AS $$
        DECLARE ids bigint[];
        BEGIN
            IF TG_OP = 'DELETE' THEN ids := ARRAY[OLD.letter_id];
            ELSE ids := ARRAY[OLD.letter_id, NEW.letter_id];
            END IF;
            IF EXISTS (SELECT 1 FROM dunning_letter AS l WHERE l.id = ANY(ids) AND {_was_sent('l')}) THEN
                {raise_letter}
            END IF;
            IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
            RETURN NEW;
        END $$""",
        """CREATE TRIGGER dunning_letteritem_sent_is_final BEFORE UPDATE OR DELETE ON dunning_letteritem
        FOR EACH ROW EXECUTE FUNCTION dunning_letteritem_sent_is_final()""",
    ]


def install_guards(schema_editor) -> None:
    """Create (or re-create) the triggers for the connection's database."""
    remove_guards(schema_editor)
    vendor = schema_editor.connection.vendor
    statements = {"sqlite": _sqlite_sql, "postgresql": _postgres_sql}.get(vendor)
    if statements is None:
        raise NotImplementedError(f"append-only guards are written for SQLite and PostgreSQL, not {vendor}")
    for sql in statements():
        schema_editor.execute(sql, params=None)


def remove_guards(schema_editor) -> None:
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        for name in SQLITE_TRIGGERS:
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {name}", params=None)
    elif vendor == "postgresql":
        for name, table in zip(POSTGRES_TRIGGERS, ("dunning_auditevent", "dunning_letter", "dunning_letteritem")):
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}", params=None)
        for function in ("dunning_refuse_audit_change", "dunning_letter_sent_is_final",
                         "dunning_letteritem_sent_is_final"):
            schema_editor.execute(f"DROP FUNCTION IF EXISTS {function}()", params=None)
