"""`dunning procedures export [FILE]` / `dunning procedures load FILE`: the dunning policy as a TOML file.

Export, review or edit, load back: every procedure (levels, thresholds, fees, interest, intervals)
and the assignment rules. Loading names every problem at once and changes nothing unless the
whole file is sound. See dunning/services/procedure_file.py for the format.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from dunning.cli import CommandError
from dunning.cli.lookup import add_actor


def register(subparsers) -> None:
    parser = subparsers.add_parser("procedures", help="export or load procedures, levels and assignment rules",
                                   description=__doc__.split("\n\n")[1].replace("\n", " "))
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    export = actions.add_parser("export", help="write the procedures and rules as TOML")
    export.add_argument("file", nargs="?", type=Path, metavar="FILE", help="where to write (default: standard "
                                                                           "output)")
    export.set_defaults(handler=export_handler)
    load = actions.add_parser("load", help="create or replace the procedures (and rules) of a TOML file")
    load.add_argument("file", type=Path, metavar="FILE")
    add_actor(load)
    load.set_defaults(handler=load_handler)


def export_handler(args: argparse.Namespace) -> int:
    from dunning.services.procedure_file import procedures_exported
    from dunning.services.setup import ensure_default_setup

    ensure_default_setup()
    text = procedures_exported()
    if args.file is None:
        sys.stdout.write(text)
    else:
        args.file.write_text(text, encoding="utf-8")
        print(f"procedures written to {args.file}")
    return 0


def load_handler(args: argparse.Namespace) -> int:
    from dunning.services.procedure_file import ProcedureFileError, procedures_loaded
    from dunning.services.validation import ConfigurationInvalid

    try:
        text = args.file.read_text(encoding="utf-8")
    except OSError as exc:
        raise CommandError(f"{args.file}: {exc.strerror}") from None
    try:
        counts = procedures_loaded(text, actor=args.actor)
    except ProcedureFileError as exc:
        raise CommandError(f"{args.file}: {exc}") from None
    except ConfigurationInvalid as exc:
        lines = "\n".join(f"{args.file}: {error}" for error in exc.errors)
        raise CommandError(f"nothing was changed; {len(exc.errors)} problem(s):\n{lines}") from None
    rules = f" and {counts['rules']} assignment rule(s)" if counts["rules"] else ""
    print(f"loaded {counts['procedures']} procedure(s){rules} from {args.file}")
    return 0
