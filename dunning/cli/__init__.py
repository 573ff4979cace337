"""`dunning …`: one sub-command per job. Each module here adds its own parser.

A command module defines `register(subparsers)`, which adds a parser whose
`handler` default is a function `(args) -> int`. Django is set up before a
handler runs, on the database given by --database or DUNNING_DATABASE_URL.
"""
from __future__ import annotations

import argparse
import importlib
import sys

COMMANDS = ["import_cmd", "run_cmd", "preview_cmd", "letters_cmd", "review_cmd", "send_cmd", "print_cmd",
            "pause_cmd", "dispute_cmd", "procedures_cmd", "templates_cmd", "backtest_cmd", "demo_cmd", "backup_cmd"]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="dunning", description="Payment reminders: import, run, send, print.")
    parser.add_argument("--database", metavar="URL",
                        help="database URL (default: $DUNNING_DATABASE_URL or sqlite file dunning.sqlite3 here)")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMANDS:
        try:
            module = importlib.import_module(f"dunning.cli.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"dunning.cli.{name}":
                continue
            raise
        module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    from dunning import bootstrap
    from dunning.config import SettingsFileError

    try:
        bootstrap.setup(args.database)
    except SettingsFileError as exc:
        print(f"dunning: {exc}", file=sys.stderr)
        return 2
    bootstrap.migrate()
    try:
        return int(args.handler(args) or 0)
    except CommandError as exc:
        print(f"dunning {args.command}: {exc}", file=sys.stderr)
        return 2


class CommandError(Exception):
    """A user-facing error: printed without a traceback, exit status 2."""


if __name__ == "__main__":
    sys.exit(main())
