"""The demo data set is realistic and stable, loads through the importer, and `dunning demo` writes letters.

The letters the demo must produce are computed here independently from the generated data, with the
default procedure's rules (levels at 1, 30, 60 days; jump; open credits netted; no history yet).
"""
from collections import Counter, defaultdict
from datetime import date
from decimal import Decimal

import pytest

from dunning.cli import main
from dunning.demo.generate import generate
from dunning.demo.load import load_demo

AS_OF = date(2026, 12, 3)


@pytest.fixture(scope="module")
def data():
    return generate(AS_OF)


def expected_letters(data):
    """(company, customer, currency) -> (level, dunned, credits) for every record that gets a letter."""
    paused = {(c.company, c.number) for c in data.customers if c.pause_until and c.pause_until >= AS_OF}
    dunned, level = defaultdict(Decimal), Counter()
    for i in data.invoices:
        record = (i.company, i.customer, i.currency)
        days = (AS_OF - i.due_date).days if i.due_date else 0
        if i.status != "open" or i.disputed or days < 1 or (i.company, i.customer) in paused:
            continue
        open_amount = data.open_amount(i, AS_OF)
        if open_amount > 0:
            dunned[record] += open_amount
            level[record] = max(level[record], 3 if days >= 60 else 2 if days >= 30 else 1)
    credit = defaultdict(Decimal)
    for c in data.credits:
        credit[(c.company, c.customer, c.currency)] += c.amount - sum(a for _, a, _ in c.allocations)
    return {r: (level[r], dunned[r], credit[r]) for r in dunned if dunned[r] > credit[r]}


def test_generator_is_seeded_and_dated_before_the_run(data):
    again = generate(AS_OF)
    assert [(i.number, i.amount, i.due_date) for i in again.invoices] == \
           [(i.number, i.amount, i.due_date) for i in data.invoices]
    assert generate(AS_OF, seed=1).invoices[0].amount != data.invoices[0].amount
    assert max(c.date for c in data.credits) <= AS_OF
    assert max(i.issue_date for i in data.invoices) < AS_OF
    assert min(i.issue_date for i in data.invoices) >= date(2026, 7, 6)  # 150 days back


def test_generator_covers_companies_currencies_languages_and_the_collectors_cases(data):
    assert [(c.code, c.base_currency, c.timezone) for c in data.companies] == [
        ("DE01", "EUR", "Europe/Berlin"), ("US01", "USD", "America/New_York"), ("JP01", "JPY", "Asia/Tokyo")]
    assert len(data.customers) == 60
    assert {c.language for c in data.customers} == {"en", "de", "fr", "es", "ja"}
    assert {(c.company, c.currency) for c in data.customers} == {
        ("DE01", "EUR"), ("US01", "USD"), ("US01", "CAD"), ("JP01", "JPY")}
    assert all(c.email.rsplit("@", 1)[1].endswith(("example.com", "example.de", "example.jp")) for c in data.customers)
    assert 350 <= len(data.invoices) <= 450
    assert all(i.amount == i.amount.to_integral_value() for i in data.invoices if i.currency == "JPY")

    (paused,) = [c for c in data.customers if c.pause_reason]
    assert paused.pause_until == date(2026, 12, 24) and paused.pause_detail
    (disputed,) = [i for i in data.invoices if i.disputed]
    assert disputed.dispute_reason and disputed.due_date < AS_OF
    assert [i.currency for i in data.invoices if i.due_date is None] == ["JPY"]
    partial = [i for i in data.invoices if 0 < data.open_amount(i, AS_OF) < i.amount]
    assert len(partial) >= 10
    kinds = Counter(c.kind for c in data.credits)
    assert kinds["payment"] > 100 and kinds["credit_note"] >= 10
    assert any(not c.allocations for c in data.credits if c.kind == "credit_note")


def test_a_customer_whose_credit_covers_the_overdue_gets_no_letter(data):
    covered = [c for c in data.customers if c.company == "US01" and c.currency == "CAD"][0]
    overdue = sum(data.open_amount(i, AS_OF) for i in data.invoices
                  if i.customer == covered.number and i.company == "US01" and i.due_date < AS_OF)
    open_credit = sum(c.amount for c in data.credits if c.customer == covered.number and not c.allocations)
    assert overdue > 0 and open_credit >= overdue + Decimal("300.00")
    assert ("US01", covered.number, "CAD") not in expected_letters(data)


@pytest.mark.django_db
def test_load_goes_through_the_importer_once(data):
    from dunning.models import Credit, Customer, Invoice

    assert load_demo(data) == len(data.invoices)
    assert load_demo(data) == 0
    assert Invoice.objects.count() == len(data.invoices)
    assert Credit.objects.count() == len(data.credits)
    assert Customer.objects.get(name="Schneider Logistik GmbH & Co. KG").pause_until == date(2026, 12, 24)
    assert Customer.objects.filter(currency="CAD").count() == 4


@pytest.mark.django_db(transaction=True)
def test_demo_command_writes_one_letter_per_overdue_record_and_none_twice(data, tmp_path, capsys):
    from dunning.models import Letter

    out = tmp_path / "letters"
    assert main(["demo", "--as-of", "2026-12-03", "--out", str(out)]) == 0
    printed = capsys.readouterr().out

    expected = expected_letters(data)
    letters = {(l.company.code, l.customer.number, l.currency): l
               for l in Letter.objects.select_related("company", "customer")}
    assert set(letters) == set(expected)
    for record, (level, dunned, credits) in expected.items():
        letter = letters[record]
        assert (letter.level, letter.dunned_minor, letter.credit_minor) == (
            level, _minor(dunned, letter.currency), _minor(credits, letter.currency)), record
    assert {l.state for l in letters.values()} == {"sent"}
    assert len(list(out.rglob("*.pdf"))) == len(list(out.rglob("*.eml"))) == len(expected)
    assert f"Letters (PDF and .eml, by company and customer): {out}" in printed
    assert "DE01 Brenner Maschinenbau GmbH  EUR" in printed

    assert main(["demo", "--as-of", "2026-12-03", "--out", str(out)]) == 0
    assert "nothing loaded" in capsys.readouterr().out
    assert Letter.objects.count() == len(expected)
    assert len(list(out.rglob("*.pdf"))) == len(expected)


def _minor(amount, currency):
    from dunning.models.money import to_minor

    return to_minor(amount, currency)
