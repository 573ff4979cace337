"""`dunning templates export FOLDER` / `dunning templates load FOLDER`: the letter texts as files.

Export, edit in any editor, load back. Loading checks every file in the template sandbox and
changes nothing unless all are sound. See dunning/services/template_files.py for the layout.
"""
from __future__ import annotations

import argparse
from pathlib import Path

from dunning.cli import CommandError
from dunning.cli.lookup import add_actor


def register(subparsers) -> None:
    parser = subparsers.add_parser("templates", help="export or load the letter texts (email and PDF) as files",
                                   description=__doc__.split("\n\n")[1].replace("\n", " "))
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    export = actions.add_parser("export", help="write every template into FOLDER")
    export.add_argument("folder", type=Path, metavar="FOLDER")
    export.set_defaults(handler=export_handler)
    load = actions.add_parser("load", help="create or replace the templates found in FOLDER")
    load.add_argument("folder", type=Path, metavar="FOLDER")
    add_actor(load)
    load.set_defaults(handler=load_handler)


def export_handler(args: argparse.Namespace) -> int:
    from dunning.services.setup import ensure_default_setup
    from dunning.services.template_files import templates_exported

    ensure_default_setup()
    print(f"{templates_exported(args.folder)} template file(s) written to {args.folder}")
    return 0


def load_handler(args: argparse.Namespace) -> int:
    from dunning.services.template_files import templates_loaded
    from dunning.services.validation import ConfigurationInvalid

    try:
        count = templates_loaded(args.folder, actor=args.actor)
    except ConfigurationInvalid as exc:
        lines = "\n".join(f"{args.folder}/{error}" for error in exc.errors)
        raise CommandError(f"nothing was changed; {len(exc.errors)} problem(s):\n{lines}") from None
    print(f"loaded {count} template(s) from {args.folder}")
    return 0
