"""CSV files people open in a spreadsheet: every cell that could run as a formula is neutralised.

A customer name such as `=HYPERLINK("http://evil.example","Pay here")` or `@SUM(A1)` comes from
a billing system nobody here controls. Spreadsheets run a cell that starts with `=`, `+`, `-`,
`@` (and, in some, a tab or carriage return) as a formula, so such a cell is written with a
leading apostrophe: shown as text, never run (the OWASP "CSV injection" advice). A plain number
such as `-100.00` is no formula and stays a number, so amounts still add up in the sheet.
"""
from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Sequence
from typing import Any, TextIO

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")
PLAIN_NUMBER = re.compile(r"-?\d+(\.\d+)?")


def csv_cell(value: Any) -> str:
    """The cell as text a spreadsheet shows and never evaluates."""
    text = "" if value is None else str(value)
    if text.startswith(FORMULA_STARTS) and not PLAIN_NUMBER.fullmatch(text):
        return "'" + text
    return text


def csv_written(stream: TextIO, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    """Write header and rows, every cell neutralised; returns the number of rows written."""
    writer = csv.writer(stream, lineterminator="\r\n")
    writer.writerow([csv_cell(h) for h in header])
    count = 0
    for row in rows:
        writer.writerow([csv_cell(cell) for cell in row])
        count += 1
    return count
