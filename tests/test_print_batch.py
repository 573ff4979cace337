"""The print batch: one PDF, letters in a stable order with their own page numbers, marked printed on confirm."""
from __future__ import annotations

import io
import re
from datetime import date, timedelta

import pytest
from pypdf import PdfReader

from dunning.delivery.printing import confirm_print_batch, letters_to_print, make_print_batch
from dunning.delivery.state import letter_history

AS_OF = date(2026, 12, 3)


@pytest.fixture
def paper_letters(db, company, customer, invoice):
    """Three paper letters: ACME-DE C-20 (25 invoices, several pages), ACME-DE C-3, ACME-AT C-1; made out of order."""
    from dunning.models import Letter
    from dunning.services.run import run_dunning
    from dunning.services.setup import ensure_default_setup

    ensure_default_setup()
    germany = company("ACME-DE")
    austria = company("ACME-AT", name="Acme Handel GmbH")
    long_one = customer(germany, number="C-20", name="Long Ledger AG", allow_email=False)
    for n in range(25):
        invoice(long_one, amount="100.00", due_date=date(2026, 11, 2) - timedelta(days=n), number=f"INV-20-{n:02d}")
    short = customer(germany, number="C-3", name="Short Shop KG", allow_email=False)
    invoice(short, amount="1190.00", number="INV-3-01")
    other = customer(austria, number="C-1", name="Wiener Waren OG", allow_email=False)
    invoice(other, amount="250.00", number="INV-AT-01")
    run_dunning(as_of=AS_OF, deliver=False)
    return {c.number: Letter.objects.get(customer=c) for c in (long_one, short, other)}


def page_texts(pdf: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages]


def test_batch_holds_every_letter_in_order_with_its_own_page_numbers(paper_letters):
    waiting = letters_to_print()
    assert [(lt.company.code, lt.customer.number) for lt in waiting] == [
        ("ACME-AT", "C-1"), ("ACME-DE", "C-20"), ("ACME-DE", "C-3")]  # customer numbers are text

    pages = page_texts(make_print_batch(reversed(waiting)))  # the order given does not matter

    long_pages = len(PdfReader(io.BytesIO(bytes(paper_letters["C-20"].documents.get(kind="pdf").content))).pages)
    assert long_pages >= 2
    assert len(pages) == long_pages + 2
    owners = [re.search(r"INV-(AT|20|3)-", text).group(1) for text in pages]
    assert owners == ["AT"] + ["20"] * long_pages + ["3"]
    numbering = [re.search(r"Page (\d+) of (\d+)", text).groups() for text in pages]
    assert numbering == [("1", "1")] + [(str(n), str(long_pages)) for n in range(1, long_pages + 1)] + [("1", "1")]


def test_duplex_starts_every_letter_on_a_new_sheet(paper_letters):
    pages = page_texts(make_print_batch(letters_to_print(), duplex=True))
    assert len(pages) % 2 == 0 and pages[1].strip() == ""  # the one-page Austrian letter gets a blank back


def test_making_a_batch_marks_nothing_confirming_marks_printed_and_sent_once(paper_letters):
    waiting = letters_to_print()
    make_print_batch(waiting)
    assert len(letters_to_print()) == 3  # not printed until someone confirms

    assert confirm_print_batch(waiting, actor="maria.meyer") == 3
    assert confirm_print_batch(waiting, actor="maria.meyer") == 0
    assert letters_to_print() == []

    letter = paper_letters["C-3"]
    letter.refresh_from_db()
    assert letter.state == "sent" and letter.printed_at is not None and letter.sent_at == letter.printed_at
    assert [e.action for e in letter_history(letter.pk)][-2:] == ["letter_sent", "letter_printed"]
    assert letter_history(letter.pk)[-1].actor == "maria.meyer"


def test_a_paper_letter_paid_meanwhile_is_not_printed(paper_letters, credit):
    from dunning.models import Invoice

    bill = Invoice.objects.get(number="INV-3-01")
    credit(bill.customer, amount="1190.00", date=AS_OF, allocate=[(bill, "1190.00")])

    assert [lt.customer.number for lt in letters_to_print()] == ["C-1", "C-20"]
    paper_letters["C-3"].refresh_from_db()
    assert paper_letters["C-3"].state == "cancelled"


def test_print_batch_command_writes_the_pdf_and_confirms(paper_letters, tmp_path, capsys):
    from dunning.cli import main

    target = tmp_path / "batch.pdf"
    assert main(["print-batch", "--output", str(target)]) == 0
    first, *_, last = pks = sorted(paper_letters[n].pk for n in ("C-1", "C-20", "C-3"))
    assert pks == list(range(first, first + 3))
    ids = f"{first}-{last}"  # a range, so a batch of hundreds stays one line to paste
    assert capsys.readouterr().out.splitlines() == [
        f"3 letter(s) in {target}", f"After printing: dunning print-batch --letters {ids} --confirm"]

    assert main(["print-batch", "--output", str(target), "--letters", ids, "--confirm"]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == "Marked printed: 3"
    assert main(["print-batch", "--output", str(target)]) == 0
    assert capsys.readouterr().out.strip() == "No letters waiting to be printed."


def test_printing_again_on_purpose_is_recorded(paper_letters, tmp_path, capsys):
    from dunning.cli import main

    letter = paper_letters["C-3"]
    confirm_print_batch([letter])
    assert main(["print-batch", "--output", str(tmp_path / "again.pdf"), "--letters", str(letter.pk), "--reprint",
                 "--actor", "jo"]) == 0

    assert len(page_texts((tmp_path / "again.pdf").read_bytes())) == 1
    event = letter_history(letter.pk)[-1]
    assert (event.action, event.actor) == ("letter_reprinted", "jo")
    assert main(["print-batch", "--reprint"]) == 2
    assert "--reprint needs --letters IDS" in capsys.readouterr().err


def test_letter_ids_are_shown_and_taken_as_ranges(paper_letters, tmp_path, capsys):
    from dunning.cli import main
    from dunning.cli.print_cmd import id_ranges

    assert id_ranges([7, 3, 4, 5, 9, 10, 12]) == "3-5,7,9-10,12"
    one = paper_letters["C-1"].pk
    assert main(["print-batch", "--output", str(tmp_path / "b.pdf"), "--letters", f"{one}-{one}"]) == 0
    assert capsys.readouterr().out.splitlines()[0] == f"1 letter(s) in {tmp_path / 'b.pdf'}"
    assert main(["print-batch", "--output", str(tmp_path / "b.pdf"), "--letters", "3-x"]) == 2
    assert "letter ids and ranges separated by commas (e.g. 3,7-12), not '3-x'" in capsys.readouterr().err
    assert main(["print-batch", "--output", str(tmp_path / "b.pdf"), "--letters", "9-3"]) == 2
    assert "letter ids and ranges separated by commas (e.g. 3,7-12), not '9-3'" in capsys.readouterr().err
