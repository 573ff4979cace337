"""Each real data set imports through its profile; expected figures are computed here from the raw
file with the csv module (never through the importer's own code)."""
from __future__ import annotations

import csv
import hashlib
from collections import defaultdict
from datetime import date, datetime, timedelta
from decimal import Decimal

import openpyxl
import pytest
from django.db.models import F, Sum

from dunning.importers.load import import_file
from dunning.models import Allocation, Company, Credit, Customer, Invoice

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

IBM = "ibm-wa-accounts-receivable/WA_Fn-UseC_-Accounts-Receivable.csv"
HIGHRADIUS = "highradius-open-invoices-subset/data2.csv"
CASSANDRA = "cassandra-udyam-2022-invoices/trainData.csv"


def raw_rows(path):
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def cents(text: str) -> int:
    return int(Decimal(text) * 100)


def without_leading_zeros(number: str) -> str:
    return number.lstrip("0") or "0"


def test_ibm_history(shared_data):
    rows = raw_rows(shared_data / IBM)
    result = import_file(shared_data / IBM, "ibm-ar")
    assert result.committed and result.rejected == [] and result.encoding == "utf-8"
    assert (result.rows_read, result.counts["invoices"], result.counts["customers_created"],
            result.counts["payments"], result.counts["allocations"]) == (2466, 2466, 100, 2466, 2466)
    ibm = Company.objects.get(code="IBM")
    assert ibm.base_currency == "USD"
    assert Invoice.objects.filter(company=ibm).aggregate(s=Sum("amount_minor"))["s"] == 14770318
    assert sum(cents(r["InvoiceAmount"]) for r in rows) == 14770318
    assert Credit.objects.filter(company=ibm, kind="payment").aggregate(s=Sum("amount_minor"))["s"] == 14770318
    # Disputed is information only, never an open dispute
    assert Invoice.objects.filter(disputed=True).count() == 0
    yes = sum(r["Disputed"] == "Yes" for r in rows)
    assert yes == 561 and Invoice.objects.filter(info__disputed_info="Yes").count() == yes
    first = Invoice.objects.select_related("customer").get(number="0000611365")
    assert (first.customer.number, first.customer.country, first.issue_date, first.due_date, first.amount_minor,
            first.currency, first.info["paperless_bill"]) == (
        "0379-NEVHP", "391", date(2013, 1, 2), date(2013, 2, 1), 5594, "USD", "Paper")
    allocation = Allocation.objects.get(invoice=first)
    assert (allocation.date, allocation.amount_minor, allocation.credit.date) == (date(2013, 1, 15), 5594,
                                                                                 date(2013, 1, 15))
    assert sum(r["invoiceNumber"].startswith("0") for r in rows) == 266
    assert Invoice.objects.filter(number__startswith="0").count() == 266  # numbers stay text


def test_ibm_open_as_of_mid_2013_matches_the_readme(shared_data):
    import_file(shared_data / IBM, "ibm-ar")
    as_of = date(2013, 6, 30)
    paid_by = Allocation.objects.filter(date__lte=as_of).values_list("invoice_id", flat=True)
    open_items = Invoice.objects.filter(issue_date__lte=as_of).exclude(id__in=paid_by)
    assert open_items.count() == 84
    assert open_items.filter(due_date__lt=as_of).count() == 12


def test_highradius_open_items(shared_data):
    rows = raw_rows(shared_data / HIGHRADIUS)
    result = import_file(shared_data / HIGHRADIUS, "highradius")
    assert result.committed and result.rejected == []
    companies = {r["business_code"]: r["invoice_currency"] for r in rows}
    assert companies == {"U001": "USD", "CA02": "CAD", "U013": "USD", "U002": "USD", "U005": "USD"}
    assert dict(Company.objects.values_list("code", "base_currency")) == companies
    customers = {(r["business_code"], without_leading_zeros(r["cust_number"])) for r in rows}
    assert len({(r["business_code"], r["cust_number"]) for r in rows}) == 664  # as written
    assert len(customers) == 526 == Customer.objects.count() == result.counts["customers_created"]
    assert result.counts["invoices"] == 9700 == Invoice.objects.count()
    totals = defaultdict(int)
    for r in rows:
        totals[(r["business_code"], r["invoice_currency"])] += cents(r["total_open_amount"])
    loaded = {(c, cur): s for c, cur, s in Invoice.objects.values_list("company__code", "currency")
              .annotate(s=Sum("amount_minor")).values_list("company__code", "currency", "s")}
    assert loaded == dict(totals)
    assert sum(totals.values()) == 31958472591  # README: 319,584,725.91
    first = Invoice.objects.get(number="1930571429")
    assert (first.customer.number, first.issue_date, first.due_date, first.amount_minor) == (
        "0200706844", date(2020, 2, 27), date(2020, 3, 13), 873471)


def test_highradius_customer_with_and_without_leading_zero_is_one_customer(shared_data):
    rows = raw_rows(shared_data / HIGHRADIUS)
    forms = defaultdict(set)
    for r in rows:
        forms[(r["business_code"], without_leading_zeros(r["cust_number"]))].add(r["cust_number"])
    both = sorted(k for k, v in forms.items() if len(v) > 1)
    assert len(both) == 138
    import_file(shared_data / HIGHRADIUS, "highradius")
    code, key = both[0]
    expected = sum(1 for r in rows if r["business_code"] == code and without_leading_zeros(r["cust_number"]) == key)
    customer = Customer.objects.get(company__code=code, key=key)
    assert customer.invoices.count() == expected
    assert Customer.objects.filter(company__code=code, number__in=forms[(code, key)]).count() == 1


def cassandra_expectations(rows):
    """The rule of the profile, restated: the second of two identical rows is skipped."""
    seen, kept, duplicates = set(), [], []
    for line, r in enumerate(rows, start=2):
        key = tuple(r.values())
        if key in seen:
            duplicates.append(line)
            continue
        seen.add(key)
        kept.append(r)
    return kept, duplicates


def test_cassandra_partial_payments(shared_data):
    rows = raw_rows(shared_data / CASSANDRA)
    kept, duplicates = cassandra_expectations(rows)
    assert (len(rows), len(kept), duplicates) == (8753, 8752, [316])
    result = import_file(shared_data / CASSANDRA, "cassandra")
    assert result.committed and result.rejected == []
    assert [(n.line, n.reason) for n in result.notices] == [(316, "exact duplicate of line 315; skipped")]
    assert result.counts["invoices"] == len(kept) == Invoice.objects.count()
    settled = [r for r in kept if Decimal(r["Settled"]) > 0]
    partial = [r for r in settled if Decimal(r["Outstanding"]) > 0]
    assert (len(settled), len(partial)) == (8752, 633)  # 634 partial rows in the file, one is the duplicate
    assert result.counts["payments"] == len(settled) == Credit.objects.count()
    names = {" ".join(r["Vendor_Name"].split()).casefold() for r in kept}
    assert len(names) == 3276 == Customer.objects.count()
    total = sum(cents(r["Amount"]) for r in kept)
    paid = sum(cents(r["Settled"]) for r in kept)
    assert Invoice.objects.aggregate(s=Sum("amount_minor"))["s"] == total
    assert Allocation.objects.aggregate(s=Sum("amount_minor"))["s"] == paid
    open_by_invoice = {i.id: i.amount_minor for i in Invoice.objects.all()}
    for invoice_id, amount in Allocation.objects.values_list("invoice_id", "amount_minor"):
        open_by_invoice[invoice_id] -= amount
    assert sorted(v for v in open_by_invoice.values() if v > 0) == sorted(
        cents(r["Outstanding"]) for r in partial)
    assert sum(1 for v in open_by_invoice.values() if v == 1) == sum(1 for r in partial if r["Outstanding"] == "0.01")


def test_cassandra_settlement_dates_and_hashed_names(shared_data):
    rows = raw_rows(shared_data / CASSANDRA)
    import_file(shared_data / CASSANDRA, "cassandra")
    first = rows[0]
    name = first["Vendor_Name"]
    number = "V-" + hashlib.sha256(" ".join(name.split()).casefold().encode()).hexdigest()[:16].upper()
    customer = Customer.objects.get(number=number)
    assert customer.name == name  # the name is kept in the database only
    issued = datetime.strptime(first["Invoice_Date"], "%d-%b-%y").date()
    invoice = customer.invoices.get(issue_date=issued, amount_minor=cents(first["Amount"]))
    payment_day = issued + timedelta(days=int(first["Number_of_Days_until_Payment"]))
    assert invoice.allocations.get().date == payment_day == date(2011, 5, 9)
    early = [r for r in rows if int(r["Number_of_Days_until_Payment"]) < 0]
    same_day = [r for r in rows if int(r["Number_of_Days_until_Payment"]) <= 0]
    assert len(early) == 9
    assert Allocation.objects.filter(date__lt=F("invoice__issue_date")).count() == 0  # never before the invoice
    assert Allocation.objects.filter(date=F("invoice__issue_date")).count() == len(same_day)


def test_reimporting_the_same_file_is_refused_as_duplicates(shared_data):
    import_file(shared_data / IBM, "ibm-ar")
    again = import_file(shared_data / IBM, "ibm-ar")
    assert not again.committed and again.rejected_rows == 2466
    assert again.rejected[0].reason == "invoice 0000611365 is already in the database"
    assert Invoice.objects.count() == 2466


def test_the_ibm_file_as_xlsx_gives_the_same_result(shared_data, tmp_path):
    rows = raw_rows(shared_data / IBM)
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet()
    sheet.append(list(rows[0]))
    for r in rows:
        sheet.append(list(r.values()))  # text cells, as a careful export writes them
    book.save(tmp_path / "ibm.xlsx")
    result = import_file(tmp_path / "ibm.xlsx", "ibm-ar")
    assert result.committed and result.format == "xlsx"
    assert (result.counts["invoices"], result.counts["customers_created"], result.counts["payments"]) == (2466, 100,
                                                                                                         2466)
    assert Invoice.objects.aggregate(s=Sum("amount_minor"))["s"] == 14770318


def test_cassandra_test_file_without_payment_days_dates_settlements_on_the_as_of(shared_data):
    """testData.csv has no Number_of_Days_until_Payment: payments are dated on the as-of given."""
    path = shared_data / "cassandra-udyam-2022-invoices/testData.csv"
    rows = raw_rows(path)
    result = import_file(path, "cassandra", as_of=date(2018, 1, 31))
    assert result.committed and result.rejected == []
    settled = [r for r in rows if Decimal(r["Settled"]) > 0]
    assert (result.counts["invoices"], result.counts["payments"]) == (len(rows), len(settled)) == (1125, 1125)
    assert set(Allocation.objects.values_list("date", flat=True)) == {date(2018, 1, 31)}
    assert Allocation.objects.aggregate(s=Sum("amount_minor"))["s"] == sum(cents(r["Settled"]) for r in settled)


def test_cassandra_test_file_without_as_of_is_refused_with_the_reason(shared_data):
    """import_file never guesses today's date; the CLI passes today when --as-of is not given."""
    path = shared_data / "cassandra-udyam-2022-invoices/testData.csv"
    result = import_file(path, "cassandra")
    assert not result.committed and result.rejected_rows == 1125
    assert result.errors[0] == (2, "Settled",
                                "no settlement date: give Number_of_Days_until_Payment or the as-of option")
    assert Invoice.objects.count() == 0
