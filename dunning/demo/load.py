"""Write the demo data set into the database: all of it in one transaction, or nothing.

The receivables go in the way a customer's would: as a CSV file in the generic layout, through
`dunning.importers.load.import_file`. What that layout has no column for (letterheads, envelope
addresses, pauses, extra contacts, exchange rates) is set on the imported rows afterwards.

The demo is loaded once per database: when its companies are already there, nothing is written
(so `dunning demo` can run again on the same database; the run then makes no second letter for
the same day).
"""
from __future__ import annotations

import csv
import tempfile
from pathlib import Path

from django.db import transaction

from dunning.importers.load import import_file
from dunning.models import Company, Contact, Customer, ExchangeRate, customer_key

from .generate import DemoData

COLUMNS = ["kind", "company", "customer", "customer_name", "email", "language", "country", "invoice", "number",
           "issue_date", "due_date", "date", "currency", "amount", "allocated", "status", "disputed",
           "dispute_reason"]


class DemoLoadError(Exception):
    """The importer refused the generated file: a bug in the generator or the importer."""


def demo_loaded(data: DemoData) -> bool:
    return Company.objects.filter(code__in=[c.code for c in data.companies]).exists()


def write_csv(data: DemoData, folder: Path) -> list[Path]:
    """The receivables in the generic layout: invoices with the payments and credit notes set against
    them, then the unallocated ones (the customers' open credit) in a second file without an invoice column."""
    customers = {(c.company, c.number): c for c in data.customers}
    rows = []
    for i in data.invoices:
        who = customers[(i.company, i.customer)]
        rows.append({"kind": "invoice", "company": i.company, "customer": i.customer, "customer_name": who.name,
                     "email": who.email, "language": who.language, "country": who.country, "invoice": i.number,
                     "issue_date": i.issue_date.isoformat(), "due_date": i.due_date.isoformat() if i.due_date else "",
                     "currency": i.currency, "amount": str(i.amount), "status": i.status,
                     "disputed": "yes" if i.disputed else "", "dispute_reason": i.dispute_reason})
    open_credit = []
    for c in sorted(data.credits, key=lambda c: (c.company, c.date, c.number)):
        row = {"kind": c.kind, "company": c.company, "customer": c.customer, "number": c.number,
               "date": c.date.isoformat(), "currency": c.currency, "amount": str(c.amount)}
        for invoice, amount, _day in c.allocations:  # the generator dates an allocation on its credit's day
            row.update(invoice=invoice.number, allocated=str(amount))
        (rows if c.allocations else open_credit).append(row)
    return [_written(folder / "demo-receivables.csv", COLUMNS, rows),
            _written(folder / "demo-open-credit.csv", [c for c in COLUMNS if c not in ("invoice", "allocated")],
                     open_credit)]


def _written(path: Path, columns: list[str], rows: list[dict]) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as fh:
        out = csv.DictWriter(fh, columns)
        out.writeheader()
        out.writerows(rows)
    return path


@transaction.atomic
def load_demo(data: DemoData) -> int:
    """Load `data` unless its companies exist already; returns the number of invoices imported."""
    if demo_loaded(data):
        return 0
    Company.objects.bulk_create([Company(
        code=c.code, name=c.name, base_currency=c.base_currency, timezone=c.timezone, language=c.language,
        address="\n".join(c.address), sender_email=c.sender_email, reply_to=c.reply_to,
        payment_instructions=c.payment_instructions) for c in data.companies])

    invoices = 0
    with tempfile.TemporaryDirectory(prefix="dunning-demo-") as folder:
        for path in write_csv(data, Path(folder)):
            result = import_file(path, "generic")
            if not result.committed or not result.ok:
                first = "; ".join(f"line {line} {field}: {reason}" for line, field, reason in result.errors[:5])
                raise DemoLoadError(f"the importer refused {path.name} ({result.rejected_rows} rows): {first}")
            invoices += result.counts.get("invoices", 0)

    _customers_completed(data)
    ExchangeRate.objects.bulk_create([ExchangeRate(date=day, base=base, quote=quote, rate=rate)
                                      for day, base, quote, rate in data.rates], ignore_conflicts=True)
    return invoices


def _customers_completed(data: DemoData) -> None:
    """Envelope address, currency, tags, pause and contacts: what the generic layout does not carry."""
    rows = {(row.company.code, row.key): row for row in Customer.objects.filter(
        company__code__in=[c.code for c in data.companies]).select_related("company")}
    changed, contacts = [], []
    for c in data.customers:
        row = rows[(c.company, customer_key(c.number))]
        row.address, row.currency, row.tags = "\n".join(c.address), c.currency, c.tags
        row.paused, row.pause_reason, row.pause_detail = bool(c.pause_reason), c.pause_reason, c.pause_detail
        row.pause_until = c.pause_until
        changed.append(row)
        contacts += [Contact(customer=row, name=name, email=email, role=role, from_level=level)
                     for name, email, role, level in c.contacts]
    Customer.objects.bulk_update(changed, ["address", "currency", "tags", "paused", "pause_reason", "pause_detail",
                                           "pause_until"])
    Contact.objects.bulk_create(contacts)
