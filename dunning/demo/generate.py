"""Generate the demo receivables: seeded, relative to the as-of date, no Django.

The same seed and as-of date always give the same data. Dates fall in the ~150 days before the
as-of date; nothing is dated after it (payments not yet made are simply missing). Amounts are
Decimal in the currency's own minor unit (JPY has none), never float.
"""
from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_DOWN, Decimal

from babel.numbers import get_currency_precision

from . import people

SEED = 20261203
HISTORY_DAYS = 150


@dataclass
class DemoCompany:
    code: str
    name: str
    base_currency: str
    timezone: str
    language: str
    address: list[str]
    sender_email: str
    reply_to: str
    payment_instructions: str


@dataclass
class DemoCustomer:
    company: str
    number: str
    name: str
    address: list[str]
    country: str
    language: str
    currency: str
    email: str
    tags: str = ""
    pause_reason: str = ""
    pause_detail: str = ""
    pause_until: date | None = None
    contacts: list[tuple[str, str, str, int]] = field(default_factory=list)  # name, email, role, from level


@dataclass(eq=False)
class DemoInvoice:
    company: str
    customer: str
    issue_date: date
    due_date: date | None
    currency: str
    amount: Decimal
    number: str = ""
    status: str = "open"
    disputed: bool = False
    dispute_reason: str = ""


@dataclass(eq=False)
class DemoCredit:
    """A payment or credit note; allocations are (invoice, amount, date); the rest is open credit."""

    company: str
    customer: str
    kind: str  # "payment" or "credit_note"
    date: date
    currency: str
    amount: Decimal
    allocations: list[tuple[DemoInvoice, Decimal, date]] = field(default_factory=list)
    number: str = ""


@dataclass
class DemoData:
    as_of: date
    seed: int
    companies: list[DemoCompany]
    customers: list[DemoCustomer]
    invoices: list[DemoInvoice]
    credits: list[DemoCredit]
    rates: list[tuple[date, str, str, Decimal]]  # date, base, quote, rate

    def open_amount(self, invoice: DemoInvoice, on: date) -> Decimal:
        paid = sum((amount for credit in self.credits for inv, amount, day in credit.allocations
                    if inv is invoice and day <= on), Decimal(0))
        return invoice.amount - paid


@dataclass(frozen=True)
class CompanySpec:
    company: DemoCompany
    customers: tuple[tuple[str, str, str, int], ...]  # language, country, currency, how many
    customer_number: str  # format with n
    invoice_number: str  # format with n and year
    payment_number: str
    credit_note_number: str


COMPANIES = (
    CompanySpec(
        DemoCompany("DE01", "Brenner Maschinenbau GmbH", "EUR", "Europe/Berlin", "de",
                    ["Werkstraße 7", "73430 Aalen", "Deutschland"], "mahnwesen@brenner-maschinenbau.example.de",
                    "debitoren@brenner-maschinenbau.example.de",
                    "Commerzbank Aalen · IBAN DE12 6144 0086 0123 4567 00 · BIC COBADEFFXXX · "
                    "Verwendungszweck: Rechnungsnummer"),
        (("de", "DE", "EUR", 12), ("fr", "FR", "EUR", 5), ("es", "ES", "EUR", 4), ("en", "GB", "EUR", 3)),
        "K-{n:05d}", "RE-{year}-{n:05d}", "ZE-{n:05d}", "GS-{n:05d}"),
    CompanySpec(
        DemoCompany("US01", "Harbor Lane Supply Inc.", "USD", "America/New_York", "en",
                    ["500 Atlantic Avenue", "Boston, MA 02210", "USA"], "collections@harborlane.example.com",
                    "ar@harborlane.example.com",
                    "ACH or wire: First Example Bank, routing 011000028, account 4481223019; "
                    "please quote the invoice number"),
        (("en", "US", "USD", 12), ("es", "US", "USD", 3), ("en", "CA", "CAD", 2), ("fr", "CA", "CAD", 2)),
        "C{n:06d}", "INV-{n:06d}", "PMT-{n:06d}", "CM-{n:05d}"),
    CompanySpec(
        DemoCompany("JP01", "さくら精機株式会社", "JPY", "Asia/Tokyo", "ja",
                    ["〒103-0027", "東京都中央区日本橋2-7-1", "日本"], "saiken@sakura-seiki.example.jp",
                    "keiri@sakura-seiki.example.jp",
                    "三井住友銀行 日本橋支店 普通 1234567 サクラセイキ（カ）"),
        (("ja", "JP", "JPY", 14), ("en", "SG", "JPY", 1), ("en", "US", "JPY", 1), ("en", "GB", "JPY", 1)),
        "{n:08d}", "SEI-{n:06d}", "NK-{n:06d}", "AK-{n:05d}"),
)

# How customers pay: weight, and what happens to an invoice
PROFILES = {"prompt": 35, "late": 30, "partial": 17, "stuck": 18}
TERMS = (14, 30, 30, 30, 45, 60)


class _Generator:
    def __init__(self, as_of: date, seed: int):
        self.as_of = as_of
        self.rng = random.Random(seed)
        self.pools = {language: list(names) for language, names in people.BUSINESSES.items()}
        self.customers: list[DemoCustomer] = []
        self.invoices: list[DemoInvoice] = []
        self.credits: list[DemoCredit] = []

    # --- amounts ---------------------------------------------------------------------------
    def money(self, currency: str, low: int, high: int) -> Decimal:
        """A random amount between low and high major units, to the currency's minor unit."""
        digits = get_currency_precision(currency)
        scale = 150 if currency == "JPY" else 1  # a yen invoice is ~150 times the euro figure
        minor = self.rng.randint(low * scale * 10**digits, high * scale * 10**digits)
        return Decimal(minor).scaleb(-digits)

    def invoice_amount(self, currency: str) -> Decimal:
        low, high = self.rng.choices([(150, 2000), (2000, 12000), (12000, 48000)], weights=[5, 3, 1])[0]
        return self.money(currency, low, high)

    @staticmethod
    def share(amount: Decimal, percent: int) -> Decimal:
        """percent of amount, cut to amount's own minor unit (partial payments are round-ish)."""
        quantum = Decimal(1).scaleb(amount.as_tuple().exponent)
        return (amount * percent / 100).quantize(quantum, rounding=ROUND_DOWN)

    # --- records -----------------------------------------------------------------------------
    def customer(self, spec: CompanySpec, index: int, language: str, country: str, currency: str) -> DemoCustomer:
        name, slug = self.pools[language].pop(0)
        postcode, city = self.rng.choice(people.CITIES[country])
        street = self.rng.choice(people.STREETS[country])
        home = "DE" if spec.company.code == "DE01" else "US" if spec.company.code == "US01" else "JP"
        row = DemoCustomer(
            company=spec.company.code, number=spec.customer_number.format(n=1000 + index * 7 + self.rng.randint(0, 6)),
            name=name, address=people.envelope(country, self.rng.randint(1, 240), street, postcode, city, home),
            country=country, language=language, currency=currency, email=people.email_for(language, slug, country),
            tags=self.rng.choice(["wholesale", "retail", "industry", "public sector"]))
        self.customers.append(row)
        return row

    def invoice(self, customer: DemoCustomer, issue: date, due: date | None, amount: Decimal, **fields) -> DemoInvoice:
        row = DemoInvoice(customer.company, customer.number, issue, due, customer.currency, amount, **fields)
        self.invoices.append(row)
        return row

    def credit(self, customer: DemoCustomer, kind: str, day: date, amount: Decimal,
               allocate: DemoInvoice | None = None) -> DemoCredit:
        row = DemoCredit(customer.company, customer.number, kind, day, customer.currency, amount)
        if allocate is not None:
            row.allocations.append((allocate, amount, day))
        self.credits.append(row)
        return row

    # --- behaviour ---------------------------------------------------------------------------
    def pay(self, customer: DemoCustomer, invoice: DemoInvoice, profile: str, remaining: Decimal) -> None:
        """Payments dated up to the as-of date, as the customer's habit makes them."""
        assert invoice.due_date is not None
        rng, due = self.rng, invoice.due_date
        plan: list[tuple[date, Decimal]] = []
        if profile == "prompt":
            plan.append((due + timedelta(days=rng.randint(-7, 4)), remaining))
        elif profile == "late":
            plan.append((due + timedelta(days=rng.randint(10, 75)), remaining))
        elif profile == "partial":
            first = self.share(remaining, rng.choice([30, 40, 50, 60, 70]))
            plan.append((due + timedelta(days=rng.randint(0, 30)), first))
            if rng.random() < 0.4:
                plan.append((due + timedelta(days=rng.randint(35, 100)), remaining - first))
        elif rng.random() < 0.15:  # stuck: now and then something comes in
            plan.append((due + timedelta(days=rng.randint(20, 60)), remaining))
        for day, amount in plan:
            day = max(day, invoice.issue_date + timedelta(days=1))
            if day <= self.as_of and amount > 0:
                self.credit(customer, "payment", day, amount, allocate=invoice)

    def history(self, customer: DemoCustomer, profile: str) -> None:
        rng = self.rng
        for _ in range(rng.randint(3, 10)):
            issue = self.as_of - timedelta(days=rng.randint(1, HISTORY_DAYS))
            bill = self.invoice(customer, issue, issue + timedelta(days=rng.choice(TERMS)),
                                self.invoice_amount(customer.currency))
            remaining = bill.amount
            if rng.random() < 0.05:  # goods returned: a credit note, mostly set against the invoice
                day = min(issue + timedelta(days=rng.randint(2, 25)), self.as_of)
                note = self.share(bill.amount, rng.choice([10, 25, 50, 100]))
                self.credit(customer, "credit_note", day, note, allocate=bill if rng.random() < 0.6 else None)
                remaining -= note if self.credits[-1].allocations else 0
            if remaining > 0:
                self.pay(customer, bill, profile, remaining)
        if rng.random() < 0.08:  # a payment on account nobody has matched yet
            self.credit(customer, "payment", self.as_of - timedelta(days=rng.randint(1, 40)),
                        self.money(customer.currency, 100, 900).to_integral_value())

    def build(self) -> None:
        for spec in COMPANIES:
            index = 0
            for language, country, currency, count in spec.customers:
                for _ in range(count):
                    row = self.customer(spec, index, language, country, currency)
                    self.history(row, self.rng.choices(list(PROFILES), weights=list(PROFILES.values()))[0])
                    index += 1
        self.special_cases()

    # --- the cases a collector meets ------------------------------------------------------------
    def first(self, company: str, country: str | None = None, currency: str | None = None,
              nth: int = 0) -> DemoCustomer:
        found = [c for c in self.customers if c.company == company and (country is None or c.country == country)
                 and (currency is None or c.currency == currency)]
        return found[nth]

    def special_cases(self) -> None:
        day = lambda n: self.as_of + timedelta(days=n)  # noqa: E731

        paused = self.first("DE01", nth=1)
        paused.pause_reason = "Ratenzahlung"
        paused.pause_detail = f"Ratenzahlung vereinbart: drei Raten, erste am {day(7).isoformat()}"
        paused.pause_until = day(21)
        self.invoice(paused, day(-95), day(-65), Decimal("18450.00"))

        boss = self.first("DE01", nth=0)
        boss.contacts.append(("Geschäftsführung", f"geschaeftsfuehrung@{boss.email.split('@')[1]}", "cc", 2))
        self.invoice(boss, day(-2), day(28), Decimal("2380.00"), status="draft")
        self.invoice(boss, day(-80), day(-50), Decimal("990.00"), status="void")

        disputing = self.first("US01", currency="USD")
        self.invoice(disputing, day(-75), day(-45), Decimal("4980.00"), disputed=True,
                     dispute_reason="Goods damaged in transit; replacement shipped, awaiting confirmation")
        self.invoice(disputing, day(-70), day(-40), Decimal("1275.40"))

        undated = self.first("JP01", nth=2)
        self.invoice(undated, day(-70), None, Decimal("385000"))

        covered = self.first("US01", currency="CAD")
        self.invoice(covered, day(-50), day(-20), Decimal("1850.00"))
        overdue = sum((self.open_amount(inv) for inv in self.invoices if inv.customer == covered.number
                       and inv.company == covered.company and inv.due_date and inv.due_date < self.as_of),
                      Decimal(0))
        self.credit(covered, "credit_note", day(-6), overdue + Decimal("300.00"))

    def open_amount(self, invoice: DemoInvoice) -> Decimal:
        paid = sum((amount for credit in self.credits for inv, amount, _ in credit.allocations if inv is invoice),
                   Decimal(0))
        return invoice.amount - paid

    # --- numbers in date order, as a billing system gives them ---------------------------------
    def number(self) -> None:
        for spec in COMPANIES:
            code = spec.company.code
            bills = sorted((i for i in self.invoices if i.company == code), key=lambda i: (i.issue_date, i.customer))
            for n, bill in enumerate(bills, start=1):
                bill.number = spec.invoice_number.format(n=n + 4100, year=bill.issue_date.year)
            for kind, fmt in (("payment", spec.payment_number), ("credit_note", spec.credit_note_number)):
                rows = sorted((c for c in self.credits if c.company == code and c.kind == kind),
                              key=lambda c: (c.date, c.customer))
                for n, row in enumerate(rows, start=1):
                    row.number = fmt.format(n=n + 700)


def generate(as_of: date, seed: int = SEED) -> DemoData:
    """The demo data set as of `as_of`: same seed and date, same data."""
    gen = _Generator(as_of, seed)
    gen.build()
    gen.number()
    start = as_of - timedelta(days=HISTORY_DAYS + 60)
    rates = [(start, "EUR", "USD", Decimal("1.0850")), (start, "USD", "CAD", Decimal("1.3650")),
             (start, "EUR", "JPY", Decimal("162.40")), (start, "USD", "JPY", Decimal("149.70")),
             (start, "EUR", "CAD", Decimal("1.4810"))]
    return DemoData(as_of, seed, [spec.company for spec in COMPANIES], gen.customers, gen.invoices, gen.credits,
                    rates)
