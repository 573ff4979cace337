"""Wrong encodings through the whole import: what Excel writes loads right; what no reader can trust is refused.

tests/test_import_reading.py checks encodings on the reader alone; here the whole `import_file` runs,
so a wrong guess would show up as a wrong customer name in the database.
"""
from __future__ import annotations

import pytest
from fixtures_import import GENERIC_HEADER, database_state

from dunning.importers.load import import_file
from dunning.models import Customer, Invoice

pytestmark = pytest.mark.django_db


@pytest.fixture
def acme(company):
    return company("ACME-DE", base_currency="EUR")


def test_excel_csv_utf8_with_bom_crlf_semicolons_and_german_numbers(tmp_path, acme):
    path = tmp_path / "export.csv"
    text = ("customer;customer_name;invoice;issue_date;due_date;currency;amount\r\n"
            "K-1;Müller & Söhne GmbH;R-1;03.02.2026;05.03.2026;EUR;1.234,56\r\n"
            "K-2;Łódź Sp. z o.o.;R-2;28.02.2026;30.03.2026;EUR;7,50\r\n")
    path.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))

    result = import_file(path, "generic", company="ACME-DE", date_format="%d.%m.%Y", decimal=",")

    assert (result.committed, result.encoding, result.delimiter, result.errors) == (True, "utf-8-sig", ";", [])
    assert sorted(Customer.objects.values_list("number", "name")) == [("K-1", "Müller & Söhne GmbH"),
                                                                       ("K-2", "Łódź Sp. z o.o.")]
    assert sorted(Invoice.objects.values_list("number", "amount_minor")) == [("R-1", 123456), ("R-2", 750)]


def test_windows_1252_file_loads_its_names_right(tmp_path, acme):
    path = tmp_path / "legacy.csv"
    path.write_bytes((GENERIC_HEADER + "\r\nC1,Café Noir – Société,A-1,2026-01-01,2026-01-31,EUR,10.00\r\n")
                     .encode("cp1252"))
    result = import_file(path, "generic", company="ACME-DE")
    assert (result.committed, result.encoding) == (True, "cp1252")
    assert Customer.objects.get(number="C1").name == "Café Noir – Société"


def test_a_file_that_mixes_utf8_and_windows_1252_is_not_loaded_with_garbled_names(tmp_path, acme):
    path = tmp_path / "pasted.csv"
    path.write_bytes((GENERIC_HEADER + "\nC1,Müller GmbH,A-1,2026-01-01,2026-01-31,EUR,10.00\n").encode("utf-8")
                     + "C2,Café Noir,A-2,2026-01-01,2026-01-31,EUR,10.00\n".encode("cp1252"))
    before = database_state()

    result = import_file(path, "generic", company="ACME-DE")

    garbled = [name for name in Customer.objects.values_list("name", flat=True) if "Ã" in name]
    assert garbled == []
    if not result.committed:  # refusing is fine, with the line and a reason that speaks of the encoding
        assert database_state() == before
        assert any(r.line in (2, 3) and "encod" in r.reason.lower() for r in result.rejected), result.errors


def test_utf16_without_a_byte_order_mark_is_refused_naming_the_encoding(tmp_path, acme):
    path = tmp_path / "utf16.csv"
    path.write_bytes((GENERIC_HEADER + "\nC1,Müller GmbH,A-1,2026-01-01,2026-01-31,EUR,10.00\n").encode("utf-16-le"))
    before = database_state()

    result = import_file(path, "generic", company="ACME-DE")

    assert not result.committed and database_state() == before
    reasons = " ".join(r.reason for r in result.rejected)
    assert "\x00" not in reasons and "UTF-16" in reasons, reasons
