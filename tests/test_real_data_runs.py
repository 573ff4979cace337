"""The dunning run on real data (issue 2, item 8): import each data set, run with the default set-up
as of a date the data makes interesting, and compare every letter with figures computed here from
the raw CSV (csv module, own date arithmetic, own customer normalisation).

Levels of the default set-up: 1 from 1 day overdue, 2 from 30, 3 from 60; no thresholds, no fees.
Days overdue = as_of - due date; overdue from 1. A customer letter's level is its highest item
level; its dunned total is the sum of its overdue items. Open amounts at or below the tolerance
(the currency's minor unit, 0.01) count as paid.
"""
from __future__ import annotations

import csv
import hashlib
from collections import Counter, defaultdict
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest

from dunning.importers.load import import_file
from dunning.models import Letter

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

IBM = "ibm-wa-accounts-receivable/WA_Fn-UseC_-Accounts-Receivable.csv"
HIGHRADIUS = "highradius-open-invoices-subset/data2.csv"
CASSANDRA = "cassandra-udyam-2022-invoices/trainData.csv"
TOLERANCE = 1  # minor units


def raw_rows(path):
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def cents(text: str) -> int:
    return int(Decimal(text) * 100)


def level_for(days: int) -> int:
    return 3 if days >= 60 else 2 if days >= 30 else 1


def expected_letters(items):
    """items: (company, currency, customer, open_minor, days_overdue) -> {(company, currency, customer): (level, total)}."""
    letters: dict[tuple, list[int]] = {}
    for company, currency, customer, open_minor, days in items:
        if days < 1 or open_minor <= TOLERANCE:
            continue
        level, total = letters.get((company, currency, customer), (0, 0))
        letters[(company, currency, customer)] = (max(level, level_for(days)), total + open_minor)
    return {key: tuple(value) for key, value in letters.items()}


def made_letters(result, customer_id) -> dict:
    """Letters of the run as {(company, currency, customer id as the test computes it): (level, dunned)}."""
    letters = Letter.objects.filter(run_id=result.run_id).select_related("company", "customer")
    made = {}
    for letter in letters:
        assert (letter.fee_minor, letter.interest_minor, letter.credit_minor) == (0, 0, 0), letter.pk
        assert letter.total_minor == letter.dunned_minor
        made[(letter.company.code, letter.currency, customer_id(letter.customer))] = (letter.level,
                                                                                      letter.dunned_minor)
    return made


def per_company_and_currency(letters: dict) -> dict:
    summary: dict[tuple, dict] = defaultdict(lambda: {"letters": 0, "total": 0, "levels": Counter()})
    for (company, currency, _), (level, total) in letters.items():
        entry = summary[(company, currency)]
        entry["letters"] += 1
        entry["total"] += total
        entry["levels"][level] += 1
    return {key: {**value, "levels": dict(value["levels"])} for key, value in summary.items()}


def run(as_of: date):
    from dunning.services.run import run_dunning
    from dunning.services.setup import ensure_default_setup

    ensure_default_setup()
    result = run_dunning(as_of=as_of, deliver=False)
    assert result.errors == []
    return result


def test_highradius_as_of_2020_06_30(shared_data):
    as_of = date(2020, 6, 30)
    rows = raw_rows(shared_data / HIGHRADIUS)
    assert import_file(shared_data / HIGHRADIUS, "highradius").committed
    items = [(r["business_code"], r["invoice_currency"], r["cust_number"].lstrip("0") or "0",
              cents(r["total_open_amount"]), (as_of - date.fromisoformat(r["due_in_date"])).days) for r in rows]
    expected = expected_letters(items)
    made = made_letters(run(as_of), lambda customer: customer.key)
    assert per_company_and_currency(made) == per_company_and_currency(expected)
    assert made == expected
    assert per_company_and_currency(made) == {  # the same figures, written out
        ("CA02", "CAD"): {"letters": 61, "total": 4447100908, "levels": {3: 53, 2: 8}},
        ("U001", "USD"): {"letters": 427, "total": 27281205001, "levels": {3: 376, 2: 51}},
        ("U002", "USD"): {"letters": 7, "total": 74382226, "levels": {3: 7}},
        ("U005", "USD"): {"letters": 1, "total": 1032324, "levels": {3: 1}},
        ("U013", "USD"): {"letters": 30, "total": 132497263, "levels": {3: 18, 2: 10, 1: 2}},
    }


def test_ibm_as_of_2013_06_30(shared_data):
    as_of = date(2013, 6, 30)
    rows = raw_rows(shared_data / IBM)
    assert import_file(shared_data / IBM, "ibm-ar").committed
    mdy = lambda text: datetime.strptime(text, "%m/%d/%Y").date()
    unpaid = [r for r in rows if mdy(r["InvoiceDate"]) <= as_of < mdy(r["SettledDate"])]
    assert len(unpaid) == 84  # README: 84 open
    items = [("IBM", "USD", r["customerID"], cents(r["InvoiceAmount"]), (as_of - mdy(r["DueDate"])).days)
             for r in unpaid]
    assert sum(1 for item in items if item[4] >= 1) == 12  # README: 12 of them overdue
    expected = expected_letters(items)
    made = made_letters(run(as_of), lambda customer: customer.number)
    assert made == expected
    assert per_company_and_currency(made) == per_company_and_currency(expected)


def cassandra_items(rows, as_of: date):
    """The profile's rules restated: the exact duplicate row is skipped; a settlement is dated
    Invoice_Date + Number_of_Days_until_Payment (never before the invoice date); before it, the
    whole amount is open, from it on the Outstanding amount."""
    seen, items, pennies = set(), [], set()
    dmy = lambda text: datetime.strptime(text, "%d-%b-%y").date()
    for r in rows:
        if tuple(r.values()) in seen:
            continue
        seen.add(tuple(r.values()))
        issued, due = dmy(r["Invoice_Date"]), dmy(r["Due_Date"])
        paid_on = issued + timedelta(days=max(0, int(r["Number_of_Days_until_Payment"])))
        open_minor = cents(r["Amount"]) if paid_on > as_of else cents(r["Outstanding"])
        name = " ".join(r["Vendor_Name"].split()).casefold()
        customer = "V-" + hashlib.sha256(name.encode()).hexdigest()[:16].upper()
        items.append(("CASSANDRA", "USD", customer, open_minor, (as_of - due).days))
        if 0 < open_minor <= TOLERANCE and (as_of - due).days >= 1:
            pennies.add(customer)
    return items, pennies


def test_cassandra_as_of_2017_06_30_partial_payments_and_penny_residues(shared_data):
    as_of = date(2017, 6, 30)
    rows = raw_rows(shared_data / CASSANDRA)
    assert import_file(shared_data / CASSANDRA, "cassandra").committed
    items, pennies = cassandra_items(rows, as_of)
    expected = expected_letters(items)
    penny_only = pennies - {customer for (_, _, customer) in expected}
    assert len(penny_only) == 2  # customers whose only overdue item is a 0.01 residue: no letter
    partial = sum(1 for *_, open_minor, days in items if days >= 1 and open_minor > TOLERANCE)
    assert partial > 500
    made = made_letters(run(as_of), lambda customer: customer.number)
    assert per_company_and_currency(made) == per_company_and_currency(expected)
    assert made == expected
    assert not penny_only & {customer for (_, _, customer) in made}
