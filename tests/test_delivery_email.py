"""The email of a letter: who it goes to, from whom, and that imported names cannot add headers."""
from __future__ import annotations

import io
from datetime import date
from email import message_from_bytes, policy

import pytest
from pypdf import PdfWriter

from dunning.delivery.email import AddressError, build_letter_email, clean_address, message_id


def blank_pdf() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


@pytest.fixture
def letter(db, customer):
    """make a queued Letter of a customer (a default customer when none is given)."""
    from dunning.models import Letter, Run

    def make(cust=None, **fields):
        cust = cust or customer()
        run = Run.objects.create(as_of=date(2026, 12, 3))
        values = {"run": run, "company": cust.company, "customer": cust, "currency": "EUR", "date": date(2026, 12, 3),
                  "procedure_code": "standard", "level": 1, "level_name": "First reminder", "state": "queued"}
        return Letter.objects.create(**{**values, **fields})

    return make


def parsed(built):
    return message_from_bytes(built.as_bytes(), policy=policy.default)


def test_headers_bodies_and_attachment(letter, customer):
    given = letter(customer(number="C-4711", name="Northwind Traders Ltd", email="ap@northwind.example.com"))

    built = build_letter_email(given, "Payment reminder C-4711", "Please pay 1,190.00 EUR.", "<p>Please pay</p>",
                               blank_pdf())
    message = parsed(built)

    assert message["From"] == "Acme Industriebedarf GmbH <forderungen@acme.example.de>"
    assert message["Reply-To"] == "Acme Industriebedarf GmbH <buchhaltung@acme.example.de>"
    assert message["To"] == "Northwind Traders Ltd <ap@northwind.example.com>"
    assert message["Subject"] == "Payment reminder C-4711"
    assert message["Message-ID"] == f"<letter-{given.pk}.ACME-DE@acme.example.de>"
    assert message.get_body(("plain",)).get_content().strip() == "Please pay 1,190.00 EUR."
    assert message.get_body(("html",)).get_content().strip() == "<p>Please pay</p>"
    (attachment,) = message.iter_attachments()
    assert attachment.get_filename() == f"ACME-DE-C-4711-2026-12-03-L1-{given.pk}.pdf"
    assert attachment.get_content() == blank_pdf()
    assert (built.sender, built.recipients) == ("forderungen@acme.example.de", ("ap@northwind.example.com",))


def test_same_letter_same_message_id_on_every_attempt(letter):
    given = letter()
    first = build_letter_email(given, "s", "t", "", blank_pdf())
    second = build_letter_email(given, "s", "t", "", blank_pdf())
    assert first.message["Message-ID"] == second.message["Message-ID"] == message_id(given)


def test_contacts_by_level_cc_and_bcc_only_in_the_envelope(letter, customer):
    from dunning.models import Contact

    cust = customer(email="ap@northwind.example.com")
    Contact.objects.create(customer=cust, name="Jane Buyer", email="jane@northwind.example.com", role="cc")
    Contact.objects.create(customer=cust, email="legal@northwind.example.com", role="bcc", from_level=3)
    Contact.objects.create(customer=cust, name="CFO", email="cfo@northwind.example.com", role="to", from_level=2)

    first = build_letter_email(letter(cust, level=1), "s", "t", "", blank_pdf())
    final = build_letter_email(letter(cust, level=3, date=date(2026, 12, 4)), "s", "t", "", blank_pdf())

    assert parsed(first)["Cc"] == "Jane Buyer <jane@northwind.example.com>"
    assert first.recipients == ("ap@northwind.example.com", "jane@northwind.example.com")
    assert parsed(final)["To"] == (f"{cust.name} <ap@northwind.example.com>, CFO <cfo@northwind.example.com>")
    assert final.recipients == ("ap@northwind.example.com", "cfo@northwind.example.com",
                                "jane@northwind.example.com", "legal@northwind.example.com")
    assert "Bcc" not in parsed(final) and b"legal@" not in final.as_bytes()


def test_collector_answers_the_replies(letter, customer, django_user_model):
    collector = django_user_model.objects.create(username="mm", first_name="Maria", last_name="Meyer",
                                                 email="maria.meyer@acme.example.de")
    built = build_letter_email(letter(customer(collector=collector)), "s", "t", "", blank_pdf())
    assert parsed(built)["Reply-To"] == "Maria Meyer <maria.meyer@acme.example.de>"


def test_a_name_with_a_line_break_cannot_add_a_header(letter, customer):
    hostile = customer(name="ACME\r\nBcc: evil@x.example", email="ap@northwind.example.com")
    built = build_letter_email(letter(hostile), "Reminder\r\nBcc: evil@x.example", "t", "", blank_pdf())
    raw = built.as_bytes()
    message = parsed(built)

    assert "Bcc" not in message and b"\r\nBcc:" not in raw
    assert message["To"].addresses[0].display_name == "ACME Bcc: evil@x.example"
    assert message["To"].addresses[0].addr_spec == "ap@northwind.example.com"
    assert message["Subject"] == "Reminder Bcc: evil@x.example"
    assert built.recipients == ("ap@northwind.example.com",)


@pytest.mark.parametrize("raw", ["ap@northwind.example.com\r\nBcc: evil@x.example", "Evil <evil@x.example>",
                                 "two words@x.example", "no-at-sign", "a@b\x1b.example", "a@b.example\nevil"])
def test_an_address_that_is_not_one_plain_address_is_refused(letter, customer, raw):
    with pytest.raises(AddressError) as refused:
        build_letter_email(letter(customer(email=raw)), "s", "t", "", blank_pdf())
    assert "the customer's email" in str(refused.value) and "evil" not in str(refused.value)


def test_surrounding_whitespace_of_an_imported_address_is_trimmed():
    assert clean_address(" ap@northwind.example.com\r\n", "email") == "ap@northwind.example.com"


def test_several_addresses_in_one_field_and_international_domains(letter, customer):
    built = build_letter_email(letter(customer(email="ap@northwind.example.com; ar@münchen.example")),
                               "s", "t", "", blank_pdf())
    assert built.recipients == ("ap@northwind.example.com", "ar@xn--mnchen-3ya.example")


def test_no_address_at_all(letter, customer):
    with pytest.raises(AddressError, match="has no email address"):
        build_letter_email(letter(customer(number="C-9", email="")), "s", "t", "", blank_pdf())


def test_bodies_are_seven_bit_safe_in_any_script(letter, customer):
    text = "株式会社山田製作所 御中\n\nご請求金額 ¥736,791 をお支払いください。"
    built = build_letter_email(letter(customer(language="ja")), "お支払いのお願い", text, f"<p>{text}</p>", blank_pdf())
    message = parsed(built)

    assert built.as_bytes().isascii()
    assert message.get_body(("plain",))["Content-Transfer-Encoding"] == "base64"
    assert message.get_body(("plain",)).get_content().rstrip("\n") == text
    assert message["Subject"] == "お支払いのお願い"
    latin = parsed(build_letter_email(letter(customer(), level=2), "s", "Bitte zahlen Sie 1.190,00 €.", "",
                                      blank_pdf()))
    assert latin.get_body(("plain",))["Content-Transfer-Encoding"] == "quoted-printable"
