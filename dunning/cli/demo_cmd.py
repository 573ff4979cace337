"""`dunning demo`: load a generated data set, run the dunning run, write the letters to a folder.

The shortest way to see the product work: three companies (EUR, USD and CAD, JPY), ~60 customers
in five languages, ~400 invoices with payments and credit notes. The demo data is loaded once per
database; running the command again on the same database loads nothing and makes no second
letter for the same day (start over by deleting the database file).
"""
from __future__ import annotations

import argparse
import unicodedata
from collections import Counter, defaultdict
from datetime import date
from pathlib import Path

from dunning.cli import CommandError

DEFAULT_OUT = "dunning-demo-letters"


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "demo", help="load demo data, run, write letters to a folder",
        description="Load a generated demo data set (3 companies, ~60 customers, ~400 invoices), run the "
                    "dunning run for the as-of date and write each letter as PDF and .eml into a folder.")
    parser.add_argument("--as-of", type=_iso_date, default=None, metavar="DATE",
                        help="run date, YYYY-MM-DD (default: today); the data is dated relative to it")
    parser.add_argument("--out", default=DEFAULT_OUT, metavar="FOLDER",
                        help=f"where the letters go (default: ./{DEFAULT_OUT})")
    parser.add_argument("--seed", type=int, default=None, help="generator seed (default: a fixed one)")
    parser.set_defaults(handler=handle)


def _iso_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None


def handle(args) -> int:
    from django.db import connection

    from dunning.demo.generate import SEED, generate
    from dunning.demo.load import load_demo
    from dunning.services.setup import ensure_default_setup

    as_of = args.as_of or date.today()
    out = Path(args.out).resolve()
    data = generate(as_of, seed=SEED if args.seed is None else args.seed)
    loaded = load_demo(data)
    if loaded:
        print(f"Loaded demo data into {_where(connection)}: {len(data.companies)} companies, "
              f"{len(data.customers)} customers, {loaded} invoices, {len(data.credits)} payments and credit notes.")
    else:
        print(f"Demo data already in {_where(connection)}; nothing loaded (delete the database to start over).")
    ensure_default_setup()

    codes = [c.code for c in data.companies]
    skipped = _run_and_deliver(codes, as_of, out)
    _print_summary(codes, as_of, out, skipped)
    return 0


def _run_and_deliver(codes: list[str], as_of: date, out: Path) -> Counter:
    """Run each demo company (never others in the same database) and deliver its letters to the folder."""
    from dunning.delivery.outbox import FolderOutbox
    from dunning.delivery.send import deliver_queued
    from dunning.services.run import run_dunning

    outbox = FolderOutbox(out)
    skipped: Counter = Counter()
    for code in codes:
        result = run_dunning(as_of=as_of, company=code, deliver=False)
        if result.errors:
            raise CommandError("the run failed: " + "; ".join(result.errors))
        for company_run in result.companies:
            skipped.update(skip.code for skip in company_run.decisions.skips)
            skipped.update(issue.problem for issue in company_run.decisions.data_issues)
        if result.run_id is not None:
            deliver_queued(result.run_id, transport=outbox)
    return skipped


def _print_summary(codes: list[str], as_of: date, out: Path, skipped: Counter) -> None:
    from dunning.models import Company, Letter
    from dunning.models.money import from_minor

    letters = (Letter.objects.filter(company__code__in=codes, date=as_of).exclude(state="superseded")
               .values_list("company__code", "currency", "level", "state", "dunned_minor", "total_minor"))
    levels = sorted({row[2] for row in letters}) or [1, 2, 3]
    table: dict[tuple[str, str], dict] = defaultdict(lambda: {"levels": Counter(), "dunned": 0, "total": 0})
    states: Counter = Counter()
    for code, currency, level, state, dunned, total in letters:
        row = table[(code, currency)]
        row["levels"][level] += 1
        row["dunned"] += dunned
        row["total"] += total
        states[state] += 1
    names = dict(Company.objects.filter(code__in=codes).values_list("code", "name"))

    header = ["Company", "Currency", *[f"Level {n}" for n in levels], "Letters", "Dunned", "Letter totals"]
    rows = []
    for (code, currency), row in sorted(table.items()):
        rows.append([f"{code} {names[code]}", currency, *[str(row["levels"][n]) for n in levels],
                     str(sum(row["levels"].values())), f"{from_minor(row['dunned'], currency):,}",
                     f"{from_minor(row['total'], currency):,}"])
    print(f"\nDunning run as of {as_of.isoformat()}:\n")
    _print_table(header, rows, right_from=2)
    print("\nLetter states: " + (", ".join(f"{state} {n}" for state, n in sorted(states.items())) or "no letters"))
    if skipped:
        print("Not dunned today: " + ", ".join(f"{code.replace('_', ' ')} {n}" for code, n in sorted(skipped.items())))
    pdfs = sorted(out.rglob("*.pdf")) if out.is_dir() else []
    print(f"\nLetters (PDF and .eml, by company and customer): {out}")
    if pdfs:
        print(f"  e.g. {pdfs[0]}")


def _print_table(header: list[str], rows: list[list[str]], right_from: int) -> None:
    widths = [max(_width(r[i]) for r in [header, *rows]) for i in range(len(header))]

    def line(cells: list[str]) -> str:
        padded = [" " * (w - _width(c)) + c if i >= right_from else c + " " * (w - _width(c))
                  for i, (c, w) in enumerate(zip(cells, widths))]
        return "  ".join(padded).rstrip()

    print(line(header))
    print("  ".join("-" * w for w in widths))
    for row in rows:
        print(line(row))


def _width(text: str) -> int:
    """Columns a terminal gives the text: CJK characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _where(connection) -> str:
    settings = connection.settings_dict
    if connection.vendor == "sqlite":
        return str(settings["NAME"])
    return f"{connection.vendor} database {settings['NAME']} on {settings.get('HOST') or 'localhost'}"
