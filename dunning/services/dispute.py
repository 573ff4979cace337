"""Disputes: an invoice the customer contests is never dunned until the dispute is resolved.

It stays on the customer's letters as "under review" (outside the amount due) when the template
shows information lines. Opening and resolving are audit events with who and why.
"""
from __future__ import annotations

from django.db import transaction

from dunning.models import Invoice

from .audit import event_recorded

REASON_LENGTH = 200


class DisputeError(ValueError):
    """The dispute cannot be recorded as asked."""


def invoice_dispute(invoice: Invoice, reason: str, actor: str = "system") -> Invoice:
    reason = (reason or "").strip()
    if not reason:
        raise DisputeError("give the customer's reason for the dispute, e.g. 'goods returned, credit note expected'")
    if len(reason) > REASON_LENGTH:
        raise DisputeError(f"the reason is {len(reason)} characters; keep it to {REASON_LENGTH}")
    with transaction.atomic():
        row = Invoice.objects.select_for_update().get(pk=invoice.pk)
        before = row.dispute_reason if row.disputed else None
        row.disputed, row.dispute_reason = True, reason
        row.save(update_fields=["disputed", "dispute_reason"])
        event_recorded("invoice_disputed", row, actor, reason=reason, before=before)
    return row


def invoice_dispute_resolve(invoice: Invoice, resolution: str = "", actor: str = "system") -> Invoice:
    """The dispute is settled; the invoice is dunned again from the next run (its memory kept)."""
    with transaction.atomic():
        row = Invoice.objects.select_for_update().get(pk=invoice.pk)
        if not row.disputed:
            return row
        before = row.dispute_reason
        row.disputed, row.dispute_reason = False, ""
        row.save(update_fields=["disputed", "dispute_reason"])
        event_recorded("invoice_dispute_resolved", row, actor, reason=before, resolution=resolution.strip()[:200])
    return row
