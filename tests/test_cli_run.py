"""`dunning run`, `letters` and `backtest` as a user types them: real processes on a real SQLite file.

The rows are written by a small seeding program (another process), then the commands run against
the same file, as they would on a collector's machine.
"""
from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

SEED = r"""
import sys
from datetime import date
from decimal import Decimal
from dunning import bootstrap
bootstrap.setup(sys.argv[1]); bootstrap.migrate()
from dunning.models import Allocation, Company, Credit, Customer, Invoice, customer_key
from dunning.models.money import to_minor
from dunning.services.setup import ensure_default_setup

ensure_default_setup()
co = Company.objects.create(code="CO1", name="Acme GmbH", base_currency="EUR", timezone="Europe/Berlin")
def customer(number):
    return Customer.objects.create(company=co, number=number, key=customer_key(number), name=f"Customer {number}",
                                   currency="EUR", email=f"{number.lower()}@example.com")
def invoice(cust, number, amount, due, issued):
    return Invoice.objects.create(company=co, customer=cust, number=number, currency="EUR", due_date=due,
                                  issue_date=issued, amount_minor=to_minor(Decimal(amount), "EUR"))
c1, c2 = customer("C1"), customer("C2")
invoice(c1, "INV-1", "1000.00", date(2025, 1, 31), date(2025, 1, 1))
invoice(c1, "INV-2", "250.00", date(2025, 2, 10), date(2025, 1, 11))
inv3 = invoice(c2, "INV-3", "300.00", date(2025, 3, 1), date(2025, 1, 30))
pay = Credit.objects.create(company=co, customer=c2, number="PAY-1", kind="payment", date=date(2025, 3, 5),
                            currency="EUR", amount_minor=10000)
Allocation.objects.create(invoice=inv3, credit=pay, date=date(2025, 3, 5), amount_minor=10000)
"""

EXPECTED_LETTERS = [
    {"company": "CO1", "customer": "C1", "currency": "EUR", "level": 2, "total": "1250.00",
     "items": [{"invoice": "INV-1", "open_amount": "1000.00", "days_overdue": 43, "level": 2},
               {"invoice": "INV-2", "open_amount": "250.00", "days_overdue": 33, "level": 2}]},
    {"company": "CO1", "customer": "C2", "currency": "EUR", "level": 1, "total": "200.00",
     "items": [{"invoice": "INV-3", "open_amount": "200.00", "days_overdue": 14, "level": 1}]},
]


def dunning(url: str, *args: str, wait: bool = True):
    command = [sys.executable, "-m", "dunning.cli", "--database", url, *args]
    env = {**os.environ, "DUNNING_DELIVERY": "folder"}
    if not wait:
        return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    return subprocess.run(command, capture_output=True, text=True, env=env, timeout=120)


@pytest.fixture
def seeded(tmp_path: Path) -> tuple[str, Path]:
    path = tmp_path / "dunning.sqlite3"
    url = f"sqlite:///{path}"
    done = subprocess.run([sys.executable, "-c", SEED, url], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return url, path


def count(path: Path, sql: str) -> int:
    with sqlite3.connect(path) as db:
        return db.execute(sql).fetchone()[0]


def test_run_json_lists_the_letters_it_made(seeded):
    url, path = seeded

    done = dunning(url, "run", "--as-of", "2025-03-15", "--json", "--no-deliver")

    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"run": 1, "as_of": "2025-03-15", "letters": EXPECTED_LETTERS}
    again = dunning(url, "run", "--as-of", "2025-03-15", "--json", "--no-deliver")
    assert json.loads(again.stdout) == {"run": 2, "as_of": "2025-03-15", "letters": []}
    assert count(path, "select count(*) from dunning_letter") == 2


def test_dry_run_prints_the_letters_and_records_nothing(seeded):
    url, path = seeded

    done = dunning(url, "run", "--as-of", "2025-03-15", "--dry-run", "--json")

    assert json.loads(done.stdout) == {"run": None, "as_of": "2025-03-15", "letters": EXPECTED_LETTERS}
    assert count(path, "select count(*) from dunning_letter") + count(path, "select count(*) from dunning_run") == 0


def test_run_prints_a_summary_table(seeded):
    url, _ = seeded

    done = dunning(url, "run", "--as-of", "2025-03-15", "--no-deliver")

    lines = done.stdout.splitlines()
    assert lines[0].split() == ["Company", "Customer", "Currency", "Level", "Items", "Total"]
    assert [line.split() for line in lines[2:4]] == [["CO1", "C1", "EUR", "2", "2", "1250.00"],
                                                     ["CO1", "C2", "EUR", "1", "1", "200.00"]]
    assert lines[4] == "run 1: 2 letter(s); 0 record(s) skipped; dates: CO1 2025-03-15"


def test_unknown_company_and_bad_date_are_refused_clearly(seeded):
    url, _ = seeded

    unknown = dunning(url, "run", "--as-of", "2025-03-15", "--company", "NOPE")
    bad_date = dunning(url, "run", "--as-of", "15.03.2025")

    assert (unknown.returncode, unknown.stderr.strip()) == (2, "dunning run: no company with code 'NOPE'")
    assert bad_date.returncode == 2 and "'15.03.2025' is not a date; write YYYY-MM-DD" in bad_date.stderr


def test_letters_lists_a_runs_letters(seeded):
    url, _ = seeded
    dunning(url, "run", "--as-of", "2025-03-15", "--no-deliver")

    done = dunning(url, "letters", "--run", "1", "--json")

    rows = json.loads(done.stdout)["letters"]
    assert [(r["customer"], r["level"], r["state"], r["total"], r["date"]) for r in rows] == [
        ("C1", 2, "queued", "1250.00", "2025-03-15"), ("C2", 1, "queued", "200.00", "2025-03-15")]
    assert rows[1]["items"] == [{"invoice": "INV-3", "open_amount": "200.00", "days_overdue": 14, "level": 1}]
    assert dunning(url, "letters", "--run", "99").returncode == 2


def test_two_runs_started_at_once_make_one_set_of_letters(seeded):
    """Both wait for the write lock another program holds; then one writes the letters, the other nothing."""
    url, path = seeded
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # as a long transaction of another writer would
    try:
        runs = [dunning(url, "run", "--as-of", "2025-03-15", "--json", "--no-deliver", wait=False) for _ in range(2)]
        time.sleep(3)  # let both reach the lock; the outcome below does not depend on it
    finally:
        holder.execute("COMMIT")
        holder.close()
    outputs = [run.communicate(timeout=120) for run in runs]

    assert [run.returncode for run in runs] == [0, 0], [err for _, err in outputs]
    made = sorted(len(json.loads(out)["letters"]) for out, _ in outputs)
    assert made == [0, 2]
    assert count(path, "select count(*) from dunning_letter") == 2
    assert count(path, "select count(*) from dunning_run where status = 'finished'") == 2


def test_backtest_reports_letters_per_level(seeded):
    url, _ = seeded

    done = dunning(url, "backtest", "--from", "2025-02-01", "--to", "2025-03-15", "--json")

    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    # C1: 02-01 L1 (INV-1), 02-11 L1 (INV-2 new), 03-02 L2 (INV-1 at 30 days), 03-12 L2 (INV-2 at 30 days);
    # C2: 03-02 L1 (INV-3, partly paid). Nothing is paid in full within the data.
    assert (report["days"], report["companies"], report["letters"]) == (43, ["CO1"], 5)
    assert [(lv["level"], lv["letters"], lv["invoices"], lv["paid"], lv["share_paid"]) for lv in report["levels"]] == [
        (1, 3, 3, 0, "0.0000"), (2, 2, 2, 0, "0.0000")]


BIG_LETTER = r"""
import sys
from datetime import date
from dunning import bootstrap
bootstrap.setup(sys.argv[1]); bootstrap.migrate()
from dunning.models import Company, Customer, Invoice, customer_key
from dunning.services.setup import ensure_default_setup

ensure_default_setup()
co = Company.objects.create(code="CO1", name="Acme GmbH", base_currency="EUR", timezone="Europe/Berlin")
c1 = Customer.objects.create(company=co, number="C1", key=customer_key("C1"), name="Big buyer", currency="EUR")
Invoice.objects.bulk_create(Invoice(company=co, customer=c1, number=f"INV-{n:04}", currency="EUR", amount_minor=1000,
                                    due_date=date(2025, 2, 1), issue_date=date(2025, 1, 2)) for n in range(1200))
"""


def test_letters_lists_a_letter_with_more_items_than_sqlite_takes_parameters(tmp_path):
    """1,200 invoices on one letter: listing it once failed on SQLite (one condition per invoice)."""
    url = f"sqlite:///{tmp_path / 'dunning.sqlite3'}"
    seeded = subprocess.run([sys.executable, "-c", BIG_LETTER, url], capture_output=True, text=True, timeout=120)
    assert seeded.returncode == 0, seeded.stderr
    assert dunning(url, "run", "--as-of", "2025-03-15", "--no-deliver").returncode == 0

    for args in (["--json"], ["--csv", str(tmp_path / "letters.csv")], []):
        done = dunning(url, "letters", *args)
        assert done.returncode == 0, done.stderr
    (letter,) = json.loads(dunning(url, "letters", "--json").stdout)["letters"]
    assert (len(letter["items"]), letter["total"], letter["items"][0]["invoice"]) == (1200, "12000.00", "INV-0000")


def test_letters_json_shows_what_makes_each_total(seeded):
    url, _ = seeded
    dunning(url, "run", "--as-of", "2025-03-15", "--no-deliver")

    rows = json.loads(dunning(url, "letters", "--json").stdout)["letters"]

    assert [(r["dunned"], r["fee"], r["interest"], r["credits"], r["total"]) for r in rows] == [
        ("1250.00", "0.00", "0.00", "0.00", "1250.00"), ("200.00", "0.00", "0.00", "0.00", "200.00")]
    assert rows[0]["reasons"] == ["INV-1 is 43 days overdue; level 2 starts at 30"]
