"""Delivering letters made by a real run to a real local SMTP server, and reading them back."""
from __future__ import annotations

import subprocess
from datetime import date

import pytest
import smtp_server as server_fixtures
from django.test import override_settings

from dunning.delivery.outbox import FolderOutbox
from dunning.delivery.send import deliver_letter, deliver_queued, worker_identity
from dunning.delivery.smtp import SmtpTransport
from dunning.delivery.state import letter_history, letter_transition

smtp_server, smtp_config = server_fixtures.smtp_server, server_fixtures.smtp_config  # fixtures

AS_OF = date(2026, 12, 3)


@pytest.fixture
def queued(db, company, customer, invoice):
    """make the run's queued letter for a customer owing INV-1001 (1,190.00 EUR, due 2026-11-02: level 2)."""
    from dunning.models import Letter
    from dunning.services.run import run_dunning
    from dunning.services.setup import ensure_default_setup

    ensure_default_setup()
    numbers = iter(range(1, 100))

    def make(**customer_fields):
        n = next(numbers)
        values = {"number": f"C-{n}", "name": "Northwind Traders Ltd", "email": f"ap{n}@northwind.example.com"}
        cust = customer(**{**values, **customer_fields})
        invoice(cust, amount="1190.00", due_date=date(2026, 11, 2), number=f"INV-{1000 + n}")
        run_dunning(as_of=AS_OF, deliver=False)
        return Letter.objects.select_related("customer", "company").get(customer=cust)

    return make


def smtp(smtp_config, **changes):
    return SmtpTransport(smtp_config(**changes))


def test_a_queued_letter_goes_out_with_its_pdf_and_is_kept(queued, smtp_server, smtp_config):
    letter = queued()
    assert (letter.state, letter.level, letter.total_minor) == ("queued", 2, 119000)

    summary = deliver_queued(transport=smtp(smtp_config))

    assert summary.states == {letter.pk: "sent"}
    (received,) = smtp_server.received
    message = received.message
    assert received.rcpt_tos == ["ap1@northwind.example.com"]
    assert message["To"] == "Northwind Traders Ltd <ap1@northwind.example.com>"
    assert message["From"] == "Acme Industriebedarf GmbH <forderungen@acme.example.de>"
    assert message["Message-ID"] == f"<letter-{letter.pk}.ACME-DE@acme.example.de>"
    assert "1,190.00" in message.get_body(("plain",)).get_content()
    pdf_text = received.pdf_text()
    assert "INV-1001" in pdf_text and "1,190.00" in pdf_text

    letter.refresh_from_db()
    assert (letter.state, letter.attempts, letter.message_id) == ("sent", 1, message["Message-ID"])
    assert letter.sent_at is not None
    kept = {d.kind: bytes(d.content) for d in letter.documents.all()}
    assert kept["pdf"] == received.pdf()
    assert f"Message-ID: {message['Message-ID']}".encode() in kept["email"]
    assert [e.action for e in letter_history(letter.pk)] == ["letter_created", "letter_taken", "letter_sent",
                                                             "letter_email_accepted"]


def test_delivering_again_sends_nothing_twice(queued, smtp_server, smtp_config):
    letter = queued()
    deliver_queued(transport=smtp(smtp_config))
    again = deliver_queued(transport=smtp(smtp_config))

    assert again.states == {} and len(smtp_server.received) == 1
    assert deliver_letter(letter.pk, transport=smtp(smtp_config)) == "sent" and len(smtp_server.received) == 1


def test_paid_before_sending_is_cancelled_and_never_goes_out(queued, credit, smtp_server, smtp_config):
    from dunning.models import Invoice

    letter = queued()
    bill = Invoice.objects.get(number="INV-1001")
    credit(letter.customer, amount="1190.00", date=date(2026, 12, 3), allocate=[(bill, "1190.00")])

    assert deliver_letter(letter.pk, transport=smtp(smtp_config)) == "cancelled"
    assert smtp_server.received == []
    letter.refresh_from_db()
    assert letter.reasons[-1] == "paid before sending"


def test_paused_meanwhile_is_held_for_review(queued, smtp_server, smtp_config):
    letter = queued()
    customer = letter.customer
    customer.paused, customer.pause_reason = True, "payment plan agreed"
    customer.save()

    assert deliver_queued(transport=smtp(smtp_config)).states == {letter.pk: "review"}
    assert smtp_server.received == []


def test_permanent_refusal_marks_the_letter_failed_with_the_servers_reason(queued, smtp_server, smtp_config):
    letter = queued()
    smtp_server.script[:] = ["550 5.1.1 <ap1@northwind.example.com>: Recipient address rejected"]

    assert deliver_letter(letter.pk, transport=smtp(smtp_config)) == "failed"

    letter.refresh_from_db()
    assert letter.last_error == "end of DATA: 550 5.1.1 <ap1@northwind.example.com>: Recipient address rejected"
    assert letter_history(letter.pk)[-1].action == "letter_failed"


def test_a_failed_letter_is_resent_only_on_purpose_with_the_same_message_id(queued, smtp_server, smtp_config):
    letter = queued()
    smtp_server.script[:] = ["451 4.3.0 busy"] * 2
    assert deliver_letter(letter.pk, transport=smtp(smtp_config, attempts=2)) == "failed"
    assert deliver_queued(transport=smtp(smtp_config)).states == {}  # failed letters wait for a person

    letter_transition(letter.pk, "queued", frm="failed", actor="maria.meyer", reason="server was busy; resend")
    assert deliver_letter(letter.pk, transport=smtp(smtp_config)) == "sent"

    (received,) = smtp_server.received
    letter.refresh_from_db()
    assert received.message["Message-ID"] == letter.message_id == f"<letter-{letter.pk}.ACME-DE@acme.example.de>"
    assert smtp_server.handler.transactions == 3 and letter.attempts == 2
    assert [e.actor for e in letter_history(letter.pk) if e.action == "letter_requeued"] == ["maria.meyer"]


def test_outcome_unknown_goes_to_review_and_is_not_sent_again(queued, smtp_server, smtp_config):
    letter = queued()
    smtp_server.script[:] = ["vanish"]

    assert deliver_letter(letter.pk, transport=smtp(smtp_config)) == "review"
    assert deliver_queued(transport=smtp(smtp_config)).states == {}

    assert len(smtp_server.received) == 1
    letter.refresh_from_db()
    assert letter.last_error.startswith("outcome unknown: connection lost after the whole message was sent")
    assert [e.action for e in letter_history(letter.pk)][-3:] == ["letter_taken", "letter_outcome_lost",
                                                                  "letter_returned_to_review"]
    assert {d.kind for d in letter.documents.all()} == {"pdf", "email"}  # the reviewer sees what may have gone


def test_a_letter_left_sending_by_a_dead_worker_goes_to_review(queued, smtp_server, smtp_config):
    interrupted, busy = queued(), queued()
    gone = subprocess.Popen(["true"])
    gone.wait()
    dead_worker = {**worker_identity(), "pid": gone.pid, "start": "1"}
    letter_transition(interrupted, "sending", frm="queued", data={"worker": dead_worker})
    letter_transition(busy, "sending", frm="queued", data={"worker": worker_identity()})  # alive: this process

    summary = deliver_queued(transport=smtp(smtp_config))

    assert summary.recovered == [interrupted.pk]
    assert summary.states == {interrupted.pk: "review"}
    assert smtp_server.received == []
    interrupted.refresh_from_db()
    busy.refresh_from_db()
    assert (interrupted.state, busy.state) == ("review", "sending")
    assert interrupted.last_error.startswith("delivery was interrupted")


def test_a_worker_on_another_machine_is_trusted_for_its_lease(queued, smtp_server, smtp_config, monkeypatch):
    letter = queued()
    elsewhere = {**worker_identity(), "host": "worker-7"}
    letter_transition(letter, "sending", frm="queued", data={"worker": elsewhere})

    assert deliver_queued(transport=smtp(smtp_config)).recovered == []
    monkeypatch.setenv("DUNNING_SENDING_LEASE_SECONDS", "0")
    assert deliver_queued(transport=smtp(smtp_config)).recovered == [letter.pk]
    assert smtp_server.received == []


def test_an_unreachable_server_leaves_the_queue_for_the_next_send(queued, smtp_server, smtp_config):
    from smtp_server import free_port

    from dunning.models import Letter

    first, second = queued(), queued()

    class Nowhere:
        host, port = "127.0.0.1", free_port()

    stopped = deliver_queued(transport=smtp(smtp_config, server=Nowhere, attempts=2))

    assert stopped.states == {first.pk: "queued"}  # the second was not even tried against a dead server
    assert stopped.stopped.startswith("mail server unreachable after 2 attempts: connect: ")
    assert set(Letter.objects.values_list("state", flat=True)) == {"queued"}
    assert [e.action for e in letter_history(first.pk)][-2:] == ["letter_taken", "letter_returned_to_queue"]

    assert deliver_queued(transport=smtp(smtp_config)).states == {first.pk: "sent", second.pk: "sent"}
    assert len(smtp_server.received) == 2


def test_an_email_letter_whose_address_is_gone_fails_with_the_reason(queued, smtp_server, smtp_config):
    letter = queued()
    assert letter.channels == "email"
    customer = letter.customer
    customer.email = ""  # removed after the run made the letter
    customer.save()

    assert deliver_letter(letter.pk, transport=smtp(smtp_config)) == "failed"
    letter.refresh_from_db()
    assert letter.last_error == "customer C-1 has no email address for an email letter"
    assert smtp_server.received == []


def test_a_customer_without_email_gets_paper(queued, smtp_server, smtp_config):
    letter = queued(email="")
    assert letter.channels == "print"  # the run already chose paper

    assert deliver_letter(letter.pk, transport=smtp(smtp_config)) == "queued"
    assert smtp_server.received == []


def test_a_customer_who_takes_no_email_waits_for_the_print_batch(queued, smtp_server, smtp_config):
    from dunning.delivery.printing import letters_to_print

    letter = queued(allow_email=False)

    assert deliver_queued(transport=smtp(smtp_config)).states == {letter.pk: "queued"}
    assert smtp_server.received == []
    assert [lt.pk for lt in letters_to_print()] == [letter.pk]


def test_folder_outbox_writes_pdf_and_eml_by_company_and_customer(queued, tmp_path):
    from pypdf import PdfReader

    letter = queued()
    assert deliver_queued(transport=FolderOutbox(tmp_path)).states == {letter.pk: "sent"}

    folder = tmp_path / "ACME-DE" / "C-1"
    assert sorted(p.name for p in folder.iterdir()) == [f"2026-12-03-L2-{letter.pk}.eml",
                                                         f"2026-12-03-L2-{letter.pk}.pdf"]
    text = "".join(page.extract_text() for page in PdfReader(folder / f"2026-12-03-L2-{letter.pk}.pdf").pages)
    assert "1,190.00" in text
    assert f"Message-ID: <letter-{letter.pk}.ACME-DE@acme.example.de>".encode() in (
        folder / f"2026-12-03-L2-{letter.pk}.eml").read_bytes()


def test_send_command_delivers_to_the_folder_the_environment_names(queued, tmp_path, monkeypatch, capsys):
    from dunning.cli import main

    letter, paper = queued(), queued(allow_email=False)
    monkeypatch.setenv("DUNNING_DELIVERY", "folder")
    monkeypatch.setenv("DUNNING_OUTBOX", str(tmp_path))

    assert main(["send"]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "Delivered 2 letter(s):", "  1  waiting (paper letters: run `dunning print-batch`)", "  1  sent"]
    assert [p.name for p in (tmp_path / "ACME-DE").rglob("*.pdf")] == [f"2026-12-03-L2-{letter.pk}.pdf"]
    assert main(["send", "--run", str(paper.run_id)]) == 0
    assert capsys.readouterr().out.splitlines()[1] == "  1  waiting (paper letters: run `dunning print-batch`)"


def test_send_command_refuses_an_unknown_delivery_kind(db, monkeypatch, capsys):
    from dunning.cli import main

    monkeypatch.setenv("DUNNING_DELIVERY", "pigeon")
    assert main(["send"]) == 2
    assert capsys.readouterr().err.strip() == "dunning send: DUNNING_DELIVERY must be 'smtp' or 'folder', not 'pigeon'"


def test_a_sent_letter_is_sent_again_only_on_purpose_as_it_was_kept(queued, smtp_server, smtp_config, capsys):
    from dunning.cli import main
    from dunning.delivery.send import letter_resend
    from dunning.services.letters import LetterStateError

    letter = queued()
    with pytest.raises(LetterStateError, match=f"letter {letter.pk} is queued and has no email kept"):
        letter_resend(letter.pk, "maria.meyer", transport=smtp(smtp_config))
    deliver_queued(transport=smtp(smtp_config))

    outcome = letter_resend(letter.pk, "maria.meyer", transport=smtp(smtp_config))

    first, copy = smtp_server.received
    assert outcome.state == "sent" and copy.content == first.content  # byte for byte, same Message-ID
    letter.refresh_from_db()
    assert letter.state == "sent" and letter.charges.count() == 0
    resent = letter_history(letter.pk)[-1]
    assert (resent.action, resent.actor, resent.data["outcome"]) == ("letter_resent", "maria.meyer", "sent")

    with override_settings(EMAIL_HOST=smtp_server.host, EMAIL_PORT=smtp_server.port):  # as DUNNING_SMTP_* set them
        assert main(["send", "--resend", str(letter.pk), "--actor", "jo"]) == 0
    assert capsys.readouterr().out.startswith(f"Letter {letter.pk} sent again: sent (250 ")
    assert len(smtp_server.received) == 3
