"""Run bench/measure.py for each size, print a table, and write it into bench/RESULTS.md.

Each size runs in its own process on its own fresh database. Ratios are against the baseline
measured in the same process on the same data (a plain read of every invoice of the company), so
they say how the run compares with the least any program must do, whatever the machine's speed.
"""
from __future__ import annotations

import argparse
import json
import platform
import sqlite3
import subprocess
import sys
import tempfile
from datetime import datetime, timezone
from pathlib import Path

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "RESULTS.md"
START, END = "<!-- bench:start -->", "<!-- bench:end -->"
DEFAULT_SIZES = "1000:4000,10000:40000,50000:200000"
BUG30 = "60000:1700000"  # SPEC case BUG-30: 60k open invoices out of 1.7M


def parse_args(argv=None):
    parser = argparse.ArgumentParser(prog="bench/run", description="Time the dunning run at a few sizes.")
    parser.add_argument("--sizes", default=DEFAULT_SIZES,
                        help=f"OPEN:TOTAL invoices, comma-separated (default {DEFAULT_SIZES})")
    parser.add_argument("--bug30", action="store_true", help=f"add the BUG-30 size {BUG30} (takes minutes)")
    parser.add_argument("--history-status", choices=["paid", "open"], default="paid",
                        help="status of settled history invoices (see bench/measure.py)")
    parser.add_argument("--postgres", metavar="URL", help="measure on this PostgreSQL database instead of SQLite "
                        "(it is flushed), e.g. postgres://postgres@127.0.0.1:5432/dunning_bench")
    parser.add_argument("--render", type=int, default=50, help="letters rendered at the smallest size (0: skip)")
    parser.add_argument("--no-write", action="store_true", help="print only; leave bench/RESULTS.md alone")
    return parser.parse_args(argv)


def sizes(args) -> list[tuple[int, int]]:
    spec = args.sizes + ("," + BUG30 if args.bug30 else "")
    return [tuple(int(n) for n in part.split(":")) for part in spec.split(",") if part]


def measure(open_count: int, total: int, args, render: int, folder: Path) -> dict:
    database = args.postgres or f"sqlite:///{folder / f'bench-{open_count}-{total}.sqlite3'}"
    command = [sys.executable, str(HERE / "measure.py"), "--open", str(open_count), "--total", str(total),
               "--database", database, "--history-status", args.history_status, "--render", str(render)]
    print(f"measuring {open_count:,} open of {total:,} invoices ...", file=sys.stderr, flush=True)
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        sys.stderr.write(done.stderr)
        raise SystemExit(f"bench/measure.py failed for {open_count}:{total}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def table(rows: list[dict]) -> str:
    head = ("| open | total | fill s | baseline s | open scan s | dry run s (× baseline) | run s (× baseline) "
            "| letters | queries | rerun s (queries) |")
    lines = [head, "|" + "|".join("---:" for _ in range(head.count("|") - 1)) + "|"]
    for r in rows:
        base = r["baseline_s"]
        lines.append(
            f"| {r['open']:,} | {r['total']:,} | {r['fill_s']:.1f} | {base:.3f} | {r['open_scan_s']:.3f} "
            f"| {r['dry_run_s']:.2f} ({r['dry_run_s'] / base:.1f}×) | {r['run_s']:.2f} ({r['run_s'] / base:.1f}×) "
            f"| {r['letters']:,} | {r['run_queries']:,} | {r['rerun_s']:.2f} ({r['rerun_queries']}) |")
    return "\n".join(lines)


def section(rows: list[dict], args) -> str:
    first = rows[0]
    engine = "PostgreSQL" if args.postgres else f"SQLite {sqlite3.sqlite_version}"
    render = render_line(first)
    loads = [load for r in rows for load in r.get("load", [])] or [0.0]
    return "\n".join([
        START,
        f"Measured {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC by `bench/run {' '.join(sys.argv[1:])}`".rstrip()
        + f" — {engine}, Python {platform.python_version()}, {first['cpus']} CPUs ({platform.machine()}), "
        f"settled history with status `{args.history_status}`; 1-minute load average "
        f"{min(loads):.1f}–{max(loads):.1f} while measuring"
        + (" (above the CPU count: other work was slowing every figure)." if max(loads) > first["cpus"] else "."),
        "",
        table(rows),
        "",
        render,
        END,
    ])


def render_line(first: dict) -> str:
    if "render_letters_per_s" not in first:
        return f"PDF rendering: {first.get('render_note', 'not measured')}."
    line = (f"PDF rendering (render_letter: PDF + email, {first['render_letters']} letters of the smallest size): "
            f"**{first['render_letters_per_s']:.1f} letters/s** on one process")
    parts = [f"{label} alone {first[key]:.1f} letters/s" for label, key in
             (("PDF", "render_pdf_letters_per_s"), ("email", "render_email_letters_per_s")) if key in first]
    return line + (f" ({'; '.join(parts)})." if parts else ".")


def write(text: str) -> None:
    old = RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else f"# Benchmark results\n\n{START}\n{END}\n"
    if START not in old:
        old += f"\n{START}\n{END}\n"
    before, rest = old.split(START, 1)
    after = rest.split(END, 1)[1]
    RESULTS.write_text(before + text + after, encoding="utf-8")


def main(argv=None) -> int:
    args = parse_args(argv)
    rows = []
    with tempfile.TemporaryDirectory(prefix="dunning-bench-") as folder:
        for index, (open_count, total) in enumerate(sizes(args)):
            rows.append(measure(open_count, total, args, args.render if index == 0 else 0, Path(folder)))
    text = section(rows, args)
    print(text)
    if not args.no_write:
        write(text)
        print(f"\nwritten to {RESULTS}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
