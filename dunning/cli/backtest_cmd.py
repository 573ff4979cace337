"""`dunning backtest`: replay every day of the history and report letters and payments per level."""
from __future__ import annotations

import argparse
import json
from decimal import Decimal

from dunning.cli import CommandError
from dunning.cli.run_cmd import iso_date


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "backtest", help="replay history: letters per level and share paid after each",
        description="Run the procedures on every day from --from to --to as if they had been in use, without "
                    "writing anything, and report how many letters each level would have sent and how many of "
                    "the invoices on them were paid afterwards.")
    parser.add_argument("--from", dest="start", type=iso_date, required=True, metavar="DATE", help="first day")
    parser.add_argument("--to", dest="end", type=iso_date, required=True, metavar="DATE", help="last day")
    parser.add_argument("--company", metavar="CODE", help="only this company")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    from dunning.models import Company
    from dunning.services.backtest import backtest

    if args.company and not Company.objects.filter(code=args.company).exists():
        raise CommandError(f"no company with code {args.company!r}")
    try:
        result = backtest(args.start, args.end, company=args.company)
    except ValueError as exc:
        raise CommandError(str(exc)) from exc
    report = backtest_json(result)
    print(json.dumps(report, indent=2) if args.json else table(report))
    return 0


def backtest_json(result) -> dict:
    return {
        "from": result.start.isoformat(), "to": result.end.isoformat(), "days": result.days,
        "companies": result.companies, "letters": len(result.letters),
        "levels": [{"level": o.level, "letters": o.letters, "invoices": o.invoices, "paid": o.paid,
                    "share_paid": str(o.share_paid) if o.share_paid is not None else None,
                    "avg_days_to_pay": str(o.avg_days_to_pay) if o.avg_days_to_pay is not None else None}
                   for o in result.levels],
    }


def table(report: dict) -> str:
    lines = [f"Backtest {report['from']} .. {report['to']} ({report['days']} days, "
             f"{', '.join(report['companies']) or 'no companies'}): {report['letters']} letter(s)",
             f"{'Level':>5}  {'Letters':>7}  {'Invoices':>8}  {'Paid':>6}  {'Share paid':>10}  {'Avg days':>8}"]
    for row in report["levels"]:
        share = f"{(Decimal(row['share_paid']) * 100).quantize(Decimal('0.1'))} %" if row["share_paid"] else "-"
        lines.append(f"{row['level']:>5}  {row['letters']:>7}  {row['invoices']:>8}  {row['paid']:>6}  "
                     f"{share:>10}  {row['avg_days_to_pay'] or '-':>8}")
    return "\n".join(lines)
