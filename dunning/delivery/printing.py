"""Letters on paper: one merged PDF per batch, and marking them printed once someone confirms it.

Order is stable (company code, customer number, letter id) so a batch printed twice stacks the
same way and a person can find a letter in the pile. Each letter keeps its own page numbering (the
letter PDF numbers its pages itself); with `duplex=True` a blank page is added after a letter with
an odd page count, so every letter starts on a fresh sheet.

Making a batch changes nothing but keeping each letter's PDF; only `confirm_print_batch` marks the
letters printed (and, for letters that go by paper only, sent, which creates their charges).
"""
from __future__ import annotations

import io
from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone
from pypdf import PdfReader, PdfWriter

from dunning.models import AuditEvent, Letter, LetterDocument
from dunning.services.letters import letter_mark_sent
from dunning.services.recheck import recheck_before_delivery

from .send import letter_route


def letters_to_print(company: str | None = None, recheck: bool = True) -> list[Letter]:
    """Queued letters that go by paper, and sent email+print letters whose copy is not printed yet.

    Queued ones get the same last look as an email (paid meanwhile -> cancelled, paused -> review).
    """
    rows = (Letter.objects.filter(printed_at__isnull=True, state__in=("queued", "sent"))
            .select_related("company", "customer").order_by("id"))
    if company:
        rows = rows.filter(company__code=company)
    chosen = []
    for letter in rows:
        if letter.state == "sent" and "print" not in letter.channels.split(","):
            continue
        if letter.state == "queued" and not _goes_on_paper(letter):
            continue
        if letter.state == "queued" and recheck:
            letter = recheck_before_delivery(letter)
            if letter.state != "queued":
                continue
        chosen.append(letter)
    return sort_for_printing(chosen)


def _goes_on_paper(letter: Letter) -> bool:
    route = letter_route(letter)
    return route.print and not route.email


def sort_for_printing(letters: Iterable[Letter]) -> list[Letter]:
    return sorted(letters, key=lambda lt: (lt.company.code, lt.customer.number, lt.pk))


def make_print_batch(letters: Iterable[Letter], duplex: bool = False) -> bytes:
    """One PDF of all the letters, in printing order."""
    writer = PdfWriter()
    for letter in sort_for_printing(letters):
        reader = PdfReader(io.BytesIO(letter_pdf(letter)))
        for page in reader.pages:
            writer.add_page(page)
        if duplex and len(reader.pages) % 2:
            last = reader.pages[-1].mediabox
            writer.add_blank_page(width=last.width, height=last.height)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def letter_pdf(letter: Letter) -> bytes:
    """The letter's kept PDF; rendered and kept now if it has none, so what is printed is what is kept."""
    kept = letter.documents.filter(kind="pdf").order_by("-id").values_list("content", flat=True).first()
    if kept is not None:
        return bytes(kept)
    from .render import render_letter

    pdf = render_letter(letter).pdf
    LetterDocument.objects.create(letter=letter, kind="pdf", content=pdf)
    return pdf


def confirm_print_batch(letters: Iterable[Letter], actor: str = "system") -> int:
    """Mark the letters printed (paper-only ones also sent); returns how many this call marked."""
    marked = 0
    for letter in letters:
        with transaction.atomic():
            now = timezone.now()
            if not Letter.objects.filter(pk=letter.pk, printed_at__isnull=True,
                                         state__in=("queued", "sent")).update(printed_at=now):
                continue  # printed already, or cancelled meanwhile
            if letter.state == "queued":
                letter_mark_sent(letter, at=now, actor=actor)
            AuditEvent.objects.create(actor=actor, action="letter_printed", object_type="letter",
                                      object_id=str(letter.pk), data={"at": now.isoformat()})
            marked += 1
    return marked


def record_reprint(letters: Iterable[Letter], actor: str = "system") -> None:
    """A printed letter printed again on purpose: recorded, nothing else changes."""
    AuditEvent.objects.bulk_create([AuditEvent(actor=actor, action="letter_reprinted", object_type="letter",
                                               object_id=str(letter.pk)) for letter in letters])
