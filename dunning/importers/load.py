"""`import_file`: a file through a profile into the database, all or nothing.

The file is streamed in batches; each batch is checked (rows on their own, then against the
file so far and the database) and written with bulk inserts inside one transaction. Reading
goes on after a bad row so that every bad row is reported at once; at the end, any rejected
row rolls the whole import back — unless `skip_bad_rows` is set, in which case the good rows
stay and the bad ones are reported.
"""
from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from django.db import transaction
from django.db.models import Max

from dunning.models import Company, Credit, Invoice

from .checks import BatchChecker
from .profiles import Profile, get_profile
from .reading import ReadError, open_table
from .records import Rejection, RowRecords
from .rows import Options, RowProblems, RowReader, read_row
from .writing import BatchWriter

BATCH = 2000
MAX_REPORTED = 10_000  # rejections kept in memory; `rejected_rows` still counts them all


@dataclass
class ImportResult:
    file: str
    profile: str
    format: str = ""
    encoding: str = ""
    delimiter: str | None = None
    committed: bool = False
    rows_read: int = 0
    rejected_rows: int = 0
    counts: Counter = field(default_factory=Counter)  # invoices, payments, credit_notes, allocations, customers_created...
    rejected: list[Rejection] = field(default_factory=list)
    notices: list[Rejection] = field(default_factory=list)  # not errors: e.g. an exact duplicate skipped by rule
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.rejected_rows == 0

    @property
    def errors(self) -> list[tuple[int, str, str]]:
        """(line, field, reason) of every reported rejection."""
        return [(r.line, r.field, r.reason) for r in self.rejected]

    def reject(self, line: int, column: str, reason: str) -> None:
        if len(self.rejected) < MAX_REPORTED:
            self.rejected.append(Rejection(self.file, line, column, reason))

    def as_dict(self) -> dict:
        return {"file": self.file, "profile": self.profile, "format": self.format, "encoding": self.encoding,
                "delimiter": self.delimiter, "committed": self.committed, "rows_read": self.rows_read,
                "rejected_rows": self.rejected_rows, "counts": dict(sorted(self.counts.items())),
                "rejected": [{"line": r.line, "field": r.field, "reason": r.reason} for r in self.rejected],
                "notices": [{"line": r.line, "field": r.field, "reason": r.reason} for r in self.notices],
                "seconds": round(self.seconds, 3)}


class _RollBack(Exception):
    pass


def import_file(path: str | Path, profile: str, *, company: str | None = None, currency: str | None = None,
                skip_bad_rows: bool = False, as_of: date | None = None, date_format: str | None = None,
                decimal: str | None = None, kind: str = "invoice", batch_size: int = BATCH) -> ImportResult:
    """Import one CSV or XLSX file through a profile ("ibm-ar", "highradius", "cassandra", "generic").

    Options: company (code, for files without a company column), currency (for files without a
    currency column), as_of (date for rules that need one, e.g. Cassandra rows without a payment
    day count), date_format (strptime format replacing the profile's), decimal ("," or "."), kind
    (generic files without a `kind` column: invoice, payment, credit_note or allocation).
    """
    started = time.perf_counter()
    chosen = get_profile(profile)
    path = Path(path)
    result = ImportResult(file=path.name, profile=chosen.name)
    options = Options(file_name=path.name, company=company, currency=(currency or "").upper() or None,
                      as_of=as_of, date_formats=(date_format,) if date_format else (), decimal=decimal or "",
                      kind=kind)
    try:
        with open_table(path) as table:
            result.format, result.encoding, result.delimiter = table.format, table.encoding, table.delimiter
            columns = _map_columns(chosen, table.columns, options, result)
            if columns is not None:
                _load(table, chosen, columns, options, result, skip_bad_rows, batch_size)
    except ReadError as exc:
        result.rejected_rows += 1
        result.reject(exc.line, "", exc.reason)
        result.committed = False
    result.rejected.sort(key=lambda r: r.line)
    result.seconds = time.perf_counter() - started
    return result


def _map_columns(profile: Profile, header: list[str], options: Options, result: ImportResult):
    """Our field -> the file's column; None (and one rejection naming what is missing) if a column is missing."""
    found = {name.strip().casefold(): name for name in header if name.strip()}
    columns = {}
    for our, candidates in profile.columns.items():
        for candidate in candidates:
            if candidate.casefold() in found:
                columns[our] = found[candidate.casefold()]
                break
    required = list(profile.required)
    if profile.required_without_kind and "kind" not in columns:
        required += profile.required_without_kind.get(options.kind, ())
    missing = [profile.columns[f][0] for f in dict.fromkeys(required) if f not in columns]
    shown = ", ".join(h for h in header if h) or "(none)"
    if not header or not any(h.strip() for h in header):
        result.rejected_rows += 1
        result.reject(1, "", "the file has no header row")
        return None
    if missing:
        result.rejected_rows += 1
        word = "column" if len(missing) == 1 else "columns"
        result.reject(1, ", ".join(missing), f"missing required {word} {', '.join(repr(m) for m in missing)}; "
                                             f"columns found: {shown}")
        return None
    used = [h.strip().casefold() for h in header if h.strip().casefold() in {c.casefold() for c in columns.values()}]
    twice = sorted({h for h in used if used.count(h) > 1})
    if twice:
        result.rejected_rows += 1
        result.reject(1, ", ".join(twice), "column appears more than once in the header")
        return None
    return columns


def _load(table, profile: Profile, columns: dict[str, str], options: Options, result: ImportResult,
          skip_bad_rows: bool, batch_size: int) -> None:
    try:
        with transaction.atomic():
            companies = {c.code: c for c in Company.objects.all()}
            checker = BatchChecker(companies, _max_id(Invoice), _max_id(Credit), profile.exact_duplicates, columns)
            writer = BatchWriter(companies)
            batch: list[RowRecords] = []
            try:
                for line, row in table.rows:
                    result.rows_read += 1
                    records = _read(profile, columns, row, line, options, result)
                    if records is not None:
                        batch.append(records)
                    if len(batch) >= batch_size:
                        _flush(batch, checker, writer, result)
                        batch = []
            except ReadError as exc:
                result.rejected_rows += 1
                result.reject(exc.line, "", exc.reason)
            _flush(batch, checker, writer, result)
            if result.rows_read == 0 and result.rejected_rows == 0:
                result.rejected_rows += 1
                result.reject(2, "", "the file has a header but no rows")
            result.counts.update(writer.counts)
            if result.rejected_rows and not skip_bad_rows:
                raise _RollBack
            result.committed = True
    except _RollBack:
        result.committed = False


def _read(profile, columns, row, line, options, result) -> RowRecords | None:
    if None in row:
        extra = len(row[None])
        _reject_row(result, line, [("", f"{extra} value(s) more than the header has columns")])
        return None
    short = [name for name, value in row.items() if value is None]
    if short:
        reason = f"the row ends before column '{short[0]}' ({len(row) - len(short)} of {len(row)} columns)"
        _reject_row(result, line, [(short[0], reason)])
        return None
    reader = RowReader(profile, columns, row, line, options)
    try:
        return read_row(reader)
    except RowProblems as exc:
        _reject_row(result, line, exc.problems)
        return None


def _reject_row(result: ImportResult, line: int, problems: list[tuple[str, str]]) -> None:
    result.rejected_rows += 1
    for column, reason in problems:
        result.reject(line, column, reason)


def _flush(batch: list[RowRecords], checker: BatchChecker, writer: BatchWriter, result: ImportResult) -> None:
    if not batch:
        return
    outcome = checker.check(batch)
    for row, problems in outcome.failed:
        _reject_row(result, row.line, problems)
    for row, notice in outcome.skipped:
        result.notices.append(Rejection(result.file, row.line, checker.columns.get("invoice", "row"), notice))
        result.counts["duplicates_skipped"] += 1
    writer.write(outcome.good)


def _max_id(model) -> int:
    return model.objects.aggregate(top=Max("id"))["top"] or 0
