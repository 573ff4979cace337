"""One source row to the records it stands for, with every problem of the row reported at once.

A row is checked on its own here (formats, signs, currencies, dates in order); what needs the
rest of the file or the database (duplicates, allocations to invoices elsewhere) is checked per
batch in `checks`.
"""
from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING

from . import parsing
from .parsing import FieldError
from .records import AllocationRecord, CreditRecord, CustomerRecord, InvoiceRecord, RowRecords

if TYPE_CHECKING:
    from .profiles import Profile

LIMITS = {"customer": 64, "invoice": 64, "number": 64, "customer_name": 200, "country": 32, "language": 16,
          "company": 32, "email": 254, "dispute_reason": 200}


@dataclass
class Options:
    """What the person importing chose; profile defaults fill the rest."""

    file_name: str
    company: str | None = None
    currency: str | None = None
    as_of: date | None = None
    date_formats: tuple[str, ...] = ()
    decimal: str = "."
    kind: str = "invoice"


class RowProblems(Exception):
    def __init__(self, problems: list[tuple[str, str]]):
        super().__init__(problems)
        self.problems = problems


@dataclass
class RowReader:
    """Reads our fields from one source row through the profile's column mapping, collecting errors."""

    profile: Profile
    columns: dict[str, str]  # our field -> the file's column name
    row: dict
    line: int
    options: Options
    problems: list[tuple[str, str]] = field(default_factory=list)

    def has(self, name: str) -> bool:
        return name in self.columns

    def column(self, name: str) -> str:
        return self.columns.get(name, name)

    def raw(self, name: str):
        value = self.row.get(self.columns[name]) if name in self.columns else None
        return "" if value is None else value

    def problem(self, name: str, reason: str) -> None:
        self.problems.append((self.column(name), reason))

    def get(self, name: str, parse: Callable, *args, required: bool = True):
        """The parsed value, or None (and a problem noted) when it is missing or wrong."""
        value = self.raw(name)
        if isinstance(value, str) and not value.strip():
            if required:
                self.problem(name, "missing column" if not self.has(name) else "empty")
            return None
        try:
            return parse(value, *args)
        except FieldError as exc:
            self.problem(name, str(exc))
            return None

    def text(self, name: str, required: bool = False) -> str:
        value = self.get(name, parsing.text, required=required) or ""
        limit = LIMITS.get(name)
        if limit and len(value) > limit:
            self.problem(name, f"longer than {limit} characters")
        return value

    def identifier(self, name: str, required: bool = True) -> str:
        value = self.get(name, parsing.identifier, self.profile.float_text_numbers, required=required) or ""
        if len(value) > 64:
            self.problem(name, "longer than 64 characters")
        return value

    def date(self, name: str, required: bool = True) -> date | None:
        return self.get(name, parsing.parse_date, self.options.date_formats or self.profile.date_formats,
                        required=required)

    def money(self, name: str, currency: str | None, required: bool = True, positive: str = "") -> int | None:
        """Minor units of an amount in `currency`; with `positive` (what it is) zero and below are refused."""
        value = self.get(name, parsing.amount, self.options.decimal or self.profile.decimal, required=required)
        if value is None:
            return None
        if positive and value <= 0:
            self.problem(name, f"{positive} must be more than zero, not {parsing.text(self.raw(name))}")
            return None
        if currency is None:
            return None
        try:
            return parsing.to_minor(value, currency)
        except FieldError as exc:
            self.problem(name, str(exc))
            return None

    def currency(self) -> str | None:
        if self.has("currency") and parsing.text(self.raw("currency")):
            return self.get("currency", parsing.currency)
        fallback = self.options.currency or self.profile.default_currency
        if not fallback:
            self.problem("currency", "missing; give a currency column or the --currency option")
            return None
        return fallback

    def company(self) -> str:
        if self.has("company") and parsing.text(self.raw("company")):
            return self.text("company")
        fallback = self.options.company or self.profile.default_company
        if not fallback:
            self.problem("company", "missing; give a company column or the --company option")
        return fallback or ""


def row_fingerprint(row: dict) -> str:
    """Same content, same fingerprint, wherever the row stands in the file."""
    joined = "\x1f".join("" if v is None else str(v) for k, v in row.items() if k is not None)
    return hashlib.sha256(joined.encode("utf-8", "surrogatepass")).hexdigest()[:20]


def read_customer(reader: RowReader, company: str, currency: str | None) -> CustomerRecord:
    if reader.profile.hashed_customer:
        name = reader.text("customer_name", required=True)
        normal = " ".join(name.split()).casefold()
        number = "V-" + hashlib.sha256(normal.encode()).hexdigest()[:16].upper() if normal else ""
    else:
        number = reader.identifier("customer")
        name = reader.text("customer_name") or number
    email = reader.text("email")
    if email and ("@" not in email or any(c.isspace() for c in email)):
        reader.problem("email", "not an email address")
    return CustomerRecord(company=company, number=number, name=name, country=reader.text("country"),
                          language=reader.text("language"), email=email)


def read_invoice(reader: RowReader) -> RowRecords:
    """The columns every invoice file has in some form: customer, number, dates, amount."""
    profile = reader.profile
    company = reader.company()
    currency = reader.currency()
    customer = read_customer(reader, company, currency)
    sha = row_fingerprint(reader.row)
    number = f"{profile.number_prefix}{sha[:16].upper()}" if profile.number_from_row else reader.identifier("invoice")
    issue = reader.date("issue_date", required=False)
    due = reader.date("due_date", required=False)
    minor = reader.money("amount", currency, positive="an invoice amount")
    status = "open"
    if reader.has("status") and parsing.text(reader.raw("status")):
        given = parsing.text(reader.raw("status")).lower()
        status = profile.status_map.get(given, "")
        if not status:
            reader.problem("status", f"unknown status '{given}' (known: {', '.join(sorted(profile.status_map))})")
    disputed = bool(reader.get("disputed", parsing.flag, required=False)) if profile.dispute_column else False
    info = {"source": {"file": reader.options.file_name, "line": reader.line}, "row_sha": sha}
    for name in profile.info_fields:
        if reader.has(name) and parsing.text(reader.raw(name)):
            info[name] = str(reader.raw(name)).strip()
    invoice = InvoiceRecord(company=company, customer=customer, number=number, issue_date=issue, due_date=due,
                            currency=currency or "", amount_minor=minor or 0, status=status, disputed=disputed,
                            dispute_reason=reader.text("dispute_reason") if disputed else "", info=info)
    return RowRecords(line=reader.line, row_sha=sha, company_currency=currency or "", invoices=[invoice])


def read_credit(reader: RowReader, kind: str) -> RowRecords:
    """A payment or credit note row; with an invoice number it is also allocated to that invoice."""
    company = reader.company()
    currency = reader.currency()
    customer = read_customer(reader, company, currency)
    number = reader.identifier("number")
    when = reader.date("date" if reader.has("date") else "issue_date")
    minor = reader.money("amount", currency, positive=f"a {kind.replace('_', ' ')} amount")
    records = RowRecords(line=reader.line, row_sha=row_fingerprint(reader.row), company_currency=currency or "")
    records.credits.append(CreditRecord(company, customer, kind, number, when, currency or "", minor or 0))
    invoice = reader.identifier("invoice", required=False)
    if invoice:
        allocated = minor
        if reader.has("allocated") and parsing.text(reader.raw("allocated")):
            allocated = reader.money("allocated", currency, positive="an allocated amount")
            if allocated and minor and allocated > minor:
                reader.problem("allocated", f"allocates more than the {kind.replace('_', ' ')}'s amount")
        records.allocations.append(AllocationRecord(company, kind, number, invoice, when, allocated or 0,
                                                    currency or ""))
    return records


def read_allocation(reader: RowReader) -> RowRecords:
    """An allocation of an existing payment or credit note (in this file or the database) to an invoice."""
    company = reader.company()
    currency = reader.currency()
    number = reader.identifier("number")
    invoice = reader.identifier("invoice")
    kind = reader.text("credit_kind").lower().replace(" ", "_") or "payment"
    if kind not in ("payment", "credit_note"):
        reader.problem("credit_kind", f"'{kind}' is neither payment nor credit_note")
    when = reader.date("date" if reader.has("date") else "issue_date")
    minor = reader.money("amount", currency, positive="an allocated amount")
    records = RowRecords(line=reader.line, row_sha=row_fingerprint(reader.row), company_currency=currency or "")
    records.allocations.append(AllocationRecord(company, kind, number, invoice, when, minor or 0, currency or ""))
    return records


def read_row(reader: RowReader) -> RowRecords:
    """Records of one row; RowProblems with every problem of the row when it cannot be used."""
    records = reader.profile.read(reader)
    for rule in reader.profile.rules:
        if not reader.problems:
            rule(reader, records)
    if reader.problems:
        raise RowProblems(reader.problems)
    return records
