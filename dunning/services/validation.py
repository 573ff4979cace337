"""Is a procedure's configuration sound? Every problem at once, each with how to fix it.

Why here and not in the run: a director who saves "level 2 at 30 days, level 3 at 30 days" should
hear it while the form is still open, not from a run that silently picks one. The checks work on a
draft (plain values, nothing saved yet) so the same function serves `procedure_save`, the model's
`clean()` (and so the admin) and a check of what is already stored.

Levels are ranked by days overdue. A level may carry an explicit number; when it does, the number
must be its rank by days, otherwise the director meant an order the run would not follow.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from babel.numbers import get_currency_precision, list_currencies
from django.core.exceptions import ValidationError
from django.db import transaction

DEFAULT_LANGUAGE = "en"
KNOWN_CURRENCIES = frozenset(list_currencies())
SCOPES = ("customer", "invoice")
MODES = ("jump", "step")
SENDING = ("automatic", "review")
CHARGES_POLICIES = ("collect", "waive")
COMBINE = ("and", "or")
AMOUNT_KINDS = {"min_item": "minimum per invoice", "min_total": "minimum total", "fee": "fixed fee"}
# Which templates a level channel needs: an email carries the PDF letter; print is the PDF letter;
# a task for a collector is worked by a person and needs no text.
TEMPLATE_CHANNELS: dict[str, tuple[str, ...]] = {"email": ("email", "pdf"), "print": ("pdf",), "task": ()}
TEMPLATE_PARTS = ("subject", "body_text", "body_html")


@dataclass(frozen=True)
class ConfigError:
    """One problem: where it is (`field`) and what to do about it (`message`)."""

    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"


class ConfigurationInvalid(ValidationError):
    """Saving was refused; `errors` lists every problem found, not only the first."""

    def __init__(self, errors: Sequence[ConfigError]):
        self.errors = list(errors)
        super().__init__([str(error) for error in self.errors])


@dataclass
class AmountDraft:
    kind: str  # min_item | min_total | fee
    currency: str
    amount: Decimal


@dataclass
class LevelDraft:
    days: int
    number: int | None = None
    name: str = ""
    combine: str = "and"
    fee_percent: Decimal | None = None
    interest_rate: Decimal | None = None
    channels: str = "email"
    amounts: list[AmountDraft] = field(default_factory=list)

    def channel_list(self) -> list[str]:
        return [part.strip().lower() for part in self.channels.split(",") if part.strip()]


@dataclass
class TemplateDraft:
    level: int
    channel: str  # email | pdf
    language: str
    subject: str = ""
    body_text: str = ""
    body_html: str = ""
    procedure_specific: bool = True


@dataclass
class ProcedureDraft:
    code: str
    name: str = ""
    scope: str = "customer"
    mode: str = "jump"
    min_interval_days: int = 7
    repeat_days: int | None = None
    sending: str = "automatic"
    default_currency: str = "EUR"
    interest_rate: Decimal | None = None
    charges_policy: str = "collect"
    allow_invoice_override: bool = True
    levels: list[LevelDraft] = field(default_factory=list)
    templates: list[TemplateDraft] = field(default_factory=list)


# ---------------------------------------------------------------------------------------------
# Drafts from what is stored, or from what a form or file gives
# ---------------------------------------------------------------------------------------------

PROCEDURE_FIELDS = ("name", "scope", "mode", "min_interval_days", "repeat_days", "sending", "default_currency",
                    "interest_rate", "charges_policy", "allow_invoice_override")


def _decimal(value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        raise ConfigurationInvalid([ConfigError("amount", f"{value!r} is not a number; write it like 12.50")])


def _amount_from_minor(minor: int, currency: str) -> Decimal:
    return Decimal(minor).scaleb(-get_currency_precision(currency)) if currency else Decimal(minor)


def level_draft(level: Any, amounts: Iterable[Any] | None = None) -> LevelDraft:
    """A stored (or unsaved) Level row as a draft; amounts default to its stored LevelAmount rows."""
    if amounts is None:
        amounts = level.amounts.all() if level.pk else ()
    return LevelDraft(days=level.days, number=level.number, name=level.name, combine=level.combine,
                      fee_percent=level.fee_percent, interest_rate=level.interest_rate, channels=level.channels,
                      amounts=[AmountDraft(a.kind, a.currency, _amount_from_minor(a.amount_minor, a.currency))
                               for a in amounts])


def template_draft(row: Any) -> TemplateDraft:
    return TemplateDraft(level=row.level, channel=row.channel, language=row.language, subject=row.subject,
                         body_text=row.body_text, body_html=row.body_html,
                         procedure_specific=row.procedure_id is not None)


def stored_templates(procedure: Any) -> list[TemplateDraft]:
    """The procedure's own templates and the global ones it falls back to."""
    from django.db.models import Q

    from dunning.models import Template

    rows = Template.objects.filter(Q(procedure__isnull=True) | Q(procedure_id=procedure.pk) if procedure.pk
                                   else Q(procedure__isnull=True))
    return [template_draft(row) for row in rows]


def procedure_draft(procedure: Any, levels: Iterable[Any] | None = None) -> ProcedureDraft:
    """A Procedure row (saved or not) as a draft, with its stored levels unless `levels` is given."""
    if levels is None:
        levels = procedure.levels.prefetch_related("amounts") if procedure.pk else ()
    drafts = [lv if isinstance(lv, LevelDraft) else level_draft(lv) for lv in levels]
    return ProcedureDraft(code=procedure.code, levels=drafts, templates=stored_templates(procedure),
                          **{name: getattr(procedure, name) for name in PROCEDURE_FIELDS})


def level_from_mapping(values: Mapping[str, Any]) -> LevelDraft:
    """A level as a form or configuration file gives it; amounts as [{kind, currency, amount}]."""
    amounts = [AmountDraft(str(a["kind"]), str(a["currency"]).strip().upper(), _decimal(a["amount"]) or Decimal(0))
               for a in values.get("amounts", ())]
    return LevelDraft(days=values["days"], number=values.get("number"), name=values.get("name", ""),
                      combine=values.get("combine", "and"), fee_percent=_decimal(values.get("fee_percent")),
                      interest_rate=_decimal(values.get("interest_rate")), channels=values.get("channels", "email"),
                      amounts=amounts)


# ---------------------------------------------------------------------------------------------
# The checks
# ---------------------------------------------------------------------------------------------

def validate_procedure(procedure: Any) -> list[ConfigError]:
    """Every problem of a procedure (a Procedure row or a ProcedureDraft), in the order a form shows them."""
    draft = procedure if isinstance(procedure, ProcedureDraft) else procedure_draft(procedure)
    ranked = sorted(draft.levels, key=lambda lv: lv.days)
    return [*_procedure_errors(draft), *_level_order_errors(draft.levels, ranked),
            *[error for rank, level in enumerate(ranked, 1) for error in _level_errors(level, rank)],
            *_template_errors(draft, ranked)]


def _choice(field_name: str, value: str, allowed: Sequence[str]) -> list[ConfigError]:
    if value in allowed:
        return []
    return [ConfigError(field_name, f"{value!r} is not a choice; use one of {', '.join(allowed)}")]


def _currency(field_name: str, code: str, what: str) -> list[ConfigError]:
    if code in KNOWN_CURRENCIES:
        return []
    hint = f" (did you mean {code.upper()}?)" if code.upper() in KNOWN_CURRENCIES else ""
    return [ConfigError(field_name, f"{what} currency {code!r} is not an ISO 4217 currency code{hint}; "
                                    f"use a code like EUR, USD or JPY")]


def _procedure_errors(draft: ProcedureDraft) -> list[ConfigError]:
    errors: list[ConfigError] = []
    if not draft.code.strip():
        errors.append(ConfigError("code", "the procedure needs a code, e.g. STANDARD"))
    errors += _choice("scope", draft.scope, SCOPES)
    errors += _choice("mode", draft.mode, MODES)
    errors += _choice("sending", draft.sending, SENDING)
    errors += _choice("charges_policy", draft.charges_policy, CHARGES_POLICIES)
    errors += _currency("default_currency", draft.default_currency, "the default")
    if draft.min_interval_days is None or draft.min_interval_days < 0:
        errors.append(ConfigError("min_interval_days", f"the minimum interval is {draft.min_interval_days} days; "
                                                       f"give 0 or more days between two letters"))
    if draft.repeat_days is not None and draft.repeat_days < 1:
        errors.append(ConfigError("repeat_days", f"repeating every {draft.repeat_days} days is impossible; give "
                                                 f"1 or more days, or leave it empty for no repeat"))
    if draft.interest_rate is not None and draft.interest_rate < 0:
        errors.append(ConfigError("interest_rate", f"a yearly interest rate of {draft.interest_rate}% is negative; "
                                                   f"give 0 or more, or leave it empty for no interest"))
    if not draft.levels:
        errors.append(ConfigError("levels", "the procedure has no levels; add at least one, e.g. 1 day overdue"))
    return errors


def _level_order_errors(levels: Sequence[LevelDraft], ranked: Sequence[LevelDraft]) -> list[ConfigError]:
    errors = []
    for days, count in sorted(Counter(lv.days for lv in levels).items()):
        if count > 1:
            errors.append(ConfigError("levels", f"{count} levels start at {days} days overdue; give each level its "
                                                f"own number of days, or delete the extra one"))
    numbers = Counter(lv.number for lv in levels if lv.number is not None)
    for number, count in sorted(numbers.items()):
        if count > 1:
            errors.append(ConfigError("levels", f"{count} levels are numbered {number}; number them 1 to "
                                                f"{len(levels)} in order of days, or leave the numbers empty"))
    for rank, level in enumerate(ranked, 1):
        if level.number is not None and numbers[level.number] == 1 and level.number != rank:
            errors.append(ConfigError(
                f"level {level.number}.number",
                f"level {level.number} starts at {level.days} days, which makes it level {rank} when levels are "
                f"ordered by days; renumber it {rank}, change its days, or leave the numbers empty"))
    return errors


def _level_errors(level: LevelDraft, rank: int) -> list[ConfigError]:
    where = f"level {rank}"
    errors = _choice(f"{where}.combine", level.combine, COMBINE)
    for channel in level.channel_list() or ["(none)"]:
        if channel not in TEMPLATE_CHANNELS:
            errors.append(ConfigError(f"{where}.channels", f"{channel!r} is not a channel; use email, print or task, "
                                                           f"separated by commas"))
    if level.fee_percent is not None and not Decimal(0) <= level.fee_percent <= Decimal(100):
        errors.append(ConfigError(f"{where}.fee_percent", f"a fee of {level.fee_percent}% is outside 0 to 100; "
                                                          f"give a percent of the overdue amount, e.g. 5"))
    if level.interest_rate is not None and level.interest_rate < 0:
        errors.append(ConfigError(f"{where}.interest_rate", f"a yearly interest rate of {level.interest_rate}% is "
                                                            f"negative; give 0 or more, or leave it empty"))
    for amount in level.amounts:
        errors += _amount_errors(amount, where)
    seen = Counter((a.kind, a.currency) for a in level.amounts)
    for (kind, currency), count in sorted(seen.items()):
        if count > 1:
            errors.append(ConfigError(f"{where}.amounts", f"the {AMOUNT_KINDS.get(kind, kind)} in {currency} is given "
                                                          f"{count} times; keep one"))
    return errors


def _amount_errors(amount: AmountDraft, where: str) -> list[ConfigError]:
    what = AMOUNT_KINDS.get(amount.kind)
    if what is None:
        return [ConfigError(f"{where}.amounts", f"{amount.kind!r} is not an amount kind; use one of "
                                                f"{', '.join(AMOUNT_KINDS)}")]
    field_name = f"{where}.{amount.kind}.{amount.currency}"
    errors = _currency(field_name, amount.currency, f"the {what}'s")
    if amount.amount < 0:
        errors.append(ConfigError(field_name, f"the {what} of {amount.amount} {amount.currency} is negative; give 0 "
                                              f"or more, or remove the line"))
    if amount.currency in KNOWN_CURRENCIES:
        digits = get_currency_precision(amount.currency)
        if amount.amount != amount.amount.quantize(Decimal(1).scaleb(-digits)):
            errors.append(ConfigError(field_name, f"{amount.amount} has more decimals than {amount.currency} has "
                                                  f"({digits}); round it to {digits} decimals"))
    return errors


def _template_errors(draft: ProcedureDraft, ranked: Sequence[LevelDraft]) -> list[ConfigError]:
    errors = _missing_template_errors(draft.templates, ranked)
    used_levels = range(1, len(ranked) + 1)
    for template in draft.templates:
        if template.procedure_specific or template.level in used_levels:
            errors += template_errors(template)
    return errors


def _missing_template_errors(templates: Sequence[TemplateDraft], ranked: Sequence[LevelDraft]) -> list[ConfigError]:
    """Each channel of each level needs its templates in the default language, the fallback of every language."""
    errors = []
    have = {(t.level, t.channel, t.language) for t in templates}
    for rank, level in enumerate(ranked, 1):
        for channel in level.channel_list():
            for template_channel in TEMPLATE_CHANNELS.get(channel, ()):
                if (rank, template_channel, DEFAULT_LANGUAGE) not in have:
                    errors.append(ConfigError(
                        f"level {rank}.templates",
                        f"level {rank} sends by {channel} but has no {template_channel} template in the default "
                        f"language ({DEFAULT_LANGUAGE}); add one for this procedure or a global one"))
    return errors


def template_errors(template: Any) -> list[ConfigError]:
    """Syntax problems of one template (a Template row or a TemplateDraft), per part."""
    owner = "" if getattr(template, "procedure_specific", getattr(template, "procedure_id", None)) else "global "
    where = f"{owner}template level {template.level} {template.channel} {template.language}"
    errors = []
    for part in TEMPLATE_PARTS:
        problem = template_problem(getattr(template, part) or "", html=part == "body_html",
                                   pdf=template.channel == "pdf")
        if problem:
            errors.append(ConfigError(f"{where}.{part}", f"{problem}; correct the template text"))
    return errors


def template_problem(source: str, html: bool = False, pdf: bool = False) -> str | None:
    """Why a template cannot be used, or None. The rendering sandbox decides (syntax, unknown names,
    a trial render on sample data; for the PDF letter, characters its fonts cannot print); without
    it, a Jinja2 syntax check."""
    if not source.strip():
        return None
    try:
        from dunning.delivery.sandbox import validate_template
    except ImportError:
        validate_template = _jinja_syntax_check
    try:
        found = validate_template(source, html=html, pdf=pdf)
    except Exception as exc:  # the sandbox reports a bad template by raising
        return _describe(exc)
    if not found:
        return None
    if isinstance(found, str):
        return found
    return "; ".join(str(problem) for problem in found)


def _jinja_syntax_check(source: str, html: bool = False, pdf: bool = False) -> None:
    from jinja2.sandbox import SandboxedEnvironment

    SandboxedEnvironment().parse(source)


def _describe(exc: Exception) -> str:
    line = getattr(exc, "lineno", None)
    message = getattr(exc, "message", None) or str(exc)
    return f"line {line}: {message}" if line else message


# ---------------------------------------------------------------------------------------------
# Saving: refuse, listing everything, or write the whole procedure in one transaction
# ---------------------------------------------------------------------------------------------

def procedure_save(code: str, *, levels: Sequence[Mapping[str, Any] | LevelDraft],
                   templates: Sequence[Mapping[str, Any]] = (), actor: str = "system", **fields: Any):
    """Create or replace procedure `code` with its levels (and procedure-specific templates).

    Raises ConfigurationInvalid listing every problem; nothing is written then. Levels are stored
    ranked by days, numbered 1..n. Given templates replace stored ones with the same level,
    channel and language.
    """
    from dunning.models import Procedure

    procedure = Procedure.objects.filter(code=code).first() or Procedure(code=code)
    unknown = set(fields) - set(PROCEDURE_FIELDS)
    if unknown:
        raise TypeError(f"procedure_save got unknown fields: {', '.join(sorted(unknown))}")
    for name, value in fields.items():
        setattr(procedure, name, value)
    draft = procedure_draft(procedure, levels=[lv if isinstance(lv, LevelDraft) else level_from_mapping(lv)
                                               for lv in levels])
    given = [TemplateDraft(**{"procedure_specific": True, **t}) for t in templates]
    replaced = {(t.level, t.channel, t.language) for t in given}
    draft.templates = [t for t in draft.templates
                       if not (t.procedure_specific and (t.level, t.channel, t.language) in replaced)] + given
    errors = validate_procedure(draft)
    if errors:
        raise ConfigurationInvalid(errors)
    with transaction.atomic():
        procedure.save()
        _levels_written(procedure, draft.levels)
        _templates_written(procedure, given)
        from dunning.services.audit import event_recorded

        event_recorded("procedure_saved", procedure, actor, code=procedure.code, levels=len(draft.levels))
    return procedure


def _levels_written(procedure: Any, levels: Sequence[LevelDraft]) -> None:
    from dunning.models import Level, LevelAmount
    from dunning.models.money import to_minor

    procedure.levels.all().delete()
    for rank, draft in enumerate(sorted(levels, key=lambda lv: lv.days), 1):
        level = Level.objects.create(procedure=procedure, number=rank, days=draft.days, name=draft.name,
                                     combine=draft.combine, fee_percent=draft.fee_percent,
                                     interest_rate=draft.interest_rate, channels=draft.channels)
        LevelAmount.objects.bulk_create([LevelAmount(level=level, kind=a.kind, currency=a.currency,
                                                     amount_minor=to_minor(a.amount, a.currency))
                                         for a in draft.amounts])


def _templates_written(procedure: Any, templates: Sequence[TemplateDraft]) -> None:
    from dunning.models import Template

    for t in templates:
        Template.objects.update_or_create(
            procedure=procedure, level=t.level, channel=t.channel, language=t.language,
            defaults={"subject": t.subject, "body_text": t.body_text, "body_html": t.body_html})


# ---------------------------------------------------------------------------------------------
# Model clean(): what the admin and ModelForms call
# ---------------------------------------------------------------------------------------------

def procedure_clean(procedure: Any) -> None:
    """A stored procedure is checked whole; a new one (levels not entered yet) on its own fields."""
    errors = validate_procedure(procedure) if procedure.pk else [
        e for e in _procedure_errors(procedure_draft(procedure)) if e.field != "levels"]
    if errors:
        raise ConfigurationInvalid(errors)


def level_clean(level: Any) -> None:
    """The level's procedure as it would be with this level saved (others as stored).

    Of the templates, only this level's are checked: another level that this one pushes down a rank
    is already named by the numbering error. A new procedure (the admin enters it with its levels)
    has no stored levels yet: the level is checked on its own, the admin's inline checks them together.
    """
    if level.procedure_id is None and not type(level).procedure.is_cached(level):
        return  # no procedure chosen: the form already says so
    procedure = level.procedure
    this = level_draft(level)
    if not procedure.pk:
        errors = _level_errors(this, level.number or 1)
    else:
        others = [level_draft(lv) for lv in procedure.levels.prefetch_related("amounts").exclude(pk=level.pk)]
        draft = procedure_draft(procedure, levels=[*others, this])
        rank = next(n for n, lv in enumerate(sorted(draft.levels, key=lambda lv: lv.days), 1) if lv is this)
        errors = [e for e in validate_procedure(draft)
                  if not e.field.endswith(".templates") or e.field == f"level {rank}.templates"]
    if errors:
        raise ConfigurationInvalid(errors)


def level_amount_clean(amount: Any) -> None:
    """One per-currency amount on its own, by the rule `procedure_save` applies to the same line."""
    if amount.kind not in AMOUNT_KINDS or not amount.currency or amount.amount_minor is None:
        return  # the form already names the missing or invalid field
    level = amount.level if amount.level_id else None
    where = f"level {level.number}" if level is not None and level.number else "level"
    errors = _amount_errors(AmountDraft(amount.kind, amount.currency,
                                        _amount_from_minor(amount.amount_minor, amount.currency)), where)
    if errors:
        raise ConfigurationInvalid(errors)


def template_clean(template: Any) -> None:
    """Syntax, and that changing a stored template leaves every procedure its default-language text."""
    errors = template_errors(template) + _default_language_taken_away(template)
    if errors:
        raise ConfigurationInvalid(errors)


def template_delete_clean(template: Any) -> None:
    """Deleting a template must not leave a procedure without its default-language text either."""
    errors = _default_language_taken_away(None, stored=template)
    if errors:
        raise ConfigurationInvalid(errors)


def _default_language_taken_away(template: Any, stored: Any = None) -> list[ConfigError]:
    """What a stored default-language template moved to another language, channel, level or procedure
    (or deleted: template None) leaves without a template: the same check as `procedure_save`, before
    and after, for each procedure the template served or will serve."""
    from dunning.models import Procedure, Template

    if stored is None:
        stored = Template.objects.filter(pk=template.pk).first() if template.pk else None
    key = ("procedure_id", "level", "channel", "language")
    if stored is None or stored.language != DEFAULT_LANGUAGE or (template is not None and all(
            getattr(stored, name) == getattr(template, name) for name in key)):
        return []
    owners = {stored.procedure_id, template.procedure_id if template is not None else stored.procedure_id}
    procedures = Procedure.objects.all() if None in owners else Procedure.objects.filter(pk__in=owners)
    what = "this template" if template is not None else "this template deleted"
    undo = "leave this template as it was" if template is not None else "keep this template"
    errors = []
    for procedure in procedures.order_by("code"):
        draft = procedure_draft(procedure)
        ranked = sorted(draft.levels, key=lambda lv: lv.days)
        before = {str(e) for e in _missing_template_errors(draft.templates, ranked)}
        if stored.procedure_id in (None, procedure.pk):
            draft.templates.remove(template_draft(stored))
        if template is not None and template.procedure_id in (None, procedure.pk):
            draft.templates.append(template_draft(template))
        errors += [ConfigError(f"procedure {procedure.code} {e.field}", f"with {what} {e.message} first, or {undo}")
                   for e in _missing_template_errors(draft.templates, ranked) if str(e) not in before]
    return errors
