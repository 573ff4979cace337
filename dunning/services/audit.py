"""The append-only history of what happened, written by named past-tense functions.

Events are written in the same transaction as the change they describe, so the trail never
claims something the database does not hold. They carry ids and amounts, never email addresses.
"""
from __future__ import annotations

from typing import Any, Iterable

from dunning.models import AuditEvent


def event(action: str, obj: Any, actor: str = "system", **data: Any) -> AuditEvent:
    """An unsaved event about `obj` (a model row); save it, or pass many to events_recorded."""
    return AuditEvent(actor=actor, action=action, object_type=type(obj).__name__.lower(), object_id=str(obj.pk),
                      data=data)


def event_recorded(action: str, obj: Any, actor: str = "system", **data: Any) -> AuditEvent:
    entry = event(action, obj, actor, **data)
    entry.save()
    return entry


def events_recorded(events: Iterable[AuditEvent]) -> None:
    AuditEvent.objects.bulk_create(list(events), batch_size=500)
