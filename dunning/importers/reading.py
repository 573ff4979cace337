"""A CSV or XLSX file as a stream of (line number, row dict), never read whole into memory.

CSV: the encoding is found by a byte scan in chunks (UTF-8 with or without BOM, UTF-16 with BOM,
else Windows-1252, else Latin-1 when the file has bytes Windows-1252 leaves undefined; UTF-16
without BOM and files mixing UTF-8 with another encoding are refused), the delimiter by trying
`,` `;` tab `|` on the first lines. Line endings LF, CRLF and CR all work.
The line number of a row is the physical line it starts on (the header is line 1), so an error
points at the line a person sees in an editor.

XLSX: openpyxl in read-only mode (it streams the sheet XML); the line number is the sheet row.
Numbers in cells become text the way a person reads them (200769623, not 200769623.0), dates
stay dates. Leading zeros that Excel already dropped from a numeric cell cannot come back.

Rows are dicts column -> value like csv.DictReader: a row with more values than the header
holds the extra ones under the key None; a short row has None for the missing columns.
"""
from __future__ import annotations

import codecs
import csv
import io
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path

CHUNK = 1 << 20
DELIMITERS = (",", ";", "\t", "|")
# Windows-1252 leaves these bytes undefined; a file that has them is Latin-1.
CP1252_UNDEFINED = frozenset(b"\x81\x8d\x8f\x90\x9d")

Row = dict


class ReadError(Exception):
    """The file cannot be read as a table (not CSV/XLSX, broken quoting, NUL bytes, ...)."""

    def __init__(self, line: int, reason: str):
        super().__init__(reason)
        self.line = line
        self.reason = reason


@dataclass
class Table:
    """An open file: its format, how it was decoded, its header, and its rows (an iterator)."""

    path: Path
    format: str  # "csv" or "xlsx"
    encoding: str  # "utf-8", "utf-8-sig", "utf-16", "cp1252", "latin-1"; "xlsx" for workbooks
    delimiter: str | None
    columns: list[str] = field(default_factory=list)
    rows: Iterator[tuple[int, Row]] = field(default_factory=lambda: iter(()))


def detect_encoding(path: Path) -> str:
    """Find the encoding by reading the bytes once in chunks; memory stays at one chunk.

    Refused (ReadError) rather than guessed: UTF-16 without a byte order mark, and a file whose
    text is UTF-8 up to some byte and not after it (two exports pasted together): any single
    encoding would load one of the two parts with garbled names.
    """
    with open(path, "rb") as fh:
        head = fh.read(4096)
        if head.startswith(codecs.BOM_UTF8):
            return "utf-8-sig"
        if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            return "utf-16"
        if utf16 := _utf16_without_bom(head):
            raise ReadError(0, f"the file looks like {utf16} text without a byte order mark, which cannot be "
                               "read safely; save it again as UTF-8")
        fh.seek(0)
        decoder = codecs.getincrementaldecoder("utf-8")()
        line, after_cr = 1, False  # where the UTF-8 scan is, to name the line a mix starts on
        non_ascii = undefined = False
        utf8 = True
        while chunk := fh.read(CHUNK):
            if utf8:
                try:
                    text = decoder.decode(chunk)
                except UnicodeDecodeError as exc:
                    utf8 = False
                    text = exc.object[:exc.start].decode("utf-8")
                    if non_ascii or not text.isascii():
                        raise ReadError(line + _line_breaks(text, after_cr), _mixed(exc.object[exc.start])) from None
                else:
                    non_ascii = non_ascii or not text.isascii()
                    line += _line_breaks(text, after_cr)
                    after_cr = text.endswith("\r") or (after_cr and not text)
            if not utf8 and not CP1252_UNDEFINED.isdisjoint(chunk):
                undefined = True
                break
        if utf8:
            try:
                decoder.decode(b"", final=True)
            except UnicodeDecodeError as exc:
                utf8 = False
                if non_ascii:
                    raise ReadError(line, _mixed(exc.object[exc.start])) from None
    if utf8:
        return "utf-8"
    return "latin-1" if undefined else "cp1252"


def _mixed(byte: int) -> str:
    return (f"byte 0x{byte:02X} is not UTF-8 though the text before it is: the file mixes encodings "
            "(two exports pasted together?); save it again as UTF-8")


def _line_breaks(text: str, after_cr: bool) -> int:
    """Line ends in text as the CSV reader counts them (LF, CRLF, CR), a CRLF split by a chunk once."""
    return text.count("\n") + text.count("\r") - text.count("\r\n") - (after_cr and text.startswith("\n"))


def _utf16_without_bom(head: bytes) -> str | None:
    """Mostly-ASCII UTF-16 has a NUL in every other byte: odd bytes for little-endian, even for big."""
    pairs = len(head) // 2
    even, odd = head[0:2 * pairs:2].count(0), head[1:2 * pairs:2].count(0)
    if pairs >= 2 and odd * 2 > pairs and even * 10 < odd:
        return "UTF-16-LE"
    if pairs >= 2 and even * 2 > pairs and odd * 10 < even:
        return "UTF-16-BE"
    return None


def sniff_delimiter(sample: str) -> str:
    """The delimiter that splits the header into most columns and the next lines into as many."""
    lines = sample.splitlines()[:50]
    if len(lines) > 1 and not sample.endswith(("\n", "\r")):
        lines = lines[:-1]  # the last line of a sample may be cut in the middle
    best, best_score = ",", (0, 0.0, 0)
    for delimiter in DELIMITERS:
        try:
            parsed = list(csv.reader(lines, delimiter=delimiter))
        except csv.Error:
            continue
        if not parsed:
            continue
        width = len(parsed[0])
        same = sum(1 for row in parsed[1:] if len(row) == width) / max(1, len(parsed) - 1)
        score = (int(width > 1), same, width)
        if score > best_score:
            best, best_score = delimiter, score
    return best


def _csv_rows(reader, columns: list[str]) -> Iterator[tuple[int, Row]]:
    width = len(columns)
    while True:
        start = reader.line_num + 1
        try:
            values = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise ReadError(start, f"cannot read the CSV here: {exc}") from None
        if not values or all(not v.strip() for v in values):
            continue  # blank lines carry nothing
        if any("\x00" in v for v in values):
            raise ReadError(start, "line contains NUL characters: a binary file, or the wrong encoding")
        row: Row = dict(zip(columns, values))
        if len(values) > width:
            row[None] = values[width:]
        elif len(values) < width:
            for name in columns[len(values):]:
                row[name] = None
        yield start, row


@contextmanager
def _open_csv(path: Path):
    encoding = detect_encoding(path)
    with open(path, encoding=encoding, newline="") as fh:
        sample = fh.read(64 * 1024)
        fh.seek(0)
        delimiter = sniff_delimiter(sample)
        reader = csv.reader(fh, delimiter=delimiter, strict=True)
        try:
            header = next(reader)
        except StopIteration:
            header = []
        except csv.Error as exc:
            raise ReadError(1, f"cannot read the header: {exc}") from None
        columns = [name.strip().lstrip("\ufeff").strip() for name in header]
        yield Table(path, "csv", encoding, delimiter, columns, _csv_rows(reader, columns))


def cell_value(value):
    """A workbook cell as the text or date a person sees."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, datetime):
        return value.date() if value.time() == time(0) else value
    if isinstance(value, date):
        return value
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e16:
            return str(int(value))
        return repr(value)
    if isinstance(value, Decimal):
        return str(value)
    return str(value)


def _xlsx_rows(sheet_rows, columns: list[str]) -> Iterator[tuple[int, Row]]:
    width = len(columns)
    number = 1
    while True:
        number += 1
        try:
            cells = next(sheet_rows)
        except StopIteration:
            return
        except Exception as exc:  # noqa: BLE001 - a broken workbook fails in many ways inside openpyxl
            raise ReadError(number, f"cannot read the workbook here: {exc}") from None
        values = [cell_value(c) for c in cells]
        while values and values[-1] == "":
            values.pop()
        if not values:
            continue
        row: Row = dict(zip(columns, values))
        if len(values) > width:
            row[None] = values[width:]
        for name in columns[len(values):]:
            row[name] = ""  # an empty cell at the end of a sheet row is an empty value
        yield number, row


@contextmanager
def _open_xlsx(path: Path):
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError) as exc:
        raise ReadError(0, f"not a readable XLSX workbook: {exc}") from None
    except Exception as exc:  # noqa: BLE001 - broken XML inside the zip, and the like
        raise ReadError(0, f"not a readable XLSX workbook: {exc}") from None
    try:
        sheet = workbook.worksheets[0]
        rows = sheet.iter_rows(values_only=True)
        try:
            header = next(rows, ())
        except Exception as exc:  # noqa: BLE001 - as above: any failure inside openpyxl is an unreadable file
            raise ReadError(1, f"cannot read the workbook's first row: {exc}") from None
        columns = [str(cell_value(c)).strip() for c in header]
        while columns and columns[-1] == "":
            columns.pop()
        yield Table(path, "xlsx", "xlsx", None, columns, _xlsx_rows(rows, columns))
    finally:
        workbook.close()


def _is_zip(path: Path) -> bool:
    with open(path, "rb") as fh:
        return fh.read(4) == b"PK\x03\x04"


@contextmanager
def open_table(path: str | Path):
    """Open a CSV or XLSX file as a Table; ReadError when it is no table at all."""
    path = Path(path)
    if not path.is_file():
        raise ReadError(0, "no such file")
    if path.stat().st_size == 0:
        raise ReadError(0, "the file is empty")
    if path.suffix.lower() in (".xlsx", ".xlsm") or _is_zip(path):
        opener = _open_xlsx
    else:
        opener = _open_csv
    try:
        with opener(path) as table:
            yield table
    except UnicodeDecodeError as exc:  # only possible for a UTF-16 file with a broken tail
        raise ReadError(0, f"cannot decode the file: {exc}") from None
    except (zipfile.BadZipFile, io.UnsupportedOperation, EOFError) as exc:
        raise ReadError(0, f"cannot read the file: {exc}") from None
