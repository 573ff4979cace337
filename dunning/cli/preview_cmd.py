"""`dunning preview`: what the run would decide on a date, and why, for every record. Nothing is recorded.

The same evaluation as `dunning run`, for a past or future date (a forecast), for one company or
one customer: each letter with its items and levels and the reason for its level, and each record
that gets nothing with the reason in a collector's words ("paused until 2026-12-10", "last letter
3 days ago; minimum interval 7 days", "net balance is a credit of 100.00").
"""
from __future__ import annotations

import argparse
import json

from dunning.cli import CommandError
from dunning.cli.lookup import find_customer
from dunning.cli.run_cmd import decisions_json, iso_date, money


def register(subparsers) -> None:
    parser = subparsers.add_parser("preview", help="what a run would decide on a date, with the reasons",
                                   description=__doc__.split("\n\n")[1].replace("\n", " "))
    parser.add_argument("--as-of", type=iso_date, metavar="DATE",
                        help="date to evaluate YYYY-MM-DD (default: each company's own today)")
    parser.add_argument("--company", metavar="CODE", help="only this company")
    parser.add_argument("--customer", metavar="NUMBER", help="only this customer (leading zeros do not matter)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    from dunning.services.run import UnknownCompany, run_dunning

    company, customer_ids = args.company, None
    if args.customer:
        customer = find_customer(args.customer, args.company)
        company, customer_ids = customer.company.code, [customer.pk]
    try:
        result = run_dunning(as_of=args.as_of, company=company, dry_run=True, customer_ids=customer_ids)
    except UnknownCompany as exc:
        raise CommandError(str(exc)) from exc
    if args.json:
        print(json.dumps({"as_of": args.as_of.isoformat() if args.as_of else None,
                          "companies": [decisions_json(c.decisions) for c in result.companies]}, indent=2))
        return 0
    for company_run in result.companies:
        print(explained(company_run.decisions))
    return 1 if result.errors else 0


def explained(decisions) -> str:
    """A page a collector reads: each letter with its lines and reasons, then who gets nothing and why."""
    lines = [f"{decisions.company} as of {decisions.as_of}: {len(decisions.letters)} letter(s), "
             f"{len(decisions.skips)} record(s) without a letter, {len(decisions.data_issues)} data problem(s)"]
    if not (decisions.letters or decisions.skips or decisions.data_issues):
        lines.append("  nothing open or overdue on this date")
    for letter in decisions.letters:
        what = f" invoice {letter.record.invoice}" if letter.record.invoice else ""
        lines.append(f"  {letter.customer}{what} {letter.currency}: level {letter.level}"
                     f"{' (repeat)' if letter.repeat else ''}, total {money(letter.total, letter.currency)}"
                     f" - {'; '.join(letter.reasons)}")
        for ln in letter.lines:
            lines.append(f"      {ln.number}  due {ln.due_date}  {ln.days_overdue} days  "
                         f"{money(ln.open_amount, letter.currency)}  level {ln.level}")
        for credit in letter.credits:
            lines.append(f"      {credit.number}  {credit.kind.replace('_', ' ')} of {credit.date}  "
                         f"{money(credit.open_amount, letter.currency)}")
    for skip in decisions.skips:
        record = " ".join(x for x in (skip.customer, skip.invoice and f"invoice {skip.invoice}", skip.currency) if x)
        lines.append(f"  {record}: nothing - {skip.reason}")
    for issue in decisions.data_issues:
        lines.append(f"  {issue.customer} {issue.invoice}: data problem - {issue.problem.replace('_', ' ')}")
    return "\n".join(lines)
