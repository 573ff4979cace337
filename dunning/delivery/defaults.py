"""The default letter texts: three levels, email and PDF, in English, German, French, Spanish, Japanese.

The texts live as files in `default_templates/<language>/level<N>.<channel>.<part>.j2` so they can be
read and reviewed as letters; installing copies them into global Template rows (procedure empty),
which finance staff can then edit. Installing again never overwrites an edited text.
"""
from __future__ import annotations

from pathlib import Path

from django.db import transaction

from dunning.models import Template

TEXTS_DIR = Path(__file__).with_name("default_templates")
LANGUAGES = ("en", "de", "fr", "es", "ja")
LEVELS = (1, 2, 3)
PARTS = {"email": {"subject": "email.subject", "body_text": "email.text", "body_html": "email.html"},
         "pdf": {"subject": "pdf.subject", "body_text": "pdf.text"}}


def default_text(language: str, level: int, channel: str) -> dict[str, str]:
    """The stored fields (subject, body_text, body_html) of one default template, read from its files."""
    fields = {"subject": "", "body_text": "", "body_html": ""}
    for field, part in PARTS[channel].items():
        text = (TEXTS_DIR / language / f"level{level}.{part}.j2").read_text(encoding="utf-8")
        fields[field] = text.strip("\n") if field == "subject" else text
    return fields


@transaction.atomic
def install_default_templates() -> int:
    """Create the missing global default templates; returns how many were created. Idempotent."""
    created = 0
    for language in LANGUAGES:
        for level in LEVELS:
            for channel in PARTS:
                if Template.objects.filter(procedure__isnull=True, level=level, channel=channel,
                                           language=language).exists():
                    continue
                Template.objects.create(procedure=None, level=level, channel=channel, language=language,
                                        **default_text(language, level, channel))
                created += 1
    return created
