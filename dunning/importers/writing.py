"""Writing a checked batch: a handful of bulk inserts and lookups per batch, never a query per row."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from dunning.models import Allocation, Company, Credit, Customer, Invoice, customer_key

from .checks import chunks
from .records import RowRecords

BULK = 1000


@dataclass
class BatchWriter:
    companies: dict[str, Company]  # by code; companies this import creates are added
    counts: Counter = field(default_factory=Counter)

    def write(self, rows: list[RowRecords]) -> None:
        if not rows:
            return
        self._ensure_companies(rows)
        customers = self._ensure_customers(rows)
        invoice_ids = self._write_invoices(rows, customers)
        credit_ids = self._write_credits(rows, customers)
        self._write_allocations(rows, invoice_ids, credit_ids)
        self.counts["rows_loaded"] += len(rows)

    def _ensure_companies(self, rows: list[RowRecords]) -> None:
        missing: dict[str, str] = {}
        for row in rows:
            for record in (*row.invoices, *row.credits, *row.allocations):
                if record.company not in self.companies:
                    missing.setdefault(record.company, row.company_currency)
        if not missing:
            return
        for company in Company.objects.filter(code__in=list(missing)):
            self.companies[company.code] = company
            missing.pop(company.code)
        for code, currency in missing.items():
            self.companies[code] = Company.objects.create(code=code, name=code, base_currency=currency or "EUR")
            self.counts["companies_created"] += 1

    def _ensure_customers(self, rows: list[RowRecords]) -> dict[tuple[str, str], int]:
        """Customer id by (company code, customer key); new customers take the first row's name."""
        wanted = {}
        for row in rows:
            for record in (*row.invoices, *row.credits):
                wanted.setdefault((record.company, customer_key(record.customer.number)), record.customer)
        ids = self._customer_ids(wanted)
        new = [Customer(company=self.companies[code], number=c.number, key=key, name=c.name[:200],
                        country=c.country, language=c.language, email=c.email, currency=c.currency)
               for (code, key), c in wanted.items() if (code, key) not in ids]
        if new:
            Customer.objects.bulk_create(new, batch_size=BULK)
            self.counts["customers_created"] += len(new)
            ids.update({(code, key): customer.pk for customer in new
                        for code, key in [(customer.company.code, customer.key)]})
        return ids

    def _customer_ids(self, wanted: dict) -> dict[tuple[str, str], int]:
        by_company: dict[str, list[str]] = {}
        for code, key in wanted:
            by_company.setdefault(code, []).append(key)
        ids = {}
        for code, keys in by_company.items():
            for part in chunks(keys):
                found = Customer.objects.filter(company=self.companies[code], key__in=part)
                ids.update({(code, key): pk for key, pk in found.values_list("key", "id")})
        return ids

    def _write_invoices(self, rows, customers) -> dict[tuple[str, str], int]:
        objects = [Invoice(company=self.companies[i.company],
                           customer_id=customers[(i.company, customer_key(i.customer.number))],
                           number=i.number, issue_date=i.issue_date, due_date=i.due_date, currency=i.currency,
                           amount_minor=i.amount_minor, status=i.status, disputed=i.disputed,
                           dispute_reason=i.dispute_reason, info=i.info)
                   for row in rows for i in row.invoices]
        Invoice.objects.bulk_create(objects, batch_size=BULK)
        self.counts["invoices"] += len(objects)
        return {(o.company.code, o.number): o.pk for o in objects}

    def _write_credits(self, rows, customers) -> dict[tuple[str, str, str], int]:
        objects = [Credit(company=self.companies[c.company],
                          customer_id=customers[(c.company, customer_key(c.customer.number))],
                          number=c.number, kind=c.kind, date=c.date, currency=c.currency,
                          amount_minor=c.amount_minor)
                   for row in rows for c in row.credits]
        Credit.objects.bulk_create(objects, batch_size=BULK)
        for o in objects:
            self.counts["payments" if o.kind == "payment" else "credit_notes"] += 1
        return {(o.company.code, o.kind, o.number): o.pk for o in objects}

    def _write_allocations(self, rows, invoice_ids, credit_ids) -> None:
        allocations = [a for row in rows for a in row.allocations]
        if not allocations:
            return
        invoice_ids = dict(invoice_ids)
        credit_ids = dict(credit_ids)
        self._look_up_ids(allocations, invoice_ids, credit_ids)
        objects = [Allocation(invoice_id=invoice_ids[(a.company, a.invoice_number)],
                              credit_id=credit_ids[(a.company, a.credit_kind, a.credit_number)],
                              date=a.date, amount_minor=a.amount_minor)
                   for a in allocations]
        Allocation.objects.bulk_create(objects, batch_size=BULK)
        self.counts["allocations"] += len(objects)

    def _look_up_ids(self, allocations, invoice_ids, credit_ids) -> None:
        """Ids of invoices and credits written by earlier batches or imports (checked to exist)."""
        invoices: dict[str, set[str]] = {}
        credits: dict[str, set[str]] = {}
        for a in allocations:
            if (a.company, a.invoice_number) not in invoice_ids:
                invoices.setdefault(a.company, set()).add(a.invoice_number)
            if (a.company, a.credit_kind, a.credit_number) not in credit_ids:
                credits.setdefault(a.company, set()).add(a.credit_number)
        for code, numbers in invoices.items():
            for part in chunks(sorted(numbers)):
                found = Invoice.objects.filter(company=self.companies[code], number__in=part)
                invoice_ids.update({(code, n): pk for n, pk in found.values_list("number", "id")})
        for code, numbers in credits.items():
            for part in chunks(sorted(numbers)):
                found = Credit.objects.filter(company=self.companies[code], number__in=part)
                credit_ids.update({(code, k, n): pk for k, n, pk in found.values_list("kind", "number", "id")})
