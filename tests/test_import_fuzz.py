"""Whole-file fuzzing: random bytes and random rows never crash the importer with anything but a
reported error, and never half-load: either every row is written or none is."""
from __future__ import annotations

import csv
import io
import tempfile
from pathlib import Path

import pytest
from django.db import transaction
from fixtures_import import database_state
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dunning.importers.load import import_file

pytestmark = pytest.mark.django_db

FUZZ = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                        HealthCheck.too_slow])


class _Undo(Exception):
    """Raised to roll each example back, so examples do not see each other's rows."""


def run_isolated(content: bytes, suffix: str, profile: str, **options):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"fuzz{suffix}"
        path.write_bytes(content)
        outcome = {}
        try:
            with transaction.atomic():
                outcome["before"] = database_state()
                outcome["result"] = import_file(path, profile, **options)
                outcome["after"] = database_state()
                raise _Undo
        except _Undo:
            pass
        return outcome["before"], outcome["result"], outcome["after"]


def assert_all_or_nothing(before, result, after):
    if result.committed:
        assert result.rejected_rows == 0 or result.counts["rows_loaded"] + result.rejected_rows <= result.rows_read
    else:
        assert result.rejected_rows > 0 and result.rejected, "a refused import must say why"
        assert after == before
    for rejection in result.rejected:
        assert rejection.reason and rejection.line >= 0


@FUZZ
@given(st.binary(max_size=2000), st.sampled_from([".csv", ".xlsx", ".txt"]),
       st.sampled_from(["generic", "ibm-ar", "highradius", "cassandra"]))
def test_random_bytes_are_refused_with_a_reason(db, content, suffix, profile):
    before, result, after = run_isolated(content, suffix, profile, company="ACME")
    assert_all_or_nothing(before, result, after)


TEXTISH = st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=12)
AMOUNTS = st.one_of(st.decimals(min_value=-1000, max_value=100000, places=2, allow_nan=False).map(str),
                    st.sampled_from(["1.234,56", "1,234.56", "0", "-0.01", "12.345", "", "1e3", " 7 "]), TEXTISH)
DATES = st.one_of(st.dates().map(str), st.sampled_from(["2026-02-30", "01/02/2026", "", "26-Apr-11"]), TEXTISH)
ROW = st.fixed_dictionaries({
    "kind": st.sampled_from(["invoice", "invoice", "payment", "credit_note", "allocation", "", "refund"]),
    "customer": st.sampled_from(["C1", "0C1", "C2", "", "C" * 70]),
    "customer_name": TEXTISH,
    "invoice": st.sampled_from(["A-1", "A-2", "A-3", "", "1930571429.0"]),
    "number": st.sampled_from(["P-1", "P-2", "CN-1", ""]),
    "issue_date": DATES,
    "due_date": DATES,
    "date": DATES,
    "currency": st.sampled_from(["EUR", "eur", "JPY", "KWD", "XYZ", ""]),
    "amount": AMOUNTS,
    "allocated": st.one_of(st.just(""), AMOUNTS),
    "credit_kind": st.sampled_from(["", "payment", "credit_note", "gift"]),
    "status": st.sampled_from(["", "open", "paid", "void", "weird"]),
    "email": st.sampled_from(["", "ap@example.com", "not an email"]),
})


def as_csv(rows: list[dict], delimiter: str) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(ROW.mapping) if hasattr(ROW, "mapping") else list(rows[0]),
                            delimiter=delimiter)
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


@FUZZ
@given(st.lists(ROW, min_size=1, max_size=25), st.sampled_from([",", ";", "\t"]), st.booleans(),
       st.sampled_from([1, 3, 2000]))
def test_random_rows_load_whole_or_not_at_all(db, rows, delimiter, skip_bad_rows, batch_size):
    content = as_csv(rows, delimiter)
    before, result, after = run_isolated(content, ".csv", "generic", company="ACME",
                                         skip_bad_rows=skip_bad_rows, batch_size=batch_size)
    assert result.rows_read == len(rows)
    assert_all_or_nothing(before, result, after)
    loaded = result.counts["rows_loaded"] if result.committed else 0
    if result.committed:
        assert loaded + result.rejected_rows + result.counts["duplicates_skipped"] == len(rows)
        written = after["Invoice"] - before["Invoice"]
        assert written == result.counts["invoices"]
        assert after["Allocation"] - before["Allocation"] == result.counts["allocations"]
    if not skip_bad_rows and result.rejected_rows:
        assert not result.committed
