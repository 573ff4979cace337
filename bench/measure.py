"""Measure one size: fill a fresh database with generated receivables, time the run, print JSON.

Run by bench/run (one process per size, so each size gets its own database and Django set-up):

    python bench/measure.py --open 10000 --total 40000 --database sqlite:////tmp/bench.sqlite3

Data: one company (EUR, Europe/Berlin), one customer per 5 open invoices, every customer with
history. `total - open` invoices are settled history: each fully paid by one payment allocated to
it (status "paid", as a billing system exports it; --history-status open keeps them "open", paid
only through their allocations, as the IBM and generic imports do). 15 % of the open invoices are
partly paid. Open invoices are due between 150 days ago and 30 days ahead of the run date.

Timings (wall clock, best of --repeat):
  baseline      read every invoice of the company once as plain values (the cheapest full scan);
  open_scan     read the open invoices and their allocations (what any dunning selection must read);
  dry_run       run_dunning(dry_run=True): facts, decisions, nothing written;
  run           run_dunning(deliver=False) on a fresh copy of the day: letters written, not sent;
  rerun         the same run again the same day (finds its letters, makes none);
  render        render_letter() per letter for --render letters (PDF + email), letters per second;
                also the PDF alone (render_pdf_letter) and the email alone (render_email), so a
                regression in either shows.
Query counts: every statement the run sends (execute and executemany), counted by a
connection.execute_wrapper. (Django's CaptureQueriesContext keeps at most 9,000 queries and then
counts 0: the old figures for 50k were that cap, not the run.)
"""
from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from datetime import date, timedelta
from pathlib import Path

AS_OF = date(2026, 12, 3)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--open", type=int, required=True, help="open invoices")
    parser.add_argument("--total", type=int, required=True, help="all invoices, open and settled")
    parser.add_argument("--database", required=True, help="database URL; it is emptied first")
    parser.add_argument("--history-status", choices=["paid", "open"], default="paid")
    parser.add_argument("--repeat", type=int, default=3, help="best of N for the read-only timings")
    parser.add_argument("--render", type=int, default=0, help="letters to render for letters/s (0: skip)")
    parser.add_argument("--seed", type=int, default=30)
    return parser.parse_args(argv)


def setup(url: str) -> None:
    if url.startswith("sqlite:///"):
        path = Path(url[len("sqlite:///"):])
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from dunning import bootstrap

    bootstrap.setup(url)
    if not url.startswith("sqlite"):
        from django.core.management import call_command

        call_command("flush", interactive=False, verbosity=0)
    bootstrap.migrate()


def fill(open_count: int, total: int, history_status: str, seed: int) -> dict:
    """Insert the data set with bulk inserts; returns the row counts."""
    from django.db import transaction

    from dunning.models import Allocation, Company, Credit, Customer, Invoice
    from dunning.services.setup import ensure_default_setup

    rng = random.Random(seed)
    ensure_default_setup()
    company = Company.objects.create(code="BENCH", name="Bench Handels GmbH", base_currency="EUR",
                                      timezone="Europe/Berlin", language="de", sender_email="ar@bench.example.de")
    customer_count = max(1, open_count // 5)
    with transaction.atomic():
        Customer.objects.bulk_create([
            Customer(company=company, number=f"K{n:07d}", key=f"K{n:07d}", name=f"Kunde {n} GmbH", language="de",
                     currency="EUR", email=f"ap{n}@kunde.example.de") for n in range(customer_count)],
            batch_size=5000)
    customer_ids = list(Customer.objects.filter(company=company).values_list("id", flat=True))

    counts = {"customers": customer_count, "invoices": 0, "payments": 0, "allocations": 0}
    batch = 20000
    number = 0
    for start in range(0, total, batch):
        size = min(batch, total - start)
        invoices, plans = [], []
        for i in range(start, start + size):
            number += 1
            is_open = i < open_count
            if is_open:
                due = AS_OF + timedelta(days=rng.randint(-150, 30))
            else:  # history reaches back years: that is what makes a full scan slow
                due = AS_OF - timedelta(days=rng.randint(30, 3 * 365))
            amount = rng.randint(5_000, 2_500_000)
            invoices.append(Invoice(company=company, customer_id=customer_ids[i % customer_count],
                                    number=f"RE-{number:08d}", issue_date=due - timedelta(days=30), due_date=due,
                                    currency="EUR", amount_minor=amount,
                                    status="open" if is_open else history_status))
            if not is_open:
                plans.append((len(invoices) - 1, amount, due + timedelta(days=rng.randint(-5, 40))))
            elif rng.random() < 0.15 and due < AS_OF:
                plans.append((len(invoices) - 1, amount * rng.randint(20, 80) // 100,
                               min(AS_OF, due + timedelta(days=rng.randint(0, 20)))))
        with transaction.atomic():
            made = Invoice.objects.bulk_create(invoices, batch_size=5000)
            credits = [Credit(company=company, customer_id=made[index].customer_id, number=f"ZE-{made[index].number}",
                              kind="payment", date=day, currency="EUR", amount_minor=part)
                       for index, part, day in plans]
            credits = Credit.objects.bulk_create(credits, batch_size=5000)
            Allocation.objects.bulk_create([
                Allocation(invoice=made[index], credit=credit, date=day, amount_minor=part)
                for (index, part, day), credit in zip(plans, credits)], batch_size=5000)
        counts["invoices"] += len(made)
        counts["payments"] += len(credits)
        counts["allocations"] += len(credits)
    return counts


def best(repeat: int, fn) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return min(times)


class QueryCount:
    """Counts the statements sent on the connection inside the block (no cap, unlike the debug log)."""

    def __init__(self, connection):
        self.connection, self.count = connection, 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)

    def __enter__(self):
        self._wrapper = self.connection.execute_wrapper(self)
        self._wrapper.__enter__()
        return self

    def __exit__(self, *exc):
        return self._wrapper.__exit__(*exc)

    def __len__(self):
        return self.count


def measure(args) -> dict:
    from django.db import connection

    from dunning.models import Allocation, Company, Invoice, Letter
    from dunning.services.run import run_dunning

    company = Company.objects.get(code="BENCH")

    def baseline():
        return list(Invoice.objects.filter(company=company).values_list("id", "customer_id", "amount_minor",
                                                                         "due_date", "status"))

    def open_scan():
        rows = list(Invoice.objects.filter(company=company, status="open")
                    .values_list("id", "customer_id", "amount_minor", "due_date"))
        paid = list(Allocation.objects.filter(invoice__company=company, invoice__status="open")
                    .values_list("invoice_id", "amount_minor", "date"))
        return rows, paid

    result = {"baseline_s": best(args.repeat, baseline), "open_scan_s": best(args.repeat, open_scan)}
    result["dry_run_s"] = best(args.repeat, lambda: run_dunning(as_of=AS_OF, company="BENCH", dry_run=True))

    with QueryCount(connection) as queries:
        started = time.perf_counter()
        outcome = run_dunning(as_of=AS_OF, company="BENCH", deliver=False)
        result["run_s"] = time.perf_counter() - started
    result["run_queries"] = len(queries)
    result["letters"] = len(outcome.letters)
    result["run_errors"] = outcome.errors
    with QueryCount(connection) as queries:
        started = time.perf_counter()
        run_dunning(as_of=AS_OF, company="BENCH", deliver=False)
        result["rerun_s"] = time.perf_counter() - started
    result["rerun_queries"] = len(queries)

    if args.render:
        # loaded as delivery loads them (send.py _load): with their company
        result.update(render_rate(Letter.objects.filter(company=company).select_related("company", "customer")
                                  .order_by("id")[:args.render]))
    return result


def render_rate(letters) -> dict:
    """PDF and email of each letter, as delivery makes them; letters per second. Also each part alone."""
    try:
        from dunning.delivery import render
    except ImportError:
        return {"render_note": "render_letter not available"}
    letters = list(letters)
    if not letters:
        return {"render_note": "no letters to render"}
    render.render_letter(letters[0])  # first call starts the worker, loads fonts and compiles templates
    result = {"render_letters": len(letters)}
    parts = [("render", render.render_letter), ("render_email", render.render_email)]
    if hasattr(render, "render_pdf_letter"):
        parts.append(("render_pdf", render.render_pdf_letter))
    for name, function in parts:
        started = time.perf_counter()
        for letter in letters:
            function(letter)
        seconds = time.perf_counter() - started
        result[f"{name}_s"] = seconds
        result[f"{name}_letters_per_s"] = len(letters) / seconds
    return result


def main(argv=None) -> int:
    args = parse_args(argv)
    setup(args.database)
    started = time.perf_counter()
    counts = fill(args.open, args.total, args.history_status, args.seed)
    fill_s = time.perf_counter() - started
    load_before = os.getloadavg()[0]
    figures = measure(args)
    figures["load"] = [load_before, os.getloadavg()[0]]  # other work on the machine skews every figure
    print(json.dumps({"open": args.open, "total": args.total, "history_status": args.history_status,
                      "database": "postgresql" if "postgres" in args.database else "sqlite",
                      "cpus": os.cpu_count(), "fill_s": fill_s, **counts, **figures}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
