"""Letter templates as a folder of text files: exported, edited in any editor, loaded back checked.

    FOLDER/all/de/level2.email.subject.j2     global texts (every procedure without its own)
    FOLDER/all/de/level2.email.text.j2
    FOLDER/all/de/level2.email.html.j2
    FOLDER/all/de/level2.pdf.text.j2          the PDF letter's paragraphs ([items] marks the table)
    FOLDER/legal/en/level1.pdf.subject.j2     procedure "legal"'s own texts

This is the layout of the default texts (dunning/delivery/default_templates). Loading checks every
file in the sandbox first (syntax, unknown names, a trial render on sample data, characters the
PDF fonts cannot print) and names every problem with its file; then all templates are written in
one transaction, or none.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from django.db import transaction

from dunning.models import Procedure, Template

from .audit import event_recorded
from .validation import ConfigError, ConfigurationInvalid, TemplateDraft, template_errors

GLOBAL = "all"
PARTS = {("email", "subject"): "subject", ("email", "text"): "body_text", ("email", "html"): "body_html",
         ("pdf", "subject"): "subject", ("pdf", "text"): "body_text"}
NAME = re.compile(r"level(\d+)\.(email|pdf)\.(subject|text|html)\.j2")
LANGUAGE = re.compile(r"[a-z]{2,3}([_-][A-Za-z0-9]{2,8})*")


@dataclass
class _Found:
    draft: TemplateDraft
    procedure: str | None
    files: list[Path]


def templates_exported(folder: Path) -> int:
    """Write every stored template as files; returns how many files were written."""
    written = 0
    for row in Template.objects.select_related("procedure").order_by("procedure__code", "language", "level"):
        base = folder / (row.procedure.code if row.procedure else GLOBAL) / row.language
        base.mkdir(parents=True, exist_ok=True)
        for (channel, part), field in PARTS.items():
            text = getattr(row, field)
            if channel == row.channel and text:
                (base / f"level{row.level}.{channel}.{part}.j2").write_text(text, encoding="utf-8")
                written += 1
    return written


def templates_loaded(folder: Path, actor: str = "system") -> int:
    """Create or replace the templates found in the folder; ConfigurationInvalid lists every problem."""
    found, errors = _read(folder)
    for item in found.values():
        errors += [ConfigError(f"{_where(item)}: {e.field.split('.')[-1]}", e.message)
                   for e in template_errors(item.draft)]
    if errors:
        raise ConfigurationInvalid(errors)
    with transaction.atomic():
        procedures = {p.code: p for p in Procedure.objects.filter(code__in={f.procedure for f in found.values()})}
        for item in found.values():
            d = item.draft
            row, _ = Template.objects.update_or_create(
                procedure=procedures.get(item.procedure) if item.procedure else None, level=d.level,
                channel=d.channel, language=d.language,
                defaults={"subject": d.subject, "body_text": d.body_text, "body_html": d.body_html})
            event_recorded("template_saved", row, actor, level=d.level, channel=d.channel, language=d.language,
                           procedure=item.procedure)
    return len(found)


def _read(folder: Path) -> tuple[dict[tuple, _Found], list[ConfigError]]:
    if not folder.is_dir():
        raise ConfigurationInvalid([ConfigError(str(folder), "no such folder")])
    codes = set(Procedure.objects.values_list("code", flat=True))
    found: dict[tuple, _Found] = {}
    errors: list[ConfigError] = []
    for path in sorted(folder.rglob("*")):
        if path.is_dir() or path.name.startswith("."):
            continue
        relative = path.relative_to(folder)
        parts = relative.parts
        match = NAME.fullmatch(path.name)
        if len(parts) != 3 or not match:
            errors.append(ConfigError(str(relative), "not a template file; name it <procedure or all>/<language>/"
                                                     "level<N>.<email|pdf>.<subject|text|html>.j2"))
            continue
        scope, language = parts[0], parts[1]
        level, channel, part = int(match[1]), match[2], match[3]
        if (channel, part) not in PARTS:
            errors.append(ConfigError(str(relative), "a PDF letter has a subject and a text, no HTML"))
            continue
        if scope != GLOBAL and scope not in codes:
            errors.append(ConfigError(str(relative), f"no procedure {scope!r}; use '{GLOBAL}' for texts every "
                                                     f"procedure shares, or one of {', '.join(sorted(codes))}"))
            continue
        if not LANGUAGE.fullmatch(language) or level < 1:
            errors.append(ConfigError(str(relative), "the folder must be a language such as de or fr_CH, and "
                                                     "the level 1 or more"))
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            errors.append(ConfigError(str(relative), "not UTF-8 text; save it as UTF-8"))
            continue
        procedure = None if scope == GLOBAL else scope
        key = (procedure, level, channel, language)
        item = found.get(key)
        if item is None:
            item = found[key] = _Found(TemplateDraft(level, channel, language, procedure_specific=procedure is not None),
                                       procedure, [])
        setattr(item.draft, PARTS[(channel, part)], text.strip("\n") if part == "subject" else text)
        item.files.append(relative)
    for item in found.values():
        if not item.draft.body_text.strip():
            errors.append(ConfigError(_where(item), "has no text part (level<N>.<channel>.text.j2); every letter "
                                                    "needs one"))
    return found, errors


def _where(item: _Found) -> str:
    d = item.draft
    return f"{item.procedure or GLOBAL}/{d.language}/level{d.level}.{d.channel}"
