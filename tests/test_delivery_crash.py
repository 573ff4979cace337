"""Kill `dunning send` (SIGKILL) at each step of a delivery, run it again: nothing lost, nothing sent twice.

Each scenario uses its own SQLite file and real subprocesses: one writes the letters with the real run,
`dunning send` is killed where DUNNING_TEST_CRASH_AT says, then a second `dunning send` finishes the job.
The local SMTP server counts what it received.
"""
from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
import smtp_server as server_fixtures

smtp_server = server_fixtures.smtp_server  # fixture

REPO = Path(__file__).resolve().parents[1]
LETTERS = 3

SETUP = f"""
from datetime import date
from dunning import bootstrap
bootstrap.setup(); bootstrap.migrate()
from dunning.models import Company, Customer, Invoice, customer_key
from dunning.services.run import run_dunning
from dunning.services.setup import ensure_default_setup

ensure_default_setup()
acme = Company.objects.create(code="ACME-DE", name="Acme Industriebedarf GmbH", timezone="Europe/Berlin",
                              sender_email="forderungen@acme.example.de")
for n in range(1, {LETTERS} + 1):
    customer = Customer.objects.create(company=acme, number=f"C-{{n}}", key=customer_key(f"C-{{n}}"),
                                       name=f"Customer {{n}}", email=f"ap{{n}}@northwind.example.com", language="en")
    Invoice.objects.create(company=acme, customer=customer, number=f"INV-{{n}}", issue_date=date(2026, 10, 3),
                           due_date=date(2026, 11, 2), currency="EUR", amount_minor=119000)
result = run_dunning(as_of=date(2026, 12, 3), deliver=False)
assert not result.errors and len(result.letters) == {LETTERS}, result
"""


@pytest.fixture(scope="module")
def template_database(tmp_path_factory) -> Path:
    """A database with three queued letters, made once; each test works on a copy."""
    path = tmp_path_factory.mktemp("crash") / "template.sqlite3"
    done = subprocess.run([sys.executable, "-c", SETUP], cwd=REPO, env=_env(path), capture_output=True, text=True,
                          timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    with sqlite3.connect(path) as connection:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return path


@pytest.fixture
def database(template_database, tmp_path) -> Path:
    path = tmp_path / "dunning.sqlite3"
    shutil.copyfile(template_database, path)
    return path


def _env(database: Path, server=None, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DUNNING_")}
    env.update(DUNNING_DATABASE_URL=f"sqlite:///{database}", DUNNING_DELIVERY="smtp", DUNNING_SMTP_BACKOFF="0.01",
               DUNNING_SMTP_TIMEOUT="5", PYTHONPATH=str(REPO))
    if server is not None:
        env.update(DUNNING_SMTP_HOST=server.host, DUNNING_SMTP_PORT=str(server.port))
    env.update(extra)
    return env


def send(database: Path, server, **extra: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "dunning.cli", "send"], cwd=REPO, env=_env(database, server, **extra),
                          capture_output=True, text=True, timeout=300, check=False)


def letters(database: Path) -> dict[int, tuple[str, str]]:
    with sqlite3.connect(database) as connection:
        return {row[0]: (row[1], row[2]) for row in
                connection.execute("SELECT id, state, message_id FROM dunning_letter ORDER BY id")}


def received_per_letter(server) -> Counter[int]:
    return Counter(int(r.message["X-Dunning-Letter"]) for r in server.received)


@pytest.mark.parametrize(("step", "first_letter_gone_out", "first_letter_state"), [
    ("taken", 0, "review"),             # taken, nothing sent yet: unknown to the next run, so review
    ("accepted", 1, "review"),          # the server has it, we never wrote it down: review, not resent
    ("before_mark_sent", 1, "review"),
    ("marked_sent", 1, "sent"),         # recorded just before the kill: nothing left to do
])
def test_killed_at_each_step_then_run_again(database, smtp_server, step, first_letter_gone_out, first_letter_state):
    first = min(letters(database))

    killed = send(database, smtp_server, DUNNING_TEST_CRASH_AT=step)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert received_per_letter(smtp_server) == Counter({first: first_letter_gone_out}) + Counter()

    again = send(database, smtp_server)
    assert again.returncode == 0, again.stderr

    states = {letter_id: state for letter_id, (state, _) in letters(database).items()}
    assert len(states) == LETTERS  # no letter missing
    assert states == {letter_id: (first_letter_state if letter_id == first else "sent") for letter_id in states}
    per_letter = received_per_letter(smtp_server)
    assert max(per_letter.values()) == 1  # none sent twice
    assert per_letter == Counter({letter_id: 1 for letter_id, state in states.items()
                                  if state == "sent" or (letter_id == first and first_letter_gone_out)})
    if first_letter_state == "review":
        assert f"Interrupted earlier, now in review (not resent): {first}" in again.stdout

    if step == "accepted":  # and a third run changes nothing
        assert send(database, smtp_server).stdout.strip() == "No letters waiting for delivery."
        assert received_per_letter(smtp_server) == per_letter


def test_two_senders_at_once_send_each_letter_once(database, smtp_server):
    env = _env(database, smtp_server)
    senders = [subprocess.Popen([sys.executable, "-m", "dunning.cli", "send"], cwd=REPO, env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outputs = [sender.communicate(timeout=300) for sender in senders]
    assert [sender.returncode for sender in senders] == [0, 0], outputs

    states = letters(database)
    assert {state for state, _ in states.values()} == {"sent"}
    assert received_per_letter(smtp_server) == Counter({letter_id: 1 for letter_id in states})
