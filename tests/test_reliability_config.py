"""Configuration that makes no sense is refused at save, by every way of saving it, saying how to fix it.

tests/test_validation.py checks the rules on drafts, `procedure_save`, and the Level, Procedure and
Template forms for some of them. This file runs each kind of nonsense the issue names through both
ways of saving -- the service (`procedure_save`) and the models' forms (what the admin uses) -- and
checks that nothing was written when it is refused.
"""
from __future__ import annotations

from decimal import Decimal

import pytest
from django.forms import modelform_factory

from dunning.models import Level, LevelAmount, Procedure, Template
from dunning.services.validation import ConfigurationInvalid, procedure_save

pytestmark = pytest.mark.django_db

LEVEL_FIELDS = ["procedure", "number", "days", "name", "combine", "fee_percent", "interest_rate", "channels"]


@pytest.fixture
def english(db):
    """Global English email and PDF templates for levels 1 to 3."""
    for level in (1, 2, 3):
        for channel in ("email", "pdf"):
            Template.objects.create(level=level, channel=channel, language="en", subject="Reminder",
                                    body_text="Dear {{ customer.name }}, please pay {{ totals.total|money }}.")


def counts() -> tuple[int, int, int, int]:
    return (Procedure.objects.count(), Level.objects.count(), LevelAmount.objects.count(), Template.objects.count())


def refused_by_service(**kwargs) -> list[str]:
    before = counts()
    with pytest.raises(ConfigurationInvalid) as refused:
        procedure_save("STRICT", name="Strict", **kwargs)
    assert counts() == before
    return refused.value.messages


# ---------------------------------------------------------------------------------------------
# Through the service
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("levels", "field", "how"), [
    ([{"days": 30, "number": 1}, {"days": 1, "number": 2}], "level 2.number", "renumber it 1"),
    ([{"days": 10}, {"days": 10}], "levels", "give each level its own number of days"),
    ([{"days": 1, "fee_percent": "-5"}], "level 1.fee_percent", "give a percent of the overdue amount"),
    ([{"days": 1, "amounts": [{"kind": "fee", "currency": "EUR", "amount": "-5.00"}]}], "level 1.fee.EUR",
     "give 0 or more, or remove the line"),
    ([{"days": 1, "amounts": [{"kind": "min_total", "currency": "XYZ", "amount": "50"}]}], "level 1.min_total.XYZ",
     "use a code like EUR, USD or JPY"),
    ([{"days": 1, "amounts": [{"kind": "min_item", "currency": "EUR", "amount": "-1.00"}]}], "level 1.min_item.EUR",
     "give 0 or more"),
], ids=["out-of-order", "duplicate-days", "negative-fee-percent", "negative-fixed-fee", "unknown-currency-threshold",
        "negative-threshold"])
def test_nonsense_is_refused_by_procedure_save_with_how_to_fix_it(english, levels, field, how):
    messages = refused_by_service(levels=levels)
    assert any(m.startswith(f"{field}: ") and how in m for m in messages), messages


def test_a_procedure_without_a_default_language_template_is_refused_by_procedure_save(db):
    Template.objects.create(level=1, channel="email", language="de", subject="Erinnerung", body_text="Bitte zahlen.")
    Template.objects.create(level=1, channel="pdf", language="de", subject="Erinnerung", body_text="Bitte zahlen.")

    messages = refused_by_service(levels=[{"days": 1, "channels": "email"}])

    assert messages == [
        "level 1.templates: level 1 sends by email but has no email template in the default language (en); add one "
        "for this procedure or a global one",
        "level 1.templates: level 1 sends by email but has no pdf template in the default language (en); add one "
        "for this procedure or a global one"]


# ---------------------------------------------------------------------------------------------
# Through the models' forms (what the admin and any ModelForm call)
# ---------------------------------------------------------------------------------------------

def test_a_stored_procedure_whose_default_language_templates_are_gone_is_refused_by_its_form(english):
    procedure_save("STD", name="Standard", levels=[{"days": 1}, {"days": 30}])
    Template.objects.filter(level=2, language="en").delete()
    form = modelform_factory(Procedure, exclude=[])(
        instance=Procedure.objects.get(code="STD"),
        data={"code": "STD", "name": "Standard renamed", "scope": "customer", "mode": "jump", "min_interval_days": 7,
              "sending": "automatic", "default_currency": "EUR", "charges_policy": "collect"})

    assert not form.is_valid()
    assert any("level 2 sends by email but has no email template in the default language (en)" in e
               for e in form.non_field_errors())
    assert Procedure.objects.get(code="STD").name == "Standard"


def test_a_negative_fee_percent_is_refused_by_the_level_form(english):
    procedure_save("STD", name="Standard", levels=[{"days": 1}])
    form = modelform_factory(Level, fields=LEVEL_FIELDS)(data={
        "procedure": Procedure.objects.get(code="STD").pk, "days": 30, "combine": "and", "fee_percent": "-1",
        "channels": "email"})
    assert not form.is_valid()
    assert any(e.startswith("level 2.fee_percent: a fee of -1% is outside 0 to 100") for e in form.non_field_errors())


@pytest.mark.parametrize(("kind", "currency", "amount_minor"), [("fee", "EUR", -500), ("min_item", "EUR", -100),
                                                                ("min_total", "XYZ", 5000), ("fee", "eur", 500)],
                         ids=["negative-fee", "negative-threshold", "unknown-currency", "lower-case-currency"])
def test_a_nonsense_amount_is_refused_by_the_level_amount_form(english, kind, currency, amount_minor):
    procedure_save("STD", name="Standard", levels=[{"days": 1}])
    form = modelform_factory(LevelAmount, exclude=[])(data={
        "level": Level.objects.get(procedure__code="STD").pk, "kind": kind, "currency": currency,
        "amount_minor": amount_minor})
    assert not form.is_valid()


def test_a_level_form_refuses_a_channel_without_a_default_language_template(db):
    Template.objects.create(level=1, channel="pdf", language="en", subject="Reminder", body_text="Please pay.")
    procedure_save("PAPER", name="Paper", levels=[{"days": 1, "channels": "print"}])
    level = Level.objects.get(procedure__code="PAPER")

    form = modelform_factory(Level, fields=LEVEL_FIELDS)(instance=level, data={
        "procedure": level.procedure_id, "number": 1, "days": 1, "combine": "and", "channels": "email"})

    assert not form.is_valid()  # there is no email template in any language
    assert any("has no email template in the default language (en)" in e for e in form.non_field_errors())


def test_a_template_form_refuses_to_take_away_the_default_language(db):
    for channel in ("email", "pdf"):
        Template.objects.create(level=1, channel=channel, language="en", subject="Reminder", body_text="Please pay.")
    procedure_save("STD", name="Standard", levels=[{"days": 1}])
    english_email = Template.objects.get(channel="email", language="en")

    form = modelform_factory(Template, exclude=[])(instance=english_email, data={
        "level": 1, "channel": "email", "language": "de", "subject": "Erinnerung", "body_text": "Bitte zahlen.",
        "body_html": ""})

    assert not form.is_valid()


def test_the_admin_saves_configuration_through_the_models_clean(db, rf, admin_user):
    from django.contrib import admin

    for model in (Procedure, Level, LevelAmount, Template):
        assert model in admin.site._registry, f"{model.__name__} is not in the admin"
    request = rf.get("/")
    request.user = admin_user
    form = admin.site._registry[Template].get_form(request)(data={
        "level": 1, "channel": "email", "language": "de", "subject": "{{ broken", "body_text": "x", "body_html": ""})
    assert not form.is_valid()


def test_a_fee_of_exactly_the_limits_is_accepted_by_both_ways(english):
    procedure_save("EDGE", name="Edge", levels=[{"days": 1, "fee_percent": "0"}, {"days": 30, "fee_percent": "100"}])
    assert list(Level.objects.filter(procedure__code="EDGE").values_list("fee_percent", flat=True)) == [
        Decimal("0"), Decimal("100")]
