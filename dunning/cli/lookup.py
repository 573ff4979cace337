"""Finding the customer or invoice a collector names on the command line.

Customer numbers are text and compared without leading zeros ('0042' is '42'), as the importers
store them. A number that exists in several companies needs --company.
"""
from __future__ import annotations

import os

from dunning.cli import CommandError


def default_actor() -> str:
    return os.environ.get("USER", "system")


def add_actor(parser) -> None:
    parser.add_argument("--actor", default=default_actor(), help="who does this, for the audit trail "
                                                                 "(default: $USER)")


def find_customer(number: str, company: str | None):
    from dunning.models import Customer, customer_key

    rows = Customer.objects.filter(key=customer_key(number)).select_related("company")
    return _only(rows, f"customer {number!r}", company)


def find_invoice(number: str, company: str | None):
    from dunning.models import Invoice

    rows = Invoice.objects.filter(number=number).select_related("company", "customer")
    return _only(rows, f"invoice {number!r}", company)


def _only(rows, what: str, company: str | None):
    """The one row named; a clear error when there is none, or one in each of several companies."""
    if company:
        rows = rows.filter(company__code=company)
    found = list(rows[:2])
    if not found:
        raise CommandError(f"no {what}" + (f" in company {company}" if company else ""))
    if len(found) > 1:
        companies = ", ".join(sorted(row.company.code for row in rows))
        raise CommandError(f"{what} exists in several companies ({companies}); give --company")
    return found[0]
