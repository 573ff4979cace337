"""Procedures as the decision core reads them: levels ranked by days, amounts per currency."""
from __future__ import annotations

from decimal import Decimal

from dunning.core import facts
from dunning.models import Procedure
from dunning.models.money import from_minor


def _amounts(level, kind: str) -> dict[str, Decimal]:
    return {a.currency: from_minor(a.amount_minor, a.currency) for a in level.amounts.all() if a.kind == kind}


def level_fact(level, number: int) -> facts.Level:
    channels = tuple(part.strip() for part in level.channels.split(",") if part.strip()) or ("email",)
    return facts.Level(
        number=number, days=level.days, name=level.name,
        min_item=_amounts(level, "min_item"), min_total=_amounts(level, "min_total"),
        combine=level.combine, fee_fixed=_amounts(level, "fee"),
        fee_percent=level.fee_percent, interest_rate=level.interest_rate, channels=channels,
    )


def procedure_fact(procedure) -> facts.Procedure:
    """Level numbers are ranks by days (never entry order), as the letters show them."""
    levels = sorted(procedure.levels.all(), key=lambda lv: lv.days)
    return facts.Procedure(
        code=procedure.code, levels=tuple(level_fact(lv, n) for n, lv in enumerate(levels, start=1)),
        scope=procedure.scope, mode=procedure.mode, min_interval_days=procedure.min_interval_days,
        repeat_days=procedure.repeat_days, sending=procedure.sending,
        default_currency=procedure.default_currency, interest_rate=procedure.interest_rate,
        charges_policy=procedure.charges_policy, allow_invoice_override=procedure.allow_invoice_override,
    )


def all_procedures() -> dict[str, facts.Procedure]:
    """Every procedure with its levels and level amounts, in three queries."""
    rows = Procedure.objects.prefetch_related("levels__amounts")
    return {p.code: procedure_fact(p) for p in rows}


def level_currencies(procedures: dict[str, facts.Procedure]) -> set[str]:
    found = set()
    for procedure in procedures.values():
        found.add(procedure.default_currency)
        for level in procedure.levels:
            found.update(level.min_item, level.min_total, level.fee_fixed)
    return found
