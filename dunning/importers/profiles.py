"""Column-mapping profiles: which column of a file is which of our fields, and how to read it.

A profile is data (a frozen dataclass). Where a file says something our model says differently
(the IBM file's settled dates, Cassandra's settled amounts) a small rule function turns it into
payments and allocations; each rule's docstring says what it assumes.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta

from . import parsing
from .records import AllocationRecord, CreditRecord, RowRecords
from .rows import RowReader, read_allocation, read_credit, read_invoice

STATUS_WORDS = {"open": "open", "posted": "open", "sent": "open", "overdue": "open", "unpaid": "open",
                "paid": "paid", "closed": "paid", "draft": "draft", "void": "void",
                "cancelled": "cancelled", "canceled": "cancelled"}


@dataclass(frozen=True)
class Profile:
    """How one kind of file maps to our fields.

    columns: our field -> the file's column names that may hold it (first one present wins;
    matched ignoring case and surrounding blanks). required: our fields whose column must exist.
    """

    name: str
    summary: str
    columns: Mapping[str, tuple[str, ...]]
    required: tuple[str, ...]
    date_formats: tuple[str, ...] = ("%Y-%m-%d",)
    decimal: str = "."
    default_currency: str | None = None
    default_company: str | None = None
    status_map: Mapping[str, str] = field(default_factory=lambda: dict(STATUS_WORDS))
    info_fields: tuple[str, ...] = ()  # kept in Invoice.info as written
    dispute_column: bool = True  # False: a "disputed" column is information only
    float_text_numbers: bool = False  # '1930571429.0' -> '1930571429'
    hashed_customer: bool = False  # the customer is a person's name: number = hash, name only in the DB
    number_from_row: bool = False  # no invoice numbers in the file: one from the row's content
    number_prefix: str = ""
    exact_duplicates: str = "reject"  # or "skip": an exact repeat of a row is skipped with a notice
    company_currency_from_rows: bool = False  # a company created by the import takes its rows' currency
    notes: str = ""  # how the profile reads what the file leaves open; shown by `dunning import --help`
    required_without_kind: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    read: Callable[[RowReader], RowRecords] = read_invoice
    rules: tuple[Callable[[RowReader, RowRecords], None], ...] = ()


def _payment_for(reader: RowReader, records: RowRecords, when, minor: int) -> None:
    invoice = records.invoices[0]
    number = f"PAY-{invoice.number}"
    records.credits.append(CreditRecord(invoice.company, invoice.customer, "payment", number, when,
                                        invoice.currency, minor))
    records.allocations.append(AllocationRecord(invoice.company, "payment", number, invoice.number, when, minor,
                                                invoice.currency))


def ibm_settlement(reader: RowReader, records: RowRecords) -> None:
    """SettledDate is the day the invoice was paid in full: a payment of the whole amount, allocated that day.

    An empty SettledDate leaves the invoice open. A settlement before the invoice date is refused.
    """
    settled = reader.date("settled_date", required=False)
    invoice = records.invoices[0]
    if settled is None:
        return
    if invoice.issue_date and settled < invoice.issue_date:
        reader.problem("settled_date", f"payment dated {settled} is before the invoice date {invoice.issue_date}")
        return
    _payment_for(reader, records, settled, invoice.amount_minor)


def cassandra_settlement(reader: RowReader, records: RowRecords) -> None:
    """Settled > 0 is a payment of that amount allocated to the invoice; Outstanding is what stays open.

    The file gives no settlement date. Rule: Invoice_Date + Number_of_Days_until_Payment; the
    9 negative day counts (paid before the invoice was written) are dated on the Invoice_Date,
    since a payment cannot be allocated to an invoice before it exists; where the column is
    missing or empty (testData.csv) the payment is dated on the import's as-of date (option
    `as_of`; `dunning import` passes today unless --as-of is given; without it the row is refused). Amount must equal Settled + Outstanding when Outstanding is given.
    """
    invoice = records.invoices[0]
    settled = reader.money("settled", invoice.currency)
    if settled is None:
        return
    if settled < 0:
        reader.problem("settled", "a settled amount cannot be negative")
        return
    if settled > invoice.amount_minor:
        reader.problem("settled", "the settled amount is larger than the invoice amount")
        return
    outstanding = reader.money("outstanding", invoice.currency, required=False)
    if outstanding is not None and settled + outstanding != invoice.amount_minor:
        reader.problem("outstanding", "Amount is not Settled + Outstanding")
        return
    if settled == 0:
        return
    days = reader.get("days_to_pay", _whole_number, required=False)
    if days is not None and invoice.issue_date:
        when = invoice.issue_date + timedelta(days=max(0, days))
    else:
        when = reader.options.as_of
    if when is None:
        reader.problem("settled", "no settlement date: give Number_of_Days_until_Payment or the as-of option")
        return
    _payment_for(reader, records, when, settled)


def _whole_number(value) -> int:
    raw = parsing.text(value)
    try:
        return int(raw)
    except ValueError:
        raise parsing.FieldError(f"'{raw}' is not a whole number of days") from None


def read_generic(reader: RowReader) -> RowRecords:
    """A row of the generic layout: an invoice, a payment, a credit note or an allocation (column `kind`)."""
    kind = parsing.text(reader.raw("kind")).lower().replace(" ", "_").replace("-", "_") or reader.options.kind
    kind = {"credit": "credit_note", "creditnote": "credit_note", "invoices": "invoice"}.get(kind, kind)
    if kind == "invoice":
        return read_invoice(reader)
    if kind in ("payment", "credit_note"):
        return read_credit(reader, kind)
    if kind == "allocation":
        return read_allocation(reader)
    reader.problem("kind", f"unknown kind '{kind}' (invoice, payment, credit_note or allocation)")
    return RowRecords(line=reader.line, row_sha="")


IBM_AR = Profile(
    name="ibm-ar",
    summary="IBM Watson Analytics accounts-receivable history: invoices with their settlement dates",
    columns={"customer": ("customerID",), "country": ("countryCode",), "invoice": ("invoiceNumber",),
             "issue_date": ("InvoiceDate",), "due_date": ("DueDate",), "amount": ("InvoiceAmount",),
             "settled_date": ("SettledDate",), "disputed_info": ("Disputed",), "paperless_bill": ("PaperlessBill",),
             "paperless_date": ("PaperlessDate",), "days_to_settle": ("DaysToSettle",), "days_late": ("DaysLate",)},
    required=("customer", "invoice", "issue_date", "due_date", "amount", "settled_date"),
    date_formats=("%m/%d/%Y",),
    default_currency="USD",
    default_company="IBM",
    info_fields=("disputed_info", "paperless_bill", "paperless_date", "days_to_settle", "days_late"),
    dispute_column=False,
    rules=(ibm_settlement,),
)

HIGHRADIUS = Profile(
    name="highradius",
    summary="HighRadius open invoices: one company per business_code, USD and CAD",
    columns={"company": ("business_code",), "customer": ("cust_number",), "customer_name": ("name_customer",),
             "invoice": ("invoice_id", "doc_id"), "issue_date": ("posting_date",), "due_date": ("due_in_date",),
             "currency": ("invoice_currency",), "amount": ("total_open_amount",), "status": ("isOpen",),
             "payment_terms": ("cust_payment_terms",), "baseline_date": ("baseline_create_date",),
             "source_row": ("key_0",)},
    required=("company", "customer", "invoice", "issue_date", "due_date", "currency", "amount"),
    status_map={"1": "open", "1.0": "open", "0": "paid", "0.0": "paid"},
    info_fields=("payment_terms", "baseline_date", "source_row"),
    float_text_numbers=True,
    company_currency_from_rows=True,
)

CASSANDRA_DOC = """Invoice numbers: the file has none, so each is "CAS-" + the first 16 hex digits of a SHA-256 of
the row's content. The number is stable (the same row gets the same number in any order, in any
file) and re-importing the file is refused as duplicates. The one exact duplicate row of
trainData.csv (lines 315 and 316) therefore has the same number: it is skipped and reported as a
notice, not as an error, so the file imports 8,752 invoices from 8,753 rows."""

CASSANDRA = Profile(
    name="cassandra",
    summary="Cassandra (UDYAM'22) invoices: one company, counterparties by name (hashed), partial settlements",
    columns={"customer_name": ("Vendor_Name",), "issue_date": ("Invoice_Date",), "due_date": ("Due_Date",),
             "amount": ("Amount",), "settled": ("Settled",), "outstanding": ("Outstanding",),
             "days_to_pay": ("Number_of_Days_until_Payment",), "description": ("Description",),
             "created": ("Created",)},
    required=("customer_name", "issue_date", "due_date", "amount", "settled"),
    date_formats=("%d-%b-%y",),
    default_currency="USD",
    default_company="CASSANDRA",
    info_fields=("description", "created"),
    hashed_customer=True,
    number_from_row=True,
    number_prefix="CAS-",
    exact_duplicates="skip",
    notes=CASSANDRA_DOC + "\n\nSettlement dates: " + (cassandra_settlement.__doc__ or ""),
    rules=(cassandra_settlement,),
)


GENERIC = Profile(
    name="generic",
    summary="Our own layout: columns named like our fields; `kind` = invoice | payment | credit_note | allocation",
    columns={"kind": ("kind",), "company": ("company", "company_code"), "customer": ("customer", "customer_number"),
             "customer_name": ("customer_name",), "email": ("email",), "language": ("language",),
             "country": ("country",), "invoice": ("invoice", "invoice_number"),
             "number": ("number", "document_number"), "credit_kind": ("credit_kind",),
             "issue_date": ("issue_date", "invoice_date"), "due_date": ("due_date",), "date": ("date",),
             "currency": ("currency",), "amount": ("amount",), "allocated": ("allocated",),
             "status": ("status",), "disputed": ("disputed",), "dispute_reason": ("dispute_reason",),
             "reference": ("reference",), "note": ("note",)},
    required=("amount",),
    required_without_kind={"invoice": ("customer", "invoice"), "payment": ("customer", "number"),
                           "credit_note": ("customer", "number"), "allocation": ("number", "invoice")},
    date_formats=("%Y-%m-%d",),
    info_fields=("reference", "note"),
    read=read_generic,
)

PROFILES: dict[str, Profile] = {p.name: p for p in (IBM_AR, HIGHRADIUS, CASSANDRA, GENERIC)}


def get_profile(name: str) -> Profile:
    """A ready profile by name, or your own from a .toml file (importers/profile_file.py)."""
    from .profile_file import is_profile_file, profile_from_file

    if is_profile_file(name):
        return profile_from_file(name)
    try:
        return PROFILES[name]
    except KeyError:
        raise ValueError(f"unknown profile '{name}' (known: {', '.join(PROFILES)}, or a .toml file)") from None
