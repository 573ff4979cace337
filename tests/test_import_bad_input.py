"""Bad input: every bad row is reported with its line, field and reason, and nothing is written.

Each test starts from a database that already holds a company, a customer and an invoice (so
"nothing changed" is a real check), imports a small file written byte for byte, and compares.
"""
from __future__ import annotations

from datetime import date

import openpyxl
import pytest
from fixtures_import import GENERIC_HEADER, database_state, generic, problems, write

from dunning.importers.load import import_file
from dunning.models import Allocation, Credit, Invoice

pytestmark = pytest.mark.django_db


@pytest.fixture
def existing(company, customer, invoice):
    """ACME-DE with customer C10001 and invoice INV-1001 of 1190.00 EUR, issued 2026-10-03."""
    acme = company("ACME-DE", base_currency="EUR")
    return invoice(customer(acme, number="C10001"), number="INV-1001", currency="EUR")


def refused(path, profile="generic", **options):
    """Import that must fail as a whole: returns (line, field, reason) list after checking nothing changed."""
    before = database_state()
    result = import_file(path, profile, **options)
    assert not result.committed
    assert database_state() == before
    return problems(result)


def test_empty_file(tmp_path, existing):
    assert refused(write(tmp_path, "empty.csv", "")) == [(0, "", "the file is empty")]


def test_header_without_rows(tmp_path, existing):
    assert refused(generic(tmp_path), company="ACME-DE") == [(2, "", "the file has a header but no rows")]


def test_missing_required_column_is_one_error_naming_it_and_the_columns_found(tmp_path, existing):
    path = write(tmp_path, "hr.csv", "business_code,cust_number,invoice_id,posting_date,invoice_currency,"
                                     "total_open_amount\nU001,0200769623,1930571429.0,2020-02-27,USD,10.00\n")
    assert refused(path, "highradius") == [
        (1, "due_in_date", ("missing required column 'due_in_date'; columns found: business_code, cust_number, "
                            "invoice_id, posting_date, invoice_currency, total_open_amount"))]


@pytest.mark.parametrize("amount, reason", [
    ("-5.00", "an invoice amount must be more than zero, not -5.00"),
    ("0", "an invoice amount must be more than zero, not 0"),
    ("0.00", "an invoice amount must be more than zero, not 0.00"),
    ("12.345", "12.345 has more decimals than EUR allows (2 decimals)"),
    ("1,5", "'1,5' has thousands groups that are not 3 digits"),
    ("abc", "'abc' is not an amount (decimal separator '.')"),
])
def test_bad_amounts(tmp_path, existing, amount, reason):
    path = generic(tmp_path, "C1,Kunde,A-1,2026-01-01,2026-01-31,EUR,10.00",
                   f'C1,Kunde,A-2,2026-01-01,2026-01-31,EUR,"{amount}"')
    assert refused(path, company="ACME-DE") == [(3, "amount", reason)]


def test_unknown_currency(tmp_path, existing):
    path = generic(tmp_path, "C1,Kunde,A-1,2026-01-01,2026-01-31,ABC,10.00")
    assert refused(path, company="ACME-DE") == [
        (2, "currency", "unknown currency 'ABC' (expected an ISO 4217 code such as EUR)")]


def test_every_bad_row_at_once_not_just_the_first(tmp_path, existing):
    path = generic(tmp_path,
                   "C1,Kunde,A-1,2026-01-01,2026-01-31,EUR,10.00",
                   "C1,Kunde,A-2,01/02/2026,2026-01-31,EUR,-1",
                   "C2,Kunde 2,A-3,2026-01-01,2026-01-31,EUR,20.00",
                   ",Kunde 3,A-4,2026-01-01,2026-01-31,JPY,20.50")
    assert refused(path, company="ACME-DE") == [
        (3, "issue_date", "'01/02/2026' is not a date in the form YYYY-M-D"),
        (3, "amount", "an invoice amount must be more than zero, not -1"),
        (5, "customer", "empty"),
        (5, "amount", "20.50 has more decimals than JPY allows (no decimals)"),
    ]


def test_skip_bad_rows_loads_the_good_rows_and_reports_the_rest(tmp_path, existing):
    path = generic(tmp_path,
                   "C1,Kunde,A-1,2026-01-01,2026-01-31,EUR,10.00",
                   "C1,Kunde,A-2,2026-01-01,2026-01-31,EUR,-1",
                   "0C1,Kunde,A-3,2026-01-01,2026-01-31,EUR,20.00")
    result = import_file(path, "generic", company="ACME-DE", skip_bad_rows=True)
    assert result.committed
    assert problems(result) == [(3, "amount", "an invoice amount must be more than zero, not -1")]
    assert sorted(Invoice.objects.filter(number__startswith="A-").values_list("number", "amount_minor",
                                                                              "customer__number")) == [
        ("A-1", 1000, "C1"), ("A-3", 2000, "C1")]  # '0C1' is customer C1 written with a leading zero


def test_duplicate_invoice_numbers_in_the_file_and_with_the_database(tmp_path, existing):
    path = generic(tmp_path,
                   "C1,Kunde,A-1,2026-01-01,2026-01-31,EUR,10.00",
                   "C1,Kunde,A-1,2026-01-01,2026-01-31,EUR,10.00",
                   "C1,Kunde,A-1,2026-01-02,2026-02-01,EUR,11.00",
                   "C10001,Kunde,INV-1001,2026-01-01,2026-01-31,EUR,10.00")
    assert refused(path, company="ACME-DE") == [
        (3, "invoice", "exact duplicate of line 2"),
        (4, "invoice", "invoice number A-1 is also on line 2"),
        (5, "invoice", "invoice INV-1001 is already in the database"),
    ]


def test_duplicates_are_found_across_batches(tmp_path, existing):
    rows = [f"C1,Kunde,A-{n},2026-01-01,2026-01-31,EUR,10.00" for n in range(1, 6)]
    path = generic(tmp_path, *rows, "C1,Kunde,A-2,2026-01-01,2026-01-31,EUR,10.00")
    before = database_state()
    result = import_file(path, "generic", company="ACME-DE", batch_size=2)
    assert problems(result) == [(7, "invoice", "exact duplicate of line 3")]
    assert database_state() == before


PAYMENT_HEADER = "kind,customer,invoice,number,issue_date,due_date,date,currency,amount,allocated"


def test_allocations_larger_than_the_open_invoice(tmp_path, existing):
    path = generic(tmp_path,
                   "invoice,C1,A-1,,2026-01-01,2026-01-31,,EUR,100.00,",
                   "payment,C1,A-1,P-1,,,2026-02-01,EUR,60.00,",
                   "payment,C1,A-1,P-2,,,2026-02-02,EUR,50.00,",
                   "payment,C10001,INV-1001,P-3,,,2026-11-20,EUR,1200.00,",
                   "payment,C10001,INV-1001,P-4,,,2026-11-20,EUR,1200.00,1190.00",
                   header=PAYMENT_HEADER)
    assert refused(path, company="ACME-DE") == [
        (4, "amount", "allocates 50.00 but invoice A-1 has only 40.00 open"),
        (5, "amount", "allocates 1200.00 but invoice INV-1001 has only 1190.00 open"),
    ]


def test_allocation_greater_than_the_payment(tmp_path, existing):
    path = generic(tmp_path, "invoice,C1,A-1,,2026-01-01,2026-01-31,,EUR,100.00,",
                   "payment,C1,A-1,P-1,,,2026-02-01,EUR,60.00,70.00", header=PAYMENT_HEADER)
    assert refused(path, company="ACME-DE") == [(3, "allocated", "allocates more than the payment's amount")]


def test_payment_dated_before_the_invoice(tmp_path, existing):
    path = generic(tmp_path, "invoice,C1,A-1,,2026-01-10,2026-02-09,,EUR,100.00,",
                   "payment,C1,A-1,P-1,,,2026-01-09,EUR,100.00,",
                   "credit_note,C10001,INV-1001,CN-1,,,2026-10-02,EUR,5.00,", header=PAYMENT_HEADER)
    assert refused(path, company="ACME-DE") == [
        (3, "date", "payment dated 2026-01-09 is before the invoice date 2026-01-10"),
        (4, "date", "credit note dated 2026-10-02 is before the invoice date 2026-10-03"),
    ]


def test_allocation_to_an_invoice_nowhere_or_of_another_customer_or_currency(tmp_path, existing):
    path = generic(tmp_path, "invoice,C1,A-1,,2026-01-10,2026-02-09,,EUR,100.00,",
                   "payment,C1,NOPE,P-1,,,2026-02-01,EUR,10.00,",
                   "payment,C2,A-1,P-2,,,2026-02-01,EUR,10.00,",
                   "payment,C1,A-1,P-3,,,2026-02-01,USD,10.00,", header=PAYMENT_HEADER)
    assert refused(path, company="ACME-DE") == [
        (3, "invoice", "invoice NOPE is neither in this file (on or before this line) nor in the database"),
        (4, "invoice", "invoice A-1 belongs to another customer than the payment"),
        (5, "invoice", "invoice A-1 is in EUR, the payment in USD"),
    ]


def test_credit_notes_are_positive(tmp_path, existing):
    path = generic(tmp_path, "credit_note,C1,,CN-1,,,2026-02-01,EUR,-10.00,", header=PAYMENT_HEADER)
    assert refused(path, company="ACME-DE") == [(2, "amount", "a credit note amount must be more than zero, not -10.00")]


def test_good_payments_and_allocations_load(tmp_path, existing):
    rows = ["invoice,C1,A-1,,2026-01-01,2026-01-31,,EUR,100.00,,",
            "payment,C1,A-1,P-1,,,2026-02-01,EUR,60.00,,",
            "credit_note,C1,,CN-1,,,2026-02-03,EUR,50.00,,",
            "allocation,C1,A-1,CN-1,,,2026-02-04,EUR,40.00,,credit_note",
            "payment,C10001,INV-1001,P-2,,,2026-11-20,EUR,1000.00,990.00,"]
    header = PAYMENT_HEADER + ",credit_kind"
    without_kind = generic(tmp_path, *[r.replace(",credit_note\n", ",") for r in rows], header=header, name="a.csv")
    without_kind.write_text(without_kind.read_text().replace("EUR,40.00,,credit_note", "EUR,40.00,,"))
    assert refused(without_kind, company="ACME-DE") == [
        (5, "number", "payment CN-1 is neither in this file nor in the database")]  # credit_kind defaults to payment
    result = import_file(generic(tmp_path, *rows, header=header), "generic", company="ACME-DE")
    assert result.committed and problems(result) == []
    assert {k: result.counts[k] for k in ("invoices", "payments", "credit_notes", "allocations")} == {
        "invoices": 1, "payments": 2, "credit_notes": 1, "allocations": 3}
    assert sorted(Allocation.objects.values_list("invoice__number", "credit__number", "amount_minor", "date")) == [
        ("A-1", "CN-1", 4000, date(2026, 2, 4)), ("A-1", "P-1", 6000, date(2026, 2, 1)),
        ("INV-1001", "P-2", 99000, date(2026, 11, 20))]
    assert Credit.objects.get(number="P-2").amount_minor == 100000  # 10.00 left as customer credit


def test_day_first_dates_and_decimal_commas_by_option(tmp_path, existing):
    path = write(tmp_path, "de.csv", "customer;invoice;issue_date;due_date;currency;amount\n"
                                     "K1;R-1;03.02.2026;05.03.2026;EUR;1.234,56\nK1;R-2;31.02.2026;05.03.2026;EUR;1,5\n",
                 encoding="cp1252", newline="\r\n")
    assert refused(path, company="ACME-DE", date_format="%d.%m.%Y", decimal=",") == [
        (3, "issue_date", "'31.02.2026' is not a date in the form D.M.YYYY")]
    path.write_bytes(path.read_bytes().replace(b"31.02.2026", b"28.02.2026"))
    result = import_file(path, "generic", company="ACME-DE", date_format="%d.%m.%Y", decimal=",")
    assert (result.committed, result.encoding, result.delimiter) == (True, "utf-8", ";")
    assert sorted(Invoice.objects.filter(number__startswith="R-").values_list("number", "issue_date",
                                                                              "amount_minor")) == [
        ("R-1", date(2026, 2, 3), 123456), ("R-2", date(2026, 2, 28), 150)]


def test_rows_with_too_many_or_too_few_values(tmp_path, existing):
    path = generic(tmp_path, "C1,Kunde,A-1,2026-01-01,2026-01-31,EUR,10.00,surplus",
                   "C1,Kunde,A-2,2026-01-01,2026-01-31")
    assert refused(path, company="ACME-DE") == [
        (2, "", "1 value(s) more than the header has columns"),
        (3, "currency", "the row ends before column 'currency' (5 of 7 columns)"),
    ]


def test_xlsx_rows_are_reported_with_their_sheet_row(tmp_path, existing):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["customer", "invoice", "issue_date", "due_date", "currency", "amount"])
    sheet.append(["C1", "X-1", date(2026, 1, 1), date(2026, 1, 31), "EUR", 10.5])
    sheet.append(["C1", "X-2", date(2026, 1, 1), date(2026, 1, 31), "EUR", -3])
    book.save(tmp_path / "f.xlsx")
    assert refused(tmp_path / "f.xlsx", company="ACME-DE") == [
        (3, "amount", "an invoice amount must be more than zero, not -3")]


def test_ibm_settlement_before_the_invoice_date(tmp_path, existing):
    header = ("countryCode,customerID,PaperlessDate,invoiceNumber,InvoiceDate,DueDate,InvoiceAmount,Disputed,"
              "SettledDate,PaperlessBill,DaysToSettle,DaysLate")
    path = write(tmp_path, "ibm.csv", header + "\n391,0379-NEVHP,4/6/2013,0000611365,1/2/2013,2/1/2013,55.94,No,"
                                               "1/1/2013,Paper,-1,0\n", newline="\r\n")
    assert refused(path, "ibm-ar") == [
        (2, "SettledDate", "payment dated 2013-01-01 is before the invoice date 2013-01-02")]


CASSANDRA_HEADER = "Description,Vendor_Name,Created,Invoice_Date,Due_Date,Amount,Settled,Outstanding," \
                   "Number_of_Days_until_Payment"


def test_cassandra_amounts_that_do_not_add_up(tmp_path, existing):
    path = write(tmp_path, "c.csv", CASSANDRA_HEADER + "\n"
                 "Milk,Jane Roe,26-04-2011 11:50,26-Apr-11,26-May-11,672.78,600.00,0.0,13\n"
                 "Milk,Jane Roe,26-04-2011 11:50,26-Apr-11,26-May-11,672.78,700.00,0.0,13\n"
                 "Milk,Jane Roe,26-04-2011 11:50,31-Apr-11,26-May-11,672.78,672.78,0.0,13\n")
    assert refused(path, "cassandra") == [
        (2, "Outstanding", "Amount is not Settled + Outstanding"),
        (3, "Settled", "the settled amount is larger than the invoice amount"),
        (4, "Invoice_Date", "'31-Apr-11' is not a date in the form D-Mon-YY"),
    ]


def test_personal_names_never_appear_in_reports(tmp_path, existing):
    path = write(tmp_path, "c.csv", CASSANDRA_HEADER + "\n"
                 "Milk,Jane Roe,26-04-2011 11:50,26-Apr-11,26-May-11,-1,0,0.0,13\n")
    result = import_file(path, "cassandra")
    assert "Jane" not in repr(result.as_dict())


def test_payments_from_a_separate_file_without_a_kind_column(tmp_path, existing):
    invoices = generic(tmp_path, "C1,Kunde,A-1,2026-01-01,2026-01-31,EUR,100.00", name="invoices.csv")
    assert import_file(invoices, "generic", company="ACME-DE").committed
    payments = write(tmp_path, "payments.csv", "customer,number,date,currency,amount,invoice,allocated\n"
                                               "C1,P-1,2026-02-01,EUR,30.00,A-1,\n"
                                               "C1,P-2,2026-02-02,EUR,80.00,A-1,70.00\n")
    result = import_file(payments, "generic", company="ACME-DE", kind="payment")
    assert result.committed and problems(result) == []
    assert sorted(Allocation.objects.filter(invoice__number="A-1").values_list("credit__number", "amount_minor")) == [
        ("P-1", 3000), ("P-2", 7000)]
    again = write(tmp_path, "more.csv", "customer,number,date,currency,amount,invoice\nC1,P-3,2026-02-03,EUR,0.01,A-1\n")
    assert refused(again, company="ACME-DE", kind="payment") == [
        (2, "amount", "allocates 0.01 but invoice A-1 has only 0.00 open")]
    no_number = write(tmp_path, "bad.csv", "customer,date,currency,amount\nC1,2026-02-03,EUR,5.00\n")
    assert refused(no_number, company="ACME-DE", kind="payment") == [
        (1, "number", "missing required column 'number'; columns found: customer, date, currency, amount")]


def test_status_words(tmp_path, existing):
    path = generic(tmp_path, "C1,Kunde,S-1,2026-01-01,2026-01-31,EUR,1.00,Posted",
                   "C1,Kunde,S-2,2026-01-01,2026-01-31,EUR,1.00,void",
                   "C1,Kunde,S-3,2026-01-01,2026-01-31,EUR,1.00,canceled",
                   "C1,Kunde,S-4,2026-01-01,2026-01-31,EUR,1.00,lost", header=GENERIC_HEADER + ",status")
    assert refused(path, company="ACME-DE") == [
        (5, "status", ("unknown status 'lost' (known: canceled, cancelled, closed, draft, open, overdue, paid, "
                       "posted, sent, unpaid, void)"))]
    path.write_text(path.read_text().replace(",lost", ",draft"))
    assert import_file(path, "generic", company="ACME-DE").committed
    assert dict(Invoice.objects.filter(number__startswith="S-").values_list("number", "status")) == {
        "S-1": "open", "S-2": "void", "S-3": "cancelled", "S-4": "draft"}


def test_a_column_named_twice_is_refused(tmp_path, existing):
    path = generic(tmp_path, "C1,A-1,10.00,11.00", header="customer,invoice,amount,Amount")
    assert refused(path, company="ACME-DE", currency="EUR") == [
        (1, "amount", "column appears more than once in the header")]


def test_thousands_of_bad_rows_are_counted_and_the_first_10000_listed(tmp_path, existing):
    from dunning.importers.load import MAX_REPORTED

    rows = [f"C1,Kunde,B-{n},2026-01-01,2026-01-31,EUR,-{n}" for n in range(1, MAX_REPORTED + 2_001)]
    before = database_state()
    result = import_file(generic(tmp_path, *rows), "generic", company="ACME-DE")
    assert (result.committed, result.rows_read, result.rejected_rows, len(result.rejected)) == (
        False, 12_000, 12_000, 10_000)
    assert problems(result)[-1] == (10_001, "amount", "an invoice amount must be more than zero, not -10000")
    assert database_state() == before
