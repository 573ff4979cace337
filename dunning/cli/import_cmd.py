"""`dunning import --profile NAME FILE`: load invoices, payments and credit notes from CSV or XLSX.

Prints what was loaded and every rejected row as FILE:LINE: field: reason. Exit status 2 when
any row was rejected (then nothing was written, unless --skip-bad-rows).
"""
from __future__ import annotations

import argparse
import json
import sys
from datetime import date
from pathlib import Path

from dunning.cli import CommandError

COUNT_NAMES = [("companies_created", "companies created"), ("customers_created", "customers created"),
               ("invoices", "invoices"), ("payments", "payments"), ("credit_notes", "credit notes"),
               ("allocations", "allocations"), ("duplicates_skipped", "exact duplicates skipped")]


def register(subparsers) -> None:
    from dunning.importers.profiles import PROFILES

    described = "; ".join(f"{p.name}: {p.summary}" for p in PROFILES.values())
    parser = subparsers.add_parser("import", help="import invoices and payments from a CSV or XLSX file",
                                   description=f"Profiles — {described}.")
    parser.add_argument("file", metavar="FILE", help="CSV (any of , ; tab) or XLSX file")
    parser.add_argument("--profile", required=True, metavar="NAME|FILE.toml",
                        help=f"column-mapping profile: {', '.join(sorted(PROFILES))}, or your own TOML file "
                             f"(see docs/importing.md)")
    parser.add_argument("--company", metavar="CODE", help="company code for files without a company column")
    parser.add_argument("--currency", metavar="CUR", help="currency for files without a currency column")
    parser.add_argument("--as-of", metavar="DATE", type=date.fromisoformat,
                        help="date for rules that need one, e.g. Cassandra rows without a payment day count "
                             "(default: today)")
    parser.add_argument("--date-format", metavar="FMT", help="strptime format replacing the profile's, e.g. %%d.%%m.%%Y")
    parser.add_argument("--decimal", choices=[".", ","], help="decimal separator replacing the profile's")
    parser.add_argument("--kind", default="invoice", choices=["invoice", "payment", "credit_note", "allocation"],
                        help="generic profile: what the rows are when the file has no kind column")
    parser.add_argument("--skip-bad-rows", action="store_true",
                        help="load the good rows and report the bad ones (default: all or nothing)")
    parser.add_argument("--json", action="store_true", help="print the result as one JSON object")
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    from dunning.importers.load import import_file

    if not Path(args.file).is_file():
        raise CommandError(f"{args.file}: no such file")
    try:
        result = import_file(args.file, args.profile, company=args.company, currency=args.currency,
                             skip_bad_rows=args.skip_bad_rows, as_of=args.as_of or date.today(),
                             date_format=args.date_format,
                             decimal=args.decimal, kind=args.kind)
    except ValueError as exc:
        raise CommandError(str(exc)) from None
    if result.committed:  # imported customers get the default procedure, so `dunning run` has work to do
        from dunning.services.setup import ensure_default_setup

        ensure_default_setup()
    if args.json:
        print(json.dumps(result.as_dict(), indent=2))
    else:
        _print_text(result, args.file)
    return 2 if result.rejected_rows else 0


def _print_text(result, path: str) -> None:
    out = sys.stdout
    state = "loaded" if result.committed else "NOTHING loaded"
    print(f"{path}: {state} ({result.format}, encoding {result.encoding}, {result.rows_read} rows read, "
          f"{result.rejected_rows} rejected, {result.seconds:.2f} s)", file=out)
    verb = "" if result.committed else "checked, not written: "
    for key, label in COUNT_NAMES:
        if result.counts.get(key):
            print(f"  {verb}{label}: {result.counts[key]}", file=out)
    for notice in result.notices:
        print(f"{path}:{notice.line}: note: {notice.reason}", file=out)
    for rejection in result.rejected:
        print(f"{path}:{rejection.line}: {rejection.field or 'file'}: {rejection.reason}", file=out)
    hidden = result.rejected_rows - len({r.line for r in result.rejected})
    if hidden > 0:
        print(f"... and {hidden} more rejected rows not listed", file=out)
