"""Checks of a batch of rows against each other and the database, a few queries per batch.

Rows of earlier batches of the same import are already written (inside the import's
transaction), so "already in the database" and "earlier in this file" are told apart by the
row ids the import started from. A failed row is dropped whole: none of its records count for
the rows after it.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from django.db.models import Sum

from dunning.models import Allocation, Company, Credit, Invoice, customer_key
from dunning.models.money import from_minor

from .records import AllocationRecord, RowRecords

CHUNK = 500


def chunks(values: list, size: int = CHUNK):
    for start in range(0, len(values), size):
        yield values[start:start + size]


@dataclass
class Outcome:
    """Rows that pass, rows that fail with their problems, and exact repeats skipped by the profile's rule."""

    good: list[RowRecords] = field(default_factory=list)
    failed: list[tuple[RowRecords, list[tuple[str, str]]]] = field(default_factory=list)
    skipped: list[tuple[RowRecords, str]] = field(default_factory=list)


@dataclass
class Target:
    """An invoice or credit an allocation points at, with what is still unallocated of it."""

    company: str
    number: str
    currency: str
    customer: str  # customer key
    amount_minor: int
    allocated_minor: int
    issue_date: date | None = None
    record: object = None
    id: int | None = None

    @property
    def open_minor(self) -> int:
        return self.amount_minor - self.allocated_minor


@dataclass
class BatchChecker:
    companies: dict[str, Company]  # existing companies by code
    start_invoice_id: int
    start_credit_id: int
    exact_duplicates: str
    columns: dict[str, str]  # our field -> file column, for naming the field of a problem

    def check(self, rows: list[RowRecords]) -> Outcome:
        outcome = Outcome()
        invoice_seen = self._existing_invoices(rows)
        credit_seen = self._existing_credits(rows)
        invoice_targets, credit_targets = self._targets(rows)
        for row in rows:
            problems: list[tuple[str, str]] = []
            skip = self._invoice_duplicates(row, invoice_seen, problems)
            if skip:
                outcome.skipped.append((row, skip))
                continue
            if not problems:
                self._credit_duplicates(row, credit_seen, problems)
            if not problems:
                self._allocations(row, invoice_targets, credit_targets, problems)
            if problems:
                outcome.failed.append((row, problems))
            else:
                outcome.good.append(row)
        return outcome

    # -- duplicates -----------------------------------------------------------------------------------

    def _company_id(self, code: str) -> int | None:
        company = self.companies.get(code)
        return company.id if company else None

    def _existing_invoices(self, rows: list[RowRecords]) -> dict[tuple[str, str], tuple[str, object]]:
        """(company, number) -> ("db", None) or ("line", (line, row_sha)) for invoices already written."""
        wanted: dict[str, set[str]] = defaultdict(set)
        for row in rows:
            for invoice in row.invoices:
                if self._company_id(invoice.company):
                    wanted[invoice.company].add(invoice.number)
        seen: dict[tuple[str, str], tuple[str, object]] = {}
        for code, numbers in wanted.items():
            for part in chunks(sorted(numbers)):
                found = Invoice.objects.filter(company_id=self._company_id(code), number__in=part)
                for number, pk, info in found.values_list("number", "id", "info"):
                    if pk > self.start_invoice_id:
                        source = (info or {}).get("source", {})
                        seen[(code, number)] = ("line", (source.get("line"), (info or {}).get("row_sha")))
                    else:
                        seen[(code, number)] = ("db", None)
        return seen

    def _invoice_duplicates(self, row: RowRecords, seen: dict, problems: list) -> str | None:
        """Note duplicate invoice numbers; returns a notice when the row is an exact repeat to skip."""
        for invoice in row.invoices:
            key = (invoice.company, invoice.number)
            where = seen.get(key)
            if where is None:
                continue
            column = self.columns.get("invoice", "invoice")
            if where[0] == "db":
                problems.append((column, f"invoice {invoice.number} is already in the database"))
                continue
            line, sha = where[1]
            if sha == row.row_sha and self.exact_duplicates == "skip":
                return f"exact duplicate of line {line}; skipped"
            if sha == row.row_sha:
                problems.append((column, f"exact duplicate of line {line}"))
            else:
                problems.append((column, f"invoice number {invoice.number} is also on line {line}"))
        if not problems:
            for invoice in row.invoices:
                seen[(invoice.company, invoice.number)] = ("line", (row.line, row.row_sha))
        return None

    def _existing_credits(self, rows: list[RowRecords]) -> dict[tuple[str, str, str], str]:
        wanted: dict[str, set[tuple[str, str]]] = defaultdict(set)
        for row in rows:
            for credit in row.credits:
                if self._company_id(credit.company):
                    wanted[credit.company].add((credit.kind, credit.number))
        seen: dict[tuple[str, str, str], str] = {}
        for code, keys in wanted.items():
            numbers = sorted({number for _, number in keys})
            for part in chunks(numbers):
                found = Credit.objects.filter(company_id=self._company_id(code), number__in=part)
                for kind, number, pk in found.values_list("kind", "number", "id"):
                    seen[(code, kind, number)] = "in this file" if pk > self.start_credit_id else "in the database"
        return seen

    def _credit_duplicates(self, row: RowRecords, seen: dict, problems: list) -> None:
        for credit in row.credits:
            key = (credit.company, credit.kind, credit.number)
            if key in seen:
                where = seen[key] if not isinstance(seen[key], int) else f"on line {seen[key]}"
                problems.append((self.columns.get("number", "number"),
                                 f"{credit.kind.replace('_', ' ')} {credit.number} is already {where}"))
        if not problems:
            for credit in row.credits:
                seen[(credit.company, credit.kind, credit.number)] = row.line

    # -- allocations ----------------------------------------------------------------------------------

    def _targets(self, rows: list[RowRecords]):
        """What allocations of this batch point at: invoices and credits in the batch or the database."""
        invoices: dict[tuple[str, str], Target] = {}
        credits: dict[tuple[str, str, str], Target] = {}
        wanted_invoices: dict[str, set[str]] = defaultdict(set)
        wanted_credits: dict[str, set[str]] = defaultdict(set)
        in_batch_invoices = {(i.company, i.number) for row in rows for i in row.invoices}
        in_batch_credits = {(c.company, c.kind, c.number) for row in rows for c in row.credits}
        for row in rows:
            for a in row.allocations:
                if (a.company, a.invoice_number) not in in_batch_invoices and self._company_id(a.company):
                    wanted_invoices[a.company].add(a.invoice_number)
                if (a.company, a.credit_kind, a.credit_number) not in in_batch_credits and self._company_id(a.company):
                    wanted_credits[a.company].add(a.credit_number)
        for code, numbers in wanted_invoices.items():
            for part in chunks(sorted(numbers)):
                found = Invoice.objects.filter(company_id=self._company_id(code), number__in=part)
                for inv in found.select_related("customer"):
                    invoices[(code, inv.number)] = Target(code, inv.number, inv.currency, inv.customer.key,
                                                          inv.amount_minor, 0, inv.issue_date, id=inv.id)
        for code, numbers in wanted_credits.items():
            for part in chunks(sorted(numbers)):
                found = Credit.objects.filter(company_id=self._company_id(code), number__in=part)
                for cr in found.select_related("customer"):
                    credits[(code, cr.kind, cr.number)] = Target(code, cr.number, cr.currency, cr.customer.key,
                                                                 cr.amount_minor, 0, id=cr.id)
        self._add_allocated(invoices, "invoice_id")
        self._add_allocated(credits, "credit_id")
        return invoices, credits

    @staticmethod
    def _add_allocated(targets: dict, column: str) -> None:
        by_id = {t.id: t for t in targets.values()}
        for part in chunks(sorted(by_id)):
            sums = (Allocation.objects.filter(**{f"{column}__in": part}).values(column)
                    .annotate(total=Sum("amount_minor")))
            for entry in sums:
                by_id[entry[column]].allocated_minor = entry["total"] or 0

    def _allocations(self, row: RowRecords, invoices: dict, credits: dict, problems: list) -> None:
        added_invoices = [(i.company, i.number) for i in row.invoices if (i.company, i.number) not in invoices]
        added_credits = [(c.company, c.kind, c.number) for c in row.credits
                         if (c.company, c.kind, c.number) not in credits]
        for inv in row.invoices:
            invoices.setdefault((inv.company, inv.number), Target(
                inv.company, inv.number, inv.currency, customer_key(inv.customer.number), inv.amount_minor, 0,
                inv.issue_date, record=inv))
        for cr in row.credits:
            credits.setdefault((cr.company, cr.kind, cr.number), Target(
                cr.company, cr.number, cr.currency, customer_key(cr.customer.number), cr.amount_minor, 0, record=cr))
        taken: list[tuple[Target, Target, int]] = []
        for a in row.allocations:
            invoice = invoices.get((a.company, a.invoice_number))
            credit = credits.get((a.company, a.credit_kind, a.credit_number))
            reason = self._allocation_problem(a, invoice, credit)
            if reason:
                problems.append(reason)
            else:
                taken.append((invoice, credit, a.amount_minor))
        if problems:  # a failed row's own invoices and credits are not there for later rows
            for key in added_invoices:
                invoices.pop(key, None)
            for key in added_credits:
                credits.pop(key, None)
            return
        for invoice, credit, minor in taken:
            invoice.allocated_minor += minor
            credit.allocated_minor += minor

    def _allocation_problem(self, a: AllocationRecord, invoice: Target | None,
                            credit: Target | None) -> tuple[str, str] | None:
        kind = a.credit_kind.replace("_", " ")
        inv_col = self.columns.get("invoice", "invoice")
        if invoice is None:
            return inv_col, f"invoice {a.invoice_number} is neither in this file (on or before this line) nor in the database"
        if credit is None:
            return self.columns.get("number", "number"), f"{kind} {a.credit_number} is neither in this file nor in the database"
        if invoice.currency != credit.currency:
            return inv_col, f"invoice {invoice.number} is in {invoice.currency}, the {kind} in {credit.currency}"
        if invoice.customer != credit.customer:
            return inv_col, f"invoice {invoice.number} belongs to another customer than the {kind}"
        date_col = self.columns.get("date") or self.columns.get("settled_date") or "date"
        if invoice.issue_date and a.date < invoice.issue_date:
            return date_col, f"{kind} dated {a.date} is before the invoice date {invoice.issue_date}"
        if a.amount_minor > invoice.open_minor:
            return (self.columns.get("amount", "amount"),
                    (f"allocates {from_minor(a.amount_minor, a.currency)} but invoice {invoice.number} has only "
                     f"{from_minor(invoice.open_minor, a.currency)} open"))
        if a.amount_minor > credit.open_minor:
            return (self.columns.get("amount", "amount"),
                    (f"allocates {from_minor(a.amount_minor, a.currency)} but {kind} {credit.number} has only "
                     f"{from_minor(credit.open_minor, a.currency)} left"))
        return None
