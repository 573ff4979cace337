"""Your own column-mapping profile as a TOML file: a German ERP export read with its own names,
semicolons, decimal commas and day-first dates; a profile with mistakes is refused, each named."""
from __future__ import annotations

from datetime import date

import pytest
from fixtures_import import database_state, problems, write
from test_import_cli import dunning

from dunning.importers.load import import_file
from dunning.importers.profile_file import ProfileFileError, profile_from_file

PROFILE = '''base = "generic"
summary = "Offene Posten aus unserem ERP"
date_formats = ["%d.%m.%Y"]
decimal = ","
default_currency = "EUR"
[columns]
customer = ["Debitor", "Kundennummer"]
customer_name = "Name"
invoice = "Belegnummer"
issue_date = "Belegdatum"
due_date = "Fälligkeit"
amount = "Betrag"
'''

EXPORT = """Debitor;Name;Belegnummer;Belegdatum;Fälligkeit;Betrag
0010042;Nordwind Handel AG;RE-2026-0815;03.10.2026;02.11.2026;1.190,00
10042;Nordwind Handel AG;RE-2026-0816;05.10.2026;04.11.2026;45,50
"""


@pytest.fixture
def erp_profile(tmp_path):
    return write(tmp_path, "our-erp.toml", PROFILE)


def test_an_erp_export_imports_through_its_own_profile(db, tmp_path, erp_profile):
    from dunning.models import Customer, Invoice

    result = import_file(write(tmp_path, "offene-posten.csv", EXPORT, encoding="cp1252"), str(erp_profile),
                         company="DE01")

    assert (result.committed, result.profile, result.rows_read, problems(result)) == (True, "our-erp", 2, [])
    assert list(Customer.objects.values_list("number", "key", "name")) == [
        ("0010042", "10042", "Nordwind Handel AG")]
    assert list(Invoice.objects.order_by("number").values_list("number", "issue_date", "due_date", "currency",
                                                                "amount_minor")) == [
        ("RE-2026-0815", date(2026, 10, 3), date(2026, 11, 2), "EUR", 119000),
        ("RE-2026-0816", date(2026, 10, 5), date(2026, 11, 4), "EUR", 4550)]


def test_a_bad_row_is_reported_with_its_line_and_nothing_is_loaded(db, tmp_path, erp_profile):
    before = database_state()
    bad = EXPORT + "10043;Süd GmbH;RE-2026-0817;31.02.2026;02.11.2026;12,00\n"

    result = import_file(write(tmp_path, "offene-posten.csv", bad), str(erp_profile), company="DE01")

    assert (result.committed, [(line, field) for line, field, _ in problems(result)]) == (False, [(4, "Belegdatum")])  # the file's own column name
    assert database_state() == before


def test_every_mistake_of_a_profile_is_named_at_once(tmp_path):
    path = write(tmp_path, "broken.toml", 'base = "sap"\ndecimal = ";"\ndate_formats = ["DD.MM.YYYY"]\n'
                                          'default_currency = "Euro"\ncolour = "blue"\n'
                                          '[columns]\nbetrag = "Betrag"\ninvoice = []\n')
    with pytest.raises(ProfileFileError) as refused:
        profile_from_file(path)
    assert str(refused.value) == (
        f"profile file {path}: base: 'sap' is not a profile (known: cassandra, generic, highradius, ibm-ar); "
        "columns.betrag: not a field of the generic profile (fields: allocated, amount, company, country, "
        "credit_kind, currency, customer, customer_name, date, dispute_reason, disputed, due_date, email, invoice, "
        "issue_date, kind, language, note, number, reference, status); "
        "columns.invoice: give a column name or a list of names; "
        "date_formats: 'DD.MM.YYYY' is not a date format; write it like %d.%m.%Y; "
        "decimal: ';' must be \".\" or \",\"; "
        "default_currency: 'Euro' is not a three-letter currency code such as EUR; "
        "'colour' is not a profile setting (known: base, columns, date_formats, decimal, default_company, "
        "default_currency, required, summary)")


def test_the_cli_takes_a_profile_file_and_names_its_problems(tmp_path, erp_profile):
    export = write(tmp_path, "offene-posten.csv", EXPORT)
    code, out, err = dunning(tmp_path, "import", "--profile", erp_profile, export, "--company", "DE01")
    assert (code, err, out.splitlines()[1:]) == (0, "", ["  companies created: 1", "  customers created: 1",
                                                         "  invoices: 2"])

    code, _, err = dunning(tmp_path, "import", "--profile", tmp_path / "missing.toml", export)
    assert (code, err) == (2, f"dunning import: profile file {tmp_path / 'missing.toml'}: cannot be read "
                              f"(No such file or directory)\n")
    code, _, err = dunning(tmp_path, "import", "--profile", "sap", export)
    assert (code, err) == (2, "dunning import: unknown profile 'sap' (known: ibm-ar, highradius, cassandra, "
                              "generic, or a .toml file)\n")
