"""`dunning send`: deliver the letters waiting in the queue, and say what became of each."""
from __future__ import annotations

import argparse
import os
import sys
from collections import Counter

from dunning.cli import CommandError


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "send", help="deliver queued letters (email; paper letters wait for print-batch)",
        description="Deliver every queued letter (or those of one run) by email over SMTP, or to a folder with "
                    "DUNNING_DELIVERY=folder DUNNING_OUTBOX=PATH. Each letter is checked once more just before: "
                    "paid meanwhile -> cancelled, paused -> review. A letter whose earlier delivery was interrupted "
                    "goes to review, never out again by itself. SMTP settings: DUNNING_SMTP_HOST, _PORT, _USER, "
                    "_PASSWORD, _STARTTLS=1, _SSL=1, _TIMEOUT, _ATTEMPTS, _BACKOFF.")
    parser.add_argument("--run", type=int, metavar="ID", help="only the letters of this run")
    parser.add_argument("--letter", type=int, metavar="ID", help="only this letter")
    parser.add_argument("--resend", type=int, metavar="ID",
                        help="send a sent letter's email again, as it was kept (recorded with --actor)")
    parser.add_argument("--actor", default=os.environ.get("USER", "system"),
                        help="who asks, for the audit trail (default: $USER)")
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    from django.core.exceptions import ImproperlyConfigured

    from dunning.delivery.send import deliver_letter, deliver_queued, transport_from_settings
    from dunning.models import Letter

    try:
        transport = transport_from_settings()
    except ImproperlyConfigured as exc:
        raise CommandError(str(exc)) from exc
    if args.resend is not None:
        return _resend(args.resend, args.actor, transport)
    if args.letter is not None:
        if not Letter.objects.filter(pk=args.letter).exists():
            raise CommandError(f"no letter {args.letter}")
        states = {args.letter: deliver_letter(args.letter, transport=transport)}
        recovered: list[int] = []
        stopped = ""
    else:
        summary = deliver_queued(args.run, transport=transport)
        states, recovered, stopped = summary.states, summary.recovered, summary.stopped
    print(summary_text(states, recovered))
    if stopped:
        print(f"dunning send: stopped, {stopped}; the letters left are still queued for the next send",
              file=sys.stderr)
        return 1
    return 0


def _resend(letter_id: int, actor: str, transport) -> int:
    from dunning.delivery.email import AddressError
    from dunning.delivery.send import letter_resend
    from dunning.models import Letter
    from dunning.services.letters import LetterStateError

    if not Letter.objects.filter(pk=letter_id).exists():
        raise CommandError(f"no letter {letter_id}")
    try:
        outcome = letter_resend(letter_id, actor, transport=transport)
    except (LetterStateError, AddressError) as exc:
        raise CommandError(str(exc)) from exc
    print(f"Letter {letter_id} sent again: {outcome.state} ({outcome.detail})")
    return 0 if outcome.state == "sent" else 1


NOTES = {
    "sent": "sent", "queued": "waiting (paper letters: run `dunning print-batch`)",
    "review": "in review (held, or delivery outcome unknown)", "failed": "failed (see `dunning letters`)",
    "cancelled": "cancelled (paid before sending)", "sending": "being sent by another worker",
    "superseded": "superseded by a corrected letter",
}


def summary_text(states: dict[int, str], recovered: list[int]) -> str:
    if not states:
        return "No letters waiting for delivery."
    counts = Counter(states.values())
    width = max(len(str(n)) for n in counts.values())
    lines = [f"Delivered {len(states)} letter(s):"]
    lines += [f"  {str(counts[s]).rjust(width)}  {NOTES.get(s, s)}" for s in sorted(counts)]
    if recovered:
        lines.append(f"Interrupted earlier, now in review (not resent): {', '.join(map(str, recovered))}")
    return "\n".join(lines)
