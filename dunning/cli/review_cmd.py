"""`dunning review`: the letters that wait for a person, and what the person decides.

Letters wait here when their procedure sends in review mode, when they were held (paused or
disputed after the run), and when a delivery was interrupted so that nobody knows whether the
customer got it: such a letter is never sent again by itself. A person approves it (it joins the
queue for `dunning send`), removes it (it reminded nothing), or marks it sent after checking the
mail server's log. A failed letter can be put back in the queue once its address is fixed.
"""
from __future__ import annotations

import argparse
import json

from dunning.cli import CommandError
from dunning.cli.lookup import add_actor

WAITING_FOR_A_PERSON = ("review", "unknown", "failed")


def register(subparsers) -> None:
    parser = subparsers.add_parser("review", help="letters waiting for a person: list, approve, remove, mark sent",
                                   description=__doc__.split("\n\n")[1].replace("\n", " "))
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    listing = actions.add_parser("list", help="letters in review, with an unknown outcome, or failed")
    listing.add_argument("--company", metavar="CODE")
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(handler=list_handler)
    for name, help_text in (("approve", "send these letters with the next `dunning send`"),
                            ("remove", "take these letters out: they reminded nothing"),
                            ("mark-sent", "these letters reached the customer (checked in the mail log)"),
                            ("requeue", "put these failed letters back in the delivery queue")):
        action = actions.add_parser(name, help=help_text, description=help_text[0].upper() + help_text[1:] + ".")
        action.add_argument("ids", metavar="ID", type=int, nargs="+", help="letter ids (see `dunning review list`)")
        action.add_argument("--reason", default="", help="why, for the audit trail")
        add_actor(action)
        action.set_defaults(handler=decide_handler)


def list_handler(args: argparse.Namespace) -> int:
    from dunning.models import Letter
    from dunning.models.money import from_minor

    letters = Letter.objects.filter(state__in=WAITING_FOR_A_PERSON).select_related("company", "customer")
    if args.company:
        letters = letters.filter(company__code=args.company)
    rows = [{"id": lt.pk, "date": lt.date.isoformat(), "company": lt.company.code, "customer": lt.customer.number,
             "currency": lt.currency, "level": lt.level, "state": lt.state,
             "total": str(from_minor(lt.total_minor, lt.currency)), "why": lt.last_error or _why(lt)}
            for lt in letters.order_by("company__code", "customer__number", "date", "id")]
    if args.json:
        print(json.dumps({"letters": rows}, indent=2))
        return 0
    if not rows:
        print("nothing waits for review")
        return 0
    for row in rows:
        print(f"{row['id']:>6}  {row['date']}  {row['company']}  {row['customer']}  {row['currency']} "
              f"{row['total']:>12}  level {row['level']}  {row['state']}: {row['why']}")
    return 0


def _why(letter) -> str:
    if letter.state == "review":
        return "the procedure sends in review mode"
    if letter.state == "unknown":
        return "delivery was interrupted; nobody knows whether it arrived"
    return "delivery failed"


def decide_handler(args: argparse.Namespace) -> int:
    from django.utils import timezone

    from dunning.models import Letter
    from dunning.services.letters import (LetterStateError, letter_approve, letter_mark_sent, letter_remove,
                                          letter_requeue)

    found = {lt.pk: lt for lt in Letter.objects.filter(pk__in=args.ids)}
    missing = [str(i) for i in args.ids if i not in found]
    if missing:
        raise CommandError(f"no letter with id {', '.join(missing)}; nothing was changed")
    done, refused = [], []
    for letter_id in args.ids:
        letter = found[letter_id]
        try:
            if args.action == "approve":
                letter_approve(letter, args.actor)
            elif args.action == "remove":
                letter_remove(letter, args.actor, args.reason or "removed from review")
            elif args.action == "mark-sent":
                letter_mark_sent(letter, timezone.now(), args.actor)
            else:
                letter_requeue(letter, args.actor, args.reason or "sent again on purpose")
            done.append(str(letter_id))
        except LetterStateError as exc:
            refused.append(str(exc))
    if done:
        print(f"{args.action}: letter(s) {', '.join(done)}")
    for reason in refused:
        print(f"dunning review {args.action}: {reason}")
    return 2 if refused else 0
