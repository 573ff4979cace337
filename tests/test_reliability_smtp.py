"""SMTP faults a real local server is made to commit, followed through to the letter's state.

tests/test_smtp_faults.py covers the transport on its own; this file adds what it leaves open:
the backoff really waits longer each time, refusals at MAIL FROM and RCPT TO, a connection cut on
every attempt, a server that is slow to answer the final dot (outcome unknown -> review, never
resent), a server that never greets, a server that accepts the connection and hangs up at once,
and a server slow on every attempt.
"""
from __future__ import annotations

import socket
import threading
import time

import pytest
import smtp_server as server_fixtures
import test_delivery_send
from smtp_server import CuttingProxy

from dunning.delivery.send import deliver_letter, deliver_queued
from dunning.delivery.smtp import SmtpTransport
from dunning.delivery.state import letter_history

smtp_server, smtp_config = server_fixtures.smtp_server, server_fixtures.smtp_config  # fixtures
queued = test_delivery_send.queued  # fixture: a run's queued letter, level 2, to apN@northwind.example.com


def transport(smtp_config, **changes) -> SmtpTransport:
    return SmtpTransport(smtp_config(**changes))


def state_of(letter):
    letter.refresh_from_db()
    return letter.state


# ---------------------------------------------------------------------------------------------
# Temporary errors: retried with a backoff that grows
# ---------------------------------------------------------------------------------------------

def test_temporary_errors_are_retried_with_a_growing_backoff(queued, smtp_server, smtp_config):
    letter = queued()
    attempts_at: list[float] = []
    original = smtp_server.handler.handle_MAIL

    async def timed_mail(*args, **kwargs):
        attempts_at.append(time.monotonic())
        return await original(*args, **kwargs)

    smtp_server.handler.handle_MAIL = timed_mail
    smtp_server.script[:] = ["451 4.3.0 Mailbox busy"] * 3

    assert deliver_letter(letter.pk, transport=transport(smtp_config, backoff_seconds=0.2,
                                                         backoff_max_seconds=5)) == "sent"

    gaps = [later - earlier for earlier, later in zip(attempts_at, attempts_at[1:])]
    assert len(gaps) == 3 and len(smtp_server.received) == 1
    for gap, planned in zip(gaps, (0.2, 0.4, 0.8)):  # 0.2 s doubled each time
        assert gap >= planned * 0.9, gaps
    assert gaps[0] < gaps[1] < gaps[2], gaps
    accepted = [e for e in letter_history(letter.pk) if e.action == "letter_email_accepted"]
    assert accepted[0].data["attempts"] == 4


def test_a_temporary_refusal_of_the_recipient_is_retried(queued, smtp_server, smtp_config):
    letter = queued()
    refusals = ["450 4.2.1 Mailbox temporarily unavailable"]

    async def rcpt(server, session, envelope, address, rcpt_options):
        if refusals:
            return refusals.pop()
        envelope.rcpt_tos.append(address)
        return "250 OK"

    smtp_server.handler.handle_RCPT = rcpt
    assert deliver_letter(letter.pk, transport=transport(smtp_config)) == "sent"
    assert len(smtp_server.received) == 1 and smtp_server.handler.transactions == 2


# ---------------------------------------------------------------------------------------------
# Permanent errors: failed, with the server's reason, at once
# ---------------------------------------------------------------------------------------------

def test_recipient_refused_for_good_marks_the_letter_failed_with_the_reason(queued, smtp_server, smtp_config):
    letter = queued()

    async def rcpt(server, session, envelope, address, rcpt_options):
        return "550 5.1.1 Recipient address rejected: user unknown"

    smtp_server.handler.handle_RCPT = rcpt
    assert deliver_letter(letter.pk, transport=transport(smtp_config)) == "failed"

    letter.refresh_from_db()
    assert letter.last_error == "RCPT TO: 550 5.1.1 Recipient address rejected: user unknown"
    assert smtp_server.handler.transactions == 1 and smtp_server.received == []  # not retried
    assert deliver_queued(transport=transport(smtp_config)).states == {}  # and not sent again by itself


def test_sender_refused_for_good_marks_the_letter_failed_with_the_reason(queued, smtp_server, smtp_config):
    letter = queued()

    async def mail(server, session, envelope, address, mail_options):
        return "553 5.7.1 Sender address rejected: not owned by user"

    smtp_server.handler.handle_MAIL = mail
    assert deliver_letter(letter.pk, transport=transport(smtp_config)) == "failed"
    letter.refresh_from_db()
    assert letter.last_error == "MAIL FROM: 553 5.7.1 Sender address rejected: not owned by user"
    assert smtp_server.received == []


# ---------------------------------------------------------------------------------------------
# Dropped connections
# ---------------------------------------------------------------------------------------------

def test_connection_dropped_mid_message_on_every_attempt_fails_and_nothing_arrives(queued, smtp_server,
                                                                                   smtp_config):
    letter = queued()
    proxy = CuttingProxy(smtp_server, after_bytes=300, cuts=100)
    try:
        assert deliver_letter(letter.pk, transport=transport(smtp_config, server=proxy, attempts=3)) == "failed"
    finally:
        proxy.close()
    letter.refresh_from_db()
    assert letter.last_error.startswith("gave up after 3 attempts, still temporary: ")
    assert smtp_server.received == []


def test_connection_dropped_once_mid_message_the_letter_goes_out_once(queued, smtp_server, smtp_config):
    letter = queued()
    proxy = CuttingProxy(smtp_server, after_bytes=300, cuts=1)
    try:
        assert deliver_letter(letter.pk, transport=transport(smtp_config, server=proxy)) == "sent"
    finally:
        proxy.close()
    assert len(smtp_server.received) == 1


# ---------------------------------------------------------------------------------------------
# Slow servers: timeouts
# ---------------------------------------------------------------------------------------------

def test_server_slow_to_answer_the_final_dot_leaves_the_letter_in_review_not_resent(queued, smtp_server,
                                                                                    smtp_config):
    letter = queued()
    original = smtp_server.handler.handle_DATA

    async def slow_data(server, session, envelope):
        import asyncio

        answer = await original(server, session, envelope)  # the server keeps the message...
        await asyncio.sleep(2.0)                             # ...and answers after the client gave up
        return answer

    smtp_server.handler.handle_DATA = slow_data
    started = time.monotonic()
    assert deliver_letter(letter.pk, transport=transport(smtp_config, timeout=0.5)) == "review"
    assert time.monotonic() - started < 5

    letter.refresh_from_db()
    assert letter.last_error.startswith("outcome unknown: connection lost after the whole message was sent")
    assert deliver_queued(transport=transport(smtp_config)).states == {}
    assert len(smtp_server.received) == 1 and smtp_server.handler.transactions == 1  # once, never again


def test_server_slow_on_every_attempt_fails_in_bounded_time(queued, smtp_server, smtp_config):
    letter = queued()
    smtp_server.handler.slow_seconds = 2.0
    smtp_server.script[:] = ["slow"] * 3

    started = time.monotonic()
    assert deliver_letter(letter.pk, transport=transport(smtp_config, timeout=0.3, attempts=3)) == "failed"
    assert time.monotonic() - started < 5
    letter.refresh_from_db()
    assert letter.last_error.startswith("gave up after 3 attempts, still temporary:")
    assert "timed out" in letter.last_error
    assert smtp_server.received == []


class _Listener:
    """A TCP server that is not a mail server: it never greets, or hangs up as soon as it accepts."""

    def __init__(self, hang_up: bool):
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.host, self.port = self.sock.getsockname()
        self.hang_up, self.accepted, self.held = hang_up, 0, []
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                client, _ = self.sock.accept()
            except OSError:
                return
            self.accepted += 1
            if self.hang_up:
                client.close()
            else:
                self.held.append(client)  # silent: no 220 greeting ever

    def close(self) -> None:
        for client in self.held:
            client.close()
        self.sock.close()


@pytest.mark.parametrize("hang_up", [False, True], ids=["never-greets", "accepts-then-hangs-up"])
def test_server_that_never_talks_leaves_the_queue_for_later(queued, smtp_server, smtp_config, hang_up):
    first, second = queued(), queued()
    bad = _Listener(hang_up)
    try:
        started = time.monotonic()
        summary = deliver_queued(transport=transport(smtp_config, server=bad, timeout=0.5, attempts=2))
        assert time.monotonic() - started < 5
    finally:
        bad.close()

    assert bad.accepted == 2  # two attempts, then the rest of the queue is not tried against it
    assert summary.states == {first.pk: "queued"}
    assert summary.stopped.startswith("mail server unreachable after 2 attempts: connect: ")
    assert (state_of(first), state_of(second)) == ("queued", "queued")  # provably nothing went out: kept

    assert deliver_queued(transport=transport(smtp_config)).states == {first.pk: "sent", second.pk: "sent"}
    assert len(smtp_server.received) == 2
