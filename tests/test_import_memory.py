"""Memory stays bounded while streaming: measured as peak RSS of a child process, not as time.

A 100 MB file is read row by row with a peak no higher than for a tiny file plus a margin far below
the file's size; a whole import of a file ten times larger than another needs about the same peak.
"""
from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow
REPO = Path(__file__).resolve().parents[1]
MB = 1 << 20


def generic_file(path: Path, rows: int) -> Path:
    with open(path, "w", encoding="utf-8", newline="") as fh:
        fh.write("customer,customer_name,invoice,issue_date,due_date,currency,amount\r\n")
        fh.writelines(f"C{n % 5000:05d},Customer number {n % 5000} Ltd,INV-{n:08d},2026-01-0{1 + n % 9},"
                     f"2026-02-0{1 + n % 9},EUR,\"{1 + n % 9},{n % 1000:03d}.{n % 100:02d}\"\r\n" for n in range(rows))
    return path


def peak_rss_mb(script: str, *args: str, env: dict | None = None) -> tuple[float, dict]:
    """Run `script` in a fresh Python; returns its peak RSS in MB and the JSON it printed last."""
    code = textwrap.dedent(script) + textwrap.dedent("""
        import json, resource, sys
        print(json.dumps({"out": OUT, "peak_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))
    """)
    done = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, cwd=REPO,
                          env=env, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    return report["peak_kb"] / 1024, report["out"]


READ_ALL = """
    import sys
    from dunning.importers.reading import open_table
    rows = 0
    with open_table(sys.argv[1]) as table:
        for line, row in table:
            rows += 1
            last = line
    OUT = {"rows": rows, "last_line": last, "encoding": table.encoding}
""".replace("for line, row in table:", "for line, row in table.rows:")


def test_reading_a_100_mb_file_streams(tmp_path):
    big = generic_file(tmp_path / "big.csv", 1_300_000)
    small = generic_file(tmp_path / "small.csv", 1_000)
    assert big.stat().st_size > 100 * MB
    small_peak, small_out = peak_rss_mb(READ_ALL, str(small))
    big_peak, big_out = peak_rss_mb(READ_ALL, str(big))
    assert big_out == {"rows": 1_300_000, "last_line": 1_300_001, "encoding": "utf-8"}
    assert small_out["rows"] == 1_000
    assert big_peak - small_peak < 20, (small_peak, big_peak)  # MB; the file is over 100 MB


IMPORT = """
    import os, sys
    from dunning import bootstrap
    bootstrap.setup(); bootstrap.migrate()
    from dunning.importers.load import import_file
    result = import_file(sys.argv[1], "generic", company="ACME")
    OUT = {"committed": result.committed, "invoices": result.counts["invoices"],
           "customers": result.counts["customers_created"], "rejected": result.rejected_rows}
"""


def test_a_whole_import_needs_the_same_memory_for_ten_times_the_rows(tmp_path):
    import os

    results = {}
    for rows in (5_000, 50_000):
        path = generic_file(tmp_path / f"f{rows}.csv", rows)
        env = dict(os.environ, DUNNING_DATABASE_URL=f"sqlite:///{tmp_path / f'db{rows}.sqlite3'}")
        results[rows] = peak_rss_mb(IMPORT, str(path), env=env)
    assert results[5_000][1] == {"committed": True, "invoices": 5_000, "customers": 5_000, "rejected": 0}
    assert results[50_000][1] == {"committed": True, "invoices": 50_000, "customers": 5_000, "rejected": 0}
    assert results[50_000][0] - results[5_000][0] < 25, (results[5_000][0], results[50_000][0])
