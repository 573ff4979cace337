"""A letter's delivery state, as data, and the one function that moves it.

Why a table: every move a letter may make is written down here, with the past-tense name of the
audit event it leaves. Anything not in the table is a bug, refused loudly.

Why a conditional UPDATE: two workers may look at the same queued letter at the same moment. The
move is `UPDATE ... SET state = new WHERE id = ? AND state = expected`; the database lets exactly one
of them change the row, the other sees 0 rows and knows the letter is not its own. The audit event
is written in the same transaction, so the history never disagrees with the state.
"""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.utils import timezone

from dunning.models import AuditEvent, Letter

# (from, to) -> audit action. A letter leaves "sending" only to an outcome; "unknown" never goes
# back to the queue by itself: a person looks at it in review first.
TRANSITIONS: dict[tuple[str, str], str] = {
    ("queued", "sending"): "letter_taken",
    ("sending", "sent"): "letter_sent",
    ("sending", "failed"): "letter_failed",
    ("sending", "unknown"): "letter_outcome_lost",
    ("sending", "queued"): "letter_returned_to_queue",  # only when provably nothing went out (no server)
    ("queued", "failed"): "letter_failed",            # cannot go out at all, e.g. no email address
    ("queued", "cancelled"): "letter_cancelled",      # paid before sending
    ("review", "cancelled"): "letter_cancelled",
    ("queued", "superseded"): "letter_superseded",    # re-made from current amounts before delivery
    ("review", "superseded"): "letter_superseded",
    ("queued", "sent"): "letter_printed",             # a print letter, once its batch is confirmed
    ("unknown", "sent"): "letter_sent",               # the outcome became known after all
    ("review", "sent"): "letter_sent",
    ("review", "queued"): "letter_approved",
    ("review", "removed"): "letter_removed",
    ("unknown", "review"): "letter_returned_to_review",
    ("failed", "queued"): "letter_requeued",          # a deliberate resend, by a person
    # moves the letters service makes (services/letters.py), listed so the table is the whole truth
    ("queued", "review"): "letter_held",              # paused or disputed meanwhile
    ("sending", "review"): "letter_held",
    ("sending", "cancelled"): "letter_cancelled",
    ("unknown", "cancelled"): "letter_cancelled",
    ("failed", "removed"): "letter_removed",
    ("unknown", "removed"): "letter_removed",
    ("failed", "sent"): "letter_sent",
}

STATES = tuple(code for code, _ in Letter.STATES)
FINAL = frozenset({"sent", "cancelled", "removed", "superseded"})


class InvalidTransition(ValueError):
    """A move the table does not allow: a programming error, never a race."""


def check_transition(frm: str, to: str) -> str:
    """The audit action of the move, or InvalidTransition naming what is allowed from `frm`."""
    try:
        return TRANSITIONS[(frm, to)]
    except KeyError:
        allowed = sorted(t for f, t in TRANSITIONS if f == frm) or ["nothing"]
        raise InvalidTransition(f"a letter cannot go from {frm!r} to {to!r}; from {frm!r} it may go to "
                                f"{', '.join(allowed)}") from None


def letter_transition(letter: Letter | int, to: str, *, frm: str | Iterable[str] | None = None,
                      actor: str = "system", reason: str = "", fields: dict[str, Any] | None = None,
                      data: dict[str, Any] | None = None) -> bool:
    """Move a letter to `to` if it is still in `frm` (default: its state as loaded); audit the move.

    Returns True when this call moved it, False when the letter was no longer in `frm` (another
    worker or a person got there first). `fields` are written in the same UPDATE (e.g. sent_at).
    A Letter instance passed in is updated in memory when the move happened.
    """
    letter_id = letter.pk if isinstance(letter, Letter) else int(letter)
    if frm is None:
        if not isinstance(letter, Letter):
            raise TypeError("give frm= when passing a letter id")
        frm = letter.state
    sources = [frm] if isinstance(frm, str) else list(frm)
    actions = {source: check_transition(source, to) for source in sources}
    fields = dict(fields or {})
    if reason:
        fields.setdefault("last_error", reason)
    now = timezone.now()
    with transaction.atomic():
        current = Letter.objects.filter(pk=letter_id, state__in=sources).values_list("state", flat=True).first()
        if current is None:
            return False
        moved = Letter.objects.filter(pk=letter_id, state=current).update(state=to, state_changed_at=now, **fields)
        if not moved:
            return False
        AuditEvent.objects.create(actor=actor, action=actions[current], object_type="letter",
                                  object_id=str(letter_id),
                                  data={"from": current, "to": to, **({"reason": reason} if reason else {}),
                                        **(data or {})})
    if isinstance(letter, Letter):
        letter.state = to
        letter.state_changed_at = now
        computed = [name for name, value in fields.items() if hasattr(value, "resolve_expression")]
        for name, value in fields.items():
            if name not in computed:
                setattr(letter, name, value)
        if computed:
            letter.refresh_from_db(fields=computed)
    return True


def letter_history(letter_id: int) -> list[AuditEvent]:
    """The letter's audit trail, oldest first."""
    return list(AuditEvent.objects.filter(object_type="letter", object_id=str(letter_id)).order_by("id"))
