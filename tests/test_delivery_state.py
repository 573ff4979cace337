"""The delivery state machine: only listed moves, each audited, and a letter taken by one worker only."""
from __future__ import annotations

import pytest
import test_delivery_email

from dunning.delivery.state import FINAL, STATES, TRANSITIONS, InvalidTransition, letter_history, letter_transition

letter = test_delivery_email.letter  # fixture


def test_the_table_speaks_of_the_models_states_only():
    assert set(STATES) == {"review", "queued", "sending", "sent", "failed", "cancelled", "unknown", "removed",
                           "superseded"}
    assert {state for pair in TRANSITIONS for state in pair} <= set(STATES)
    assert not [pair for pair in TRANSITIONS if pair[0] in FINAL]  # nothing leaves a final state
    assert ("unknown", "queued") not in TRANSITIONS and ("review", "sending") not in TRANSITIONS  # never resent silently


def test_a_move_that_is_not_in_the_table_is_refused_and_says_what_is_allowed(letter):
    given = letter(state="sent")
    with pytest.raises(InvalidTransition, match="cannot go from 'sent' to 'queued'; from 'sent' it may go to nothing"):
        letter_transition(given, "queued")
    with pytest.raises(InvalidTransition, match="from 'unknown' it may go to cancelled, removed, review, sent"):
        letter_transition(letter(state="unknown", level=2), "queued")


def test_only_one_of_two_workers_takes_a_letter(letter):
    first, second = letter(), None
    from dunning.models import Letter

    second = Letter.objects.get(pk=first.pk)  # the same row, loaded by another worker while still queued

    assert letter_transition(first, "sending", frm="queued", actor="worker-1") is True
    assert letter_transition(second, "sending", frm="queued", actor="worker-2") is False

    (taken,) = letter_history(first.pk)
    assert (taken.action, taken.actor, taken.data) == ("letter_taken", "worker-1", {"from": "queued", "to": "sending"})
    assert Letter.objects.get(pk=first.pk).state == "sending"


def test_a_move_writes_its_fields_and_reason_with_the_state(letter):
    from django.db.models import F

    from dunning.models import Letter

    given = letter()
    letter_transition(given, "sending", frm="queued", fields={"attempts": F("attempts") + 1})
    letter_transition(given, "failed", reason="554 5.7.1 rejected", data={"attempts": 1})

    stored = Letter.objects.get(pk=given.pk)
    assert (stored.state, stored.attempts, stored.last_error) == ("failed", 1, "554 5.7.1 rejected")
    assert (given.state, given.attempts) == ("failed", 1)
    assert [(e.action, e.data) for e in letter_history(given.pk)] == [
        ("letter_taken", {"from": "queued", "to": "sending"}),
        ("letter_failed", {"from": "sending", "to": "failed", "reason": "554 5.7.1 rejected", "attempts": 1})]


def test_a_deliberate_resend_is_recorded_with_who_asked(letter):
    given = letter(state="failed")
    assert letter_transition(given, "queued", actor="maria.meyer", reason="customer asked for a copy")
    (event,) = letter_history(given.pk)
    assert (event.action, event.actor, event.data["reason"]) == ("letter_requeued", "maria.meyer",
                                                                 "customer asked for a copy")
