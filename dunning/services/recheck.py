"""The last look before a letter leaves: is it still right with the payments known now?

The record is evaluated again as of the letter's date (same rules, same history without this
letter), counting every payment recorded so far, even one dated after the run. Then:
paid meanwhile -> cancelled "paid before sending"; paused or disputed meanwhile -> back to review;
amounts changed -> superseded by a letter made from the current amounts; otherwise unchanged.
"""
from __future__ import annotations

from django.db import transaction

from dunning.core import LetterDecision, RecordKey, evaluate
from dunning.core.balance import open_amount
from dunning.core.money import tolerance
from dunning.models import Company, Letter
from dunning.models.money import to_minor
from dunning.selectors.snapshot import build_company_facts

from .audit import event_recorded
from .letter_create import letter_create
from .letters import letter_cancel, letter_hold

PAID_BEFORE_SENDING = "paid before sending"
CHECKED_STATES = {"queued", "review"}  # a letter in "sending" is in flight: not touched


def recheck_before_delivery(letter: Letter) -> Letter:
    """Return the letter to deliver (the same one, or its replacement), or the cancelled or held one."""
    if letter.state not in CHECKED_STATES:
        return letter
    with transaction.atomic():
        Company.objects.select_for_update().filter(pk=letter.company_id).first()
        letter = Letter.objects.select_related("company", "customer", "run").get(pk=letter.pk)
        if letter.state not in CHECKED_STATES:
            return letter
        facts = build_company_facts(letter.company, letter.date, customer_ids=[letter.customer_id],
                                    payments_known_now=True, exclude_letter=letter.pk)
        decisions = evaluate(facts.snapshot)
        record = RecordKey(letter.customer.number, letter.currency, letter.invoice_key or None)
        decision = next((d for d in decisions.letters if d.record == record), None)
        if decision is not None:
            return letter if _unchanged(letter, decision) else _superseded(letter, facts, decision)
        skip = next((s for s in decisions.skips if (s.customer == record.customer and s.code == "paused")
                     or (s.customer, s.currency, s.invoice) == (record.customer, record.currency, record.invoice)),
                    None)
        if skip is not None and skip.code == "pending":
            return letter  # an older letter of the record is still waiting; delivery keeps the order
        held = _held_items(letter, facts.snapshot)
        if (skip is not None and skip.code == "paused") or held:
            return letter_hold(letter, skip.reason if skip and skip.code == "paused" else held)
        withdrawn = _withdrawn_items(letter, facts.snapshot)
        if withdrawn and not _open_lines(letter, facts.snapshot):
            return letter_cancel(letter, f"no longer due: {withdrawn}")
        if skip is None or skip.code == "credit_covers" or _all_paid(letter, facts.snapshot):
            return letter_cancel(letter, PAID_BEFORE_SENDING)
        return letter_cancel(letter, f"no longer due: {skip.reason}")


def _unchanged(letter: Letter, decision: LetterDecision) -> bool:
    currency = letter.currency
    before = {(i.invoice.number, i.level, i.open_minor) for i in letter.items.select_related("invoice")}
    now = {(ln.number, ln.level, to_minor(ln.open_amount, currency)) for ln in decision.lines}
    return before == now and (letter.level, letter.fee_minor, letter.interest_minor, letter.credit_minor,
                              letter.total_minor) == (
        decision.level, to_minor(decision.fee, currency), to_minor(decision.interest, currency),
        to_minor(decision.credit_total, currency), to_minor(decision.total, currency))


def _superseded(letter: Letter, facts, decision: LetterDecision) -> Letter:
    """The old letter is kept as superseded; the new one takes its place in the queue (or review)."""
    state = "review" if letter.state == "review" else "queued"
    letter.state = "superseded"
    letter.save(update_fields=["state", "state_changed_at"])
    event_recorded("letter_superseded", letter, reason="amounts changed before sending")
    new, created = letter_create(letter.run, facts, decision, state=state, supersedes=letter)
    created.save()
    return new


def _open_lines(letter: Letter, snapshot):
    numbers = set(letter.items.values_list("invoice__number", flat=True))
    return [i for i in snapshot.items if i.number in numbers]


WITHDRAWN = {"void": "was voided", "cancelled": "was cancelled", "draft": "was set back to draft"}


def _withdrawn_items(letter: Letter, snapshot) -> str:
    """Items of the letter the run no longer reads because their invoice is no longer posted: why, or ''."""
    read = {i.number for i in snapshot.items}
    gone = (letter.items.exclude(invoice__number__in=read).filter(invoice__status__in=WITHDRAWN)
            .values_list("invoice__number", "invoice__status").order_by("invoice__number"))
    return "; ".join(f"{number} {WITHDRAWN[status]} before sending" for number, status in gone)


def _all_paid(letter: Letter, snapshot) -> bool:
    return all(open_amount(i, snapshot.as_of) <= tolerance(i.currency, snapshot.minor_units, snapshot.tolerance)
               for i in _open_lines(letter, snapshot))


def _held_items(letter: Letter, snapshot) -> str:
    """A reason when the letter's unpaid items are now all disputed or paused, else ''."""
    unpaid = [i for i in _open_lines(letter, snapshot)
              if open_amount(i, snapshot.as_of) > tolerance(i.currency, snapshot.minor_units, snapshot.tolerance)]
    held = [i for i in unpaid if i.disputed or (i.pause is not None and i.pause.holds_on(snapshot.as_of))]
    if unpaid and len(held) == len(unpaid):
        return "; ".join(f"{i.number} is {'disputed' if i.disputed else 'paused'}" for i in held)
    return ""
