"""SMTP against a real local server that misbehaves on purpose: what is retried, what fails, what is unknown."""
from __future__ import annotations

from datetime import date

import pytest
import smtp_server as server_fixtures
from smtp_server import CuttingProxy, SMTPTestServer, free_port, self_signed_tls
from test_delivery_email import blank_pdf

from dunning.delivery.email import build_letter_email
from dunning.delivery.smtp import SmtpTransport

smtp_server, smtp_config = server_fixtures.smtp_server, server_fixtures.smtp_config  # fixtures


@pytest.fixture
def built(db, customer):
    from dunning.models import Letter, Run

    cust = customer(number="C-1", email="ap@northwind.example.com")
    letter = Letter.objects.create(run=Run.objects.create(as_of=date(2026, 12, 3)), company=cust.company,
                                   customer=cust, currency="EUR", date=date(2026, 12, 3), procedure_code="standard",
                                   level=1, state="sending")
    return build_letter_email(letter, "Payment reminder", "Please pay 1,190.00 EUR.", "", blank_pdf())


def test_accepted_message_arrives_whole(smtp_server, smtp_config, built):
    outcome = SmtpTransport(smtp_config()).deliver(built)

    assert (outcome.state, outcome.attempts) == ("sent", 1)
    assert outcome.detail.startswith("250 ")
    (received,) = smtp_server.received
    assert received.mail_from == "forderungen@acme.example.de"
    assert received.rcpt_tos == ["ap@northwind.example.com"]
    assert received.message["Message-ID"] == built.message["Message-ID"]
    assert received.pdf() == blank_pdf()


def test_temporary_errors_are_retried_until_accepted(smtp_server, smtp_config, built):
    smtp_server.script[:] = ["451 4.3.0 Mailbox busy, try later", "421 4.7.0 Too many connections"]

    outcome = SmtpTransport(smtp_config()).deliver(built)

    assert (outcome.state, outcome.attempts, smtp_server.handler.transactions) == ("sent", 3, 3)
    assert len(smtp_server.received) == 1


def test_temporary_errors_that_never_end_fail_with_the_last_reason(smtp_server, smtp_config, built):
    smtp_server.script[:] = ["451 4.3.0 Mailbox busy"] * 10

    outcome = SmtpTransport(smtp_config(attempts=3)).deliver(built)

    assert (outcome.state, outcome.attempts, smtp_server.handler.transactions) == ("failed", 3, 3)
    assert outcome.detail == "gave up after 3 attempts, still temporary: end of DATA: 451 4.3.0 Mailbox busy"
    assert smtp_server.received == []


def test_permanent_error_fails_at_once_with_the_servers_reason(smtp_server, smtp_config, built):
    smtp_server.script[:] = ["554 5.7.1 Message rejected: looks like spam"]

    outcome = SmtpTransport(smtp_config()).deliver(built)

    assert (outcome.state, outcome.attempts) == ("failed", 1)
    assert outcome.detail == "end of DATA: 554 5.7.1 Message rejected: looks like spam"


def test_connection_dropped_mid_message_is_retried(smtp_server, smtp_config, built):
    proxy = CuttingProxy(smtp_server, after_bytes=300, cuts=1)
    try:
        outcome = SmtpTransport(smtp_config(proxy)).deliver(built)
    finally:
        proxy.close()

    assert (outcome.state, outcome.attempts) == ("sent", 2)
    assert len(smtp_server.received) == 1  # the cut copy never reached the server's queue


def test_slow_server_times_out_and_the_retry_gets_through(smtp_server, smtp_config, built):
    smtp_server.handler.slow_seconds = 3.0
    smtp_server.script[:] = ["slow"]

    outcome = SmtpTransport(smtp_config(timeout=0.5)).deliver(built)

    assert (outcome.state, outcome.attempts) == ("sent", 2)
    assert len(smtp_server.received) == 1


def test_server_that_takes_the_message_and_vanishes_leaves_the_outcome_unknown(smtp_server, smtp_config, built):
    smtp_server.script[:] = ["vanish"]

    outcome = SmtpTransport(smtp_config()).deliver(built)

    assert (outcome.state, outcome.attempts) == ("unknown", 1)  # not retried: it may have been delivered
    assert "after the whole message was sent" in outcome.detail
    assert len(smtp_server.received) == 1


class Nowhere:
    host, port = "127.0.0.1", free_port()


def test_nobody_listening_is_retried_then_reported_unreachable_not_failed(smtp_config, built):
    outcome = SmtpTransport(smtp_config(Nowhere, attempts=2)).deliver(built)

    assert (outcome.state, outcome.attempts) == ("unreachable", 2)  # provably nothing sent
    assert outcome.detail.startswith("mail server unreachable after 2 attempts: connect: ")


def test_no_addresses_or_bodies_in_logs(smtp_server, smtp_config, built, caplog):
    caplog.set_level("DEBUG", logger="dunning")
    smtp_server.script[:] = ["451 4.2.1 <ap@northwind.example.com>: mailbox busy", "vanish"]
    SmtpTransport(smtp_config()).deliver(built)

    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert str(built.message["Message-ID"]) in logged
    assert "<a…@northwind.example.com>: mailbox busy" in logged  # enough to find it, not the address
    assert "ap@northwind.example.com" not in logged and "forderungen@" not in logged
    assert "1,190.00" not in logged


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")  # implicit TLS: it is TLS
@pytest.mark.parametrize("implicit", [False, True], ids=["starttls", "implicit-tls"])
def test_tls_and_login_from_settings_only(tmp_path, smtp_config, built, implicit):
    tls, cafile = self_signed_tls(tmp_path)
    server = SMTPTestServer(tls=tls, logins={"dunning": "s3cret"}, implicit_tls=implicit).start()
    try:
        wrong = SmtpTransport(smtp_config(server, starttls=not implicit, ssl=implicit, cafile=cafile, user="dunning",
                                          password="wrong")).deliver(built)
        untrusted = SmtpTransport(smtp_config(server, starttls=not implicit, ssl=implicit, user="dunning",
                                              password="s3cret", attempts=1)).deliver(built)
        right = SmtpTransport(smtp_config(server, starttls=not implicit, ssl=implicit, cafile=cafile,
                                          user="dunning", password="s3cret")).deliver(built)
    finally:
        server.stop()

    assert (wrong.state, wrong.attempts) == ("failed", 1) and wrong.detail.startswith("connect: 535 ")
    assert untrusted.state == "failed" and "CERTIFICATE_VERIFY_FAILED" in untrusted.detail
    assert (right.state, server.logins, len(server.received)) == ("sent", ["dunning"], 1)


def test_password_is_not_in_the_configs_repr():
    from dunning.delivery.smtp import SmtpConfig

    assert "s3cret" not in repr(SmtpConfig(user="dunning", password="s3cret"))
