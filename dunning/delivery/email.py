"""The email of a letter: headers, text and HTML bodies, the PDF attached.

Why so strict about names and addresses: they come from imported customer data. A name such as
"ACME\\r\\nBcc: someone@else" must never become a header of its own, so every display name has its
control characters replaced, every address is checked against a plain addr-spec (one address, no
spaces, no line breaks) and refused with a reason otherwise. The email library's own policy would
also refuse a line break; we refuse earlier, with a message a collector can act on.

Why a stable Message-ID: a retry after a lost reply sends the same letter again; with the same
Message-ID a receiving server (and the customer's mail program) can tell it is one message.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime

from django.conf import settings
from django.utils import timezone

from dunning.models import Letter

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_LOCAL = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_DOMAIN = rf"{_LABEL}(?:\.{_LABEL})+"
_ADDR_SPEC = re.compile(rf"{_LOCAL}@{_DOMAIN}")
_FALLBACK_DOMAIN = "dunning.invalid"


class AddressError(ValueError):
    """A letter cannot be emailed: no usable address. The message names the field, not the address."""


@dataclass(frozen=True)
class Recipients:
    to: tuple[Address, ...]
    cc: tuple[Address, ...] = ()
    bcc: tuple[Address, ...] = ()

    @property
    def envelope(self) -> tuple[str, ...]:
        """Every address the server is asked to deliver to, each once, in header order."""
        seen: dict[str, None] = {}
        for address in (*self.to, *self.cc, *self.bcc):
            seen.setdefault(address.addr_spec.lower(), None)
        return tuple(seen)


@dataclass(frozen=True)
class BuiltEmail:
    """The message as it will be sent, and the SMTP envelope (Bcc lives only there)."""

    message: EmailMessage
    sender: str
    recipients: tuple[str, ...]

    def as_bytes(self) -> bytes:
        return self.message.as_bytes(policy=SMTP)


def clean_name(value: str | None) -> str:
    """A display name with no line breaks or control characters, whitespace collapsed."""
    return " ".join(_CONTROL.sub(" ", value or "").split())[:200]


def clean_address(value: str | None, what: str) -> str:
    """One plain address (`local@domain`, ASCII, IDN domains punycoded) or AddressError."""
    text = (value or "").strip()
    if not text:
        raise AddressError(f"{what} is empty")
    if _CONTROL.search(text):
        raise AddressError(f"{what} contains a line break or control character")
    local, _, domain = text.rpartition("@")
    try:
        domain = domain.encode("idna").decode("ascii") if domain and not domain.isascii() else domain
    except UnicodeError:
        raise AddressError(f"{what} has a domain that cannot be encoded") from None
    address = f"{local}@{domain}"
    if not _ADDR_SPEC.fullmatch(address):
        raise AddressError(f"{what} is not one plain email address")
    return address


def _addresses(raw: str | None, name: str, what: str) -> list[Address]:
    """Billing systems write several addresses into one field with ';' or ','."""
    parts = [p for p in re.split(r"[;,]", raw or "") if p.strip()]
    return [Address(display_name=clean_name(name), addr_spec=clean_address(p, what)) for p in parts]


def letter_recipients(letter: Letter) -> Recipients:
    """To: the customer's email and 'to' contacts; Cc/Bcc: contacts, each from its level on."""
    customer = letter.customer
    found: dict[str, list[Address]] = {"to": _addresses(customer.email, customer.name, "the customer's email"),
                                       "cc": [], "bcc": []}
    for contact in customer.contacts.filter(from_level__lte=letter.level).order_by("id"):
        found[contact.role] += _addresses(contact.email, contact.name or customer.name, f"contact ({contact.role})")
    if not found["to"]:
        raise AddressError(f"customer {customer.number} has no email address for an email letter")
    return Recipients(to=tuple(found["to"]), cc=tuple(found["cc"]), bcc=tuple(found["bcc"]))


def sender_address(letter: Letter) -> Address:
    """From: the company's sender address; else the collector's; else DUNNING_SMTP_FROM."""
    company = letter.company
    collector = letter.customer.collector
    for raw, name in ((company.sender_email, company.name),
                      (getattr(collector, "email", ""), collector.get_full_name() if collector else ""),
                      (getattr(settings, "DUNNING_SMTP_FROM", "") or os.environ.get("DUNNING_SMTP_FROM", ""), company.name)):
        if raw and raw.strip():
            return Address(display_name=clean_name(name), addr_spec=clean_address(raw, "the sender address"))
    raise AddressError(f"company {company.code} has no sender email (set it, or DUNNING_SMTP_FROM)")


def reply_to_address(letter: Letter) -> Address | None:
    """Reply-To: the assigned collector, who answers; else the company's reply-to address."""
    collector = letter.customer.collector
    if collector is not None and (collector.email or "").strip():
        return Address(display_name=clean_name(collector.get_full_name()),
                       addr_spec=clean_address(collector.email, "the collector's email"))
    if letter.company.reply_to.strip():
        return Address(display_name=clean_name(letter.company.name),
                       addr_spec=clean_address(letter.company.reply_to, "the company's reply-to"))
    return None


def message_id(letter: Letter) -> str:
    """The same for every attempt at the same letter: `<letter-<id>.<company>@<sender domain>>`."""
    domain = _FALLBACK_DOMAIN
    if letter.company.sender_email:
        candidate = letter.company.sender_email.strip().rpartition("@")[2].lower()
        if re.fullmatch(_DOMAIN, candidate):
            domain = candidate
    company = re.sub(r"[^A-Za-z0-9-]", "-", letter.company.code)[:40] or "company"
    return f"<letter-{letter.pk}.{company}@{domain}>"


def attachment_name(letter: Letter) -> str:
    raw = f"{letter.company.code}-{letter.customer.number}-{letter.date.isoformat()}-L{letter.level}-{letter.pk}"
    return re.sub(r"[^A-Za-z0-9._-]", "_", raw) + ".pdf"


def _transfer_encoding(body: str) -> str:
    """7-bit safe for every server: quoted-printable for mostly Latin text, base64 for Japanese and the like."""
    ascii_share = sum(ch.isascii() for ch in body) / max(len(body), 1)
    return "quoted-printable" if ascii_share >= 0.8 else "base64"


def build_letter_email(letter: Letter, subject: str, text: str, html: str, pdf: bytes) -> BuiltEmail:
    """The complete message for a rendered letter. Raises AddressError when it cannot be addressed."""
    recipients = letter_recipients(letter)
    sender = sender_address(letter)
    message = EmailMessage()
    message["From"] = sender
    reply_to = reply_to_address(letter)
    if reply_to is not None:
        message["Reply-To"] = reply_to
    message["To"] = recipients.to
    if recipients.cc:
        message["Cc"] = recipients.cc
    message["Subject"] = clean_name(subject) or f"{letter.company.name}: {letter.level_name or 'payment reminder'}"
    message["Date"] = format_datetime(timezone.now())
    message["Message-ID"] = message_id(letter)
    message["X-Dunning-Letter"] = str(letter.pk)
    message.set_content(text or "", cte=_transfer_encoding(text))
    if html:
        message.add_alternative(html, subtype="html", cte=_transfer_encoding(html))
    message.add_attachment(pdf, maintype="application", subtype="pdf", filename=attachment_name(letter))
    return BuiltEmail(message=message, sender=sender.addr_spec, recipients=recipients.envelope)
