"""Helpers for the importer tests: write small files exactly as a test describes them, and
fingerprint the database so a test can prove a failed import changed nothing."""
from __future__ import annotations

from pathlib import Path

GENERIC_HEADER = "customer,customer_name,invoice,issue_date,due_date,currency,amount"


def write(folder: Path, name: str, text: str, encoding: str = "utf-8", newline: str = "\n") -> Path:
    """Write `text` (lines separated by \\n) with the given encoding and line ending, byte for byte."""
    path = folder / name
    path.write_bytes(text.replace("\n", newline).encode(encoding))
    return path


def generic(folder: Path, *rows: str, header: str = GENERIC_HEADER, name: str = "invoices.csv", **kw) -> Path:
    return write(folder, name, "\n".join((header, *rows)) + "\n", **kw)


def database_state() -> dict:
    """Row counts and amount sums of everything an import can write."""
    from django.db.models import Sum

    from dunning.models import Allocation, Company, Credit, Customer, Invoice

    state = {}
    for model in (Company, Customer, Invoice, Credit, Allocation):
        state[model.__name__] = model.objects.count()
    for model in (Invoice, Credit, Allocation):
        state[f"{model.__name__}.amount"] = model.objects.aggregate(s=Sum("amount_minor"))["s"] or 0
    return state


def problems(result) -> list[tuple[int, str, str]]:
    """(line, field, reason) of a result, in line order."""
    return [(r.line, r.field, r.reason) for r in result.rejected]
