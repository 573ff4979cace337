"""A letter's email and PDF, written from its plain data with the chosen templates.

Input is a Letter row or its `data` dict (the JSON the run service stored, see the brief's
contract). Templates run in the sandbox on that data only. Numbers and dates follow the reader's
locale: the language of the text actually used (after fallback) with the customer's country, so a
French customer who gets the English fallback text still sees "1 234,56 €".
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from . import formatting
from .pdf import body_paragraphs, render_pdf
from .sandbox import Source, TemplateError, render_templates
from .templates import TemplateChoice


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    text: str
    html: str
    language: str = "en"  # language of the text used (after fallback)


@dataclass(frozen=True)
class RenderedLetter:
    subject: str
    text: str
    html: str
    pdf: bytes
    language: str = "en"


@dataclass(frozen=True)
class _Target:
    data: dict
    procedure_code: str
    level: int
    language: str | None
    logo: bytes | None


def _target(letter: Any) -> _Target:
    if isinstance(letter, dict):
        data = letter
        info = data.get("letter") or {}
        return _Target(data, str(info.get("procedure") or ""), int(info.get("level") or 1), _language(data), None)
    data = dict(letter.data or {})
    logo = getattr(letter.company, "logo", None) if getattr(letter, "company_id", None) else None
    return _Target(data, letter.procedure_code, int(letter.level), _language(data) or letter.language,
                   bytes(logo) if logo else None)


def _language(data: dict) -> str | None:
    return (data.get("letter") or {}).get("language") or (data.get("customer") or {}).get("language") or None


def reader_locale(data: dict, text_language: str) -> str:
    """Customer's own locale when the text is in their language, else the text's language in their country."""
    customer = data.get("customer") or {}
    wanted = _language(data) or ""
    same = wanted.replace("-", "_").split("_")[0].lower() == text_language.replace("-", "_").split("_")[0].lower()
    return str(formatting.locale_for(wanted if same else text_language, customer.get("country")))


def _one_line(subject: str) -> str:
    """A subject is one line: no CR/LF can reach a mail header."""
    return re.sub(r"[\r\n\x0b\x0c\x1c-\x1e\x85\u2028\u2029]+", " ", subject).strip()


def render_email(letter: Any) -> RenderedEmail:
    """Subject, plain text and HTML of the letter's email. Raises TemplateMissing or TemplateError."""
    target = _target(letter)
    return _email(target, _choice(target, ("email",)))


def _choice(target: _Target, channels: tuple[str, ...]) -> TemplateChoice:
    return TemplateChoice(target.procedure_code, target.level, channels, target.language)


def _email(target: _Target, choice: TemplateChoice) -> RenderedEmail:
    template = choice.pick("email")
    locale = reader_locale(target.data, template.language)
    sources = [Source(template.subject), Source(template.body_text), Source(template.body_html, html=True)]
    subject, text, html = render_templates(sources, target.data, locale)
    if not text.strip():
        raise TemplateError(f"the email template (level {template.level}, {template.language}) rendered an empty "
                            f"text", "empty")
    return RenderedEmail(_one_line(subject), text.strip() + "\n", html, template.language)


def render_pdf_letter(letter: Any) -> bytes:
    """The PDF letter alone. Raises TemplateMissing, TemplateError or pdf.PdfError."""
    target = _target(letter)
    return _pdf(target, _choice(target, ("pdf",)))


def _pdf(target: _Target, choice: TemplateChoice) -> bytes:
    template = choice.pick("pdf")
    locale = reader_locale(target.data, template.language)
    title, body = render_templates([Source(template.subject), Source(template.body_text)], target.data, locale)
    paragraphs = body_paragraphs(body)
    if not paragraphs:
        raise TemplateError(f"the PDF template (level {template.level}, {template.language}) rendered an empty "
                            f"body", "empty")
    return render_pdf(target.data, paragraphs, title=_one_line(title) or None, locale=locale,
                      language=template.language, logo=target.logo)


def render_letter(letter: Any) -> RenderedLetter:
    """The email parts and the PDF letter. Raises TemplateMissing, TemplateError or pdf.PdfError."""
    target = _target(letter)
    choice = _choice(target, ("email", "pdf"))  # both templates in one read
    email = _email(target, choice)
    pdf = _pdf(target, choice)
    return RenderedLetter(email.subject, email.text, email.html, pdf, email.language)
