"""Shared test set-up: which database the suite runs on, and small factories for realistic rows.

The suite runs twice (``scripts/test``): once on SQLite, once on PostgreSQL
(``DUNNING_DATABASE_URL=postgres://...``). Tests marked ``@pytest.mark.postgres`` need PostgreSQL
itself; on SQLite they are skipped with a reason, because the PostgreSQL pass runs them. When the
PostgreSQL pass cannot reach its server, its tests are skipped with the reason on a developer's
machine and fail when ``CI=true``: CI must never report green without having run them.

Factories (fixtures returning a function, so a test can make as many rows as it needs):

    company(code="ACME-DE", **fields) -> Company
    customer(company=None, number=None, **fields) -> Customer
    invoice(customer=None, amount="1190.00", due_date=date(2026, 11, 2), **fields) -> Invoice
    credit(customer=None, amount="100.00", date=..., kind="payment", allocate=[(invoice, "50.00")]) -> Credit

Amounts are given as decimal strings (or Decimal) in the currency's major unit and stored with
``dunning.models.money.to_minor``. ``shared_data`` is the folder of the real data sets.
"""
from __future__ import annotations

import itertools
import os
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
DATABASE_URL = os.environ.get("DUNNING_DATABASE_URL", "")
ON_POSTGRES = DATABASE_URL.startswith(("postgres://", "postgresql://", "pgsql://"))


# ---------------------------------------------------------------------------------------------
# Which database: PostgreSQL-only tests, the database-only second pass, an unreachable server.
# ---------------------------------------------------------------------------------------------

def _postgres_unreachable_reason() -> str | None:
    """None when the server in DUNNING_DATABASE_URL answers; otherwise why not, in one line."""
    import dj_database_url
    import psycopg

    cfg = dj_database_url.parse(DATABASE_URL)
    try:
        psycopg.connect(host=cfg["HOST"] or "127.0.0.1", port=cfg["PORT"] or 5432, user=cfg["USER"] or "postgres",
                        password=cfg["PASSWORD"] or None, dbname="postgres", connect_timeout=3).close()
    except psycopg.Error as exc:
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return f"PostgreSQL at {cfg['HOST']}:{cfg['PORT']} unreachable ({first_line})"
    return None


def _uses_database(item: pytest.Item) -> bool:
    fixtures = getattr(item, "fixturenames", ())
    return (item.get_closest_marker("django_db") is not None or item.get_closest_marker("postgres") is not None
            or any(name in fixtures for name in ("db", "transactional_db", "django_db_setup", "live_server")))


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if os.environ.get("DUNNING_TEST_DATABASE_ONLY") == "1":
        # The PostgreSQL pass of scripts/test: tests that never touch a database ran in the SQLite pass.
        kept = [item for item in items if _uses_database(item)]
        config.hook.pytest_deselected(items=[item for item in items if item not in kept])
        items[:] = kept

    if not ON_POSTGRES:
        skip = pytest.mark.skip(reason="needs PostgreSQL: runs in the PostgreSQL pass of scripts/test "
                                       "(DUNNING_DATABASE_URL=postgres://postgres@127.0.0.1:5432/dunning)")
        for item in items:
            if item.get_closest_marker("postgres") is not None:
                item.add_marker(skip)
        return

    reason = _postgres_unreachable_reason()
    if reason is None:
        return
    config.stash[_UNREACHABLE] = reason
    for item in items:
        if _uses_database(item):
            if IN_CI:
                item.add_marker(pytest.mark.usefixtures("_postgres_required"))
            else:
                item.add_marker(pytest.mark.skip(reason=f"{reason}; skipped outside CI"))


_UNREACHABLE = pytest.StashKey[str]()


@pytest.fixture
def _postgres_required(request: pytest.FixtureRequest) -> None:
    pytest.fail(f"{request.config.stash[_UNREACHABLE]}; CI=true requires it", pytrace=False)


def pytest_report_header(config: pytest.Config) -> str:
    where = DATABASE_URL.split("@")[-1] if ON_POSTGRES else "SQLite (in memory)"
    return f"dunning database: {'PostgreSQL ' if ON_POSTGRES else ''}{where}; CI={'true' if IN_CI else 'false'}"


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:
    """Notes about the other pass and an unreachable server, printed just above pytest's own summary line."""
    unreachable = config.stash.get(_UNREACHABLE, None)
    if unreachable:
        terminalreporter.write_line(unreachable + ("; CI=true requires it" if IN_CI else "; its tests were skipped"),
                                    red=IN_CI, yellow=not IN_CI, bold=True)
    for variable in ("DUNNING_TEST_EARLIER_PASS", "DUNNING_TEST_SKIPPED_PASS"):
        note = os.environ.get(variable)
        if note:
            terminalreporter.write_line(note, yellow=True, bold=True)


# ---------------------------------------------------------------------------------------------
# Real data sets
# ---------------------------------------------------------------------------------------------

@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The real data sets: ../shared/data beside the repository (see tests/shared_folder.py).

    Missing on a newcomer's clone: the tests that need it skip with the reason; in CI they fail.
    """
    from shared_folder import shared_folder

    folder = Path(os.environ.get("DUNNING_SHARED_DATA") or shared_folder() / "data")
    if not folder.is_dir():
        message = f"real data sets not found at {folder} (set DUNNING_SHARED or DUNNING_SHARED_DATA)"
        if IN_CI:
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    return folder


# ---------------------------------------------------------------------------------------------
# Factories
# ---------------------------------------------------------------------------------------------

def _minor(amount, currency: str) -> int:
    from dunning.models.money import to_minor

    return to_minor(Decimal(str(amount)), currency)


@pytest.fixture
def company(db):
    """make a Company: a German GmbH billing in EUR unless told otherwise."""
    from dunning.models import Company

    counter = itertools.count(1)

    def make(code: str | None = None, **fields) -> Company:
        n = next(counter)
        values = dict(
            code=code or ("ACME-DE" if n == 1 else f"ACME-DE-{n}"),
            name="Acme Industriebedarf GmbH",
            base_currency="EUR",
            timezone="Europe/Berlin",
            language="de",
            address="Hafenstraße 12\n20457 Hamburg\nDeutschland",
            sender_email="forderungen@acme.example.de",
            reply_to="buchhaltung@acme.example.de",
            payment_instructions="IBAN DE89 3704 0044 0532 0130 00, BIC COBADEFFXXX; bitte Rechnungsnummer angeben",
        )
        values.update(fields)
        return Company.objects.create(**values)

    return make


@pytest.fixture
def customer(db, company):
    """make a Customer, English, in its company's currency; company defaults to the first one (made if none)."""
    from dunning.models import Customer, customer_key

    counter = itertools.count(10001)
    default_company = []

    def make(company=None, number: str | None = None, **fields) -> Customer:
        if company is None:
            if not default_company:
                default_company.append(_first_company())
            company = default_company[0]
        number = number or f"C{next(counter)}"
        values = dict(
            name=f"Northwind Traders {number}",
            address="221 Baker Street\nLondon NW1 6XE\nUnited Kingdom",
            country="GB",
            language="en",
            currency=company.base_currency,
            email=f"ap+{number.lower()}@northwind.example.com",
        )
        values.update(fields)
        return Customer.objects.create(company=company, number=number, key=customer_key(number), **values)

    def _first_company():
        from dunning.models import Company

        return Company.objects.order_by("id").first() or company()

    return make


@pytest.fixture
def invoice(db, customer):
    """make an open Invoice of `customer` (a default customer is made on first use).

    Defaults: 1190.00 in the customer's currency, due 2026-11-02, issued 30 days before.
    """
    from dunning.models import Invoice

    counter = itertools.count(1001)
    default_customer = []

    def make(customer=None, amount="1190.00", due_date: date | None = date(2026, 11, 2), number: str | None = None,
             currency: str | None = None, **fields) -> Invoice:
        if customer is None:
            if not default_customer:
                default_customer.append(make_customer())
            customer = default_customer[0]
        currency = currency or customer.currency or customer.company.base_currency
        values = dict(
            issue_date=(due_date - timedelta(days=30)) if due_date else date(2026, 10, 3),
            status="open",
        )
        values.update(fields)
        return Invoice.objects.create(company=customer.company, customer=customer,
                                      number=number or f"INV-{next(counter)}", due_date=due_date,
                                      currency=currency, amount_minor=_minor(amount, currency), **values)

    make_customer = customer
    return make


@pytest.fixture
def credit(db, customer):
    """make a payment or credit note, optionally allocated: allocate=[(invoice, "50.00"), ...].

    Allocations are dated on the credit's date unless given as (invoice, amount, date).
    """
    from dunning.models import Allocation, Credit

    counter = itertools.count(1)

    def make(customer=None, amount="100.00", date: date = date(2026, 11, 15), kind: str = "payment",
             number: str | None = None, currency: str | None = None, allocate=(), **fields) -> Credit:
        customer = customer or customer_factory()
        currency = currency or customer.currency or customer.company.base_currency
        prefix = "PAY" if kind == "payment" else "CN"
        row = Credit.objects.create(company=customer.company, customer=customer, kind=kind, date=date,
                                    number=number or f"{prefix}-{next(counter):04d}", currency=currency,
                                    amount_minor=_minor(amount, currency), **fields)
        for allocation in allocate:
            target, part, *when = allocation
            Allocation.objects.create(invoice=target, credit=row, date=when[0] if when else date,
                                      amount_minor=_minor(part, currency))
        return row

    customer_factory = customer
    return make
