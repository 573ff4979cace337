"""Turn one of the core's letter decisions into a Letter row with its items and audit event.

Used by the run (new letters) and by the re-check before delivery (a letter made again from the
current amounts). The caller holds the transaction; this writes nothing outside it.
"""
from __future__ import annotations

from typing import Optional

from dunning.core import LetterDecision
from dunning.core.money import round_money
from dunning.models import Letter, LetterItem
from dunning.models.money import minor_units, to_minor

from .audit import event
from .letter_data import letter_data


def channels_for(decision_channels: tuple[str, ...], customer) -> tuple[str, ...]:
    """The level's channels the customer accepts; a letter nobody may receive becomes a collector's task."""
    allowed = {"email": customer.allow_email and bool(customer.email), "print": customer.allow_print, "task": True}
    kept = tuple(ch for ch in decision_channels if allowed.get(ch, True))
    if kept:
        return kept
    return ("print",) if customer.allow_print else ("task",)


def letter_state(decision: LetterDecision) -> str:
    return "review" if decision.sending == "review" else "queued"


def letter_create(run, facts, decision: LetterDecision, *, state: Optional[str] = None,
                  supersedes: Optional[Letter] = None) -> tuple[Letter, object]:
    """Write the letter and its items; return it with its (unsaved) audit event for bulk saving."""
    company, currency = facts.company, decision.currency
    customer = facts.customers[decision.customer]
    language = customer.language or company.language or "en"
    issue_dates = {n: row.issue_date for n, row in facts.invoices.items()}
    letter = Letter.objects.create(
        run=run, company=company, customer=customer, currency=currency, invoice_key=decision.record.invoice or "",
        date=decision.as_of, procedure_code=decision.procedure, level=decision.level,
        level_name=decision.level_name, language=language,
        channels=",".join(channels_for(decision.channels, customer)), state=state or letter_state(decision),
        repeat=decision.repeat, dunned_minor=to_minor(decision.dunned_total, currency),
        fee_minor=to_minor(decision.fee, currency), fee_level=decision.fee_level,
        interest_minor=to_minor(decision.interest, currency), credit_minor=to_minor(decision.credit_total, currency),
        total_minor=to_minor(decision.total, currency), reasons=list(decision.reasons),
        data=letter_data(decision, company, customer, issue_dates, language), supersedes=supersedes,
    )
    digits = {currency: minor_units(currency)}
    LetterItem.objects.bulk_create([
        LetterItem(letter=letter, invoice_id=facts.invoices[ln.number].id, level=ln.level,
                   days_overdue=ln.days_overdue, open_minor=to_minor(ln.open_amount, currency),
                   interest_minor=to_minor(round_money(ln.interest, currency, digits), currency),
                   interest_until=decision.as_of if ln.interest_from is not None else None)
        for ln in decision.lines])
    created = event("letter_created", letter, run=run.pk if run else None, level=letter.level, state=letter.state,
                    total=str(decision.total), currency=currency, reasons=list(decision.reasons),
                    supersedes=supersedes.pk if supersedes else None)
    return letter, created
