"""`dunning backup` / `dunning restore` on real SQLite files, through the real command line.

Given a database with receivables, letters and audit events, when it is backed up, then changed
(rows edited, deleted, added) and restored, then every table holds exactly what it held at the
backup. A restore never silently replaces a database that holds data.
"""
from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import pytest

MAKE_BOOKS = """
from datetime import date, datetime, timezone
from dunning.models import AuditEvent, Allocation, Company, Credit, Customer, Invoice, Letter, LetterItem, Run
acme = Company.objects.create(code="ACME-DE", name="Acme Industriebedarf GmbH", base_currency="EUR")
cust = Customer.objects.create(company=acme, number="0200769623", key="200769623", name="Nordwind Handel AG",
                               email="ap@nordwind.example.de", language="de")
inv1 = Invoice.objects.create(company=acme, customer=cust, number="INV-1001", currency="EUR", amount_minor=119000,
                              issue_date=date(2026, 10, 3), due_date=date(2026, 11, 2))
inv2 = Invoice.objects.create(company=acme, customer=cust, number="INV-1002", currency="EUR", amount_minor=-4550,
                              issue_date=date(2026, 10, 5), due_date=date(2026, 11, 4))
pay = Credit.objects.create(company=acme, customer=cust, number="PAY-1", kind="payment", date=date(2026, 11, 20),
                            currency="EUR", amount_minor=50000)
Allocation.objects.create(invoice=inv1, credit=pay, date=date(2026, 11, 20), amount_minor=50000)
run = Run.objects.create(as_of=date(2026, 12, 3), status="finished", counts={"1": 1})
letter = Letter.objects.create(run=run, company=acme, customer=cust, currency="EUR", date=date(2026, 12, 3),
                               procedure_code="STANDARD", level=1, state="sent", total_minor=69000,
                               data={"totals": {"total": "690.00"}},
                               sent_at=datetime(2026, 12, 3, 9, tzinfo=timezone.utc))
LetterItem.objects.create(letter=letter, invoice=inv1, level=1, days_overdue=31, open_minor=69000)
AuditEvent.objects.create(action="letter_sent", object_type="letter", object_id=str(letter.pk))
"""

CHANGE_BOOKS = """
from datetime import date
from dunning.models import AuditEvent, Allocation, Customer, Invoice
Customer.objects.update(name="Changed after the backup", email="other@example.com")
Allocation.objects.all().delete()
Invoice.objects.filter(number="INV-1002").delete()
Invoice.objects.create(company_id=1, customer_id=1, number="INV-2000", currency="EUR", amount_minor=1,
                       due_date=date(2026, 12, 1))
AuditEvent.objects.create(action="customer_renamed", object_type="customer", object_id="1")
"""


def python(database: Path, code: str) -> None:
    script = "from dunning import bootstrap; bootstrap.setup(); bootstrap.migrate()\n" + code
    subprocess.run([sys.executable, "-c", script], env=_env(database), check=True)


def dunning(database: Path, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "dunning.cli", *args], env=_env(database), cwd=cwd,
                          capture_output=True, text=True)


def _env(database: Path) -> dict[str, str]:
    return {**os.environ, "DUNNING_DATABASE_URL": f"sqlite:///{database}"}


def everything(database: Path) -> dict[str, list[tuple]]:
    """Every row of every table, in a stable order."""
    conn = sqlite3.connect(database)
    try:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
        return {t: sorted(conn.execute(f'SELECT * FROM "{t}"').fetchall(), key=repr) for t in tables}
    finally:
        conn.close()


def test_backup_then_restore_gives_back_exactly_what_was_there(tmp_path):
    books = tmp_path / "books.sqlite3"
    python(books, MAKE_BOOKS)
    before = everything(books)

    done = dunning(books, "backup", str(tmp_path / "saved" / "books-backup.sqlite3"))
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"backup written to {tmp_path / 'saved' / 'books-backup.sqlite3'} (")

    python(books, CHANGE_BOOKS)
    changed = everything(books)
    assert changed["dunning_customer"] != before["dunning_customer"]
    assert len(changed["dunning_allocation"]) == 0 and len(changed["dunning_auditevent"]) == 2

    done = dunning(books, "restore", str(tmp_path / "saved" / "books-backup.sqlite3"), "--force")
    assert done.returncode == 0, done.stderr

    after = everything(books)
    assert after == before
    conn = sqlite3.connect(books)
    assert conn.execute("SELECT number, key, name, email FROM dunning_customer").fetchall() == [
        ("0200769623", "200769623", "Nordwind Handel AG", "ap@nordwind.example.de")]
    assert conn.execute("SELECT number, amount_minor, due_date FROM dunning_invoice ORDER BY number").fetchall() == [
        ("INV-1001", 119000, "2026-11-02"), ("INV-1002", -4550, "2026-11-04")]
    assert conn.execute("SELECT amount_minor, date FROM dunning_allocation").fetchall() == [(50000, "2026-11-20")]
    conn.close()


def test_the_restored_database_still_guards_its_audit_trail(tmp_path):
    books, saved = tmp_path / "books.sqlite3", tmp_path / "saved.sqlite3"
    python(books, MAKE_BOOKS)
    assert dunning(books, "backup", str(saved)).returncode == 0
    fresh = tmp_path / "fresh.sqlite3"

    assert dunning(fresh, "restore", str(saved)).returncode == 0  # an empty database needs no --force

    conn = sqlite3.connect(fresh)
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        conn.execute("UPDATE dunning_auditevent SET action = 'nothing'")
    conn.close()
    assert everything(fresh)["dunning_letter"] == everything(books)["dunning_letter"]


def test_restore_refuses_to_overwrite_a_database_that_holds_data(tmp_path):
    books, saved = tmp_path / "books.sqlite3", tmp_path / "saved.sqlite3"
    python(books, MAKE_BOOKS)
    assert dunning(books, "backup", str(saved)).returncode == 0
    python(books, CHANGE_BOOKS)
    changed = everything(books)

    done = dunning(books, "restore", str(saved))

    assert done.returncode == 2
    assert done.stderr.strip() == (
        f"dunning restore: {books} holds data (companies 1, customers 1, invoices 2, letters 1, audit events 2, "
        f"other rows 3); restoring "
        f"would replace it. Make a backup of it first (dunning backup), then restore with --force")
    assert everything(books) == changed


def test_restore_refuses_a_file_that_is_not_a_backup(tmp_path):
    books = tmp_path / "books.sqlite3"
    not_a_backup = tmp_path / "invoices.csv"
    not_a_backup.write_text("number,amount\nINV-1,10.00\n")

    done = dunning(books, "restore", str(not_a_backup), "--force")

    assert done.returncode == 2
    assert done.stderr.startswith(f"dunning restore: {not_a_backup} is not a Dunning backup (")


def test_backup_without_a_name_writes_a_dated_file_in_the_working_folder(tmp_path):
    books = tmp_path / "books.sqlite3"
    python(books, MAKE_BOOKS)
    done = dunning(books, "backup", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    [written] = tmp_path.glob("dunning-backup-*Z.sqlite3")
    assert everything(written) == everything(books)


def test_a_backup_taken_while_a_run_writes_is_a_consistent_snapshot(tmp_path):
    """The writer always adds two audit events in one transaction; a consistent copy has an even number."""
    books, saved = tmp_path / "books.sqlite3", tmp_path / "saved.sqlite3"
    python(books, "")
    stop, written = threading.Event(), threading.Event()

    def writer() -> None:
        conn = sqlite3.connect(books, timeout=30, isolation_level=None)
        conn.execute("PRAGMA journal_mode=WAL")
        pairs = 0
        while not stop.is_set():
            conn.execute("BEGIN IMMEDIATE")
            for half in (1, 2):
                conn.execute("INSERT INTO dunning_auditevent (at, actor, action, object_type, object_id, data) "
                             "VALUES ('2026-12-03 10:00:00', 'run', 'letter_created', 'letter', ?, '{}')",
                             [f"{pairs}.{half}"])
            conn.execute("COMMIT")
            pairs += 1
            if pairs == 200:
                written.set()
        conn.close()

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        assert written.wait(60)
        done = dunning(books, "backup", str(saved))
    finally:
        stop.set()
        thread.join()

    assert done.returncode == 0, done.stderr
    copy = sqlite3.connect(saved)
    count = copy.execute("SELECT count(*) FROM dunning_auditevent").fetchone()[0]
    assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    copy.close()
    assert count >= 400 and count % 2 == 0


def test_backup_on_postgresql_points_to_pg_dump(tmp_path):
    import psycopg

    try:
        with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True,
                             connect_timeout=3) as conn:
            if not conn.execute("SELECT 1 FROM pg_database WHERE datname = 'dunning_backup_cli'").fetchone():
                conn.execute("CREATE DATABASE dunning_backup_cli")
    except psycopg.OperationalError as exc:
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            raise
        pytest.skip(f"PostgreSQL at 127.0.0.1:5432 unreachable: {exc}")
    done = subprocess.run([sys.executable, "-m", "dunning.cli", "--database",
                           "postgres://postgres@127.0.0.1:5432/dunning_backup_cli", "backup", "x"],
                          capture_output=True, text=True, env={**os.environ, "DUNNING_DATABASE_URL": ""})
    assert done.returncode == 2
    assert "pg_dump" in done.stderr and "docs/backup.md" in done.stderr


PG = "postgresql://postgres@127.0.0.1:5432"


def _fresh_pg_database(name: str) -> str:
    import psycopg

    with psycopg.connect(f"{PG}/postgres", autocommit=True, connect_timeout=3) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return f"{PG}/{name}"


def _pg_everything(url: str) -> dict[str, list[tuple]]:
    import psycopg

    with psycopg.connect(url) as conn:
        tables = [r[0] for r in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
                                             "ORDER BY tablename")]
        return {t: sorted(conn.execute(f'SELECT * FROM "{t}"').fetchall(), key=repr) for t in tables}


@pytest.mark.postgres
def test_pg_dump_and_pg_restore_as_docs_backup_md_says_give_back_the_books_and_their_guards(tmp_path):
    import psycopg

    source, restored = _fresh_pg_database("dunning_pgdump_source"), _fresh_pg_database("dunning_pgdump_restored")
    script = "from dunning import bootstrap; bootstrap.setup(); bootstrap.migrate()\n" + MAKE_BOOKS
    subprocess.run([sys.executable, "-c", script], env={**os.environ, "DUNNING_DATABASE_URL": source}, check=True)
    dump = tmp_path / "dunning.dump"

    subprocess.run(["pg_dump", "--format=custom", f"--file={dump}", source], check=True)
    subprocess.run(["pg_restore", "--no-owner", f"--dbname={restored}", str(dump)], check=True)

    before, after = _pg_everything(source), _pg_everything(restored)
    assert after == before
    assert [row[1:4] for row in after["dunning_customer"]] == [("0200769623", "200769623", "Nordwind Handel AG")]
    with psycopg.connect(restored) as conn, pytest.raises(psycopg.errors.IntegrityConstraintViolation, match="append-only"):
        conn.execute("UPDATE dunning_auditevent SET action = 'nothing'")
    listed = subprocess.run([sys.executable, "-m", "dunning.cli", "--database", restored, "letters", "--json"],
                            capture_output=True, text=True, env=os.environ, check=True)
    (letter,) = json.loads(listed.stdout)["letters"]
    assert (letter["customer"], letter["state"], letter["total"]) == ("0200769623", "sent", "690.00")
