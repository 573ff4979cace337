"""What one source row stands for, parsed and checked on its own, before the database is asked."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date


@dataclass(frozen=True)
class Rejection:
    """A row (or the file) that could not be imported, and why. line 0: the file as a whole."""

    file: str
    line: int
    field: str
    reason: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.field or 'file'}: {self.reason}"


@dataclass
class CustomerRecord:
    company: str
    number: str
    name: str = ""
    country: str = ""
    language: str = ""
    email: str = ""
    currency: str = ""


@dataclass
class InvoiceRecord:
    company: str
    customer: CustomerRecord
    number: str
    issue_date: date | None
    due_date: date | None
    currency: str
    amount_minor: int
    status: str = "open"
    disputed: bool = False
    dispute_reason: str = ""
    info: dict = field(default_factory=dict)


@dataclass
class CreditRecord:
    """A payment or credit note (amount positive)."""

    company: str
    customer: CustomerRecord
    kind: str  # "payment" | "credit_note"
    number: str
    date: date
    currency: str
    amount_minor: int


@dataclass
class AllocationRecord:
    """Part of a credit applied to an invoice on a date; either side may be in this file or the database."""

    company: str
    credit_kind: str
    credit_number: str
    invoice_number: str
    date: date
    amount_minor: int
    currency: str


@dataclass
class RowRecords:
    """Everything one row stands for. A row is imported whole or not at all."""

    line: int
    row_sha: str
    company_currency: str = ""
    invoices: list[InvoiceRecord] = field(default_factory=list)
    credits: list[CreditRecord] = field(default_factory=list)
    allocations: list[AllocationRecord] = field(default_factory=list)
