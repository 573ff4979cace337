"""Write the demo data set into the database: all of it in one transaction, or nothing.

The demo is loaded once per database: when its companies are already there, nothing is written
(so `dunning demo` can be run again on the same database, and the run itself makes no second
letter for the same day).
"""
from __future__ import annotations

from django.db import transaction

from dunning.models import Allocation, Company, Contact, Credit, Customer, ExchangeRate, Invoice, customer_key
from dunning.models.money import to_minor

from .generate import DemoData


def demo_loaded(data: DemoData) -> bool:
    return Company.objects.filter(code__in=[c.code for c in data.companies]).exists()


@transaction.atomic
def load_demo(data: DemoData) -> int:
    """Load `data` unless its companies exist already; returns the number of invoices written."""
    if demo_loaded(data):
        return 0
    companies = {c.code: Company.objects.create(
        code=c.code, name=c.name, base_currency=c.base_currency, timezone=c.timezone, language=c.language,
        address="\n".join(c.address), sender_email=c.sender_email, reply_to=c.reply_to,
        payment_instructions=c.payment_instructions) for c in data.companies}

    customers = Customer.objects.bulk_create([Customer(
        company=companies[c.company], number=c.number, key=customer_key(c.number), name=c.name,
        address="\n".join(c.address), country=c.country, language=c.language, currency=c.currency, email=c.email,
        tags=c.tags, paused=bool(c.pause_reason), pause_reason=c.pause_reason, pause_detail=c.pause_detail,
        pause_until=c.pause_until) for c in data.customers])
    by_number = {(row.company.code, row.number): row for row in customers}
    Contact.objects.bulk_create([Contact(customer=by_number[(c.company, c.number)], name=name, email=email, role=role,
                                         from_level=level)
                                 for c in data.customers for name, email, role, level in c.contacts])

    invoices = Invoice.objects.bulk_create([Invoice(
        company=companies[i.company], customer=by_number[(i.company, i.customer)], number=i.number,
        issue_date=i.issue_date, due_date=i.due_date, currency=i.currency,
        amount_minor=to_minor(i.amount, i.currency), status=i.status, disputed=i.disputed,
        dispute_reason=i.dispute_reason) for i in data.invoices], batch_size=500)
    invoice_rows = {(row.company.code, row.number): row for row in invoices}

    credits = Credit.objects.bulk_create([Credit(
        company=companies[c.company], customer=by_number[(c.company, c.customer)], number=c.number, kind=c.kind,
        date=c.date, currency=c.currency, amount_minor=to_minor(c.amount, c.currency)) for c in data.credits],
        batch_size=500)
    Allocation.objects.bulk_create([
        Allocation(invoice=invoice_rows[(invoice.company, invoice.number)], credit=row, date=day,
                   amount_minor=to_minor(amount, credit.currency))
        for credit, row in zip(data.credits, credits) for invoice, amount, day in credit.allocations],
        batch_size=500)

    ExchangeRate.objects.bulk_create([ExchangeRate(date=day, base=base, quote=quote, rate=rate)
                                      for day, base, quote, rate in data.rates], ignore_conflicts=True)
    return len(invoices)
