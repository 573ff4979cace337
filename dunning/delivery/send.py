"""Delivering queued letters: one at a time, each step committed before the next one starts.

The order is what makes a crash harmless:
1. check again just before (paid meanwhile -> cancelled; paused -> held),
2. take the letter (queued -> sending), committed, with who took it,
3. render and send,
4. record the outcome (sent with its documents and charges, failed with the reason, or unknown).
A letter found in "sending" whose worker is gone was interrupted somewhere in 3 or 4: nobody knows
whether it went out, so it goes to review; it is never sent again without a person deciding.

Letters for print stay queued until a print batch is confirmed (printing.py).
"""
from __future__ import annotations

import logging
import os
import signal
from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass, field
from email import message_from_bytes
from email.policy import SMTP
from email.utils import parseaddr
from typing import Protocol

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from dunning.models import AuditEvent, Letter, LetterDocument
from dunning.selectors.snapshot import CustomerScope
from dunning.services.letters import LetterStateError, letter_mark_sent
from dunning.services.recheck import recheck_before_delivery
from dunning.services.worker import lease_from_environment, worker_alive, worker_identity

from .email import AddressError, BuiltEmail, build_letter_email, letter_recipients
from .outbox import FolderOutbox
from .smtp import Outcome, SmtpTransport
from .state import letter_transition

log = logging.getLogger(__name__)


class Transport(Protocol):
    def deliver_letter(self, letter: Letter, built: BuiltEmail, pdf: bytes) -> Outcome: ...


@dataclass
class DeliverySummary:
    """What one `deliver_queued` did: final state per letter it looked at."""

    states: dict[int, str] = field(default_factory=dict)
    recovered: list[int] = field(default_factory=list)
    stopped: str = ""  # why the rest of the queue was left for later (mail server unreachable)

    @property
    def counts(self) -> Counter[str]:
        return Counter(self.states.values())


def transport_from_settings() -> Transport:
    """DUNNING_DELIVERY=smtp (default) or folder (DUNNING_OUTBOX, default ./outbox)."""
    kind = getattr(settings, "DUNNING_DELIVERY", "") or os.environ.get("DUNNING_DELIVERY", "smtp")
    if kind == "folder":
        return FolderOutbox(getattr(settings, "DUNNING_OUTBOX", "") or os.environ.get("DUNNING_OUTBOX", "outbox"))
    if kind == "smtp":
        return SmtpTransport()
    raise ImproperlyConfigured(f"DUNNING_DELIVERY must be 'smtp' or 'folder', not {kind!r}")


def crash_point(step: str) -> None:
    """Test hook: DUNNING_TEST_CRASH_AT=<step> kills this process there, as a power cut would."""
    if os.environ.get("DUNNING_TEST_CRASH_AT") == step:
        os.kill(os.getpid(), signal.SIGKILL)


# --------------------------------------------------------------------------------------------
# Public entry points
# --------------------------------------------------------------------------------------------

def deliver_queued(run_id: int | None = None, *, company_ids: Collection[int] | None = None,
                   customer_ids: Collection[int] | None = None, transport: Transport | None = None) -> DeliverySummary:
    """Deliver every queued letter (of one run, companies or customers, if given); interrupted ones go to review first."""
    transport = transport or transport_from_settings()
    summary = DeliverySummary(recovered=recover_interrupted(run_id, company_ids=company_ids, customer_ids=customer_ids))
    letters = _scoped(Letter.objects.filter(state="queued"), run_id, company_ids, customer_ids)
    for letter_id in letters.order_by("id").values_list("id", flat=True):
        try:
            summary.states[letter_id] = _deliver(letter_id, "email", transport)
        except MailServerUnreachable as exc:
            summary.states[letter_id], summary.stopped = "queued", str(exc)
            break
    for letter_id in summary.recovered:
        summary.states.setdefault(letter_id, "review")
    return summary


def deliver_letter(letter_id: int, channel: str = "email", *, transport: Transport | None = None) -> str:
    """Deliver one letter if it is queued; returns its state afterwards.

    "queued" back means it waits for something else: a print batch, or a mail server that answers.
    """
    try:
        return _deliver(letter_id, channel, transport or transport_from_settings())
    except MailServerUnreachable:
        return "queued"


class MailServerUnreachable(Exception):
    """Nothing was sent and the server did not answer: the letter went back to the queue."""


def _deliver(letter_id: int, channel: str, transport: Transport) -> str:
    letter = _load(letter_id)
    if letter.state == "sending":
        return "review" if _recover(letter) else "sending"
    if letter.state != "queued":
        return letter.state
    letter = _recheck(letter)
    if letter.state != "queued":  # cancelled (paid before sending), held for review, or superseded
        return letter.state
    route = letter_route(letter, channel)
    if route.failure:
        letter_transition(letter, "failed", frm="queued", reason=route.failure)
        log.info("letter %s failed: cannot be emailed (%s)", letter.pk, route.reason_code)
        return letter.state
    if not route.email:
        return letter.state  # waits for the print batch (or a person, for a task)
    return _send_email(letter, transport)


# --------------------------------------------------------------------------------------------
# Which way a letter goes
# --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Route:
    email: bool = False
    print: bool = False
    failure: str = ""
    reason_code: str = ""


def letter_route(letter: Letter, channel: str = "email") -> Route:
    """Email, print or both, from the level's channels and what the customer allows.

    A customer who does not take email gets paper instead. A letter that can only be emailed to a
    customer with no (valid) address fails with that reason, visible to the collector.
    """
    channels = {c.strip() for c in letter.channels.split(",") if c.strip()}
    customer = letter.customer
    if channel == "print":
        channels = {"print"}
    wants_email = "email" in channels and customer.allow_email
    wants_print = "print" in channels or ("email" in channels and not customer.allow_email)
    if wants_print and not customer.allow_print and not wants_email:
        return Route(failure=f"customer {customer.number} accepts neither email nor print", reason_code="no-channel")
    if wants_email:
        try:
            letter_recipients(letter)
        except AddressError as exc:
            if "print" in channels and customer.allow_print:
                return Route(print=True)
            return Route(failure=str(exc), reason_code="address")
    return Route(email=wants_email, print=wants_print and customer.allow_print)


# --------------------------------------------------------------------------------------------
# The steps
# --------------------------------------------------------------------------------------------

def _load(letter_id: int) -> Letter:
    return Letter.objects.select_related("company", "customer", "customer__collector").get(pk=letter_id)


def _recheck(letter: Letter) -> Letter:
    """The run service's last look at the record: may cancel, hold, or re-make the letter."""
    checked = recheck_before_delivery(letter)
    return checked if checked.pk == letter.pk and checked.state == letter.state else _load(checked.pk)


def _take(letter: Letter) -> bool:
    """queued -> sending, committed now, naming this worker so a later delivery can tell a crash."""
    return letter_transition(letter, "sending", frm="queued", fields={"attempts": F("attempts") + 1},
                             data={"worker": worker_identity()})


def _send_email(letter: Letter, transport: Transport) -> str:
    if not _take(letter):
        return _load(letter.pk).state
    crash_point("taken")
    try:
        from .render import render_letter

        rendered = render_letter(letter)
        built = build_letter_email(letter, rendered.subject, rendered.text, rendered.html, rendered.pdf)
    except AddressError as exc:
        letter_transition(letter, "failed", frm="sending", reason=str(exc))
        return letter.state
    except Exception as exc:  # a template or PDF that cannot be made: nothing went out
        log.exception("letter %s could not be rendered", letter.pk)
        letter_transition(letter, "failed", frm="sending", reason=f"could not be rendered: {exc}")
        return letter.state
    try:
        outcome = transport.deliver_letter(letter, built, rendered.pdf)
    except Exception as exc:  # an unexpected error while talking to the server: it may have gone out
        log.exception("letter %s: delivery ended unexpectedly", letter.pk)
        outcome = Outcome("unknown", f"delivery ended unexpectedly: {type(exc).__name__}: {exc}")
    if outcome.state == "sent":
        crash_point("accepted")
    return _record(letter, outcome, built, rendered.pdf)


def _record(letter: Letter, outcome: Outcome, built: BuiltEmail, pdf: bytes) -> str:
    data = {"attempts": outcome.attempts, "detail": outcome.detail, "message_id": str(built.message["Message-ID"])}
    if outcome.refused:
        data["refused"] = outcome.refused
    if outcome.state == "sent":
        crash_point("before_mark_sent")
        _mark_sent(letter, built, pdf, data)
        crash_point("marked_sent")
    elif outcome.state == "failed":
        letter_transition(letter, "failed", frm="sending", reason=outcome.detail, data=data)
    elif outcome.state == "unreachable":
        letter_transition(letter, "queued", frm="sending", reason=outcome.detail, data=data)
        raise MailServerUnreachable(outcome.detail)
    else:
        with transaction.atomic():
            _store_documents(letter, built, pdf)
            letter_transition(letter, "unknown", frm="sending", reason=f"outcome unknown: {outcome.detail}",
                              data=data)
            letter_transition(letter, "review", frm="unknown", reason=f"outcome unknown: {outcome.detail}")
    log.info("letter %s %s (%s)", letter.pk, letter.state, built.message["Message-ID"])
    return letter.state


def _mark_sent(letter: Letter, built: BuiltEmail, pdf: bytes, data: dict) -> None:
    """Sent, with its documents and its charges, in one transaction (the letters service makes the charges).

    Normally the letter is still "sending". If a later delivery took this worker for gone and put the
    letter in review meanwhile, the outcome is known now after all, and it is marked sent from there.
    """
    with transaction.atomic():
        try:
            letter_mark_sent(letter, at=timezone.now())
        except LetterStateError:
            log.warning("letter %s was sent but is no longer waiting for its outcome; left as it is", letter.pk)
            return
        Letter.objects.filter(pk=letter.pk).update(message_id=data["message_id"], last_error="")
        AuditEvent.objects.create(action="letter_email_accepted", object_type="letter", object_id=str(letter.pk),
                                  data=data)
        _store_documents(letter, built, pdf)
    letter.state = "sent"


def _store_documents(letter: Letter, built: BuiltEmail, pdf: bytes) -> None:
    LetterDocument.objects.bulk_create([LetterDocument(letter=letter, kind="pdf", content=pdf),
                                        LetterDocument(letter=letter, kind="email", content=built.as_bytes())])


# --------------------------------------------------------------------------------------------
# A copy on purpose
# --------------------------------------------------------------------------------------------

def letter_resend(letter_id: int, actor: str, *, transport: Transport | None = None) -> Outcome:
    """Send a sent letter's email again, exactly as kept (same Message-ID), because a person asked.

    It goes to the customer's current addresses. The letter stays sent: a copy reminds of nothing new
    and creates no charges. The act and its outcome are recorded.
    """
    letter = _load(letter_id)
    kept = letter.documents.filter(kind="email").order_by("-id").values_list("content", flat=True).first()
    if letter.state != "sent" or kept is None:
        raise LetterStateError(f"letter {letter_id} is {letter.state}" + ("" if kept is not None else
                               " and has no email kept") + "; only a sent email letter can be sent again")
    message = message_from_bytes(bytes(kept), policy=SMTP)
    built = BuiltEmail(message=message, sender=parseaddr(str(message["From"]))[1],  # type: ignore[arg-type]
                       recipients=letter_recipients(letter).envelope)
    pdf = letter.documents.filter(kind="pdf").order_by("-id").values_list("content", flat=True).first() or b""
    outcome = (transport or transport_from_settings()).deliver_letter(letter, built, bytes(pdf))
    AuditEvent.objects.create(actor=actor, action="letter_resent", object_type="letter", object_id=str(letter_id),
                              data={"outcome": outcome.state, "detail": outcome.detail, "attempts": outcome.attempts,
                                    "message_id": str(message["Message-ID"])})
    return outcome


# --------------------------------------------------------------------------------------------
# Interrupted deliveries
# --------------------------------------------------------------------------------------------

def recover_interrupted(run_id: int | None = None, *, company_ids: Collection[int] | None = None,
                        customer_ids: Collection[int] | None = None) -> list[int]:
    """Letters left in "sending" by a worker that is gone: unknown, then review. Returns their ids."""
    letters = _scoped(Letter.objects.filter(state="sending"), run_id, company_ids, customer_ids)
    return [letter.pk for letter in letters.select_related("company", "customer") if _recover(letter)]


def _scoped(letters, run_id, company_ids, customer_ids):
    if run_id is not None:
        letters = letters.filter(run_id=run_id)
    if company_ids is not None:
        letters = letters.filter(company_id__in=list(company_ids))
    return CustomerScope(customer_ids).filter(letters, "customer_id")  # the run's partition, as it read it


def _recover(letter: Letter) -> bool:
    taken = (AuditEvent.objects.filter(object_type="letter", object_id=str(letter.pk), action="letter_taken")
             .order_by("-id").first())
    worker = (taken.data or {}).get("worker") if taken else None
    # Off this machine the take is trusted for a lease longer than every retry of one letter.
    lease = lease_from_environment("DUNNING_SENDING_LEASE_SECONDS", 900)
    if worker_alive(worker, taken.at if taken else letter.state_changed_at, lease):
        return False
    reason = "delivery was interrupted after the letter was taken; it may or may not have gone out"
    with transaction.atomic():
        if not letter_transition(letter, "unknown", frm="sending", reason=reason, data={"worker": worker}):
            return False
        letter_transition(letter, "review", frm="unknown", reason=reason)
    log.warning("letter %s: interrupted delivery, sent to review", letter.pk)
    return True

