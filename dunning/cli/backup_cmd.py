"""`dunning backup [FILE]` and `dunning restore FILE`: the embedded SQLite database as one file.

PostgreSQL: use pg_dump / pg_restore (docs/backup.md); these commands say so.
"""
from __future__ import annotations

import argparse
from datetime import datetime, timezone
from pathlib import Path

from dunning.cli import CommandError


def register(subparsers: argparse._SubParsersAction) -> None:
    backup = subparsers.add_parser(
        "backup", help="copy the SQLite database to one file, safely while a run writes",
        description="Copy the SQLite database to FILE with SQLite's online backup API: a consistent snapshot, "
                    "even while a run is writing. PostgreSQL: use pg_dump (docs/backup.md).")
    backup.add_argument("file", nargs="?", type=Path, metavar="FILE",
                        help="where to write the copy (default: dunning-backup-<UTC time>.sqlite3 here)")
    backup.set_defaults(handler=backup_handler)

    restore = subparsers.add_parser(
        "restore", help="replace the SQLite database by a backup file",
        description="Replace the SQLite database by the backup FILE. Refuses a database that holds data "
                    "unless --force is given. PostgreSQL: use pg_restore (docs/backup.md).")
    restore.add_argument("file", type=Path, metavar="FILE", help="a file written by `dunning backup`")
    restore.add_argument("--force", action="store_true",
                         help="replace a database that holds data (everything in it since the backup is lost)")
    restore.set_defaults(handler=restore_handler)


def backup_handler(args: argparse.Namespace) -> int:
    from dunning.services.backup import BackupError, database_backup

    target = args.file or Path(f"dunning-backup-{datetime.now(timezone.utc):%Y%m%dT%H%M%SZ}.sqlite3")
    try:
        result = database_backup(target)
    except BackupError as exc:
        raise CommandError(str(exc)) from None
    print(f"backup written to {result.path} ({result.tables} tables, {result.rows} rows)")
    return 0


def restore_handler(args: argparse.Namespace) -> int:
    from dunning import bootstrap
    from dunning.services.backup import BackupError, database_restore

    try:
        result = database_restore(args.file, force=args.force)
    except BackupError as exc:
        raise CommandError(str(exc)) from None
    bootstrap.migrate()  # a backup from an earlier version is brought up to this version's schema
    print(f"restored {result.path} from {args.file} ({result.tables} tables, {result.rows} rows)")
    return 0
