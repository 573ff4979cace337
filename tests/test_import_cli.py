"""`dunning import` as a person types it: a real process on a real SQLite file."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from fixtures_import import generic

REPO = Path(__file__).resolve().parents[1]


def dunning(tmp_path, *args):
    env = dict(os.environ, DUNNING_DATABASE_URL=f"sqlite:///{tmp_path / 'cli.sqlite3'}")
    done = subprocess.run([sys.executable, "-m", "dunning.cli", *map(str, args)], capture_output=True, text=True,
                          cwd=tmp_path, env=env, check=False)
    return done.returncode, done.stdout, done.stderr


def test_good_file_prints_counts_and_exits_0(tmp_path):
    path = generic(tmp_path, "0C1,Kunde,A-1,2026-01-01,2026-01-31,EUR,10.00", "C1,Kunde,A-2,2026-01-01,2026-01-31,"
                   "EUR,\"1,234.56\"")
    code, out, err = dunning(tmp_path, "import", "--profile", "generic", path, "--company", "ACME")
    assert (code, err) == (0, "")
    assert out.splitlines()[1:] == ["  companies created: 1", "  customers created: 1", "  invoices: 2"]
    assert out.startswith(f"{path}: loaded (csv, encoding utf-8, 2 rows read, 0 rejected, ")


def test_rejected_rows_print_file_line_field_reason_and_exit_2(tmp_path):
    path = generic(tmp_path, "C1,Kunde,A-1,2026-01-01,2026-01-31,EUR,10.00", "C1,Kunde,A-2,2026-01-01,2026-01-31,XYZ,0",
                   "C1,Kunde,A-1,2026-01-01,2026-01-31,EUR,10.00")
    code, out, _ = dunning(tmp_path, "import", "--profile", "generic", path, "--company", "ACME")
    assert code == 2
    assert out.splitlines()[0].startswith(f"{path}: NOTHING loaded (csv, encoding utf-8, 3 rows read, 2 rejected")
    assert out.splitlines()[-3:] == [
        f"{path}:3: currency: unknown currency 'XYZ' (expected an ISO 4217 code such as EUR)",
        f"{path}:3: amount: an invoice amount must be more than zero, not 0",
        f"{path}:4: invoice: exact duplicate of line 2",
    ]
    code, out, _ = dunning(tmp_path, "import", "--profile", "generic", path, "--company", "ACME", "--skip-bad-rows",
                           "--json")
    report = json.loads(out)
    assert code == 2
    assert (report["committed"], report["rows_read"], report["rejected_rows"], report["counts"]["invoices"]) == (
        True, 3, 2, 1)
    assert report["rejected"][0] == {"line": 3, "field": "currency",
                                     "reason": "unknown currency 'XYZ' (expected an ISO 4217 code such as EUR)"}


def test_missing_column_and_unknown_profile(tmp_path):
    path = generic(tmp_path, "C1,A-1,10.00", header="customer,invoice,amount")
    code, out, _ = dunning(tmp_path, "import", "--profile", "highradius", path)
    assert code == 2
    assert out.splitlines()[-1] == (
        f"{path}:1: business_code, cust_number, invoice_id, posting_date, due_in_date, invoice_currency, "
        "total_open_amount: missing required columns 'business_code', 'cust_number', 'invoice_id', 'posting_date', "
        "'due_in_date', 'invoice_currency', 'total_open_amount'; columns found: customer, invoice, amount")
    code, _, err = dunning(tmp_path, "import", "--profile", "nope", path)
    assert (code, err) == (2, "dunning import: unknown profile 'nope' (known: ibm-ar, highradius, cassandra, generic, "
                              "or a .toml file)\n")


def test_a_file_that_is_not_there_is_named_and_nothing_else(tmp_path):
    code, out, err = dunning(tmp_path, "import", "--profile", "generic", str(tmp_path / "nope.csv"))
    assert (code, out, err) == (2, "", f"dunning import: {tmp_path / 'nope.csv'}: no such file\n")
