"""Reading files: encodings, BOMs, line endings, delimiters, line numbers, XLSX cells — no database."""
from __future__ import annotations

from datetime import date, datetime

import openpyxl
import pytest
from fixtures_import import write

from dunning.importers.reading import ReadError, detect_encoding, open_table, sniff_delimiter


def rows_of(path):
    with open_table(path) as table:
        return table, list(table.rows)


@pytest.mark.parametrize("encoding, expected", [
    ("utf-8", "utf-8"), ("utf-8-sig", "utf-8-sig"), ("cp1252", "cp1252"), ("utf-16", "utf-16"),
])
def test_encodings_are_found_and_reported(tmp_path, encoding, expected):
    path = write(tmp_path, "f.csv", "customer;name;amount\nC1;Müller – Straße;1.234,56 €\n", encoding=encoding)
    table, rows = rows_of(path)
    assert table.encoding == expected
    assert table.columns == ["customer", "name", "amount"]  # no BOM left on the first column
    assert rows == [(2, {"customer": "C1", "name": "Müller – Straße", "amount": "1.234,56 €"})]


def test_latin1_when_bytes_are_undefined_in_cp1252(tmp_path):
    path = tmp_path / "f.csv"
    path.write_bytes(b"customer,name\nC1,Caf\xe9 \x81\n")  # 0x81 has no character in Windows-1252
    table, rows = rows_of(path)
    assert table.encoding == "latin-1"
    assert rows[0][1]["name"] == "Café \x81"


def test_non_utf8_byte_late_in_a_large_file_is_found(tmp_path):
    """The encoding scan reads the whole file in chunks, not just a sample at the start."""
    body = "customer,name\n" + "C1,Smith\n" * 200_000 + "C2,M\xfcller\n"
    path = write(tmp_path, "f.csv", body, encoding="cp1252")
    assert path.stat().st_size > 1 << 20
    assert detect_encoding(path) == "cp1252"
    _, rows = rows_of(path)
    assert rows[-1] == (200_002, {"customer": "C2", "name": "Müller"})


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"])
def test_utf8_then_windows_1252_is_refused_at_the_line_where_the_mix_starts(tmp_path, newline):
    """Two exports pasted together: found by the scan, past the first chunk, before any row is read."""
    head = ("customer,name\nC1,Müller\n" + "C2,Smith\n" * 150_000).replace("\n", newline).encode("utf-8")
    path = tmp_path / "f.csv"
    path.write_bytes(head + f"C3,Caf\xe9{newline}".encode("cp1252"))
    assert path.stat().st_size > 1 << 20
    with pytest.raises(ReadError) as caught:
        detect_encoding(path)
    assert caught.value.line == 150_003
    assert "0xE9 is not UTF-8" in caught.value.reason and "mixes encodings" in caught.value.reason


def test_windows_1252_with_only_ascii_before_its_first_accent_is_not_a_mix(tmp_path):
    path = write(tmp_path, "f.csv", "customer,name\nC1,Smith\nC2,Müller – Straße\n", encoding="cp1252")
    assert detect_encoding(path) == "cp1252"


@pytest.mark.parametrize("encoding, named", [("utf-16-le", "UTF-16-LE"), ("utf-16-be", "UTF-16-BE")])
def test_utf16_without_byte_order_mark_is_refused_naming_it(tmp_path, encoding, named):
    path = write(tmp_path, "f.csv", "customer;name\nC1;Müller – Straße\n", encoding=encoding)
    with pytest.raises(ReadError) as caught, open_table(path):
        pass
    assert named in caught.value.reason and "\x00" not in caught.value.reason


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"])
def test_line_endings(tmp_path, newline):
    path = write(tmp_path, "f.csv", "a,b\n1,2\n3,4\n", newline=newline)
    _, rows = rows_of(path)
    assert rows == [(2, {"a": "1", "b": "2"}), (3, {"a": "3", "b": "4"})]


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_delimiter_is_sniffed(tmp_path, delimiter):
    text = delimiter.join(["customer", "invoice", "amount"]) + "\n" + delimiter.join(["C1", "0001", "1,5"]) + "\n"
    if delimiter == ",":
        text = "customer,invoice,amount\nC1,0001,\"1,5\"\n"
    table, rows = rows_of(write(tmp_path, "f.csv", text))
    assert table.delimiter == delimiter
    assert rows == [(2, {"customer": "C1", "invoice": "0001", "amount": "1,5"})]


def test_semicolon_file_with_decimal_commas_is_not_taken_for_commas():
    assert sniff_delimiter("kunde;betrag;datum\nK1;1.234,56;01.02.2026\nK2;7,50;03.02.2026\n") == ";"


def test_line_number_is_where_a_row_starts_even_after_a_quoted_newline(tmp_path):
    path = write(tmp_path, "f.csv", 'customer,note\nC1,"two\nlines"\n\nC2,plain\n')
    _, rows = rows_of(path)
    assert rows == [(2, {"customer": "C1", "note": "two\nlines"}), (5, {"customer": "C2", "note": "plain"})]


def test_short_and_long_rows_are_marked_like_dictreader(tmp_path):
    _, rows = rows_of(write(tmp_path, "f.csv", "a,b,c\n1,2\n1,2,3,4\n"))
    assert rows == [(2, {"a": "1", "b": "2", "c": None}), (3, {"a": "1", "b": "2", "c": "3", None: ["4"]})]


def test_numbers_stay_text_with_their_leading_zeros(tmp_path):
    _, rows = rows_of(write(tmp_path, "f.csv", "cust_number,invoice\n0200769623,0000611365\n"))
    assert rows[0][1] == {"cust_number": "0200769623", "invoice": "0000611365"}


@pytest.mark.parametrize("content, line, reason", [
    (b"", 0, "the file is empty"),
    (b"a,b\n1,\x002\n", 2, "line contains NUL"),
    (b'a,b\n1,"unterminated\n', 2, "unexpected end of data"),
])
def test_unreadable_files_raise_read_error_with_line(tmp_path, content, line, reason):
    path = tmp_path / "f.csv"
    path.write_bytes(content)
    with pytest.raises(ReadError) as caught, open_table(path) as table:
        list(table.rows)
    assert caught.value.line == line
    assert reason in caught.value.reason


def test_quoting_error_is_reported_in_strict_files(tmp_path):
    path = tmp_path / "f.csv"
    path.write_bytes(b'a,b\n1,"x\n')
    with pytest.raises(ReadError) as caught, open_table(path) as table:
        list(table.rows)
    assert caught.value.line == 2


def make_xlsx(path, rows):
    book = openpyxl.Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


def test_xlsx_cells_become_text_and_dates(tmp_path):
    path = make_xlsx(tmp_path / "f.xlsx", [
        ["customer", "invoice", "issue_date", "amount", "note"],
        [200769623, "0000611365", datetime(2020, 2, 27), 8734.71, None],
        [1930571429.0, 42, date(2020, 3, 1), 1250, "x"],
        [None, None, None, None, None],
    ])
    table, rows = rows_of(path)
    assert (table.format, table.encoding, table.delimiter) == ("xlsx", "xlsx", None)
    assert rows == [
        (2, {"customer": "200769623", "invoice": "0000611365", "issue_date": date(2020, 2, 27), "amount": "8734.71",
             "note": ""}),
        (3, {"customer": "1930571429", "invoice": "42", "issue_date": date(2020, 3, 1), "amount": "1250",
             "note": "x"}),
    ]


def test_a_broken_xlsx_is_a_read_error(tmp_path):
    path = tmp_path / "f.xlsx"
    path.write_bytes(b"PK\x03\x04 this is not really a zip")
    with pytest.raises(ReadError) as caught, open_table(path) as table:
        list(table.rows)
    assert "not a readable XLSX workbook" in caught.value.reason
