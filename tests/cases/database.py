"""One case of cases.yaml in the real models, run through the real services, read back from the database.

`load_case` writes the case's companies (time zone, base currency, default language), its procedure
(levels in the order the case enters them), customers, invoices, payments, credit notes, exchange
rates and its history of sent letters. A history letter is made the way the product makes one: a
letter with its items, then `letter_mark_sent`, which turns its fee and interest into a charge item.

`run_case` runs it as the case says (one date, a list of dates, or one instant for companies in
different time zones) and delivers what was queued through `Recorder`, a transport that keeps every
message handed to it. `assert_case_in_database` checks the letters in the database against the
case's `expected` block, exactly, and that nothing else went out.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time, timezone
from decimal import Decimal
from typing import Any, Optional

from dunning.core.facts import Item
from dunning.models import (
    Allocation, AssignmentRule, Company, Credit, Customer, ExchangeRate, Invoice, Letter, LetterItem, Level,
    LevelAmount, Procedure, Run, customer_key,
)
from dunning.models.money import from_minor, to_minor

from . import to_facts
from .to_facts import day, money

# The case file's document statuses in the product's terms (draft / open / paid / void / cancelled).
STATUS = {None: "open", "open": "open", "sent": "open", "posted": "open", "paid": "paid", "refunded": "cancelled",
          "draft": "draft", "void": "void", "cancelled": "cancelled"}
GONE = ("superseded", "cancelled", "removed")


class Recorder:
    """A transport that accepts every letter and keeps what it was given."""

    def __init__(self) -> None:
        self.sent: list[tuple[int, str, Any]] = []  # (letter id, customer number, message)

    def deliver_letter(self, letter, built, pdf):
        from dunning.delivery.smtp import Outcome

        assert pdf.startswith(b"%PDF"), "every letter goes out with its PDF"
        self.sent.append((letter.pk, letter.customer.number, built.message))
        return Outcome("sent", "recorded by the test")

    def per_letter(self) -> Counter:
        return Counter(letter_id for letter_id, _, _ in self.sent)

    def customers(self) -> set[str]:
        return {number for _, number, _ in self.sent}


@dataclass
class Loaded:
    case: dict
    companies: dict[str, Company]
    customers: dict[str, Customer]
    invoices: dict[str, Invoice]
    procedure: Procedure
    history: dict[str, Letter] = field(default_factory=dict)  # the case's letter name -> row

    def history_ids(self) -> set[int]:
        return {letter.pk for letter in self.history.values()}

    def made(self):
        """The letters the run made (history letters excluded)."""
        return (Letter.objects.exclude(pk__in=self.history_ids()).select_related("company", "customer")
                .order_by("id"))


# ---------------------------------------------------------------------------------------------
# Writing a case
# ---------------------------------------------------------------------------------------------

def load_case(case: dict, *, procedure_fields: Optional[dict] = None, templates: Optional[tuple[str, ...]] = None,
              history: bool = True, payments: bool = True) -> Loaded:
    from dunning.delivery.defaults import default_text, install_default_templates
    from dunning.models import Template

    config = case.get("config") or {}
    languages = templates or tuple(config.get("templates_available") or ())
    if languages:
        for language in languages:
            for level in (1, 2, 3):
                for channel in ("email", "pdf"):
                    Template.objects.create(level=level, channel=channel, language=language,
                                            **default_text(language, level, channel))
    else:
        install_default_templates()

    procedure = procedure_from_case(case, **(procedure_fields or {}))
    companies = {code: company_from_case(case, code) for code in to_facts.companies(case)}
    customers = {}
    for entry in case.get("customers", []):
        customers[entry["id"]] = Customer.objects.create(
            company=companies[entry["company"]], number=entry["id"], key=customer_key(entry["id"]),
            name=f"Customer {entry['id']}", address="1 Example Street\n10000 Example City", country="",
            language=entry.get("language") or "", currency=entry["currency"],
            email=f"ap-{entry['id'].lower()}@customer.example.com",
            paused=bool(entry.get("dunning_paused")),
            pause_reason="internal customer" if entry.get("dunning_paused") else "")
    invoices = {}
    for entry in case.get("invoices", []):
        owner = customers[entry["customer"]]
        excluded = to_facts.invoice_excluded(entry, config)
        invoices[entry["id"]] = Invoice.objects.create(
            company=owner.company, customer=owner, number=entry["id"], currency=entry["currency"],
            amount_minor=to_minor(money(entry["amount"]), entry["currency"]),
            issue_date=day(entry["issue_date"]) if entry.get("issue_date") else None,
            due_date=to_facts.invoice_due_date(entry), status=STATUS[entry.get("status")],
            paused=excluded, pause_reason="excluded from dunning" if excluded else "")
    if payments:
        load_payments(case, customers, invoices)
    load_rates(case)
    loaded = Loaded(case, companies, customers, invoices, procedure)
    if history:
        load_history(loaded)
    return loaded


def company_from_case(case: dict, code: str) -> Company:
    config = case.get("config") or {}
    first = next(c for c in case.get("customers", []) if c["company"] == code)
    return Company.objects.create(
        code=code, name=f"Company {code}",
        base_currency=(config.get("company_base_currency") or {}).get(code, first["currency"]),
        timezone=(config.get("company_timezone") or {}).get(code, "UTC"),
        language=config.get("default_language", "en"), address="Example Road 1\n00000 Example",
        sender_email=f"dunning@{code.lower()}.example.com", payment_instructions="IBAN XX00 0000 0000")


def procedure_from_case(case: dict, **fields: Any) -> Procedure:
    """The case's levels as Level rows in the order the case enters them (the product ranks them by days)."""
    config = case.get("config") or {}
    currencies = to_facts.case_currencies(case)
    values = dict(code=to_facts.PROCEDURE, name="Case procedure",
                  mode="step" if config.get("escalation_policy") == "sequential" else "jump",
                  charges_policy="waive" if config.get("charges_policy", "collect").startswith("waive") else "collect")
    values.update(fields)
    procedure = Procedure.objects.create(**values)
    entries = to_facts.level_entries(config)
    by_days = sorted(entries, key=lambda e: e["min_days_overdue"])
    for entry in entries:
        number = by_days.index(entry) + 1
        rate = entry.get("interest_rate_pa")
        percent = entry.get("late_fee_percent")
        level = Level.objects.create(procedure=procedure, days=int(entry["min_days_overdue"]),
                                     name=entry.get("level_name", f"Level {number}"),
                                     fee_percent=money(percent) if percent is not None else None,
                                     interest_rate=money(rate) if rate is not None else None)
        fee = money(entry.get("fee", "0"))
        if fee:
            for currency in currencies:
                LevelAmount.objects.create(level=level, kind="fee", currency=currency,
                                           amount_minor=to_minor(fee, currency))
    AssignmentRule.objects.create(priority=1, procedure=procedure)
    return procedure


def load_payments(case: dict, customers: dict, invoices: dict) -> None:
    for payment in case.get("payments", []):
        owner = customers[payment["customer"]]
        credit = Credit.objects.create(company=owner.company, customer=owner, kind="payment",
                                       number=payment["id"], date=to_facts.payment_day(payment),
                                       currency=payment["currency"],
                                       amount_minor=to_minor(money(payment["amount"]), payment["currency"]))
        for alloc in payment.get("allocations", []):
            Allocation.objects.create(invoice=invoices[alloc["invoice"]], credit=credit,
                                      date=to_facts.payment_allocation_day(payment),
                                      amount_minor=to_minor(money(alloc["amount"]), payment["currency"]))
    for note in case.get("credit_notes", []):
        owner = customers[note["customer"]]
        credit = Credit.objects.create(company=owner.company, customer=owner, kind="credit_note", number=note["id"],
                                       date=day(note["date"]), currency=note["currency"],
                                       amount_minor=to_minor(-money(note["amount"]), note["currency"]),
                                       status="cancelled" if note.get("status") == "cancelled" else "posted")
        if note.get("applied_to"):
            Allocation.objects.create(invoice=invoices[note["applied_to"]], credit=credit, date=day(note["date"]),
                                      amount_minor=to_minor(-money(note["amount"]), note["currency"]))


def load_rates(case: dict) -> None:
    """BUG-23: the rate the invoice was booked at (its issue date) and today's rate, both NOK -> DKK."""
    config = case.get("config") or {}
    if "current_rate_dkk_per_100_nok" not in config:
        return
    for entry in case.get("invoices", []):
        if entry.get("booked_rate_dkk_per_100"):
            ExchangeRate.objects.create(date=day(entry["issue_date"]), base=entry["currency"],
                                        quote=entry["base_currency"],
                                        rate=money(entry["booked_rate_dkk_per_100"]) / 100)
    ExchangeRate.objects.create(date=to_facts.as_of_for(case, "CO1"), base="NOK", quote="DKK",
                                rate=money(config["current_rate_dkk_per_100_nok"]) / 100)


def load_history(loaded: Loaded) -> None:
    """Each sent letter of the case's history, made and marked sent as the product does it."""
    case = loaded.case
    core_items = [Item(number=row.number, customer=row.customer.number, currency=row.currency, amount=row.amount,
                       due_date=row.due_date, status="open" if row.status == "open" else row.status,
                       allocations=tuple(to_facts.allocations_by_invoice(case).get(row.number, ())))
                  for row in loaded.invoices.values()]
    for entry in case.get("history", []) or []:
        owner = loaded.customers[entry["customer"]]
        listed = to_facts.history_items(entry, owner.currency, core_items)
        loaded.history[entry["letter"]] = past_letter(
            owner, day(entry["date"]), int(entry["level"]), {loaded.invoices[n]: int(entry["level"]) for n in listed},
            procedure_code=str(entry.get("source") or loaded.procedure.code),
            fee=money(entry.get("fee", "0")), interest=money(entry["interest"]) if "interest" in entry else None)


def past_letter(customer: Customer, when: date, level: int, items: dict, *, procedure_code: str = "CASE",
                fee: Decimal = Decimal(0), interest: Optional[Decimal] = None, state: str = "sent") -> Letter:
    """A letter sent on `when` listing `items` ({invoice: level}); its fee and interest become a charge."""
    from dunning.services.letters import letter_mark_sent

    currency = customer.currency
    open_minor = {inv: inv.amount_minor - sum(a.amount_minor for a in inv.allocations.filter(date__lte=when))
                  for inv in items}
    dunned = sum(open_minor.values())
    fee_minor = to_minor(fee, currency)
    interest_minor = to_minor(interest or Decimal(0), currency)
    run = Run.objects.create(as_of=when, status="finished")
    letter = Letter.objects.create(run=run, company=customer.company, customer=customer, currency=currency, date=when,
                                   procedure_code=procedure_code, level=level, level_name=f"Level {level}",
                                   language=customer.language or "en", state="queued", dunned_minor=dunned,
                                   fee_minor=fee_minor, fee_level=level if fee_minor else None,
                                   interest_minor=interest_minor, total_minor=dunned + fee_minor + interest_minor)
    for inv, item_level in items.items():
        LetterItem.objects.create(letter=letter, invoice=inv, level=item_level,
                                  days_overdue=(when - inv.due_date).days, open_minor=open_minor[inv],
                                  interest_until=when if interest is not None else None)
    if state == "sent":
        letter_mark_sent(letter, datetime.combine(when, time(9), tzinfo=timezone.utc))
    else:
        Letter.objects.filter(pk=letter.pk).update(state=state)
    letter.refresh_from_db()
    return letter


# ---------------------------------------------------------------------------------------------
# Running a case
# ---------------------------------------------------------------------------------------------

def instant(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    return datetime.fromisoformat(str(value).replace("Z", "+00:00"))


def run_case(loaded: Loaded, transport: Recorder, *, deliver: bool = True) -> list:
    """Run as the case says, delivering what is queued after each run; returns the RunResults."""
    from dunning.delivery.send import deliver_queued
    from dunning.services.run import run_dunning

    case = loaded.case
    results = []
    if isinstance(case["as_of_date"], dict):
        runs = [dict(now=instant(case["as_of_instant"]))]
    elif isinstance(case.get("runs"), list):
        runs = [dict(as_of=day(d)) for d in case["runs"]]
    else:
        runs = [dict(as_of=day(case["as_of_date"]))]
    for kwargs in runs:
        result = run_dunning(deliver=False, **kwargs)
        assert not result.errors, result.errors
        results.append(result)
        if deliver:
            deliver_queued(result.run_id, transport=transport)
    return results


# ---------------------------------------------------------------------------------------------
# Reading it back
# ---------------------------------------------------------------------------------------------

def assert_case_in_database(loaded: Loaded, transport: Recorder, results: list) -> None:
    """Exactly the expected letters exist, each sent once with its exact content; nothing else went out."""
    case = loaded.case
    expected = case.get("expected") or {}
    currency_of = {c["id"]: c["currency"] for c in case.get("customers", [])}
    wanted = [{"currency": currency_of[e["customer"]], **e} for e in expected.get("letters") or []]
    made = list(loaded.made())
    live = [letter for letter in made if letter.state not in GONE]
    got_keys = sorted((l.customer.number, l.currency, l.invoice_key) for l in live)
    assert got_keys == sorted((w["customer"], w["currency"], "") for w in wanted), got_keys
    assert {l.state for l in live} <= {"sent"}, [(l.customer.number, l.state, l.reasons) for l in live]
    assert transport.per_letter() == Counter({l.pk: 1 for l in live}), "each expected letter sent once, none else"
    silent = set(expected.get("no_letter_for") or [])
    assert not silent & {l.customer.number for l in made}, "no letter, in any state, for " + ", ".join(silent)
    assert not silent & transport.customers()
    by_key = {(l.customer.number, l.currency): l for l in live}
    for want in wanted:
        assert_letter_row(loaded, by_key[(want["customer"], want["currency"])], want)
    runs = Run.objects.filter(pk__in=[r.run_id for r in results])
    assert sum(r.counts.get("letters", 0) for r in runs) == len(made)


def as_of_of(loaded: Loaded, letter: Letter) -> date:
    return to_facts.as_of_for(loaded.case, letter.company.code)


def assert_letter_row(loaded: Loaded, letter: Letter, want: dict) -> None:
    from dunning.delivery.render import render_email

    currency = letter.currency
    who = letter.customer.number
    if "level" in want:
        assert letter.level == want["level"], f"{who}: level {letter.level}, expected {want['level']}"
    if "level_name" in want:
        assert letter.level_name == want["level_name"], f"{who}: {letter.level_name}"
    if "company" in want:
        assert letter.company.code == want["company"]
    letter_day = day(want.get("letter_date") or want.get("sent_on") or as_of_of(loaded, letter))
    assert letter.date == letter_day and letter.data["letter"]["date"] == letter_day.isoformat()
    rows = list(letter.items.select_related("invoice", "invoice__origin_letter").order_by("invoice__number"))
    if "items" in want:
        invoices = [w for w in want["items"] if "invoice" in w]
        got = {r.invoice.number: r for r in rows if r.invoice.kind == "invoice"}
        assert sorted(got) == sorted(w["invoice"] for w in invoices), f"{who}: lines {sorted(got)}"
        for w in invoices:
            row = got[w["invoice"]]
            assert from_minor(row.open_minor, currency) == money(w["open_amount"]), f"{row.invoice.number} open"
            assert row.days_overdue == w["days_overdue"], f"{row.invoice.number} days {row.days_overdue}"
            if "level" in w:
                assert row.level == w["level"], f"{row.invoice.number} level {row.level}"
        credits = {c["number"]: money(c["open_amount"]) for c in letter.data["credits"]}
        assert credits == {w["credit_note"]: money(w["open_amount"]) for w in want["items"] if "credit_note" in w}
    charges = [r for r in rows if r.invoice.kind == "charge"]
    names = {l.pk: name for name, l in loaded.history.items()}
    owed = Counter()
    for row in charges:
        owed[names[row.invoice.origin_letter_id]] += from_minor(row.open_minor, currency)
    assert owed == Counter({w["from_letter"]: money(w.get("fee", "0")) + money(w.get("interest", "0"))
                            for w in want.get("outstanding_charges") or []})
    assert from_minor(letter.fee_minor, currency) == money(want.get("fees", "0")), f"{who}: fee {letter.fee_minor}"
    assert from_minor(letter.interest_minor, currency) == money(want.get("interest", "0")), f"{who}: interest"
    assert from_minor(letter.total_minor, currency) == money(want["total_due"]), f"{who}: total {letter.total_minor}"
    assert letter.data["totals"]["total"] == str(money(want["total_due"]))
    assert letter.dunned_minor == sum(r.open_minor for r in rows)
    assert letter.total_minor == letter.dunned_minor + letter.fee_minor + letter.interest_minor - letter.credit_minor
    for key in ("count_sent_that_day", "count_sent"):
        if key in want:
            assert Letter.objects.filter(customer=letter.customer, date=letter.date, state="sent").exclude(
                pk__in=loaded.history_ids()).count() == want[key]
    if "language" in want:
        email = render_email(letter)
        assert email.language == want["language"], f"{who}: written in {email.language}"
        assert email.subject.strip() and email.text.strip() and email.html.strip()
