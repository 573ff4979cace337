"""Kill `dunning run` (SIGKILL) at every step of a run, run it again: no letter missing, none sent twice.

The sibling of tests/test_delivery_crash.py, which kills `dunning send`. Here the process that dies is
the run itself: while it records the run, after it locked the company, after it evaluated, in the middle
of writing the letters, after writing them but before the commit, after the commit, after it recorded
the run as finished, and at each step of the delivery the run starts (the product's own
DUNNING_TEST_CRASH_AT hooks). The run steps have no hooks in the product, so a small driver wraps the
run service's functions in the child process and kills it (SIGKILL, as a power cut would) right there.
The same driver adds two `dunning send` steps the product has no hook for: just after the re-check
before delivery, and half-way through handing the message to the server.

Each scenario uses its own database (an SQLite file; in the PostgreSQL pass also a PostgreSQL database made
from a template), real subprocesses and a real local SMTP server.
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
CUSTOMERS = 3
AS_OF = "2026-12-03"

SETUP = f"""
from datetime import date
from dunning import bootstrap
bootstrap.setup(); bootstrap.migrate()
from dunning.models import Company, Customer, Invoice, customer_key
from dunning.services.setup import ensure_default_setup

ensure_default_setup()
acme = Company.objects.create(code="ACME-DE", name="Acme Industriebedarf GmbH", timezone="Europe/Berlin",
                              sender_email="forderungen@acme.example.de")
for n in range(1, {CUSTOMERS} + 1):
    customer = Customer.objects.create(company=acme, number=f"C-{{n}}", key=customer_key(f"C-{{n}}"),
                                       name=f"Customer {{n}}", email=f"ap{{n}}@northwind.example.com", language="en")
    Invoice.objects.create(company=acme, customer=customer, number=f"INV-{{n}}", issue_date=date(2026, 10, 3),
                           due_date=date(2026, 11, 2), currency="EUR", amount_minor=119000)
"""

# Wraps one function of the run service so that the process kills itself at that step, then runs the CLI.
DRIVER = r"""
import os, signal, sys
from dunning import bootstrap
bootstrap.setup()
from dunning.services import run as run_service

def die():
    os.kill(os.getpid(), signal.SIGKILL)

def after(function, calls=1):
    seen = [0]
    def wrapped(*args, **kwargs):
        result = function(*args, **kwargs)
        seen[0] += 1
        if seen[0] == calls:
            die()
        return result
    return wrapped

def instead(function):
    def wrapped(*args, **kwargs):
        die()
    return wrapped

step = os.environ.get("KILL_RUN_AT", "")
if step == "run_recorded":            # the Run row exists, nothing else
    run_service._run_started = after(run_service._run_started)
elif step == "facts_read":             # inside the company's transaction, lock held, facts read
    run_service.build_company_facts = after(run_service.build_company_facts)
elif step == "evaluated":              # decisions made, nothing written yet
    run_service.evaluate = after(run_service.evaluate)
elif step == "second_letter_written":  # two of three letters written, transaction still open
    run_service.letter_create = after(run_service.letter_create, 2)
elif step == "letters_written":        # every letter and the run's counts written, not committed
    run_service._counts_added = after(run_service._counts_added)
elif step == "committed":              # the company's letters committed, run not marked finished
    run_service._run_finished = instead(run_service._run_finished)
elif step == "finished":               # run recorded as finished, delivery not started
    run_service._deliver = instead(run_service._deliver)
elif step:
    raise SystemExit(f"unknown step {step!r}")

send_step = os.environ.get("KILL_SEND_AT", "")
if send_step:
    from dunning.delivery import send as send_module, smtp as smtp_module
if send_step == "rechecked":           # the last look before delivery done, letter not taken yet
    send_module.recheck_before_delivery = after(send_module.recheck_before_delivery)
elif send_step == "mid_data":          # half of the message handed to the server, no final dot
    def half_then_die(self, msg):
        self.putcmd("data")
        self.getreply()
        self.send(msg[: len(msg) // 2])
        die()
    smtp_module._Connection.data = half_then_die
elif send_step:
    raise SystemExit(f"unknown send step {send_step!r}")

from dunning.cli import main
sys.exit(main(sys.argv[1:]))
"""

RUN_STEPS = ["run_recorded", "facts_read", "evaluated", "second_letter_written", "letters_written", "committed",
             "finished"]
# (product hook, did the first letter reach the server, state of the first letter at the end)
DELIVERY_STEPS = [("taken", 0, "review"), ("accepted", 1, "review"), ("before_mark_sent", 1, "review"),
                  ("marked_sent", 1, "sent")]


class Books:
    """One scenario's database: a copy of the module's template, on SQLite or (PostgreSQL pass) PostgreSQL."""

    def __init__(self, url: str):
        self.url = url

    def query(self, sql: str) -> list[tuple]:
        if self.url.startswith("sqlite:///"):
            with sqlite3.connect(self.url.removeprefix("sqlite:///")) as connection:
                return list(connection.execute(sql))
        import psycopg

        with psycopg.connect(self.url) as connection:
            return list(connection.execute(sql))


def _postgres_server() -> str:
    import dj_database_url

    cfg = dj_database_url.parse(os.environ["DUNNING_DATABASE_URL"])
    return f"postgres://{cfg['USER'] or 'postgres'}@{cfg['HOST'] or '127.0.0.1'}:{cfg['PORT'] or 5432}"


def _postgres_admin(*statements: str) -> None:
    import psycopg

    with psycopg.connect(f"{_postgres_server()}/postgres", autocommit=True) as connection:
        for statement in statements:
            connection.execute(statement)


def _seed(url: str) -> None:
    done = subprocess.run([sys.executable, "-c", SETUP], cwd=REPO, env=_env(url), capture_output=True, text=True,
                          timeout=300, check=False)
    assert done.returncode == 0, done.stderr


@pytest.fixture(scope="module")
def template_database(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("runcrash") / "template.sqlite3"
    _seed(f"sqlite:///{path}")
    with sqlite3.connect(path) as connection:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return path


@pytest.fixture(scope="module")
def postgres_template():
    name = f"dunning_runcrash_tmpl_{os.getpid()}"
    _postgres_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', f'CREATE DATABASE "{name}"')
    _seed(f"{_postgres_server()}/{name}")
    yield name
    _postgres_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database(request, tmp_path) -> Books:
    if request.param == "sqlite":
        path = tmp_path / "dunning.sqlite3"
        shutil.copyfile(request.getfixturevalue("template_database"), path)
        return Books(f"sqlite:///{path}")
    template = request.getfixturevalue("postgres_template")
    name = f"dunning_runcrash_{os.getpid()}"
    _postgres_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    request.addfinalizer(lambda: _postgres_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    return Books(f"{_postgres_server()}/{name}")


def _env(url: str, server=None, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DUNNING_")}
    env.update(DUNNING_DATABASE_URL=url, DUNNING_DELIVERY="smtp", DUNNING_SMTP_BACKOFF="0.01",
               DUNNING_SMTP_TIMEOUT="5", PYTHONPATH=str(REPO))
    if server is not None:
        env.update(DUNNING_SMTP_HOST=server.host, DUNNING_SMTP_PORT=str(server.port))
    env.update(extra)
    return env


def dunning(database: Books, server, *args: str, **extra: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", DRIVER, *args], cwd=REPO, env=_env(database.url, server, **extra),
                          capture_output=True, text=True, timeout=300, check=False)


def letters(database: Books) -> list[tuple[int, str, str]]:
    return database.query("SELECT l.id, c.number, l.state FROM dunning_letter l "
                          "JOIN dunning_customer c ON c.id = l.customer_id ORDER BY l.id")


def runs(database: Books) -> list[tuple[int, str]]:
    return database.query("SELECT id, status FROM dunning_run ORDER BY id")


def received_per_letter(server) -> Counter[int]:
    return Counter(int(r.message["X-Dunning-Letter"]) for r in server.received)


def assert_one_set_each_sent_at_most_once(database: Books, server) -> dict[int, str]:
    rows = letters(database)
    assert sorted(number for _, number, _ in rows) == [f"C-{n}" for n in range(1, CUSTOMERS + 1)]  # none missing,
    states = {letter_id: state for letter_id, _, state in rows}                                   # none twice
    per_letter = received_per_letter(server)
    assert set(per_letter) <= set(states) and max(per_letter.values(), default=1) == 1  # none sent twice
    return states


@pytest.mark.parametrize("step", RUN_STEPS)
def test_run_killed_at_each_step_then_run_and_send_again(database, smtp_server, step):
    killed = dunning(database, smtp_server, "run", "--as-of", AS_OF, KILL_RUN_AT=step)
    assert killed.returncode == -signal.SIGKILL, (killed.stdout, killed.stderr)
    committed = step in ("committed", "finished")
    assert len(letters(database)) == (CUSTOMERS if committed else 0)  # the decision and its letters: all or none
    assert smtp_server.received == []

    again = dunning(database, smtp_server, "run", "--as-of", AS_OF)
    assert again.returncode == 0, again.stderr
    sent = dunning(database, smtp_server, "send")
    assert sent.returncode == 0, sent.stderr

    states = assert_one_set_each_sent_at_most_once(database, smtp_server)
    assert set(states.values()) == {"sent"}
    assert received_per_letter(smtp_server) == Counter({letter_id: 1 for letter_id in states})

    # and a third run the same day changes nothing
    third = dunning(database, smtp_server, "run", "--as-of", AS_OF)
    assert third.returncode == 0, third.stderr
    assert len(letters(database)) == CUSTOMERS and len(smtp_server.received) == CUSTOMERS


@pytest.mark.parametrize(("hook", "first_gone_out", "first_state"), DELIVERY_STEPS, ids=[s[0] for s in DELIVERY_STEPS])
def test_run_killed_while_delivering_then_run_and_send_again(database, smtp_server, hook, first_gone_out, first_state):
    killed = dunning(database, smtp_server, "run", "--as-of", AS_OF, DUNNING_TEST_CRASH_AT=hook)
    assert killed.returncode == -signal.SIGKILL, (killed.stdout, killed.stderr)
    first = min(letter_id for letter_id, _, _ in letters(database))
    assert received_per_letter(smtp_server) == Counter({first: first_gone_out}) + Counter()

    assert dunning(database, smtp_server, "run", "--as-of", AS_OF).returncode == 0
    assert dunning(database, smtp_server, "send").returncode == 0

    states = assert_one_set_each_sent_at_most_once(database, smtp_server)
    assert states == {letter_id: (first_state if letter_id == first else "sent") for letter_id in states}
    assert received_per_letter(smtp_server) == Counter(
        {letter_id: 1 for letter_id, state in states.items() if state == "sent" or (letter_id == first and first_gone_out)})


# (step, state of the first letter at the end): the send steps the product has no hook for
@pytest.mark.parametrize(("step", "first_state"), [("rechecked", "sent"), ("mid_data", "review")])
def test_send_killed_where_the_product_has_no_hook_then_send_again(database, smtp_server, step, first_state):
    assert dunning(database, smtp_server, "run", "--as-of", AS_OF, "--no-deliver").returncode == 0
    first = min(letter_id for letter_id, _, _ in letters(database))

    killed = dunning(database, smtp_server, "send", KILL_SEND_AT=step)
    assert killed.returncode == -signal.SIGKILL, (killed.stdout, killed.stderr)
    assert smtp_server.received == []  # half a message is no message
    assert dunning(database, smtp_server, "send").returncode == 0

    states = assert_one_set_each_sent_at_most_once(database, smtp_server)
    assert states == {letter_id: (first_state if letter_id == first else "sent") for letter_id in states}
    assert received_per_letter(smtp_server) == Counter({i: 1 for i, state in states.items() if state == "sent"})


# ---------------------------------------------------------------------------------------------
# What the run tests above needed a separate `dunning send` for
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("step", ["committed", "finished", "taken"])
def test_running_again_alone_delivers_what_a_killed_run_left(database, smtp_server, step):
    extra = {"DUNNING_TEST_CRASH_AT": step} if step == "taken" else {"KILL_RUN_AT": step}
    assert dunning(database, smtp_server, "run", "--as-of", AS_OF, **extra).returncode == -signal.SIGKILL

    assert dunning(database, smtp_server, "run", "--as-of", AS_OF).returncode == 0

    states = assert_one_set_each_sent_at_most_once(database, smtp_server)
    assert set(states.values()) <= {"sent", "review"} and "queued" not in states.values()
    assert "sending" not in states.values()


def test_a_killed_run_is_not_left_running_for_ever(database, smtp_server):
    assert dunning(database, smtp_server, "run", "--as-of", AS_OF,
                   KILL_RUN_AT="letters_written").returncode == -signal.SIGKILL
    assert dunning(database, smtp_server, "run", "--as-of", AS_OF).returncode == 0

    (killed, _), (_, status) = runs(database)
    assert status == "finished"
    assert dict(runs(database))[killed] == "interrupted"
