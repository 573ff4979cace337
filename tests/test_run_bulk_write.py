"""The run writes a company's letters, items and events with bulk inserts: the queries do not grow with
the letters, and a letter made meanwhile by another writer still ends up as one letter per record."""
from __future__ import annotations

from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from fixtures_spine import standard  # noqa: F401  (fixture)

from dunning.models import AuditEvent, Letter, LetterItem
from dunning.services import run as run_service
from dunning.services.run import run_dunning

pytestmark = pytest.mark.django_db

AS_OF = date(2024, 7, 3)


def _company_with(company, customer, invoice, code: str, customers: int):
    co = company(code)
    for k in range(customers):
        c = customer(co, f"{code}-C{k}")
        invoice(c, "100.00", date(2024, 5, 1), number=f"{code}-INV-{k}-1")
        invoice(c, "40.00", date(2024, 6, 1), number=f"{code}-INV-{k}-2")
    return co


def test_writing_3_or_30_letters_takes_the_same_queries(standard, company, customer, invoice):
    _company_with(company, customer, invoice, "SMALL", 3)
    _company_with(company, customer, invoice, "LARGE", 30)

    counts = {}
    for code in ("SMALL", "LARGE"):
        with CaptureQueriesContext(connection) as queries:
            result = run_dunning(as_of=AS_OF, company=code, deliver=False)
        counts[code] = len(queries)
        assert result.errors == []
        assert len(result.letters) == Letter.objects.filter(company__code=code).count()

    assert Letter.objects.filter(company__code="LARGE").count() == 30
    assert counts["SMALL"] == counts["LARGE"]
    for letter in Letter.objects.filter(company__code="LARGE"):
        assert sorted(letter.items.values_list("invoice__number", flat=True)) == [
            f"{letter.customer.number.replace('-C', '-INV-')}-1", f"{letter.customer.number.replace('-C', '-INV-')}-2"]
        assert AuditEvent.objects.filter(action="letter_created", object_id=str(letter.pk)).count() == 1


def test_a_letter_made_meanwhile_is_not_made_twice_and_the_others_are_written(standard, company, customer, invoice,
                                                                               monkeypatch):
    _company_with(company, customer, invoice, "CO1", 5)
    written = run_service._letters_written
    raced = []

    def another_writer_first(run, facts, todo):
        letter, _ = run_service.letter_create(run, facts, todo[0])  # committed by someone else meanwhile
        raced.append(letter.pk)
        return written(run, facts, todo)

    monkeypatch.setattr(run_service, "_letters_written", another_writer_first)
    result = run_dunning(as_of=AS_OF, deliver=False)

    assert result.errors == []
    (company_run,) = result.companies
    assert (len(company_run.letters), company_run.already_made) == (4, 1)
    assert sorted(Letter.objects.values_list("customer__number", flat=True)) == [f"CO1-C{k}" for k in range(5)]
    made = {m.letter_id for m in company_run.letters}
    assert made.isdisjoint(raced) and made | set(raced) == set(Letter.objects.values_list("id", flat=True))
    assert LetterItem.objects.count() == 10
    assert sorted(int(e) for e in AuditEvent.objects.filter(action="letter_created")
                  .values_list("object_id", flat=True)) == sorted(made)
