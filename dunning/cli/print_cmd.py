"""`dunning print-batch`: the paper letters as one PDF to print; marked printed once confirmed."""
from __future__ import annotations

import argparse
import os
from pathlib import Path

from dunning.cli import CommandError


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "print-batch", help="merge the letters waiting for paper into one PDF; --confirm marks them printed",
        description="Write one PDF with every letter waiting to be printed (ordered by company, customer number, "
                    "letter), each with its own page numbers. Nothing is marked until --confirm: print, then run "
                    "again with --letters IDS --confirm (the ids are shown), or use --confirm right away.")
    parser.add_argument("--output", "-o", metavar="FILE", default="print-batch.pdf",
                        help="where to write the PDF (default: print-batch.pdf)")
    parser.add_argument("--company", metavar="CODE", help="only this company's letters")
    parser.add_argument("--letters", metavar="IDS", help="exactly these letters (comma-separated ids), e.g. "
                                                        "to confirm a batch printed earlier")
    parser.add_argument("--duplex", action="store_true", help="start every letter on a new sheet")
    parser.add_argument("--confirm", action="store_true", help="mark the letters printed")
    parser.add_argument("--reprint", action="store_true",
                        help="with --letters: print letters that were printed or sent before again, recorded")
    parser.add_argument("--actor", default=os.environ.get("USER", "system"),
                        help="who prints, for the audit trail (default: $USER)")
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    from dunning.delivery.printing import confirm_print_batch, letters_to_print, make_print_batch, record_reprint

    if args.reprint and not args.letters:
        raise CommandError("--reprint needs --letters IDS: say which letters to print again")
    letters = _chosen(args.letters) if args.letters else letters_to_print(args.company)
    if not letters:
        print("No letters waiting to be printed.")
        return 0
    output = Path(args.output)
    output.write_bytes(make_print_batch(letters, duplex=args.duplex))
    ids = id_ranges(letter.pk for letter in letters)
    print(f"{len(letters)} letter(s) in {output}")
    if args.reprint:
        record_reprint(letters, args.actor)
        print(f"Recorded as printed again by {args.actor}")
    elif args.confirm:
        print(f"Marked printed: {confirm_print_batch(letters, args.actor)}")
    else:
        print(f"After printing: dunning print-batch --letters {ids} --confirm")
    return 0


def _chosen(ids_text: str):
    from dunning.delivery.printing import sort_for_printing
    from dunning.models import Letter

    try:
        ids = set()
        for part in filter(None, (p.strip() for p in ids_text.split(","))):
            first, _, last = part.partition("-")
            first, last = int(first), int(last or first)
            if last < first:
                raise ValueError(part)
            ids.update(range(first, last + 1))
    except ValueError as exc:
        raise CommandError(f"--letters takes letter ids and ranges separated by commas (e.g. 3,7-12), "
                           f"not {ids_text!r}") from exc
    letters = list(Letter.objects.filter(pk__in=ids).select_related("company", "customer"))
    missing = ids - {letter.pk for letter in letters}
    if missing:
        raise CommandError(f"no letter(s) {', '.join(map(str, sorted(missing)))}")
    unfit = [f"{lt.pk} ({lt.state})" for lt in letters if lt.state not in ("queued", "sent")]
    if unfit:
        raise CommandError(f"not printable: {', '.join(unfit)}; only queued or sent letters can be printed")
    return sort_for_printing(letters)


def id_ranges(ids) -> str:
    """'1-4,7': a batch of hundreds of letters stays one short line to paste into --letters."""
    parts, run = [], []
    for letter_id in sorted(ids):
        if run and letter_id != run[-1] + 1:
            parts.append(_span(run))
            run = []
        run.append(letter_id)
    if run:
        parts.append(_span(run))
    return ",".join(parts)


def _span(run: list[int]) -> str:
    return str(run[0]) if len(run) == 1 else f"{run[0]}-{run[-1]}"
