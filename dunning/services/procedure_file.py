"""Procedures, levels and assignment rules as a TOML file: read, reviewed, changed, loaded back whole.

Why a file: the dunning policy is the finance team's, and it should be reviewable like a contract
(who is reminded when, with which fee) and movable between a test and a live installation.
Loading checks every procedure and rule first and names every problem with how to fix it; then
everything is written in one transaction, or nothing. Amounts are written as strings
("5.00") or TOML numbers, read as exact decimals.

    [[procedure]]
    code = "standard"
    name = "Standard"
    min_interval_days = 7
      [[procedure.level]]
      days = 1
      name = "First reminder"
      [[procedure.level]]
      days = 30
      name = "Second reminder"
      fee = { EUR = "5.00", USD = "6.00" }
      min_total = { EUR = "50.00" }

    [[rule]]              # first matching rule (lowest priority) gives a customer its procedure
    priority = 10
    procedure = "standard"
    country = "DE"
"""
from __future__ import annotations

import json
import tomllib
from decimal import Decimal
from typing import Any

from django.db import transaction

from dunning.models import AssignmentRule, Company, Procedure
from dunning.models.money import from_minor, to_minor

from .audit import event_recorded
from .validation import PROCEDURE_FIELDS, ConfigError, ConfigurationInvalid, procedure_save

LEVEL_FIELDS = ("days", "name", "combine", "fee_percent", "interest_rate", "channels")
AMOUNTS = ("min_item", "min_total", "fee")
RULE_FIELDS = ("priority", "procedure", "company", "tag", "country", "currency", "language", "min_balance")
DECIMAL_FIELDS = {"interest_rate", "fee_percent"}


class ProcedureFileError(ValueError):
    """The file cannot be read at all (not TOML)."""


def procedures_loaded(text: str, actor: str = "system") -> dict[str, int]:
    """Create or replace every procedure in the file, and the assignment rules when it has any.

    Raises ConfigurationInvalid with every problem (fields prefixed by procedure code or rule
    number); nothing is written then.
    """
    try:
        data = tomllib.loads(text, parse_float=Decimal)
    except tomllib.TOMLDecodeError as exc:
        raise ProcedureFileError(f"not valid TOML: {exc}") from None
    errors = [ConfigError(key, "not a section of a procedures file; use [[procedure]] and [[rule]]")
              for key in sorted(set(data) - {"procedure", "rule"})]
    procedures = data.get("procedure", [])
    rules = data.get("rule")
    with transaction.atomic():
        for index, entry in enumerate(procedures, 1):
            errors += _procedure_saved(entry, index, actor)
        if rules is not None:
            errors += _rules_replaced(rules, actor)
        if errors:
            transaction.set_rollback(True)
    if errors:
        raise ConfigurationInvalid(errors)
    return {"procedures": len(procedures), "rules": len(rules or [])}


def _procedure_saved(entry: dict, index: int, actor: str) -> list[ConfigError]:
    code = str(entry.get("code") or "").strip()
    where = f"procedure {code or index}"
    unknown = sorted(set(entry) - {"code", "level", *PROCEDURE_FIELDS})
    errors = [ConfigError(f"{where}.{key}", f"not a procedure setting (known: code, level, "
                                            f"{', '.join(PROCEDURE_FIELDS)})") for key in unknown]
    levels = []
    for number, level in enumerate(entry.get("level", []), 1):
        bad = sorted(set(level) - {*LEVEL_FIELDS, *AMOUNTS})
        errors += [ConfigError(f"{where}.level {number}.{key}", f"not a level setting (known: "
                                                                f"{', '.join(LEVEL_FIELDS + AMOUNTS)})") for key in bad]
        amounts = [{"kind": kind, "currency": currency, "amount": amount}
                   for kind in AMOUNTS for currency, amount in (level.get(kind) or {}).items()]
        levels.append({**{k: level[k] for k in LEVEL_FIELDS if k in level}, "amounts": amounts})
    fields = {k: entry[k] for k in PROCEDURE_FIELDS if k in entry}
    fields.setdefault("name", code)
    errors += _typed(fields, where)
    for number, level in enumerate(entry.get("level", []), 1):
        if not isinstance(level.get("days"), int) or isinstance(level.get("days"), bool):
            errors.append(ConfigError(f"{where}.level {number}.days", "give the days overdue as a whole number, "
                                                                      "e.g. days = 30 (negative: before the due date)"))
    if errors or not code:
        return errors + ([] if code else [ConfigError(where, "the procedure needs a code, e.g. code = \"standard\"")])
    try:
        with transaction.atomic():
            procedure_save(code, levels=levels, actor=actor, **fields)
    except ConfigurationInvalid as exc:
        return [ConfigError(f"procedure {code}.{e.field}", e.message) for e in exc.errors]
    return []


WHOLE_NUMBERS = ("min_interval_days", "repeat_days")


def _typed(fields: dict[str, Any], where: str) -> list[ConfigError]:
    """File values made the types the procedure has: whole days, yes/no, exact decimal rates."""
    errors = []
    for name in WHOLE_NUMBERS:
        if name in fields and (not isinstance(fields[name], int) or isinstance(fields[name], bool)):
            errors.append(ConfigError(f"{where}.{name}", f"give a whole number of days, not {fields[name]!r}"))
    if "allow_invoice_override" in fields and not isinstance(fields["allow_invoice_override"], bool):
        errors.append(ConfigError(f"{where}.allow_invoice_override", "give true or false"))
    if fields.get("interest_rate") is not None:
        try:
            fields["interest_rate"] = Decimal(str(fields["interest_rate"]))
        except ArithmeticError:
            errors.append(ConfigError(f"{where}.interest_rate", f"{fields['interest_rate']!r} is not a number; "
                                                                f"write a yearly percent like \"8.12\""))
    return errors


def _rules_replaced(rules: list[dict], actor: str) -> list[ConfigError]:
    """The file's rules replace the stored ones (all of them: the file is the whole rule set)."""
    procedures = {p.code: p for p in Procedure.objects.all()}
    companies = {c.code: c for c in Company.objects.all()}
    errors: list[ConfigError] = []
    rows = []
    for number, rule in enumerate(rules, 1):
        where = f"rule {number}"
        errors += [ConfigError(f"{where}.{key}", f"not a rule setting (known: {', '.join(RULE_FIELDS)})")
                   for key in sorted(set(rule) - set(RULE_FIELDS))]
        procedure = procedures.get(rule.get("procedure"))
        if procedure is None:
            errors.append(ConfigError(f"{where}.procedure", f"no procedure {rule.get('procedure')!r}; use one of "
                                                            f"{', '.join(sorted(procedures))}"))
        company = companies.get(rule["company"]) if rule.get("company") else None
        if rule.get("company") and company is None:
            errors.append(ConfigError(f"{where}.company", f"no company {rule['company']!r}"))
        if not isinstance(rule.get("priority"), int) or rule["priority"] < 0:
            errors.append(ConfigError(f"{where}.priority", "give a whole number; the lowest matching rule wins"))
        min_balance = None
        if rule.get("min_balance") is not None:
            if company is None:
                errors.append(ConfigError(f"{where}.min_balance", "a minimum balance is in the company's currency; "
                                                                  "give the rule's company too"))
            else:
                min_balance = to_minor(Decimal(str(rule["min_balance"])), company.base_currency)
        rows.append(AssignmentRule(priority=rule.get("priority"), procedure=procedure, company=company,
                                   tag=rule.get("tag", ""), country=rule.get("country", ""),
                                   currency=rule.get("currency", ""), language=rule.get("language", ""),
                                   min_balance_minor=min_balance))
    if errors:
        return errors
    AssignmentRule.objects.all().delete()
    for row in rows:
        row.save()
        event_recorded("assignment_rule_saved", row, actor, priority=row.priority, procedure=row.procedure.code)
    return []


def procedures_exported() -> str:
    """Every procedure with its levels, and the assignment rules, as a file procedures_loaded reads back."""
    out = ["# Dunning procedures and assignment rules; load with `dunning procedures load FILE`.", ""]
    for procedure in Procedure.objects.prefetch_related("levels__amounts").order_by("code"):
        out.append("[[procedure]]")
        out.append(f"code = {_toml(procedure.code)}")
        out += [f"{name} = {_toml(getattr(procedure, name))}" for name in PROCEDURE_FIELDS
                if getattr(procedure, name) is not None]
        for level in procedure.levels.order_by("days"):
            out += ["", "  [[procedure.level]]"]
            out += [f"  {name} = {_toml(getattr(level, name))}" for name in LEVEL_FIELDS
                    if getattr(level, name) not in (None, "")]
            for kind in AMOUNTS:
                amounts = {a.currency: from_minor(a.amount_minor, a.currency) for a in level.amounts.all()
                           if a.kind == kind}
                if amounts:
                    inner = ", ".join(f"{cur} = {json.dumps(str(amt))}" for cur, amt in sorted(amounts.items()))
                    out.append(f"  {kind} = {{ {inner} }}")
        out.append("")
    for rule in AssignmentRule.objects.select_related("procedure", "company").order_by("priority", "id"):
        out.append("[[rule]]")
        out.append(f"priority = {rule.priority}")
        out.append(f"procedure = {_toml(rule.procedure.code)}")
        if rule.company:
            out.append(f"company = {_toml(rule.company.code)}")
        out += [f"{name} = {_toml(getattr(rule, name))}" for name in ("tag", "country", "currency", "language")
                if getattr(rule, name)]
        if rule.min_balance_minor is not None and rule.company:
            out.append(f"min_balance = {json.dumps(str(from_minor(rule.min_balance_minor, rule.company.base_currency)))}")
        out.append("")
    return "\n".join(out)


def _toml(value: Any) -> str:
    """A TOML value; decimals as strings so they read back exactly (rates without trailing zeros)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, Decimal):
        return json.dumps(format(value.normalize(), "f"))
    return json.dumps(str(value), ensure_ascii=False)
