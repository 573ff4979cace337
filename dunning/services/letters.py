"""What happens to a letter after the run: approved, removed, held, cancelled, sent.

Each change re-reads the letter under a row lock, checks the move is allowed, and writes the new
state with its audit event in one transaction. Marking a letter sent also turns its fee and
interest into a charge item of the customer (due on the letter's date, never an edit of the
invoice), so the charge exists exactly when the letter went out.
"""
from __future__ import annotations

from datetime import datetime

from django.db import transaction

from dunning.models import Invoice, Letter
from dunning.models.money import from_minor

from .audit import event_recorded

WAITING = {"review", "queued", "sending", "unknown"}
VERBS = {"letter_approved": "approve", "letter_removed": "remove", "letter_held": "hold", "letter_cancelled": "cancel",
         "letter_requeued": "requeue"}


class LetterStateError(ValueError):
    """The letter is not in a state that allows this change."""


def _locked(letter: Letter) -> Letter:
    return Letter.objects.select_for_update().select_related("customer", "company").get(pk=letter.pk)


def _moved(letter: Letter, allowed: set[str], state: str, action: str, actor: str, reason: str = "") -> Letter:
    with transaction.atomic():
        row = _locked(letter)
        if row.state not in allowed:
            raise LetterStateError(f"letter {row.pk} is {row.state}; cannot {VERBS[action]} it")
        before = row.state
        row.state = state
        if reason:
            row.reasons = [*row.reasons, reason]
        row.save(update_fields=["state", "reasons", "state_changed_at"])
        event_recorded(action, row, actor, before=before, after=state, reason=reason)
    return row


def letter_approve(letter: Letter, actor: str = "system") -> Letter:
    """A reviewed letter may go out: it joins the delivery queue."""
    return _moved(letter, {"review"}, "queued", "letter_approved", actor)


def letter_remove(letter: Letter, actor: str = "system", reason: str = "removed from review") -> Letter:
    """Taken out of the review queue: it reminded nothing, so the next run may write again."""
    return _moved(letter, {"review", "failed", "unknown"}, "removed", "letter_removed", actor, reason)


def letter_hold(letter: Letter, reason: str, actor: str = "system") -> Letter:
    """Back to review with the reason (paused or disputed meanwhile): a person decides."""
    return _moved(letter, {"queued", "sending", "review"}, "review", "letter_held", actor, reason)


def letter_cancel(letter: Letter, reason: str, actor: str = "system") -> Letter:
    """Never goes out, e.g. "paid before sending"."""
    return _moved(letter, WAITING, "cancelled", "letter_cancelled", actor, reason)


def letter_mark_sent(letter: Letter, at: datetime, actor: str = "system") -> Letter:
    """Delivered: state sent, and its fee and interest become one charge item. Marking twice is harmless."""
    with transaction.atomic():
        row = _locked(letter)
        if row.state == "sent":
            return row
        if row.state not in WAITING | {"failed"}:
            raise LetterStateError(f"letter {row.pk} is {row.state}; it cannot be marked sent")
        before = row.state
        row.state, row.sent_at = "sent", at
        row.save(update_fields=["state", "sent_at", "state_changed_at"])
        event_recorded("letter_sent", row, actor, before=before, at=at.isoformat())
        _charge_created(row, actor)
    return row


def _charge_created(letter: Letter, actor: str) -> None:
    amount_minor = letter.fee_minor + letter.interest_minor
    if amount_minor <= 0 or Invoice.objects.filter(origin_letter=letter).exists():
        return
    charge = Invoice.objects.create(
        company=letter.company, customer=letter.customer, number=f"CHG-L{letter.pk}", kind="charge",
        issue_date=letter.date, due_date=letter.date, currency=letter.currency, amount_minor=amount_minor,
        status="open", origin_letter=letter,
        info={"fee": str(from_minor(letter.fee_minor, letter.currency)),
              "interest": str(from_minor(letter.interest_minor, letter.currency)), "level": letter.fee_level},
    )
    event_recorded("charge_created", charge, actor, letter=letter.pk, amount=str(charge.amount),
                   currency=charge.currency)


def letter_requeue(letter: Letter, actor: str = "system", reason: str = "sent again on purpose") -> Letter:
    """A failed letter (e.g. the address was corrected) goes back to the delivery queue, by a person's decision."""
    return _moved(letter, {"failed"}, "queued", "letter_requeued", actor, reason)
