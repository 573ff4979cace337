"""Sending one message over SMTP, and telling apart the three ways it can end.

- sent: the server answered 250 to the end of DATA.
- failed: the server refused for good (5xx), with its reason; or temporary trouble (4xx, refused or
  dropped connections, timeouts) outlasted every retry.
- unreachable: not one attempt got past connecting, so nothing was sent; the letter can simply wait
  in the queue for the next delivery, and the rest of the queue need not try the same dead server.
- unknown: the whole message, final dot included, went to the server and then the answer was lost
  (connection dropped, timeout). The server may have accepted it. Sending again could deliver it
  twice, so the letter goes to a person instead.

Temporary trouble is retried with exponential backoff, each attempt on a fresh connection.
Credentials come from settings (DUNNING_SMTP_* in the environment), never from the database.
Logs name the letter's Message-ID and the server's reply, never addresses or bodies.
"""
from __future__ import annotations

import logging
import os
import re
import smtplib
import ssl
from dataclasses import dataclass, field

from django.conf import settings
from tenacity import RetryCallState, Retrying, retry_if_exception_type, stop_after_attempt, wait_exponential

from .email import BuiltEmail

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Outcome:
    """How one delivery ended: state is "sent", "failed" or "unknown"; detail is the server's word."""

    state: str
    detail: str = ""
    attempts: int = 1
    refused: dict[str, str] = field(default_factory=dict)


class TemporaryFailure(Exception):
    """Worth another attempt: 4xx, connection refused or dropped before the message was complete."""


class Unreachable(TemporaryFailure):
    """No conversation at all: refused, timed out or turned away (421) before MAIL FROM."""


class PermanentFailure(Exception):
    """The server said no for good (5xx), or the configuration cannot work."""


class OutcomeUnknown(Exception):
    """The message was handed over completely, and the server's answer never came."""


@dataclass(frozen=True)
class SmtpConfig:
    host: str = "localhost"
    port: int = 25
    user: str = ""
    password: str = field(default="", repr=False)
    starttls: bool = False
    ssl: bool = False
    timeout: float = 30.0
    cafile: str = ""  # a private CA's certificate (PEM) for a server the system does not trust
    attempts: int = 4
    backoff_seconds: float = 2.0
    backoff_max_seconds: float = 60.0

    @classmethod
    def from_settings(cls) -> SmtpConfig:
        """Settings read DUNNING_SMTP_*; also DUNNING_SMTP_CAFILE and the retries: _ATTEMPTS, _BACKOFF."""
        return cls(host=settings.EMAIL_HOST, port=int(settings.EMAIL_PORT), user=settings.EMAIL_HOST_USER,
                   password=settings.EMAIL_HOST_PASSWORD, starttls=bool(settings.EMAIL_USE_TLS),
                   ssl=bool(settings.EMAIL_USE_SSL), timeout=float(settings.EMAIL_TIMEOUT),
                   cafile=os.environ.get("DUNNING_SMTP_CAFILE", ""),
                   attempts=int(os.environ.get("DUNNING_SMTP_ATTEMPTS", "4")),
                   backoff_seconds=float(os.environ.get("DUNNING_SMTP_BACKOFF", "2")),
                   backoff_max_seconds=float(os.environ.get("DUNNING_SMTP_BACKOFF_MAX", "60")))


class _Connection(smtplib.SMTP):
    """smtplib.SMTP whose DATA step knows the point of no return: the final dot was handed over.

    After it, a lost answer means "unknown", with one exception: a reset (RST) from the server. A
    server's side resets a connection on close only when it had not read everything we sent, so it
    cannot have taken the final dot; that case stays a temporary failure and is retried.
    """

    message_complete = False

    def data(self, msg: bytes):  # type: ignore[override]
        self.putcmd("data")
        code, reply = self.getreply()
        if code != 354:
            raise smtplib.SMTPDataError(code, reply)
        body = re.sub(rb"(?m)^\.", b"..", msg)
        if not body.endswith(b"\r\n"):
            body += b"\r\n"
        self.send(body + b".\r\n")
        self.message_complete = True
        try:
            return self.getreply()
        except smtplib.SMTPServerDisconnected as exc:
            if isinstance(exc.__context__, ConnectionResetError):
                self.message_complete = False
                raise smtplib.SMTPServerDisconnected("connection reset before the server read the whole "
                                                     "message") from exc
            raise


class _SSLConnection(_Connection, smtplib.SMTP_SSL):
    pass


class SmtpTransport:
    """Delivers built emails to one SMTP server. One instance may send many letters."""

    def __init__(self, config: SmtpConfig | None = None):
        self.config = config or SmtpConfig.from_settings()

    def deliver_letter(self, letter: object, built: BuiltEmail, pdf: bytes) -> Outcome:
        """The delivery interface (see send.Transport): the email carries the PDF already."""
        return self.deliver(built)

    def deliver(self, built: BuiltEmail) -> Outcome:
        attempts = 0
        failures: list[TemporaryFailure] = []

        def attempt() -> Outcome:
            nonlocal attempts
            attempts += 1
            try:
                return self._attempt(built)
            except TemporaryFailure as exc:
                failures.append(exc)
                raise

        retrying = Retrying(stop=stop_after_attempt(max(1, self.config.attempts)),
                            wait=wait_exponential(multiplier=self.config.backoff_seconds,
                                                  max=self.config.backoff_max_seconds),
                            retry=retry_if_exception_type(TemporaryFailure), reraise=True,
                            before_sleep=lambda state: _log_retry(built, state))
        try:
            outcome = retrying(attempt)
        except TemporaryFailure as exc:
            if all(isinstance(failure, Unreachable) for failure in failures):
                outcome = Outcome("unreachable", f"mail server unreachable after {attempts} attempts: {exc}")
            else:
                outcome = Outcome("failed", f"gave up after {attempts} attempts, still temporary: {exc}")
        except PermanentFailure as exc:
            outcome = Outcome("failed", str(exc))
        except OutcomeUnknown as exc:
            outcome = Outcome("unknown", str(exc))
        outcome = Outcome(outcome.state, outcome.detail, attempts, outcome.refused)
        log.info("smtp: %s %s after %d attempt(s)", _mid(built), outcome.state, attempts)
        if outcome.state != "sent":
            log.warning("smtp: %s %s: %s", _mid(built), outcome.state,
                        _ADDRESS.sub(lambda m: _mask(m.group(0)), outcome.detail))
        return outcome

    def _attempt(self, built: BuiltEmail) -> Outcome:
        connection = self._connect()
        try:
            return self._transaction(connection, built)
        finally:
            try:
                connection.quit()
            except (smtplib.SMTPException, OSError):
                connection.close()

    def _connect(self) -> _Connection:
        cfg = self.config
        try:
            if cfg.ssl:
                connection: _Connection = _SSLConnection(cfg.host, cfg.port, timeout=cfg.timeout,
                                                         context=self._tls())
            else:
                connection = _Connection(cfg.host, cfg.port, timeout=cfg.timeout)
            connection.ehlo()
            if cfg.starttls:
                connection.starttls(context=self._tls())
                connection.ehlo()
            if cfg.user:
                connection.login(cfg.user, cfg.password)
        except smtplib.SMTPResponseException as exc:
            failure = _by_code(exc.smtp_code, exc.smtp_error, "connect")
            raise (Unreachable(str(failure)) if isinstance(failure, TemporaryFailure) else failure) from exc
        except (smtplib.SMTPException, OSError) as exc:  # refused, reset, timeout, TLS trouble
            if isinstance(exc, (smtplib.SMTPNotSupportedError, ssl.SSLCertVerificationError)):
                raise PermanentFailure(f"connect: {exc}") from exc
            raise Unreachable(f"connect: {exc or type(exc).__name__}") from exc
        return connection

    def _tls(self) -> ssl.SSLContext:
        """Certificates are always verified; a private CA is trusted only when given."""
        return ssl.create_default_context(cafile=self.config.cafile or None)

    def _transaction(self, connection: _Connection, built: BuiltEmail) -> Outcome:
        try:
            code, reply = connection.mail(built.sender)
            if code != 250:
                raise _by_code(code, reply, "MAIL FROM")
            refused: dict[str, tuple[int, bytes]] = {}
            for address in built.recipients:
                code, reply = connection.rcpt(address)
                if code not in (250, 251):
                    refused[address] = (code, reply)
            if len(refused) == len(built.recipients):
                temporary = [r for r in refused.values() if 400 <= r[0] < 500]
                code, reply = temporary[0] if temporary else next(iter(refused.values()))
                raise _by_code(code, reply, "RCPT TO")
            code, reply = connection.data(built.as_bytes())
        except smtplib.SMTPResponseException as exc:
            raise _by_code(exc.smtp_code, exc.smtp_error, "DATA") from exc
        except (smtplib.SMTPServerDisconnected, OSError) as exc:
            if connection.message_complete:
                raise OutcomeUnknown(f"connection lost after the whole message was sent, before the server's "
                                     f"answer: {exc or type(exc).__name__}") from exc
            raise TemporaryFailure(f"connection lost before the message was complete: {exc}") from exc
        if code != 250:
            raise _by_code(code, reply, "end of DATA")
        return Outcome("sent", _text(code, reply),
                       refused={_mask(a): _text(*r) for a, r in refused.items()})


def _by_code(code: int, reply: bytes | str, step: str) -> Exception:
    text = f"{step}: {_text(code, reply)}"
    return TemporaryFailure(text) if 400 <= code < 500 or code < 0 else PermanentFailure(text)


def _text(code: int, reply: bytes | str) -> str:
    reply = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)
    return f"{code} {' '.join(reply.split())}"


def _log_retry(built: BuiltEmail, state: RetryCallState) -> None:
    problem = state.outcome.exception() if state.outcome else None
    log.warning("smtp: %s temporary failure (attempt %d): %s", _mid(built), state.attempt_number,
                _ADDRESS.sub(lambda m: _mask(m.group(0)), str(problem)))


_ADDRESS = re.compile(r"[^\s<>@]+@[^\s<>@]+")


def _mask(address: str) -> str:
    """'ap@northwind.example' -> 'a…@northwind.example': enough to find it, not to copy it."""
    local, _, domain = address.partition("@")
    return f"{local[:1]}…@{domain}"


def _mid(built: BuiltEmail) -> str:
    return str(built.message.get("Message-ID", "?"))
