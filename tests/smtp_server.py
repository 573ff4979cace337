"""A real SMTP server in the test process (aiosmtpd), which can be told to misbehave.

    from smtp_server import smtp_server, smtp_config   # pytest fixtures (import them into a test module)

`smtp_server` is a running server on 127.0.0.1 and a free port. Its `script` is a list of what the
server does with each mail transaction in turn (when the list is used up, it accepts):

    "ok"            accept (250) and keep the message
    "451 ..."       answer this code at the end of DATA (any 4xx or 5xx reply text)
    "vanish"        take the whole message, keep it, then drop the connection without answering
    "slow"          wait `slow_seconds` before answering MAIL FROM (longer than the client's timeout)

`received` is every message the server kept (the count a test compares to what was sent);
`transactions` counts MAIL FROM commands, i.e. delivery attempts that reached the server.

`CuttingProxy(server)` sits in front of it and cuts the first `cuts` connections in the middle of the
message (after `after_bytes` bytes of DATA), the "connection dropped mid-message" fault.
`smtp_config(server, **changes)` is an SmtpConfig pointing at it with quick retries.
"""
from __future__ import annotations

import asyncio
import io
import socket
import ssl
import struct
import subprocess
import threading
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    content: bytes

    @property
    def message(self) -> EmailMessage:
        return message_from_bytes(self.content, policy=policy.default)  # type: ignore[return-value]

    def pdf(self) -> bytes:
        (part,) = [p for p in self.message.iter_attachments() if p.get_content_type() == "application/pdf"]
        return part.get_content()

    def pdf_text(self) -> str:
        from pypdf import PdfReader

        return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(self.pdf())).pages)


@dataclass
class _Handler:
    script: list[str] = field(default_factory=list)
    received: list[Received] = field(default_factory=list)
    transactions: int = 0
    slow_seconds: float = 3.0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def _next(self) -> str:
        with self.lock:
            return self.script.pop(0) if self.script else "ok"

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        with self.lock:
            self.transactions += 1
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        envelope.action = self._next()  # decided once per transaction
        if envelope.action == "slow":
            await asyncio.sleep(self.slow_seconds)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        action = getattr(envelope, "action", "ok")
        if action[:1] in ("4", "5"):
            return action
        with self.lock:
            self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        if action == "vanish":
            server.transport.abort()
        return "250 2.0.0 Message accepted for delivery"


class SMTPTestServer:
    """The server; with `tls` (an SSLContext) it offers STARTTLS, requires it, and with `logins`
    ({user: password}) requires AUTH over TLS; `implicit_tls` speaks TLS from the first byte (port 465)."""

    def __init__(self, host: str = "127.0.0.1", tls=None, logins: dict[str, str] | None = None,
                 implicit_tls: bool = False):
        self.handler = _Handler()
        self.host = host
        self.port = free_port(host)
        self.logins: list[str] = []
        options: dict = {}
        if tls is not None and implicit_tls:
            options["ssl_context"] = tls
        elif tls is not None:
            options.update(tls_context=tls, require_starttls=True)
        if logins is not None:
            # with implicit TLS aiosmtpd cannot see the TLS layer under it, so it must not insist on STARTTLS
            options.update(authenticator=self._authenticator(logins), auth_required=True,
                           auth_require_tls=tls is not None and not implicit_tls)
        self.controller = Controller(self.handler, hostname=host, port=self.port, **options)

    def _authenticator(self, logins: dict[str, str]):
        from aiosmtpd.smtp import AuthResult, LoginPassword

        def check(server, session, envelope, mechanism, auth_data):
            ok = isinstance(auth_data, LoginPassword) and logins.get(auth_data.login.decode()) == \
                auth_data.password.decode()
            if ok:
                self.logins.append(auth_data.login.decode())
            return AuthResult(success=ok, handled=False)

        return check

    @property
    def received(self) -> list[Received]:
        return self.handler.received

    @property
    def script(self) -> list[str]:
        return self.handler.script

    def start(self) -> SMTPTestServer:
        self.controller.start()
        return self

    def stop(self) -> None:
        self.controller.stop()


class CuttingProxy:
    """Forwards to a server; cuts the first `cuts` connections `after_bytes` into the message data."""

    def __init__(self, target: SMTPTestServer, after_bytes: int = 300, cuts: int = 1):
        self.target, self.after_bytes, self.cuts = target, after_bytes, cuts
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.host, self.port = self.listener.getsockname()
        self.connections = 0
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            self.connections += 1
            cut = self.connections <= self.cuts
            upstream = socket.create_connection((self.target.host, self.target.port))
            threading.Thread(target=self._pump, args=(upstream, client, None), daemon=True).start()
            threading.Thread(target=self._pump, args=(client, upstream, self.after_bytes if cut else None),
                             daemon=True).start()

    @staticmethod
    def _pump(source: socket.socket, sink: socket.socket, cut_after: int | None) -> None:
        """Copy bytes; with cut_after, reset both sides that many bytes after the DATA command."""
        tail, budget = b"", None
        try:
            while chunk := source.recv(4096):
                if cut_after is not None and budget is None:
                    tail = (tail + chunk)[-16:]
                    budget = cut_after if b"data\r\n" in tail.lower() else None
                elif budget is not None:
                    chunk, budget = chunk[:budget], budget - len(chunk[:budget])
                sink.sendall(chunk)
                if budget is not None and budget <= 0:
                    break
        except OSError:
            pass
        for sock in (source, sink):
            try:
                if budget is not None:  # a cut: reset, as a crashed server or a broken link does
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                sock.close()
            except OSError:
                pass

    def close(self) -> None:
        self.listener.close()


def self_signed_tls(folder) -> tuple[ssl.SSLContext, str]:
    """A server TLS context for 127.0.0.1/localhost and the certificate file a client must trust."""
    cert, key = f"{folder}/cert.pem", f"{folder}/key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert,
                    "-days", "2", "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"],
                   check=True, capture_output=True)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    return context, cert


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


def make_config(server, **changes):
    from dunning.delivery.smtp import SmtpConfig

    values = {"host": server.host, "port": server.port, "timeout": 1.0, "attempts": 4, "backoff_seconds": 0.01,
              "backoff_max_seconds": 0.05}
    return SmtpConfig(**{**values, **changes})


@pytest.fixture
def smtp_server():
    server = SMTPTestServer().start()
    yield server
    server.stop()


@pytest.fixture
def smtp_config(smtp_server):
    """make an SmtpConfig for the test server (or another, e.g. a CuttingProxy): quick retries."""

    def make(server=None, **changes):
        return make_config(server or smtp_server, **changes)

    return make
