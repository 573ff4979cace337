"""A procedure that makes no sense is refused when it is saved, with every problem at once.

Each message names where the problem is and says how to fix it, in words a finance director
understands; nothing is written while any problem remains.
"""
from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.forms import modelform_factory

from dunning.models import Level, LevelAmount, Procedure, Template
from dunning.services.validation import (ConfigError, ConfigurationInvalid, LevelDraft, ProcedureDraft,
                                         TemplateDraft, procedure_save, validate_procedure)

pytestmark = pytest.mark.django_db


def english(levels: int = 3, channels=("email", "pdf")) -> list[TemplateDraft]:
    return [TemplateDraft(level=n, channel=c, language="en", subject="Reminder {{ letter.level }}",
                          body_text="Dear {{ customer.name }}, please pay {{ totals.total }}.")
            for n in range(1, levels + 1) for c in channels]


def draft(levels=(1, 30, 60), **fields) -> ProcedureDraft:
    values = dict(code="STANDARD", name="Standard", templates=english(len(levels)))
    values.update(fields)
    return ProcedureDraft(levels=[lv if isinstance(lv, LevelDraft) else LevelDraft(days=lv) for lv in levels],
                          **values)


@pytest.fixture
def global_templates(db):
    for t in english():
        Template.objects.create(level=t.level, channel=t.channel, language="en", subject=t.subject,
                                body_text=t.body_text)


def messages(errors: list[ConfigError]) -> list[str]:
    return [str(e) for e in errors]


def test_a_sound_procedure_has_no_errors():
    assert validate_procedure(draft()) == []


def test_a_procedure_without_levels_is_refused():
    assert messages(validate_procedure(draft(levels=()))) == [
        "levels: the procedure has no levels; add at least one, e.g. 1 day overdue"]


def test_two_levels_on_the_same_day_are_refused():
    assert messages(validate_procedure(draft(levels=(1, 30, 30), templates=english(3)))) == [
        "levels: 2 levels start at 30 days overdue; give each level its own number of days, or delete the extra one"]


def test_levels_entered_out_of_order_are_sorted_by_days():
    assert validate_procedure(draft(levels=(60, 1, 30))) == []


def test_explicit_numbers_that_contradict_the_days_are_refused():
    levels = (LevelDraft(days=1, number=1), LevelDraft(days=60, number=2), LevelDraft(days=30, number=3))
    assert messages(validate_procedure(draft(levels=levels))) == [
        "level 3.number: level 3 starts at 30 days, which makes it level 2 when levels are ordered by days; "
        "renumber it 2, change its days, or leave the numbers empty",
        "level 2.number: level 2 starts at 60 days, which makes it level 3 when levels are ordered by days; "
        "renumber it 3, change its days, or leave the numbers empty",
    ]


def test_numbers_that_agree_with_the_days_are_fine_in_any_entry_order():
    levels = (LevelDraft(days=60, number=3), LevelDraft(days=1, number=1), LevelDraft(days=30))
    assert validate_procedure(draft(levels=levels)) == []


def test_negative_fees_and_percents_over_100_are_refused():
    levels = (LevelDraft(days=1, fee_percent=Decimal("-1")),
              LevelDraft(days=30, fee_percent=Decimal("100.5")),
              LevelDraft(days=60, amounts=[_amount("fee", "EUR", "-5.00")]))
    assert messages(validate_procedure(draft(levels=levels))) == [
        "level 1.fee_percent: a fee of -1% is outside 0 to 100; give a percent of the overdue amount, e.g. 5",
        "level 2.fee_percent: a fee of 100.5% is outside 0 to 100; give a percent of the overdue amount, e.g. 5",
        "level 3.fee.EUR: the fixed fee of -5.00 EUR is negative; give 0 or more, or remove the line",
    ]


def test_a_fee_of_exactly_100_percent_or_zero_is_allowed():
    levels = (LevelDraft(days=1, fee_percent=Decimal("0")), LevelDraft(days=30, fee_percent=Decimal("100")),
              LevelDraft(days=60))
    assert validate_procedure(draft(levels=levels)) == []


def test_thresholds_and_fees_in_unknown_currencies_are_refused():
    levels = (LevelDraft(days=1, amounts=[_amount("min_item", "EUR", "10.00"), _amount("min_total", "XYZ", "50")]),
              LevelDraft(days=30, amounts=[_amount("fee", "eur", "5.00")]),
              LevelDraft(days=60, amounts=[_amount("fee", "JPY", "500.5")]))
    assert messages(validate_procedure(draft(levels=levels, default_currency="EURO"))) == [
        "default_currency: the default currency 'EURO' is not an ISO 4217 currency code; use a code like EUR, "
        "USD or JPY",
        "level 1.min_total.XYZ: the minimum total's currency 'XYZ' is not an ISO 4217 currency code; use a code "
        "like EUR, USD or JPY",
        "level 2.fee.eur: the fixed fee's currency 'eur' is not an ISO 4217 currency code (did you mean EUR?); "
        "use a code like EUR, USD or JPY",
        "level 3.fee.JPY: 500.5 has more decimals than JPY has (0); round it to 0 decimals",
    ]


def test_intervals_must_be_possible():
    assert messages(validate_procedure(draft(min_interval_days=-1, repeat_days=0))) == [
        "min_interval_days: the minimum interval is -1 days; give 0 or more days between two letters",
        "repeat_days: repeating every 0 days is impossible; give 1 or more days, or leave it empty for no repeat",
    ]


def test_a_missing_english_template_for_a_used_channel_is_refused():
    templates = [t for t in english() if not (t.level == 2 and t.channel == "pdf")]
    templates += [TemplateDraft(level=2, channel="pdf", language="de", body_text="Sehr geehrte Damen und Herren")]
    levels = (LevelDraft(days=1), LevelDraft(days=30, channels="print"), LevelDraft(days=60, channels="task"))
    assert messages(validate_procedure(draft(levels=levels, templates=templates))) == [
        "level 2.templates: level 2 sends by print but has no pdf template in the default language (en); add one "
        "for this procedure or a global one"]


def test_an_email_level_needs_both_the_email_and_the_pdf_letter_template():
    templates = [t for t in english() if t.channel == "email"]
    errors = validate_procedure(draft(templates=templates))
    assert [(e.field, e.message.split(" but ")[1][:19]) for e in errors] == [
        ("level 1.templates", "has no pdf template"), ("level 2.templates", "has no pdf template"),
        ("level 3.templates", "has no pdf template")]


def test_an_unparsable_template_is_refused_with_its_line():
    templates = english()
    templates[0] = TemplateDraft(level=1, channel="email", language="en", subject="Reminder",
                                 body_text="Dear {{ customer.name }},\n{% for item in items %}{{ item.number }}")
    [error] = validate_procedure(draft(templates=templates))
    assert error.field == "template level 1 email en.body_text"
    assert error.message.startswith("line 2: Unexpected end of template.")
    assert error.message.endswith("; correct the template text")


def test_every_problem_is_reported_at_once():
    levels = (LevelDraft(days=30, fee_percent=Decimal("150")), LevelDraft(days=30, channels="fax"))
    errors = validate_procedure(draft(levels=levels, default_currency="???", repeat_days=0, templates=[]))
    assert [e.field for e in errors] == [
        "default_currency", "repeat_days", "levels", "level 1.fee_percent", "level 2.channels",
        "level 1.templates", "level 1.templates"]


# ---------------------------------------------------------------------------------------------
# Saving
# ---------------------------------------------------------------------------------------------

def test_procedure_save_refuses_and_writes_nothing(global_templates):
    with pytest.raises(ConfigurationInvalid) as refused:
        procedure_save("STRICT", name="Strict", levels=[{"days": 10}, {"days": 10, "fee_percent": "-2"}],
                       min_interval_days=-3)
    assert refused.value.messages == [
        "min_interval_days: the minimum interval is -3 days; give 0 or more days between two letters",
        "levels: 2 levels start at 10 days overdue; give each level its own number of days, or delete the extra one",
        "level 2.fee_percent: a fee of -2% is outside 0 to 100; give a percent of the overdue amount, e.g. 5",
    ]
    assert isinstance(refused.value, ValidationError)
    assert (Procedure.objects.count(), Level.objects.count()) == (0, 0)


def test_procedure_save_stores_levels_ranked_by_days(global_templates):
    procedure_save("STRICT", name="Strict", levels=[
        {"days": 45, "name": "Final notice", "channels": "email,print",
         "amounts": [{"kind": "fee", "currency": "EUR", "amount": "15.00"}]},
        {"days": 3, "name": "Friendly"}, {"days": 14, "fee_percent": "2.5"}], min_interval_days=10, repeat_days=14)

    stored = Procedure.objects.get(code="STRICT")
    assert (stored.min_interval_days, stored.repeat_days) == (10, 14)
    assert [(lv.number, lv.days, lv.name, lv.fee_percent, lv.channels) for lv in stored.levels.order_by("days")] == [
        (1, 3, "Friendly", None, "email"), (2, 14, "", Decimal("2.5000"), "email"),
        (3, 45, "Final notice", None, "email,print")]
    assert list(LevelAmount.objects.values_list("level__days", "kind", "currency", "amount_minor")) == [
        (45, "fee", "EUR", 1500)]


def test_procedure_save_checks_the_templates_it_is_given(db):
    with pytest.raises(ConfigurationInvalid) as refused:
        procedure_save("SOLO", name="Solo", levels=[{"days": 5, "channels": "print"}],
                       templates=[{"level": 1, "channel": "pdf", "language": "en", "body_text": "Pay {{ totals.total"}])
    assert [e.field for e in refused.value.errors] == ["template level 1 pdf en.body_text"]

    procedure_save("SOLO", name="Solo", levels=[{"days": 5, "channels": "print"}],
                   templates=[{"level": 1, "channel": "pdf", "language": "en", "body_text": "Pay {{ totals.total }}"}])
    assert Template.objects.get(procedure__code="SOLO").body_text == "Pay {{ totals.total }}"


# ---------------------------------------------------------------------------------------------
# The model's clean(), which the admin and every ModelForm call
# ---------------------------------------------------------------------------------------------

def test_a_form_refuses_a_level_that_breaks_its_procedure(global_templates):
    procedure_save("STD", name="Standard", levels=[{"days": 1}, {"days": 30}, {"days": 60}])
    procedure = Procedure.objects.get(code="STD")
    LevelForm = modelform_factory(Level, fields=["procedure", "number", "days", "name", "combine", "fee_percent",
                                                 "interest_rate", "channels"])

    form = LevelForm(data={"procedure": procedure.pk, "days": 30, "combine": "and", "fee_percent": "120",
                           "channels": "email"})

    assert not form.is_valid()
    assert form.non_field_errors() == [
        "levels: 2 levels start at 30 days overdue; give each level its own number of days, or delete the extra one",
        # the stored level 3 would become level 4: its templates would no longer match, so say so
        "level 3.number: level 3 starts at 60 days, which makes it level 4 when levels are ordered by days; "
        "renumber it 4, change its days, or leave the numbers empty",
        "level 3.fee_percent: a fee of 120% is outside 0 to 100; give a percent of the overdue amount, e.g. 5",
        "Level with this Procedure and Days already exists."]


def test_a_form_refuses_a_procedure_with_an_unknown_default_currency(global_templates):
    procedure_save("STD", name="Standard", levels=[{"days": 1}])
    form = modelform_factory(Procedure, exclude=[])(
        instance=Procedure.objects.get(code="STD"),
        data={"code": "STD", "name": "Standard", "scope": "customer", "mode": "jump", "min_interval_days": 7,
              "sending": "automatic", "default_currency": "EUX", "charges_policy": "collect"})
    assert not form.is_valid()
    assert form.non_field_errors()[0].startswith("default_currency: the default currency 'EUX' is not")


def test_a_template_that_does_not_parse_cannot_be_saved_through_a_form(db):
    form = modelform_factory(Template, exclude=[])(data={
        "level": 1, "channel": "email", "language": "de", "subject": "Zahlungserinnerung {{ letter.level",
        "body_text": "Guten Tag", "body_html": ""})
    assert not form.is_valid()
    assert form.non_field_errors()[0].startswith("global template level 1 email de.subject: line 1:")


def _amount(kind: str, currency: str, amount: str):
    from dunning.services.validation import AmountDraft

    return AmountDraft(kind, currency, Decimal(amount))
