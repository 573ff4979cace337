"""`dunning pause` / `dunning resume`: hold a customer's (or one invoice's) reminders, and lift the hold."""
from __future__ import annotations

import argparse

from dunning.cli import CommandError
from dunning.cli.lookup import add_actor, find_customer, find_invoice
from dunning.cli.run_cmd import iso_date


def register(subparsers) -> None:
    pause = subparsers.add_parser(
        "pause", help="hold reminders to a customer or for one invoice",
        description="Hold every reminder to CUSTOMER (or only for --invoice) until `dunning resume`, or until "
                    "--until has passed: dunning resumes by itself on the day after. Letters already waiting "
                    "are held at the check before delivery and go to review.")
    pause.add_argument("customer", metavar="CUSTOMER", help="customer number (leading zeros do not matter)")
    pause.add_argument("--invoice", metavar="NUMBER", help="pause only this invoice of the customer")
    pause.add_argument("--reason", required=True, help="why, in a few words (shown on every skipped decision)")
    pause.add_argument("--detail", default="", help="longer note, kept with the pause")
    pause.add_argument("--until", type=iso_date, metavar="DATE", help="last day of the pause (YYYY-MM-DD)")
    pause.add_argument("--company", metavar="CODE", help="the customer's company, when the number is in several")
    add_actor(pause)
    pause.set_defaults(handler=pause_handler)

    resume = subparsers.add_parser("resume", help="lift a pause",
                                   description="Lift the pause of CUSTOMER (or of one --invoice).")
    resume.add_argument("customer", metavar="CUSTOMER")
    resume.add_argument("--invoice", metavar="NUMBER")
    resume.add_argument("--company", metavar="CODE")
    add_actor(resume)
    resume.set_defaults(handler=resume_handler)


def _target(args: argparse.Namespace):
    customer = find_customer(args.customer, args.company)
    if not args.invoice:
        return customer, f"customer {customer.number}"
    invoice = find_invoice(args.invoice, customer.company.code)
    if invoice.customer_id != customer.pk:
        raise CommandError(f"invoice {invoice.number} belongs to customer {invoice.customer.number}, "
                           f"not {customer.number}")
    return invoice, f"invoice {invoice.number} of customer {customer.number}"


def pause_handler(args: argparse.Namespace) -> int:
    from django.utils import timezone

    from dunning.selectors.company_date import company_today
    from dunning.services.pause import PauseError, customer_pause, invoice_pause

    row, what = _target(args)
    today = company_today(row.company, timezone.now())
    pause = customer_pause if what.startswith("customer") else invoice_pause
    try:
        pause(row, args.reason, detail=args.detail, until=args.until, actor=args.actor, today=today)
    except PauseError as exc:
        raise CommandError(str(exc)) from None
    until = f" until {args.until} (dunning resumes on the day after)" if args.until else " until resumed"
    print(f"paused {what}{until}: {args.reason}")
    return 0


def resume_handler(args: argparse.Namespace) -> int:
    from dunning.services.pause import customer_resume, invoice_resume

    row, what = _target(args)
    if not row.paused:
        print(f"{what} was not paused")
        return 0
    (customer_resume if what.startswith("customer") else invoice_resume)(row, args.actor)
    print(f"resumed {what}")
    return 0
