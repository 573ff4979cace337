"""The admin, driven through Django's test client as a director would: configuration saved by the same
rules as `procedure_save`, every save audited with who, and what the run wrote shown but never edited."""
from __future__ import annotations

import pytest

from dunning.models import AuditEvent, Company, Customer, Level, Procedure, Template

pytestmark = pytest.mark.django_db

LEVEL = {"combine": "and", "channels": "email"}


@pytest.fixture
def english(db):
    for level in (1, 2, 3):
        for channel in ("email", "pdf"):
            Template.objects.create(level=level, channel=channel, language="en", subject="Reminder",
                                    body_text="Dear {{ customer.name }}, please pay.")


def procedure_form(code: str, *levels: dict) -> dict:
    data = {"code": code, "name": code.title(), "scope": "customer", "mode": "jump", "min_interval_days": 7,
            "sending": "automatic", "default_currency": "EUR", "charges_policy": "collect",
            "allow_invoice_override": "on", "levels-TOTAL_FORMS": len(levels), "levels-INITIAL_FORMS": 0,
            "levels-MIN_NUM_FORMS": 0, "levels-MAX_NUM_FORMS": 1000}
    for n, level in enumerate(levels):
        data.update({f"levels-{n}-{name}": value for name, value in {**LEVEL, **level}.items()})
    return data


def level_errors(response) -> list[str]:
    return list(response.context["inline_admin_formsets"][0].formset.non_form_errors())


def test_a_procedure_added_with_its_levels_is_saved_and_audited_with_who(english, admin_client, admin_user):
    response = admin_client.post("/admin/dunning/procedure/add/", procedure_form("NEW", {"days": 30}, {"days": 1}))

    assert response.status_code == 302
    assert list(Level.objects.filter(procedure__code="NEW").values_list("days", flat=True)) == [1, 30]
    saved = AuditEvent.objects.get(action="procedure_saved")
    assert (saved.actor, saved.object_id) == (admin_user.username, str(Procedure.objects.get(code="NEW").pk))


@pytest.mark.parametrize(("levels", "message"), [
    ([{"days": 1}, {"days": 1}], "duplicate data for days"),
    ([{"days": 1}, {"days": 10}, {"days": 20}, {"days": 40}], "level 4 sends by email but has no email template"),
    ([], "the procedure has no levels; add at least one"),
], ids=["same-days", "no-template", "no-levels"])
def test_a_procedure_that_makes_no_sense_is_refused_with_how_to_fix_it(english, admin_client, levels, message):
    response = admin_client.post("/admin/dunning/procedure/add/", procedure_form("BAD", *levels))

    assert response.status_code == 200
    assert any(message in error for error in level_errors(response)), level_errors(response)
    assert not Procedure.objects.filter(code="BAD").exists() and not AuditEvent.objects.exists()


def test_the_last_default_language_template_of_a_used_level_cannot_be_deleted(english, admin_client):
    admin_client.post("/admin/dunning/procedure/add/", procedure_form("STD", {"days": 1}))
    english_email = Template.objects.get(level=1, channel="email", language="en")
    unused = Template.objects.get(level=3, channel="email", language="en")

    response = admin_client.post(f"/admin/dunning/template/{english_email.pk}/delete/", {"post": "yes"}, follow=True)

    assert Template.objects.filter(pk=english_email.pk).exists()
    shown = [str(m) for m in response.context["messages"]]
    assert any("was not deleted" in m and "no email template in the default language (en)" in m for m in shown), shown
    assert admin_client.post(f"/admin/dunning/template/{unused.pk}/delete/", {"post": "yes"}).status_code == 302
    assert not Template.objects.filter(pk=unused.pk).exists()  # level 3 is used by no procedure
    assert AuditEvent.objects.filter(action="template_deleted").count() == 1


def test_the_same_customer_number_with_leading_zeros_is_refused(admin_client):
    acme = Company.objects.create(code="ACME", name="Acme")
    Customer.objects.create(company=acme, number="0042", key="42", name="Northwind")
    data = {"company": acme.pk, "number": "42", "name": "Northwind again", "allow_email": "on", "allow_print": "on",
            "contacts-TOTAL_FORMS": 0, "contacts-INITIAL_FORMS": 0, "contacts-MIN_NUM_FORMS": 0,
            "contacts-MAX_NUM_FORMS": 1000}

    refused = admin_client.post("/admin/dunning/customer/add/", data)
    assert refused.status_code == 200
    assert "customer 0042 is the same number without leading zeros" in str(refused.context["adminform"].form.errors)

    assert admin_client.post("/admin/dunning/customer/add/", {**data, "number": "043"}).status_code == 302
    assert Customer.objects.get(number="043").key == "43"


def test_letters_runs_and_the_audit_trail_are_shown_and_never_edited(english, admin_client):
    admin_client.post("/admin/dunning/procedure/add/", procedure_form("STD", {"days": 1}))
    audit = AuditEvent.objects.get()
    for page in ("/admin/", "/admin/dunning/letter/", "/admin/dunning/run/", "/admin/dunning/auditevent/",
                 f"/admin/dunning/auditevent/{audit.pk}/change/", "/admin/dunning/procedure/",
                 "/admin/dunning/template/", "/admin/dunning/level/", "/admin/dunning/customer/add/"):
        assert admin_client.get(page).status_code == 200, page

    assert admin_client.get("/admin/dunning/auditevent/add/").status_code == 403
    assert admin_client.get("/admin/dunning/letter/add/").status_code == 403
    assert admin_client.post(f"/admin/dunning/auditevent/{audit.pk}/delete/", {"post": "yes"}).status_code == 403
    assert AuditEvent.objects.filter(pk=audit.pk).exists()
