"""Correcting a letter: never by editing it, always by a new letter that supersedes it.

Why: a sent letter is evidence of what the customer was told. The database refuses edits to it
(dunning.models.append_only); a correction is a second letter pointing at the first, and the
first stays readable, marked superseded, with an audit event saying who replaced it and why.

The replacement waits in review: a person approves it before it goes out, so a correction is
never sent by surprise. Charges (fees, interest) the old letter created stay as they are; adjust
them with a waiver if the correction changes them.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django.db import transaction
from django.utils import timezone

from dunning.models import Letter, LetterItem
from dunning.services.audit import event_recorded

# What a correction may change. The record (company, customer, currency, invoice) stays the same.
CORRECTABLE = frozenset({"date", "level", "level_name", "language", "channels", "dunned_minor", "fee_minor",
                         "fee_level", "interest_minor", "credit_minor", "total_minor", "reasons", "data"})
NOT_SUPERSEDABLE = frozenset({"sending", "superseded", "removed", "cancelled"})
ITEM_FIELDS = ("invoice_id", "level", "days_overdue", "open_minor", "interest_minor", "interest_until")


class LetterNotSupersedable(ValueError):
    """The letter is being sent right now, or is already out of the way (superseded, removed, cancelled)."""


def letter_supersede(letter: Letter | int, reason: str, *, changes: Mapping[str, Any] | None = None,
                     items: Sequence[Mapping[str, Any]] | None = None, actor: str = "system") -> Letter:
    """Mark `letter` superseded and create its replacement (in review), in one transaction.

    `changes` corrects fields of the replacement (see CORRECTABLE); `items` replaces its items
    (dicts with invoice or invoice_id, level, days_overdue, open_minor, ...), else they are copied.
    """
    if not reason.strip():
        raise ValueError("say why the letter is superseded; the reason goes into the audit trail")
    changes = dict(changes or {})
    wrong = set(changes) - CORRECTABLE
    if wrong:
        raise ValueError(f"a correction cannot change {', '.join(sorted(wrong))}; it keeps the letter's record")
    letter_id = letter.pk if isinstance(letter, Letter) else int(letter)
    with transaction.atomic():
        old = Letter.objects.select_for_update().get(pk=letter_id)
        if old.state in NOT_SUPERSEDABLE:
            raise LetterNotSupersedable(f"letter {old.pk} is {old.state}; it cannot be superseded")
        if not Letter.objects.filter(pk=old.pk, state=old.state).update(state="superseded",
                                                                        state_changed_at=timezone.now()):
            raise LetterNotSupersedable(f"letter {old.pk} changed state meanwhile; look at it again")
        new = _replacement(old, changes)
        _items_copied(old, new, items)
        event_recorded("letter_superseded", old, actor, reason=reason, by=new.pk, **{"from": old.state})
        event_recorded("letter_created", new, actor, reason=reason, supersedes=old.pk, state=new.state)
    return new


def _replacement(old: Letter, changes: Mapping[str, Any]) -> Letter:
    values = {f.attname: getattr(old, f.attname) for f in Letter._meta.concrete_fields if not f.primary_key}
    values.update(changes)
    values.update(state="review", supersedes_id=old.pk, message_id="", attempts=0, last_error="", sent_at=None,
                  printed_at=None)
    return Letter.objects.create(**values)


def _items_copied(old: Letter, new: Letter, items: Sequence[Mapping[str, Any]] | None) -> None:
    if items is None:
        rows = [LetterItem(letter=new, **{name: getattr(item, name) for name in ITEM_FIELDS})
                for item in old.items.all()]
    else:
        rows = [LetterItem(letter=new, **dict(item)) for item in items]
    LetterItem.objects.bulk_create(rows)
