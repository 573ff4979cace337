"""`dunning run`: decide today's letters for every company (or one) and hand them to delivery."""
from __future__ import annotations

import argparse
import json
import sys
from datetime import date

from dunning.cli import CommandError
from dunning.core.money import round_money


def iso_date(text: str) -> date:
    """A date argument: ISO YYYY-MM-DD, in each company's own calendar."""
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date; write YYYY-MM-DD") from exc


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "run", help="decide and write the letters due today, then send them",
        description="Evaluate every company (or one) on its own local date, write the letters due, and "
                    "deliver them unless --no-deliver. Running again the same day makes nothing new.")
    parser.add_argument("--as-of", type=iso_date, metavar="DATE",
                        help="run date YYYY-MM-DD (default: each company's own today)")
    parser.add_argument("--company", metavar="CODE", help="only this company")
    parser.add_argument("--dry-run", action="store_true", help="show the letters; record and send nothing")
    parser.add_argument("--no-deliver", action="store_true", help="write the letters but leave them queued")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    from dunning.services.run import RunBusy, UnknownCompany, run_dunning

    try:
        result = run_dunning(as_of=args.as_of, company=args.company, dry_run=args.dry_run,
                             deliver=not args.no_deliver)
    except UnknownCompany as exc:
        raise CommandError(str(exc)) from exc
    except RunBusy as exc:
        raise CommandError(str(exc)) from exc
    if args.json:
        print(json.dumps(run_json(result), indent=2))
    else:
        print(summary_table(result))
    for error in result.errors:
        print(f"dunning run: {error}", file=sys.stderr)
    return 1 if result.errors else 0


def money(amount, currency: str) -> str:
    from dunning.models.money import minor_units

    return str(round_money(amount, currency, {currency: minor_units(currency)}))


def run_json(result) -> dict:
    """{"run", "as_of", "letters": [...]}: amounts as decimal strings in the letter's currency.

    Exactly the fields scripts rely on; `dunning preview --json` gives every figure and reason.
    """
    dates = {c.as_of for c in result.companies}
    as_of = result.as_of or (next(iter(dates)) if len(dates) == 1 else None)
    return {
        "run": result.run_id,
        "as_of": as_of.isoformat() if isinstance(as_of, date) else None,
        "letters": [{
            "company": made.decision.company, "customer": made.decision.customer,
            "currency": made.decision.currency, "level": made.decision.level,
            "total": money(made.decision.total, made.decision.currency),
            "items": [{"invoice": ln.number, "open_amount": money(ln.open_amount, made.decision.currency),
                       "days_overdue": ln.days_overdue, "level": ln.level} for ln in made.decision.lines],
        } for made in result.letters],
    }


def letter_json(decision) -> dict:
    cur = decision.currency
    return {
        "company": decision.company, "customer": decision.customer, "currency": cur,
        "invoice": decision.record.invoice, "level": decision.level, "repeat": decision.repeat,
        "total": money(decision.total, cur), "dunned": money(decision.dunned_total, cur),
        "fee": money(decision.fee, cur), "interest": money(decision.interest, cur),
        "credits": money(-decision.credit_total, cur), "reasons": list(decision.reasons),
        "items": [{"invoice": ln.number, "kind": ln.kind, "open_amount": money(ln.open_amount, cur),
                   "days_overdue": ln.days_overdue, "level": ln.level} for ln in decision.lines],
        "credit_items": [{"number": c.number, "kind": c.kind, "date": c.date.isoformat(),
                          "open_amount": money(c.open_amount, cur)} for c in decision.credits],
    }


def skip_json(skip) -> dict:
    return {"company": skip.company, "customer": skip.customer, "currency": skip.currency, "invoice": skip.invoice,
            "code": skip.code, "reason": skip.reason}


def issue_json(issue) -> dict:
    return {"customer": issue.customer, "invoice": issue.invoice, "problem": issue.problem}


def decisions_json(decisions) -> dict:
    """One company's decisions, for `dunning preview --json`."""
    return {"company": decisions.company, "as_of": decisions.as_of.isoformat(),
            "letters": [letter_json(d) for d in decisions.letters],
            "skipped": [skip_json(s) for s in decisions.skips],
            "data_issues": [issue_json(i) for i in decisions.data_issues]}


def summary_table(result) -> str:
    header = ("Company", "Customer", "Currency", "Level", "Items", "Total")
    rows = [(m.decision.company, m.decision.customer, m.decision.currency, str(m.decision.level),
             str(len(m.decision.lines)), money(m.decision.total, m.decision.currency)) for m in result.letters]
    widths = [max(len(str(cell)) for cell in column) for column in zip(header, *rows)]
    lines = ["  ".join(cell.rjust(w) if i >= 3 else cell.ljust(w) for i, (cell, w) in enumerate(zip(row, widths)))
             for row in (header, *rows)]
    lines.insert(1, "  ".join("-" * w for w in widths))
    what = "dry run (nothing recorded)" if result.dry_run else f"run {result.run_id}"
    days = ", ".join(f"{c.company} {c.as_of}" for c in result.companies)
    skipped = sum(len(c.decisions.skips) for c in result.companies)
    lines.append(f"{what}: {len(result.letters)} letter(s); {skipped} record(s) skipped; dates: {days or '-'}")
    return "\n".join(lines)
