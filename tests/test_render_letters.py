"""Letters written from their data with the default templates: the right language, amounts and dates.

Given a letter's plain data (the Letter.data contract) and the installed default templates,
when it is rendered, then the reader sees their language and their locale's numbers — or, where
their language has no text, the English text, never an empty body (BUG-22).
"""
from __future__ import annotations

import pytest

from dunning.delivery.defaults import default_text, install_default_templates
from dunning.delivery.render import render_email, render_letter
from dunning.delivery.templates import TemplateMissing, choose_template, language_candidates
from dunning.models import Template

NBSP = "\u00a0"
NNBSP = "\u202f"


def letter_data(language: str | None, currency: str = "EUR", country: str | None = "DE", level: int = 2,
                open_amount: str = "1234.56", customer: str = "Müller Maschinenbau GmbH") -> dict:
    return {
        "company": {"code": "ACME-DE", "name": "Acme Industriebedarf GmbH",
                    "address": ["Hafenstraße 5", "20457 Hamburg"],
                    "sender_email": "mahnwesen@acme.example", "reply_to": "buchhaltung@acme.example",
                    "payment_instructions": "IBAN DE89 3704 0044 0532 0130 00\nBIC COBADEFFXXX",
                    "base_currency": "EUR"},
        "customer": {"number": "0042", "name": customer, "address": ["Industrieweg 7", "70173 Stuttgart"],
                     "email": "ap@example.com", "language": language, "country": country},
        "letter": {"date": "2026-12-03", "level": level, "level_name": "", "currency": currency,
                   "procedure": "Standard", "repeat": False, "language": language,
                   "reasons": ["INV-1001 is 43 days overdue; level 2 starts at 30"]},
        "items": [{"number": "INV-1001", "kind": "invoice", "issue_date": "2026-09-21", "due_date": "2026-10-21",
                   "amount": open_amount, "open_amount": open_amount, "days_overdue": 43, "level": level,
                   "reminded_level": 1, "interest": "0"}],
        "credits": [],
        "info": [],
        "totals": {"dunned": open_amount, "fee": "0", "interest": "0", "credits": "0", "total": open_amount},
    }


@pytest.fixture
def defaults(db):
    install_default_templates()


def test_install_is_idempotent_and_keeps_edits(db):
    assert install_default_templates() == 5 * 3 * 2
    Template.objects.filter(language="de", level=1, channel="email").update(subject="Edited")
    assert install_default_templates() == 0
    assert Template.objects.count() == 30
    assert Template.objects.get(language="de", level=1, channel="email", procedure=None).subject == "Edited"


def test_german_letter(defaults):
    email = render_email(letter_data("de"))
    assert email.language == "de"
    assert email.subject == f"Zweite Mahnung: offener Betrag 1.234,56{NBSP}€"
    assert email.text.startswith("Sehr geehrte Damen und Herren,\n\ntrotz unserer Zahlungserinnerung")
    assert (f"- Rechnung INV-1001 vom 21.09.2026, fällig am 21.10.2026 (43 Tage überfällig): 1.234,56{NBSP}€"
            in email.text)
    assert f"Zu zahlender Gesamtbetrag: 1.234,56{NBSP}€" in email.text
    assert "IBAN DE89 3704 0044 0532 0130 00\nBIC COBADEFFXXX" in email.text
    assert "Zur Information" not in email.text  # nothing not yet due on this letter
    assert "<td style=\"padding:4px 8px;border-bottom:1px solid #ddd\">21.10.2026</td>" in email.html
    assert f"1.234,56{NBSP}€" in email.html


def test_japanese_letter_in_yen(defaults):
    data = letter_data("ja", currency="JPY", country="JP", level=1, open_amount="1235",
                       customer="株式会社山田商事")
    email = render_email(data)
    assert email.language == "ja"
    assert email.subject == "お支払いのお願い（Acme Industriebedarf GmbH／お客様番号 0042）"
    assert email.text.startswith("株式会社山田商事 御中\n\n拝啓　時下ますますご清栄のこととお慶び申し上げます。")
    assert "・請求書 INV-1001（発行日 2026/09/21、支払期日 2026/10/21、43日経過）：￥1,235" in email.text
    assert "ご請求金額合計：￥1,235" in email.text
    assert "1,235.00" not in email.text and "1235" not in email.text
    assert email.text.rstrip().endswith("敬具\nAcme Industriebedarf GmbH\n経理部")


def test_french_letter_groups_with_narrow_no_break_space(defaults):
    email = render_email(letter_data("fr", country="FR", level=3))
    assert email.subject == f"Dernière relance avant recouvrement{NBSP}: montant dû 1{NNBSP}234,56{NBSP}€"
    assert (f"- Facture INV-1001 du 21 sept. 2026, échue le 21 oct. 2026 (43 jours de retard){NBSP}: "
            f"1{NNBSP}234,56{NBSP}€") in email.text
    assert "société de recouvrement" in email.text


def test_spanish_and_english_letters(defaults):
    es = render_email(letter_data("es", country="ES", level=1))
    assert es.text.startswith("Estimados señores:\n\nAl revisar nuestra contabilidad")
    assert f"- Factura INV-1001 del 21 sept 2026, vencida el 21 oct 2026 (43 días de retraso): 1.234,56{NBSP}€" \
        in es.text
    assert f"Importe total a pagar: 1.234,56{NBSP}€" in es.text
    en = render_email(letter_data("en", country="GB", level=2))
    assert en.subject == "Second reminder: overdue payment of €1,234.56"
    assert "- Invoice INV-1001 of 21 Sept 2026, due 21 Oct 2026 (43 days overdue): €1,234.56" in en.text


def test_bug_22_fallback_to_english_never_empty(db):
    """BUG-22: templates exist only in en and de. de gets German, fr and no language get English."""
    for language in ("en", "de"):
        for channel in ("email", "pdf"):
            Template.objects.create(level=2, channel=channel, language=language, **default_text(language, 2, channel))
    de = render_email(letter_data("de", open_amount="100.00"))
    fr = render_email(letter_data("fr", country=None, open_amount="100.00"))
    none = render_email(letter_data(None, country=None, open_amount="100.00"))
    assert (de.language, fr.language, none.language) == ("de", "en", "en")
    assert f"Zu zahlender Gesamtbetrag: 100,00{NBSP}€" in de.text
    assert fr.text.startswith("Dear Müller Maschinenbau GmbH,\n\nDespite our earlier reminder")
    assert "Total amount due: €100.00" in fr.text
    assert none.text == fr.text
    for email in (de, fr, none):
        assert email.subject.strip() and email.text.strip() and email.html.strip()


def test_english_fallback_keeps_the_customers_number_format(db):
    Template.objects.create(level=2, channel="email", language="en", **default_text("en", 2, "email"))
    email = render_email(letter_data("fr", country="FR"))
    assert email.language == "en"
    assert f"Total amount due: 1{NNBSP}234,56{NBSP}€" in email.text


def test_language_candidates():
    assert language_candidates("fr-ch") == ["fr_CH", "fr", "en"]
    assert language_candidates("de") == ["de", "en"]
    assert language_candidates(None) == ["en"]


def test_choose_template_order(db):
    from dunning.models import Procedure

    proc = Procedure.objects.create(code="Strict", name="Strict")
    base = dict(channel="email", subject="s", body_text="x")
    glob_en1 = Template.objects.create(level=1, language="en", **base)
    glob_fr2 = Template.objects.create(level=2, language="fr", **base)
    own_fr2 = Template.objects.create(procedure=proc, level=2, language="fr", **base)
    own_frch1 = Template.objects.create(procedure=proc, level=1, language="fr_CH", **base)
    Template.objects.create(level=3, language="fr", channel="email", subject="s", body_text="  ")  # empty: skipped

    assert choose_template("Strict", 2, "email", "fr") == own_fr2  # the procedure's own text first
    assert choose_template("Standard", 2, "email", "fr") == glob_fr2  # then the global one
    assert choose_template("Standard", 3, "email", "fr") == glob_fr2  # empty level 3 -> highest lower level
    assert choose_template("Strict", 2, "email", "fr_CH") == own_frch1  # exact language wins over level
    assert choose_template("Standard", 2, "email", "de") == glob_en1  # default language, highest level <= 2
    with pytest.raises(TemplateMissing, match="no pdf template for level 2 or below in de, en"):
        choose_template("Standard", 2, "pdf", "de")


def test_no_template_at_all_is_a_clear_error(db):
    with pytest.raises(TemplateMissing, match="install the default templates"):
        render_email(letter_data("de"))


def test_render_letter_from_a_letter_row(defaults, company, customer):
    from datetime import date

    from dunning.models import Letter, Run

    co = company()
    cu = customer(company=co)
    run = Run.objects.create(as_of=date(2026, 12, 3))
    letter = Letter.objects.create(run=run, company=co, customer=cu, currency="EUR", date=date(2026, 12, 3),
                                   procedure_code="Standard", level=2, language="de", data=letter_data("de"))
    rendered = render_letter(letter)
    assert rendered.subject == f"Zweite Mahnung: offener Betrag 1.234,56{NBSP}€"
    assert rendered.pdf.startswith(b"%PDF-")
    import io

    from pypdf import PdfReader

    (page,) = [p.extract_text() for p in PdfReader(io.BytesIO(rendered.pdf)).pages]
    assert "Zweite Mahnung" in page
    assert "Sehr geehrte Damen und Herren," in page
    assert f"INV-1001 21.10.2026 43 1.234,56{NBSP}€ 2" in page
    assert f"Zu zahlender Betrag 1.234,56{NBSP}€" in page
    assert "Mit freundlichen Grüßen" in page


@pytest.mark.parametrize("language", ["en", "de", "fr", "es", "ja"])
def test_every_default_text_validates_and_renders_every_level(defaults, language):
    from dunning.delivery.sandbox import validate_template

    for level in (1, 2, 3):
        for channel in ("email", "pdf"):
            fields = default_text(language, level, channel)
            for part, html in (("subject", False), ("body_text", False), ("body_html", True)):
                if fields[part]:
                    assert validate_template(fields[part], html=html) == [], (language, level, channel, part)
        data = letter_data(language, level=level)
        data["credits"] = [{"number": "CN-7", "kind": "credit_note", "date": "2026-11-20", "open_amount": "-34.56"}]
        data["totals"].update({"fee": "5.00", "interest": "2.10", "credits": "-34.56", "total": "1207.10"})
        data["info"] = [{"number": "INV-9", "due_date": "2026-12-20", "open_amount": "80.00", "days_overdue": -17,
                         "note": "not due"}]
        rendered = render_letter(data)
        assert rendered.language == language
        assert "CN-7" in rendered.text and "CN-7" in rendered.html
        assert "INV-9" in rendered.text and "INV-9" in rendered.html
        assert rendered.pdf.startswith(b"%PDF-")


def test_subject_stays_one_line_whatever_the_customer_name(db):
    Template.objects.create(level=2, channel="email", language="en", subject="Reminder for {{ customer.name }}",
                            body_text="Dear {{ customer.name }}")
    email = render_email(letter_data("en", customer="Evil Corp\r\nBcc: victim@example.com\nX-Injected: 1"))
    assert email.subject == "Reminder for Evil Corp Bcc: victim@example.com X-Injected: 1"
    assert "\n" not in email.subject and "\r" not in email.subject
