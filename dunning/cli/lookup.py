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
    if company:
        rows = rows.filter(company__code=company)
    found = list(rows[:2])
    if not found:
        where = f" in company {company}" if company else ""
        raise CommandError(f"no customer {number!r}{where}")
    if len(found) > 1:
        raise CommandError(f"customer {number!r} exists in several companies "
                           f"({', '.join(sorted(c.company.code for c in rows))}); give --company")
    return found[0]


def find_invoice(number: str, company: str | None):
    from dunning.models import Invoice

    rows = Invoice.objects.filter(number=number).select_related("company", "customer")
    if company:
        rows = rows.filter(company__code=company)
    found = list(rows[:2])
    if not found:
        where = f" in company {company}" if company else ""
        raise CommandError(f"no invoice {number!r}{where}")
    if len(found) > 1:
        raise CommandError(f"invoice {number!r} exists in several companies "
                           f"({', '.join(sorted(i.company.code for i in rows))}); give --company")
    return found[0]
