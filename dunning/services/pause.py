"""Pausing and resuming dunning, for a customer or one invoice.

A pause holds every reminder until it is lifted, or until its `until` date has passed: dunning
resumes by itself on the day after. A letter already waiting when the pause is set is held too:
the check just before delivery sends it back to review. Each change is one audit event with who
and why; the detail text may hold a customer's words, so it is stored but not copied into the trail.
"""
from __future__ import annotations

from datetime import date

from django.db import transaction

from dunning.models import Customer, Invoice

from .audit import event_recorded

REASON_LENGTH = 100


class PauseError(ValueError):
    """The pause cannot be set as asked; the message says what to change."""


def _checked(reason: str, until: date | None, today: date | None) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise PauseError("give a reason for the pause, e.g. 'payment plan agreed' or 'insolvency'")
    if len(reason) > REASON_LENGTH:
        raise PauseError(f"the reason is {len(reason)} characters; keep it to {REASON_LENGTH} and put the rest "
                         f"in the detail")
    if until is not None and today is not None and until < today:
        raise PauseError(f"the pause would end on {until}, before today ({today}); give a later date or none")
    return reason


def _paused(row: Customer | Invoice, reason: str, detail: str, until: date | None, actor: str,
            today: date | None) -> Customer | Invoice:
    reason = _checked(reason, until, today)
    with transaction.atomic():
        row = type(row).objects.select_for_update().get(pk=row.pk)
        before = {"paused": row.paused, "reason": row.pause_reason,
                  "until": row.pause_until.isoformat() if row.pause_until else None}
        row.paused, row.pause_reason, row.pause_detail, row.pause_until = True, reason, detail or "", until
        row.save(update_fields=["paused", "pause_reason", "pause_detail", "pause_until"])
        event_recorded(f"{type(row).__name__.lower()}_paused", row, actor, reason=reason,
                       until=until.isoformat() if until else None, before=before)
    return row


def _resumed(row: Customer | Invoice, actor: str) -> Customer | Invoice:
    with transaction.atomic():
        row = type(row).objects.select_for_update().get(pk=row.pk)
        if not row.paused:
            return row
        before = {"reason": row.pause_reason, "until": row.pause_until.isoformat() if row.pause_until else None}
        row.paused, row.pause_reason, row.pause_detail, row.pause_until = False, "", "", None
        row.save(update_fields=["paused", "pause_reason", "pause_detail", "pause_until"])
        event_recorded(f"{type(row).__name__.lower()}_resumed", row, actor, before=before)
    return row


def customer_pause(customer: Customer, reason: str, *, detail: str = "", until: date | None = None,
                   actor: str = "system", today: date | None = None) -> Customer:
    """Hold every reminder to the customer (all currencies) until resumed or until `until` has passed."""
    return _paused(customer, reason, detail, until, actor, today)  # type: ignore[return-value]


def customer_resume(customer: Customer, actor: str = "system") -> Customer:
    return _resumed(customer, actor)  # type: ignore[return-value]


def invoice_pause(invoice: Invoice, reason: str, *, detail: str = "", until: date | None = None,
                  actor: str = "system", today: date | None = None) -> Invoice:
    """Hold reminders for one invoice; the customer's other invoices are still dunned."""
    return _paused(invoice, reason, detail, until, actor, today)  # type: ignore[return-value]


def invoice_resume(invoice: Invoice, actor: str = "system") -> Invoice:
    return _resumed(invoice, actor)  # type: ignore[return-value]
