"""The default set-up a new installation starts with: procedure "Standard" for every customer.

Idempotent: running it again changes nothing, and it never overwrites a procedure someone edited.
"""
from __future__ import annotations

from django.db import transaction

from dunning.models import AssignmentRule, Level, Procedure

from .audit import event_recorded

STANDARD_CODE = "standard"
STANDARD_LEVELS = ((1, "First reminder"), (30, "Second reminder"), (60, "Final notice"))
DEFAULT_RULE_PRIORITY = 1000


def ensure_default_setup() -> Procedure:
    """Procedure "Standard" (customer letters, jump, levels at 1/30/60 days, 7 days apart, automatic),
    a catch-all assignment rule, and the default templates when the delivery part is installed."""
    with transaction.atomic():
        procedure, made = Procedure.objects.get_or_create(
            code=STANDARD_CODE,
            defaults=dict(name="Standard", scope="customer", mode="jump", min_interval_days=7, repeat_days=None,
                          sending="automatic", interest_rate=None, charges_policy="collect"))
        if made:
            Level.objects.bulk_create([Level(procedure=procedure, days=days, name=name, channels="email")
                                       for days, name in STANDARD_LEVELS])
            event_recorded("procedure_created", procedure, code=procedure.code)
        if not AssignmentRule.objects.exists():  # a rule set someone wrote is theirs: never added to
            rule = AssignmentRule.objects.create(priority=DEFAULT_RULE_PRIORITY, procedure=procedure)
            event_recorded("assignment_rule_created", rule, procedure=procedure.code, priority=rule.priority)
    _default_templates()
    return procedure


def _default_templates() -> None:
    try:
        from dunning.delivery.defaults import install_default_templates
    except ModuleNotFoundError as exc:
        if exc.name in ("dunning.delivery", "dunning.delivery.defaults"):
            return
        raise
    install_default_templates()
