"""`dunning letters`: list the letters made (by a run, a company or a state), as a table or JSON."""
from __future__ import annotations

import argparse
import json

from dunning.cli import CommandError


def register(subparsers) -> None:
    parser = subparsers.add_parser("letters", help="list letters", description="List letters, newest run last.")
    parser.add_argument("--run", type=int, metavar="ID", help="only the letters of this run")
    parser.add_argument("--company", metavar="CODE", help="only this company")
    parser.add_argument("--state", help="only letters in this state (review, queued, sent, cancelled, ...)")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.add_argument("--csv", metavar="FILE", help="write the letters to a CSV file for a spreadsheet ('-': "
                                                      "standard output); cells that could run as formulas are "
                                                      "neutralised")
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    from django.db.models import Prefetch

    from dunning.models import Letter, LetterItem, Run

    # Items with their invoice joined: prefetching the invoices separately makes one condition per invoice
    # on SQLite past 999 of them, deeper than SQLite parses ("Expression tree is too large").
    items = Prefetch("items", LetterItem.objects.select_related("invoice"))
    letters = Letter.objects.select_related("company", "customer").prefetch_related(items)
    if args.run is not None:
        if not Run.objects.filter(pk=args.run).exists():
            raise CommandError(f"no run with id {args.run}")
        letters = letters.filter(run_id=args.run)
    if args.company:
        letters = letters.filter(company__code=args.company)
    if args.state:
        letters = letters.filter(state=args.state)
    ordered = list(letters.order_by("date", "company__code", "customer__number", "id"))
    rows = [letter_json(letter) for letter in ordered]
    if args.csv:
        return _csv(args.csv, ordered, rows)
    if args.json:
        print(json.dumps({"letters": rows}, indent=2))
    else:
        print(table(rows))
    return 0


CSV_HEADER = ("id", "run", "date", "company", "customer", "customer_name", "currency", "invoice", "level", "state",
              "channels", "dunned", "fee", "interest", "credits", "total", "items", "reasons")


def _csv(target: str, letters: list, rows: list[dict]) -> int:
    import sys

    from dunning.models.money import from_minor
    from dunning.services.export import csv_written

    def cells(letter, row: dict) -> list:
        cur = letter.currency
        return [row["id"], row["run"], row["date"], row["company"], row["customer"], letter.customer.name, cur,
                row["invoice"] or "", row["level"], row["state"], " ".join(row["channels"]),
                *(from_minor(value, cur) for value in (letter.dunned_minor, letter.fee_minor,
                                                        letter.interest_minor, -letter.credit_minor)),
                row["total"], " ".join(i["invoice"] for i in row["items"]), "; ".join(letter.reasons)]

    if target == "-":
        csv_written(sys.stdout, CSV_HEADER, (cells(lt, row) for lt, row in zip(letters, rows)))
        return 0
    with open(target, "w", encoding="utf-8-sig", newline="") as stream:  # the BOM makes Excel read UTF-8
        count = csv_written(stream, CSV_HEADER, (cells(lt, row) for lt, row in zip(letters, rows)))
    print(f"{count} letter(s) written to {target}")
    return 0


def letter_json(letter) -> dict:
    from dunning.models.money import from_minor

    cur = letter.currency

    def amount(minor: int) -> str:
        return str(from_minor(minor, cur))

    return {  # total = dunned + fee + interest + credits (credits negative), as `dunning run --json` shows it
        "id": letter.pk, "run": letter.run_id, "company": letter.company.code, "customer": letter.customer.number,
        "currency": cur, "invoice": letter.invoice_key or None, "date": letter.date.isoformat(),
        "level": letter.level, "state": letter.state, "channels": letter.channels.split(","),
        "total": amount(letter.total_minor), "dunned": amount(letter.dunned_minor), "fee": amount(letter.fee_minor),
        "interest": amount(letter.interest_minor), "credits": amount(-letter.credit_minor),
        "reasons": list(letter.reasons),
        "items": [{"invoice": i.invoice.number, "open_amount": str(from_minor(i.open_minor, cur)),
                   "days_overdue": i.days_overdue, "level": i.level}
                  for i in sorted(letter.items.all(), key=lambda i: i.invoice.number)],
    }


def table(rows: list[dict]) -> str:
    header = ("Id", "Date", "Company", "Customer", "Cur", "Level", "State", "Total")
    cells = [(str(r["id"]), r["date"], r["company"], r["customer"], r["currency"], str(r["level"]), r["state"],
              r["total"]) for r in rows]
    widths = [max(len(c) for c in column) for column in zip(header, *cells)]
    lines = ["  ".join(c.ljust(w) if i not in (0, 5, 7) else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths)))
             for row in (header, *cells)]
    lines.insert(1, "  ".join("-" * w for w in widths))
    lines.append(f"{len(rows)} letter(s)")
    return "\n".join(lines)
