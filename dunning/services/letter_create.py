"""Turn the core's letter decisions into Letter rows with their items and audit events.

Used by the run (new letters, many at once: in a LetterBatch, written with a few bulk inserts) and
by the re-check before delivery (one letter made again from the current amounts). The caller holds
the transaction; this writes nothing outside it.
"""
from __future__ import annotations

from typing import Optional

from django.db import connections

from dunning.core import LetterDecision
from dunning.core.money import round_money
from dunning.models import AuditEvent, Letter, LetterItem
from dunning.models.money import minor_units, to_minor

from .audit import event
from .letter_data import letter_data

BATCH_SIZE = 1000  # rows per INSERT where the database allows it (SQLite caps by its variable limit)


def channels_for(decision_channels: tuple[str, ...], customer) -> tuple[str, ...]:
    """The level's channels the customer accepts; a letter nobody may receive becomes a collector's task."""
    allowed = {"email": customer.allow_email and bool(customer.email), "print": customer.allow_print, "task": True}
    kept = tuple(ch for ch in decision_channels if allowed.get(ch, True))
    if kept:
        return kept
    return ("print",) if customer.allow_print else ("task",)


def letter_state(decision: LetterDecision) -> str:
    return "review" if decision.sending == "review" else "queued"


def _letter_row(run, facts, decision: LetterDecision, state: Optional[str], supersedes: Optional[Letter]) -> Letter:
    """The unsaved letter of one decision."""
    company, currency = facts.company, decision.currency
    customer = facts.customers[decision.customer]
    language = customer.language or company.language or "en"
    # letter_data looks up the issue date of the letter's own lines only
    issue_dates = {ln.number: facts.invoices[ln.number].issue_date for ln in decision.lines
                   if ln.number in facts.invoices}
    return Letter(
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


def _item_rows(letter: Letter, facts, decision: LetterDecision) -> list[LetterItem]:
    currency = decision.currency
    digits = {currency: minor_units(currency)}
    return [LetterItem(letter=letter, invoice_id=facts.invoices[ln.number].id, level=ln.level,
                       days_overdue=ln.days_overdue, open_minor=to_minor(ln.open_amount, currency),
                       interest_minor=to_minor(round_money(ln.interest, currency, digits), currency),
                       interest_until=decision.as_of if ln.interest_from is not None else None)
            for ln in decision.lines]


def _created_event(run, letter: Letter, decision: LetterDecision, supersedes: Optional[Letter]) -> AuditEvent:
    return event("letter_created", letter, run=run.pk if run else None, level=letter.level, state=letter.state,
                 total=str(decision.total), currency=decision.currency, reasons=list(decision.reasons),
                 supersedes=supersedes.pk if supersedes else None)


class LetterBatch:
    """Letters made by `letter_create` but written later, all at once, with a few bulk inserts.

    `write()` inserts the letters, then their items, and fills in the ids of the letters in their
    events (which the caller saves, e.g. with events_recorded). A letter that breaks the
    one-per-record-and-day constraint raises IntegrityError for the whole batch: the caller holds a
    savepoint around `write()` and can make the letters again one by one.
    """

    def __init__(self) -> None:
        self.entries: list[tuple[Letter, list[LetterItem], AuditEvent]] = []

    def add(self, letter: Letter, items: list[LetterItem], created: AuditEvent) -> None:
        self.entries.append((letter, items, created))

    def write(self) -> list[tuple[Letter, AuditEvent]]:
        letters = [letter for letter, _, _ in self.entries]
        if connections[Letter.objects.db].features.can_return_rows_from_bulk_insert:
            Letter.objects.bulk_create(letters, batch_size=BATCH_SIZE)  # sets the ids
        else:
            for letter in letters:
                letter.save(force_insert=True)
        items = []
        for letter, rows, created in self.entries:
            created.object_id = str(letter.pk)
            for item in rows:
                item.letter = letter
            items.extend(rows)
        LetterItem.objects.bulk_create(items, batch_size=BATCH_SIZE)
        written = [(letter, created) for letter, _, created in self.entries]
        self.entries = []
        return written


def letter_create(run, facts, decision: LetterDecision, *, state: Optional[str] = None,
                  supersedes: Optional[Letter] = None,
                  batch: Optional[LetterBatch] = None) -> tuple[Letter, AuditEvent]:
    """Write the letter and its items; return it with its (unsaved) audit event for bulk saving.

    With a batch, nothing is written yet: the letter, its items and event join the batch, and get
    their ids when the batch is written.
    """
    letter = _letter_row(run, facts, decision, state, supersedes)
    if batch is not None:
        created = _created_event(run, letter, decision, supersedes)
        batch.add(letter, _item_rows(letter, facts, decision), created)
        return letter, created
    letter.save(force_insert=True)
    LetterItem.objects.bulk_create(_item_rows(letter, facts, decision))
    return letter, _created_event(run, letter, decision, supersedes)
