"""Two workers delivering the same queue at the same moment, on PostgreSQL: each letter goes out once.

(The SQLite side of this is tests/test_delivery_crash.py: two `dunning send` processes on one file.)
"""
from __future__ import annotations

import threading
from collections import Counter
from datetime import date

import pytest
import smtp_server as server_fixtures

from dunning.delivery.send import deliver_queued
from dunning.delivery.smtp import SmtpTransport

smtp_server, smtp_config = server_fixtures.smtp_server, server_fixtures.smtp_config  # fixtures


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_threads_deliver_the_same_queue_each_letter_once(company, customer, invoice, smtp_server, smtp_config):
    from django.db import connection

    from dunning.models import Letter
    from dunning.services.run import run_dunning
    from dunning.services.setup import ensure_default_setup

    ensure_default_setup()
    for n in range(1, 7):
        invoice(customer(number=f"C-{n}"), amount="1190.00", due_date=date(2026, 11, 2), number=f"INV-{n}")
    run_dunning(as_of=date(2026, 12, 3), deliver=False)
    start, results = threading.Barrier(2), []

    def worker() -> None:
        try:
            start.wait()
            results.append(deliver_queued(transport=SmtpTransport(smtp_config())).states)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    letters = dict(Letter.objects.values_list("id", "state"))
    assert len(letters) == 6 and set(letters.values()) == {"sent"}
    assert Counter(int(r.message["X-Dunning-Letter"]) for r in smtp_server.received) == Counter(letters.keys())
    sent_by = Counter(letter_id for states in results for letter_id, state in states.items() if state == "sent")
    assert sent_by == Counter(letters.keys())  # each letter reported sent by exactly one of the two
