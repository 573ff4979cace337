"""Which procedure reminds a customer: its manual procedure, else the first matching assignment rule.

Rules are ordered by priority (lowest number first). A rule's empty criterion matches everything;
its minimum balance is compared with the customer's open balance in the company's base currency
(in minor units), so one rule can send large debtors to a stricter procedure.
"""
from __future__ import annotations

from typing import Iterable, Mapping, Optional, Sequence


def _words(text: str) -> set[str]:
    return {part.strip().lower() for part in text.split(",") if part.strip()}


def _same_language(rule_language: str, language: str) -> bool:
    """A rule for "de" covers "de_CH" and "de-AT"; a rule for "de_CH" only that locale."""
    wanted = rule_language.lower().replace("-", "_")
    have = language.lower().replace("-", "_")
    return have == wanted or have.split("_")[0] == wanted


def rule_matches(rule, customer, balance_minor: Optional[int]) -> bool:
    """Every criterion the rule sets must hold for the customer."""
    checks = (
        rule.company_id is None or rule.company_id == customer.company_id,
        not rule.tag or rule.tag.strip().lower() in _words(customer.tags),
        not rule.country or rule.country.strip().upper() == customer.country.strip().upper(),
        not rule.currency or rule.currency.upper() == (customer.currency or "").upper(),
        not rule.language or _same_language(rule.language, customer.language or ""),
        rule.min_balance_minor is None or (balance_minor is not None and balance_minor >= rule.min_balance_minor),
    )
    return all(checks)


def procedure_for(customer, rules: Sequence, balance_minor: Optional[int] = None) -> Optional[str]:
    """The procedure code for one customer; None when nothing applies (the run reports it)."""
    if customer.procedure_id is not None:
        return customer.procedure.code
    for rule in rules:
        if rule_matches(rule, customer, balance_minor):
            return rule.procedure.code
    return None


def ordered_rules() -> list:
    """All rules, first match first, with their procedure (one query)."""
    from dunning.models import AssignmentRule

    return list(AssignmentRule.objects.select_related("procedure").order_by("priority", "id"))


def procedures_for(customers: Iterable, rules: Sequence, balances: Mapping[int, int]) -> dict[int, Optional[str]]:
    """Procedure code per customer id, for a whole company at once (no queries: rules are passed in)."""
    return {c.id: procedure_for(c, rules, balances.get(c.id)) for c in customers}


def rules_use_balance(rules: Sequence) -> bool:
    return any(rule.min_balance_minor is not None for rule in rules)
