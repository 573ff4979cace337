"""Which template writes a letter: by procedure, level, channel and the reader's language.

A customer must never get an empty letter (ERPNext, PicPeak BUG-22): when their language has no
text the default language's text is used, and when a level has no text the highest lower level's
text is used. The reader's language matters most, then the level, then a procedure's own text
over the global one (procedure empty).
"""
from __future__ import annotations

from dunning.models import Template

DEFAULT_LANGUAGE = "en"


class TemplateMissing(LookupError):
    """No usable template exists for a letter, even after every fallback."""


def language_candidates(language: str | None) -> list[str]:
    """fr_CH -> [fr_CH, fr, en]; None -> [en]. Case and '-' are normalised (fr-ch -> fr_CH)."""
    out: list[str] = []
    tag = (language or "").strip().replace("-", "_")
    if tag:
        parts = tag.split("_")
        exact = "_".join([parts[0].lower()] + [p.upper() if len(p) == 2 else p for p in parts[1:]])
        out += [exact, parts[0].lower()]
    out.append(DEFAULT_LANGUAGE)
    return list(dict.fromkeys(out))


def _has_body(template: Template) -> bool:
    """The text body is what every letter needs (the email's text part, the PDF's paragraphs)."""
    return bool((template.body_text or "").strip())


def choose_template(procedure_code: str | None, level: int, channel: str, language: str | None) -> Template:
    """The template for a letter, with fallbacks; raises TemplateMissing naming what was looked for."""
    return TemplateChoice(procedure_code, level, (channel,), language).pick(channel)


class TemplateChoice:
    """The stored templates a letter may use on some channels, read in one query; `pick` one per channel.

    A letter's email and PDF are chosen from one read instead of one query each.
    """

    def __init__(self, procedure_code: str | None, level: int, channels: tuple[str, ...], language: str | None):
        self.procedure_code, self.level, self.language = procedure_code, level, language
        self.languages = language_candidates(language)
        self.rows = list(Template.objects.filter(channel__in=channels, level__lte=level,
                                                 language__in=_spellings(self.languages))
                         .select_related("procedure").order_by("id"))

    def pick(self, channel: str) -> Template:
        rows = [t for t in self.rows if t.channel == channel]
        code = self.procedure_code
        own = [t for t in rows if t.procedure is not None and code and t.procedure.code == code]
        shared = [t for t in rows if t.procedure is None]
        for lang in self.languages:
            for lvl in sorted({t.level for t in rows}, reverse=True):
                for group in (own, shared):
                    for template in group:
                        if _normal(template.language) == lang and template.level == lvl and _has_body(template):
                            return template
        raise TemplateMissing(
            f"no {channel} template for level {self.level} or below in {', '.join(self.languages)} "
            f"(procedure {code or '-'} or the global templates); install the default templates "
            f"(dunning.delivery.defaults.install_default_templates) or write one")


def _normal(language: str) -> str:
    return language_candidates(language)[0] if language else DEFAULT_LANGUAGE


def _spellings(languages: list[str]) -> list[str]:
    """Stored spellings to query for (fr_CH, fr-CH, fr_ch...)."""
    out: set[str] = set()
    for lang in languages:
        out.update({lang, lang.replace("_", "-"), lang.lower(), lang.lower().replace("_", "-")})
    return sorted(out)
