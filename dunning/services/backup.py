"""Backup and restore of the embedded (SQLite) database, as one self-contained file.

Why SQLite's online backup API and not a file copy: a run may be writing while the backup is
taken. The API copies a consistent snapshot (one read transaction) including what still sits in
the write-ahead log, so the copy never holds half a run. A plain `cp` of the .sqlite3 file misses
the -wal file and can catch a transaction half-written.

Why restore refuses a database that holds data: restoring replaces everything, including letters
sent since the backup; doing that by accident loses the record of what customers were told. With
`force=True` it goes ahead.

PostgreSQL is backed up with its own tools (pg_dump / pg_restore); see docs/backup.md.
"""
from __future__ import annotations

import os
import sqlite3
import tempfile
from dataclasses import dataclass
from pathlib import Path

from django.db import connections

# Tables whose rows make a database "hold data". Django's own bookkeeping (migrations, content
# types, permissions) is there in every migrated database and does not count.
BOOKKEEPING = ("django_migrations", "django_content_type", "auth_permission", "sqlite_sequence")


class BackupError(Exception):
    """Backup or restore refused or impossible; the message says what to do."""


@dataclass(frozen=True)
class BackupResult:
    path: Path
    tables: int
    rows: int


def sqlite_path(alias: str = "default") -> Path:
    """The file of the configured SQLite database; BackupError on PostgreSQL."""
    settings = connections[alias].settings_dict
    if not settings["ENGINE"].endswith("sqlite3"):
        raise BackupError("the database is PostgreSQL: back it up with pg_dump and restore with pg_restore, "
                          "as docs/backup.md shows (e.g. pg_dump --format=custom --file=dunning.dump DBNAME)")
    name = str(settings["NAME"])
    if name in ("", ":memory:") or name.startswith("file::memory:"):
        raise BackupError("the database is in memory; there is no file to back up")
    return Path(name)


def database_backup(target: Path, alias: str = "default") -> BackupResult:
    """Copy the live database to `target` (a new file, written atomically), consistent while a run writes."""
    source = sqlite_path(alias)
    target = Path(target)
    if target.resolve() == source.resolve():
        raise BackupError(f"{target} is the database itself; give another file name")
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, partial = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".partial", dir=target.parent)
    os.close(fd)
    try:
        src = sqlite3.connect(f"file:{source}?mode=ro", uri=True, timeout=60)
        dst = sqlite3.connect(partial)
        try:
            src.backup(dst)  # one step: a single read transaction, so one consistent snapshot
            dst.execute("PRAGMA journal_mode=DELETE")  # the copy is one file, no -wal beside it
            _check_integrity(dst, Path(partial))
        finally:
            dst.close()
            src.close()
        os.replace(partial, target)
    finally:
        if os.path.exists(partial):
            os.unlink(partial)
    return _summary(target)


def database_restore(source: Path, force: bool = False, alias: str = "default") -> BackupResult:
    """Replace the configured database by the backup `source`; refuses a database with data unless forced."""
    source = Path(source)
    target = sqlite_path(alias)
    if not source.is_file():
        raise BackupError(f"{source}: no such backup file")
    src = _open_backup(source)
    try:
        if not force:
            held = holds_data(target)
            if held:
                raise BackupError(f"{target} holds data ({_describe(held)}); restoring would replace it. Make a "
                                  f"backup of it first (dunning backup), then restore with --force")
        connections[alias].close()
        dst = sqlite3.connect(target, timeout=60)
        try:
            src.backup(dst)
        finally:
            dst.close()
    finally:
        src.close()
    return _summary(target)


def holds_data(path: Path) -> dict[str, int]:
    """Row counts of the tables that hold data (empty dict: an empty or new database)."""
    if not path.exists():
        return {}
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return {table: count for table, count in _counts(conn).items() if count and table not in BOOKKEEPING}
    finally:
        conn.close()


def _open_backup(source: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    try:
        tables = set(_counts(conn))
    except sqlite3.DatabaseError as exc:
        conn.close()
        raise BackupError(f"{source} is not a Dunning backup ({exc})") from None
    if "django_migrations" not in tables or "dunning_company" not in tables:
        conn.close()
        raise BackupError(f"{source} is an SQLite file but not a Dunning database (no dunning tables)")
    _check_integrity(conn, source)
    return conn


def _check_integrity(conn: sqlite3.Connection, path: Path) -> None:
    result = conn.execute("PRAGMA integrity_check").fetchone()[0]
    if result != "ok":
        raise BackupError(f"{path} is damaged: {result}")


def _counts(conn: sqlite3.Connection) -> dict[str, int]:
    names = [row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
    return {name: conn.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0] for name in names}


NAMED = {"dunning_company": "companies", "dunning_customer": "customers", "dunning_invoice": "invoices",
         "dunning_letter": "letters", "dunning_auditevent": "audit events"}


def _describe(held: dict[str, int]) -> str:
    shown = [f"{label} {held[table]}" for table, label in NAMED.items() if table in held]
    others = sum(count for table, count in held.items() if table not in NAMED)
    return ", ".join(shown + ([f"other rows {others}"] if others else []))


def _summary(path: Path) -> BackupResult:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        counts = _counts(conn)
    finally:
        conn.close()
    return BackupResult(path=path, tables=len(counts), rows=sum(counts.values()))
