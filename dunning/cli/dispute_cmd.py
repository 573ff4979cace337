"""`dunning dispute INVOICE --reason ...` / `--resolved`: an invoice the customer contests is not dunned."""
from __future__ import annotations

import argparse

from dunning.cli import CommandError
from dunning.cli.lookup import add_actor, find_invoice


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "dispute", help="record or resolve a customer's dispute of an invoice",
        description="A disputed invoice is never dunned; letters show it as 'under review', outside the amount "
                    "due. --resolved lifts the dispute: the next run duns it again, remembering its level.")
    parser.add_argument("invoice", metavar="INVOICE", help="invoice number")
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--reason", help="the customer's reason, in a few words")
    group.add_argument("--resolved", metavar="HOW", nargs="?", const="", help="the dispute is settled (how, "
                                                                              "optionally)")
    parser.add_argument("--company", metavar="CODE", help="the invoice's company, when the number is in several")
    add_actor(parser)
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    from dunning.services.dispute import DisputeError, invoice_dispute, invoice_dispute_resolve

    invoice = find_invoice(args.invoice, args.company)
    if args.resolved is not None:
        if not invoice.disputed:
            print(f"invoice {invoice.number} was not disputed")
            return 0
        invoice_dispute_resolve(invoice, args.resolved, args.actor)
        print(f"dispute of invoice {invoice.number} resolved; it is dunned again from the next run")
        return 0
    try:
        invoice_dispute(invoice, args.reason, args.actor)
    except DisputeError as exc:
        raise CommandError(str(exc)) from None
    print(f"invoice {invoice.number} disputed: {args.reason}")
    return 0
