"""The shared factories make rows with exact, realistic values (and the PostgreSQL pass sees them too)."""
from datetime import date
from decimal import Decimal

import pytest
from django.db import connection


def test_invoice_factory_stores_money_in_minor_units(invoice, customer, company):
    euro = invoice(amount="1190.00")  # makes the default company and customer on first use
    tokyo = company(code="KK-JP", base_currency="JPY", timezone="Asia/Tokyo")
    yen = invoice(customer(company=tokyo, language="ja"), amount="123456", due_date=date(2026, 10, 1))

    assert (yen.currency, yen.amount_minor, yen.amount) == ("JPY", 123456, Decimal("123456"))
    assert (euro.currency, euro.amount_minor, euro.amount) == ("EUR", 119000, Decimal("1190.00"))
    assert euro.issue_date == date(2026, 10, 3) and euro.number == "INV-1001"


def test_credit_factory_allocates_on_its_date(invoice, credit):
    bill = invoice(amount="500.00")
    payment = credit(bill.customer, amount="200.00", date=date(2026, 11, 20), allocate=[(bill, "150.00")])

    (allocation,) = bill.allocations.all()
    assert (allocation.amount_minor, allocation.date, allocation.credit_id) == (15000, date(2026, 11, 20), payment.id)


@pytest.mark.postgres
def test_postgres_marker_runs_on_postgres(db):
    assert connection.vendor == "postgresql"
