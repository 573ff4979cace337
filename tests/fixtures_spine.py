"""Fixtures for the run, re-check and backtest tests: procedures and earlier letters.

Imported by those test modules (`from fixtures_spine import *`); the row factories (company,
customer, invoice, credit) come from conftest.py.
"""
from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from dunning.models import Letter, LetterItem, Level, LevelAmount, Procedure, Run
from dunning.models.money import to_minor


@pytest.fixture
def standard(db):
    """The default set-up: procedure "standard" (levels 1, 30, 60 days) for every customer."""
    from dunning.services.setup import ensure_default_setup

    return ensure_default_setup()


@pytest.fixture
def procedure(db):
    """make a Procedure: levels=[(days, {"name":..., "fee_percent": "10", "fee": {"EUR": "5.00"}}), ...]."""

    def make(code: str = "P", levels=((1, {}), (30, {}), (60, {})), rule_priority: int | None = 1, **fields):
        from dunning.models import AssignmentRule

        proc = Procedure.objects.create(code=code, name=code, **fields)
        for days, options in levels:
            options = dict(options)
            fees = options.pop("fee", {})
            if "fee_percent" in options:
                options["fee_percent"] = Decimal(options["fee_percent"])
            level = Level.objects.create(procedure=proc, days=days, name=options.pop("name", f"from {days} days"),
                                         **options)
            for currency, amount in fees.items():
                LevelAmount.objects.create(level=level, kind="fee", currency=currency,
                                           amount_minor=to_minor(Decimal(amount), currency))
        if rule_priority is not None:
            AssignmentRule.objects.create(priority=rule_priority, procedure=proc)
        return proc

    return make


@pytest.fixture
def past_letter(db):
    """make a letter that was made earlier: past_letter(customer, date, level, {invoice: level}, state="sent")."""

    def make(customer, day: date, level: int, items: dict, state: str = "sent", procedure_code: str = "P",
             currency: str | None = None) -> Letter:
        run = Run.objects.create(as_of=day, status="finished")
        letter = Letter.objects.create(run=run, company=customer.company, customer=customer,
                                       currency=currency or customer.currency, date=day,
                                       procedure_code=procedure_code, level=level, state="queued")
        for invoice, item_level in items.items():
            LetterItem.objects.create(letter=letter, invoice=invoice, level=item_level, days_overdue=0,
                                      open_minor=invoice.amount_minor)
        Letter.objects.filter(pk=letter.pk).update(state=state)  # a sent letter's items are frozen: add them first
        letter.refresh_from_db()
        return letter

    return make
