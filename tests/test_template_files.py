"""Letter texts as files: exported, edited in an editor, loaded back; hostile or broken edits refused whole.

Given the default texts, when finance staff export them, rewrite the German second reminder and add
a procedure's own English text, then load the folder, the next German letter uses the new words; a
folder with a broken or hostile template changes nothing and names each file.
"""
from __future__ import annotations

import pytest
from test_render_letters import letter_data

from dunning.delivery.defaults import install_default_templates
from dunning.delivery.render import render_email
from dunning.models import AuditEvent, Procedure, Template
from dunning.services.template_files import templates_exported, templates_loaded
from dunning.services.validation import ConfigurationInvalid

NBSP = "\u00a0"


@pytest.fixture
def texts(db, tmp_path):
    install_default_templates()
    Procedure.objects.create(code="legal", name="Legal")
    folder = tmp_path / "texts"
    assert templates_exported(folder) == 5 * 3 * (3 + 2)  # 5 languages, 3 levels, email 3 parts + pdf 2
    return folder


def stored() -> list[tuple]:
    return sorted(Template.objects.values_list("procedure__code", "level", "channel", "language", "subject",
                                               "body_text", "body_html"), key=repr)


def test_edited_texts_load_back_and_the_next_letter_uses_them(texts):
    (texts / "all" / "de" / "level2.email.subject.j2").write_text("Zweite Mahnung – bitte zahlen Sie "
                                                                  "{{ totals.total|money }}\n", encoding="utf-8")
    own = texts / "legal" / "en"
    own.mkdir(parents=True)
    (own / "level1.email.subject.j2").write_text("Legal notice {{ letter.date|date('long') }}", encoding="utf-8")
    (own / "level1.email.text.j2").write_text("Dear {{ customer.name }}, pay {{ totals.total|money }}.",
                                              encoding="utf-8")

    assert templates_loaded(texts, actor="anna") == 31

    assert render_email(letter_data("de")).subject == f"Zweite Mahnung – bitte zahlen Sie 1.234,56{NBSP}€"
    legal = Template.objects.get(procedure__code="legal", level=1, channel="email", language="en")
    assert (legal.subject, legal.body_html) == ("Legal notice {{ letter.date|date('long') }}", "")
    assert AuditEvent.objects.filter(action="template_saved", actor="anna").count() == 31


def test_a_broken_or_hostile_file_refuses_the_whole_folder_and_names_each(texts):
    before = stored()
    (texts / "all" / "de" / "level2.email.subject.j2").write_text("Mahnung {{ totals.total|money ", encoding="utf-8")
    (texts / "all" / "en" / "level1.email.text.j2").write_text(
        "{{ ''.__class__.__mro__[1].__subclasses__() }}", encoding="utf-8")
    (texts / "all" / "fr" / "level3.pdf.text.j2").write_text("Veuillez payer {{ solde }}", encoding="utf-8")
    (texts / "all" / "ja" / "notes.txt").write_text("draft", encoding="utf-8")
    (texts / "sales" / "en").mkdir(parents=True)
    (texts / "sales" / "en" / "level1.email.text.j2").write_text("Hi", encoding="utf-8")

    with pytest.raises(ConfigurationInvalid) as refused:
        templates_loaded(texts)

    problems = [str(e) for e in refused.value.errors]
    assert problems[:2] == [
        "all/ja/notes.txt: not a template file; name it <procedure or all>/<language>/level<N>.<email|pdf>."
        "<subject|text|html>.j2",
        "sales/en/level1.email.text.j2: no procedure 'sales'; use 'all' for texts every procedure shares, or one of "
        "legal"]
    assert [p.split(":")[0] for p in problems[2:]] == ["all/de/level2.email", "all/en/level1.email",
                                                        "all/fr/level3.pdf"]
    assert problems[2] == ("all/de/level2.email: subject: line 1: unexpected end of template, expected 'end of "
                           "print statement'.; correct the template text")
    assert problems[3] == ("all/en/level1.email: body_text: line 1: not allowed in a template: access to attribute "
                           "'__class__' of 'str' object is unsafe.; correct the template text")
    assert "unknown name 'solde' (known: company, credits, currency, customer, fee, info" in problems[4]
    assert stored() == before


def test_a_pdf_text_with_characters_no_font_prints_is_refused(texts):
    (texts / "all" / "en" / "level1.pdf.text.j2").write_text("Pay now \U0001D518\U0001D52B\U0001D526 "
                                                             "{{ totals.total|money }}", encoding="utf-8")
    with pytest.raises(ConfigurationInvalid) as refused:
        templates_loaded(texts)
    (problem,) = [str(e) for e in refused.value.errors]
    assert problem.startswith("all/en/level1.pdf: body_text: the letter contains characters no font can print: ")
    assert "U+1D518" in problem
