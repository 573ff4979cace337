"""A collector's commands, typed as a user would, on a real SQLite file: pause, resume, dispute, preview,
the review queue and the CSV export.

The receivables are those of test_cli_run (as of 2025-03-15: C1 owes INV-1 1,000.00, 43 days
overdue, and INV-2 250.00, 33 days; C2 owes 200.00 of INV-3, 14 days).
"""
from __future__ import annotations

import csv
import io
import json
import sqlite3
import subprocess
import sys

import pytest
from test_cli_run import SEED, dunning

from dunning.services.export import csv_cell


@pytest.fixture
def books(tmp_path):
    path = tmp_path / "dunning.sqlite3"
    url = f"sqlite:///{path}"
    done = subprocess.run([sys.executable, "-c", SEED, url], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return url, path


def ok(url: str, *args: str) -> str:
    done = dunning(url, *args)
    assert done.returncode == 0, done.stderr + done.stdout
    return done.stdout


def refused(url: str, *args: str) -> str:
    done = dunning(url, *args)
    assert done.returncode == 2, done.stdout
    return done.stderr + done.stdout


def customers_with_letters(url: str, as_of: str) -> dict[str, str]:
    out = json.loads(ok(url, "run", "--as-of", as_of, "--dry-run", "--json"))
    return {letter["customer"]: letter["total"] for letter in out["letters"]}


def audit(path, action: str) -> list[tuple[str, str]]:
    with sqlite3.connect(path) as db:
        return db.execute("SELECT actor, data FROM dunning_auditevent WHERE action = ? ORDER BY id",
                          [action]).fetchall()


def test_a_pause_with_an_until_date_holds_the_customer_and_ends_by_itself(books):
    url, path = books

    said = ok(url, "pause", "C1", "--reason", "payment plan agreed", "--until", "2027-03-20", "--actor", "anna")

    assert said == "paused customer C1 until 2027-03-20 (dunning resumes on the day after): payment plan agreed\n"
    assert customers_with_letters(url, "2025-03-15") == {"C2": "200.00"}
    preview = ok(url, "preview", "--as-of", "2025-03-15", "--customer", "C1")
    assert "C1: nothing - paused until 2027-03-20 (payment plan agreed)" in preview
    assert customers_with_letters(url, "2027-03-20") == {"C2": "200.00"}  # the last day of the pause
    assert customers_with_letters(url, "2027-03-21") == {"C1": "1250.00", "C2": "200.00"}
    (actor, data), = audit(path, "customer_paused")
    assert actor == "anna" and json.loads(data)["until"] == "2027-03-20"


def test_resume_lifts_the_pause_and_is_recorded(books):
    url, path = books
    ok(url, "pause", "C1", "--reason", "insolvency")

    assert ok(url, "resume", "C1", "--actor", "ben") == "resumed customer C1\n"

    assert customers_with_letters(url, "2025-03-15") == {"C1": "1250.00", "C2": "200.00"}
    assert [actor for actor, _ in audit(path, "customer_resumed")] == ["ben"]
    assert ok(url, "resume", "C1") == "customer C1 was not paused\n"


def test_pausing_one_invoice_leaves_the_others_dunned(books):
    url, _ = books

    ok(url, "pause", "C1", "--invoice", "INV-1", "--reason", "awaiting delivery note")

    assert customers_with_letters(url, "2025-03-15") == {"C1": "250.00", "C2": "200.00"}


def test_a_pause_that_ended_before_today_is_refused_with_what_to_do(books):
    url, _ = books

    said = refused(url, "pause", "C1", "--reason", "holiday", "--until", "2020-01-01")

    assert "the pause would end on 2020-01-01, before today" in said
    assert "give a later date or none" in said


def test_an_invoice_of_another_customer_is_refused(books):
    url, _ = books

    assert "invoice INV-3 belongs to customer C2, not C1" in refused(url, "pause", "C1", "--invoice", "INV-3",
                                                                     "--reason", "x")
    assert "no customer 'C9'" in refused(url, "pause", "C9", "--reason", "x")


def test_a_disputed_invoice_leaves_the_letter_and_comes_back_when_resolved(books):
    url, path = books

    assert ok(url, "dispute", "INV-1", "--reason", "goods returned") == "invoice INV-1 disputed: goods returned\n"

    preview = json.loads(ok(url, "preview", "--as-of", "2025-03-15", "--customer", "C1", "--json"))
    (letter,) = preview["companies"][0]["letters"]
    assert (letter["level"], letter["total"], [i["invoice"] for i in letter["items"]]) == (2, "250.00", ["INV-2"])
    assert letter["reasons"] == ["INV-2 is 33 days overdue; level 2 starts at 30"]

    ok(url, "dispute", "INV-1", "--resolved", "credit note refused")
    assert customers_with_letters(url, "2025-03-15")["C1"] == "1250.00"
    assert [json.loads(data)["resolution"] for _, data in audit(path, "invoice_dispute_resolved")] == [
        "credit note refused"]


def test_preview_explains_every_decision_in_words(books):
    url, _ = books
    ok(url, "pause", "C2", "--reason", "in talks")

    page = ok(url, "preview", "--as-of", "2025-03-15")

    assert "CO1 as of 2025-03-15: 1 letter(s), 1 record(s) without a letter, 0 data problem(s)" in page
    assert "C1 EUR: level 2, total 1250.00 - INV-1 is 43 days overdue; level 2 starts at 30" in page
    assert "INV-2  due 2025-02-10  33 days  250.00  level 2" in page
    assert "C2: nothing - paused (in talks)" in page
    assert ok(url, "preview", "--as-of", "2024-01-01").splitlines()[1:] == ["  nothing open or overdue on this date"]


def test_the_review_queue_approve_remove_and_refusals(books):
    url, path = books
    with sqlite3.connect(path) as db:
        db.execute("UPDATE dunning_procedure SET sending = 'review'")
    ok(url, "run", "--as-of", "2025-03-15")
    listed = json.loads(ok(url, "review", "list", "--json"))["letters"]
    assert [(r["customer"], r["state"], r["total"], r["why"]) for r in listed] == [
        ("C1", "review", "1250.00", "the procedure sends in review mode"),
        ("C2", "review", "200.00", "the procedure sends in review mode")]
    c1, c2 = (r["id"] for r in listed)

    assert ok(url, "review", "approve", str(c1), "--actor", "anna") == f"approve: letter(s) {c1}\n"
    assert ok(url, "review", "remove", str(c2), "--reason", "customer called, pays Friday") == (
        f"remove: letter(s) {c2}\n")

    with sqlite3.connect(path) as db:
        states = dict(db.execute("SELECT id, state FROM dunning_letter").fetchall())
    assert states == {c1: "queued", c2: "removed"}
    assert f"letter {c2} is removed; cannot approve it" in refused(url, "review", "approve", str(c2))
    assert "no letter with id 999; nothing was changed" in refused(url, "review", "approve", str(c1), "999")
    # a removed letter reminded nothing: tomorrow's run writes C2 again (C1's letter waits in the queue)
    assert customers_with_letters(url, "2025-03-16") == {"C2": "200.00"}


def test_letters_csv_neutralises_formulas_and_keeps_numbers(books):
    url, path = books
    with sqlite3.connect(path) as db:
        db.execute("""UPDATE dunning_customer SET name = '=HYPERLINK("http://evil.example","Pay here")'
                      WHERE number = 'C1'""")
        db.execute("UPDATE dunning_customer SET name = '@SUM(A1:A9)' WHERE number = 'C2'")
    ok(url, "run", "--as-of", "2025-03-15", "--no-deliver")

    rows = list(csv.DictReader(io.StringIO(ok(url, "letters", "--csv", "-"))))

    assert [r["customer_name"] for r in rows] == ["'=HYPERLINK(\"http://evil.example\",\"Pay here\")",
                                                 "'@SUM(A1:A9)"]
    assert [(r["customer"], r["total"], r["dunned"], r["level"]) for r in rows] == [
        ("C1", "1250.00", "1250.00", "2"), ("C2", "200.00", "200.00", "1")]
    assert rows[0]["reasons"] == "INV-1 is 43 days overdue; level 2 starts at 30"


@pytest.mark.parametrize("value, cell", [
    ("=1+2", "'=1+2"), ("+31 20 555", "'+31 20 555"), ("-2+3", "'-2+3"), ("@cmd", "'@cmd"), ("\t=1", "'\t=1"),
    ("\r=1", "'\r=1"), ("-100.00", "-100.00"), ("-5", "-5"), ("100.00", "100.00"), ("Müller & Söhne", "Müller & Söhne"),
    ("", ""), (None, ""), ("a=b", "a=b"),
])
def test_csv_cells_that_could_run_as_formulas_get_an_apostrophe(value, cell):
    assert csv_cell(value) == cell
