"""Invariants of the decision core on generated snapshots (hypothesis).

Each property is one thing a collections team relies on whatever the data: a letter never mixes
currencies, its total adds up, a payment never makes things worse, the order of the input does
not matter, time only moves levels up, and a fee is charged once per record, level and cycle.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from dunning.core import evaluate
from dunning.core.facts import (
    DUNNABLE_STATUSES, Allocation, Credit, Customer, Item, Level, PastLetter, Pause, Procedure, RecordKey, Snapshot,
)

AS_OF = date(2025, 6, 30)
DIGITS = {"EUR": 2, "USD": 2, "JPY": 0}
CURRENCIES = tuple(DIGITS)
RATES = {("EUR", "USD"): Decimal("1.10"), ("EUR", "JPY"): Decimal("160")}
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def money(minor: int, currency: str) -> Decimal:
    return Decimal(minor).scaleb(-DIGITS[currency])


def open_on(item: Item, when: date) -> Decimal:
    return item.amount - sum((a.amount for a in item.allocations if a.date <= when), Decimal(0))


# --- strategies -------------------------------------------------------------------------------

@st.composite
def levels(draw) -> tuple[Level, ...]:
    days = sorted(draw(st.sets(st.integers(-10, 120), min_size=1, max_size=4)))
    out = []
    for number, d in enumerate(days, start=1):
        threshold = st.none() | st.integers(1, 50_000).map(lambda m: {"EUR": money(m, "EUR")})
        min_item, min_total = draw(threshold), draw(threshold)
        fee = draw(st.none() | st.integers(0, 5_000))
        out.append(Level(
            number=number, days=d, name=f"L{number}",
            min_item=min_item or {}, min_total=min_total or {},
            combine=draw(st.sampled_from(["and", "or"])),
            fee_fixed={c: money(fee, c) for c in ("EUR", "USD")} if fee else {},
            fee_percent=draw(st.none() | st.decimals("0", "12.5", places=2)),
            interest_rate=draw(st.none() | st.decimals("0", "15", places=2)),
        ))
    return tuple(draw(st.permutations(out)))


@st.composite
def procedures(draw, code: str = "STD") -> Procedure:
    return Procedure(
        code=code, levels=draw(levels()),
        scope=draw(st.sampled_from(["customer", "customer", "invoice"])),
        mode=draw(st.sampled_from(["jump", "step"])),
        min_interval_days=draw(st.integers(0, 14)),
        repeat_days=draw(st.none() | st.integers(1, 30)),
        interest_rate=draw(st.none() | st.decimals("0", "12", places=2)),
        charges_policy=draw(st.sampled_from(["collect", "waive"])),
        allow_invoice_override=draw(st.booleans()),
    )


def pauses(as_of: date):
    return st.none() | st.none() | st.builds(
        Pause, reason=st.just("on hold"),
        until=st.none() | st.integers(-20, 20).map(lambda k: as_of + timedelta(days=k)))


@st.composite
def allocations(draw, amount_minor: int, currency: str, latest: date) -> tuple[Allocation, ...]:
    out, left = [], amount_minor
    for _ in range(draw(st.integers(0, 2))):
        if left <= 0:
            break
        part = draw(st.sampled_from([left, max(1, left // 2), max(1, left - 1)]) | st.integers(1, left))
        when = latest - timedelta(days=draw(st.integers(0, 120)))
        out.append(Allocation(when, money(part, currency)))
        left -= part
    return tuple(out)


@st.composite
def snapshots(draw, as_of: date = AS_OF, charges: bool = True, history: bool = True,
              paid_until: date | None = None) -> Snapshot:
    """A company's facts: up to 3 customers, 10 items, 3 credits, 5 past letters (and their charges).

    Allocations and credits are dated on or before `paid_until` (default: the run date).
    """
    paid_until = paid_until or as_of
    proc, other = draw(procedures("STD")), draw(procedures("OWN"))
    names = [f"C{n}" for n in range(1, draw(st.integers(1, 3)) + 1)]
    customers = [Customer(number=n, procedure=draw(st.sampled_from(["STD", "STD", "STD", None])),
                          pause=draw(pauses(as_of))) for n in names]
    items = []
    for n in range(draw(st.integers(0, 10))):
        currency = draw(st.sampled_from(CURRENCIES))
        amount = draw(st.integers(1, 500_000))
        due = draw(st.none() | st.integers(-30, 200).map(lambda k: as_of - timedelta(days=k))
                   if draw(st.integers(0, 20)) == 0 else st.integers(-30, 200).map(lambda k: as_of - timedelta(days=k)))
        items.append(Item(
            number=f"INV-{n:02d}", customer=draw(st.sampled_from(names)), currency=currency,
            amount=money(amount, currency), due_date=due,
            status=draw(st.sampled_from(["open", "open", "open", "open", "draft", "void", "paid", "cancelled"])),
            disputed=draw(st.integers(0, 7)) == 0, pause=draw(pauses(as_of)) if draw(st.booleans()) else None,
            procedure="OWN" if draw(st.integers(0, 5)) == 0 else None,
            allocations=draw(allocations(amount, currency, paid_until)),
        ))
    credits = []
    for n in range(draw(st.integers(0, 3))):
        currency = draw(st.sampled_from(CURRENCIES))
        credits.append(Credit(
            number=f"CR-{n}", customer=draw(st.sampled_from(names)), currency=currency,
            amount=money(draw(st.integers(1, 200_000)), currency),
            date=paid_until - timedelta(days=draw(st.integers(0, 90))),
            status=draw(st.sampled_from(["posted", "posted", "cancelled"])),
            kind=draw(st.sampled_from(["payment", "credit_note"])),
        ))
    letters, charge_items = [], []
    if history and items:
        for n in range(draw(st.integers(0, 5))):
            chosen = draw(st.sampled_from(items))
            same = [i for i in items if (i.customer, i.currency) == (chosen.customer, chosen.currency)]
            listed = draw(st.lists(st.sampled_from(same), min_size=1, max_size=len(same), unique_by=lambda i: i.number))
            level = draw(st.integers(1, len(proc.levels)))
            when = as_of - timedelta(days=draw(st.integers(1, 90)))
            letter = PastLetter(
                number=f"L-{n}", record=RecordKey(chosen.customer, chosen.currency), date=when, level=level,
                state=draw(st.sampled_from(["sent", "sent", "sent", "pending", "removed"])),
                items={i.number: draw(st.integers(1, level)) for i in listed},
                fee_level=draw(st.none() | st.just(level)),
                interest_until={i.number: when for i in listed} if draw(st.booleans()) else {},
            )
            letters.append(letter)
            if charges and letter.state == "sent" and draw(st.booleans()):
                charge_items.append(Item(
                    number=f"{letter.number}/fee", customer=chosen.customer, currency=chosen.currency,
                    amount=money(draw(st.integers(1, 5_000)), chosen.currency), due_date=when, kind="charge",
                    origin_letter=letter.number, origin_items=tuple(i.number for i in listed),
                ))
    return Snapshot(company="CO1", as_of=as_of, procedures={"STD": proc, "OWN": other},
                    customers={c.number: c for c in customers}, items=tuple(items + charge_items),
                    credits=tuple(credits), history=tuple(letters), minor_units=dict(DIGITS), rates=dict(RATES))


# --- properties of one evaluation -------------------------------------------------------------

@SETTINGS
@given(snapshots())
def test_letters_are_one_currency_and_add_up_from_their_own_items(snap):
    items = {i.number: i for i in snap.items}
    credits = {c.number: c for c in snap.credits}
    for letter in evaluate(snap).letters:
        assert letter.lines, "a letter lists at least one dunned item"
        for line in letter.lines:
            item = items[line.number]
            assert (item.customer, item.currency) == (letter.customer, letter.currency)
            assert line.open_amount == open_on(item, snap.as_of)
            assert line.due_date == item.due_date and line.days_overdue == (snap.as_of - item.due_date).days
            assert line.kind == item.kind
        for credit in letter.credits:
            assert (credits[credit.number].customer, credits[credit.number].currency) == (
                letter.customer, letter.currency)
            assert credit.open_amount < 0
        assert letter.dunned_total == sum((ln.open_amount for ln in letter.lines), Decimal(0))
        assert letter.credit_total == -sum((c.open_amount for c in letter.credits), Decimal(0))
        assert letter.total == letter.dunned_total + letter.fee + letter.interest - letter.credit_total
        assert letter.total > 0
        unit = Decimal(1).scaleb(-DIGITS[letter.currency])
        assert letter.fee == letter.fee.quantize(unit) and letter.interest == letter.interest.quantize(unit)
        assert letter.fee >= 0 and letter.interest >= 0
        if letter.record.invoice is not None:
            # one invoice, or the charges it left behind once paid
            assert {ln.number for ln in letter.lines if ln.kind == "invoice"} <= {letter.record.invoice}
            assert all(letter.record.invoice in items[ln.number].origin_items
                       for ln in letter.lines if ln.kind == "charge")


@SETTINGS
@given(snapshots())
def test_paid_held_and_unposted_items_never_appear_as_dunned_lines(snap):
    decisions = evaluate(snap)
    items = {i.number: i for i in snap.items}
    for letter in decisions.letters:
        customer = snap.customers[letter.customer]
        assert customer.pause is None or not customer.pause.holds_on(snap.as_of)
        for line in letter.lines:
            item = items[line.number]
            assert item.status in DUNNABLE_STATUSES
            assert not item.disputed
            assert item.pause is None or not item.pause.holds_on(snap.as_of)
            assert open_on(item, snap.as_of) > Decimal(1).scaleb(-DIGITS[item.currency])
        for info in letter.info:
            item = items[info.number]
            assert open_on(item, snap.as_of) > 0 and item.status in DUNNABLE_STATUSES
    shown = {ln.number for lt in decisions.letters for ln in lt.lines}
    shown |= {i.number for lt in decisions.letters for i in lt.info}
    assert not shown & {i.number for i in snap.items if open_on(i, snap.as_of) <= 0}


@SETTINGS
@given(snapshots())
def test_step_mode_rises_at_most_one_level_above_the_highest_sent(snap):
    for letter in evaluate(snap).letters:
        procedure = snap.procedures[letter.procedure]
        assert all(ln.level <= letter.level for ln in letter.lines) or procedure.mode == "jump"
        if procedure.mode != "step":
            continue
        # the record's own letters, and letters that listed its items under another record (a procedure
        # changed between customer and invoice letters: its history carries over, BUG-28)
        items = {ln.number for ln in letter.lines}
        sent = [h.level for h in snap.history if h.state == "sent"
                and (h.record == letter.record or items.intersection(h.items))]
        assert letter.level <= max(sent, default=0) + 1


@SETTINGS
@given(snapshots(), st.randoms(use_true_random=False))
def test_result_does_not_depend_on_input_order(snap, rnd):
    def shuffled(seq):
        seq = list(seq)
        rnd.shuffle(seq)
        return tuple(seq)

    procedures = {code: replace(p, levels=shuffled(p.levels)) for code, p in shuffled(snap.procedures.items())}
    other = replace(snap, items=shuffled(snap.items), credits=shuffled(snap.credits), history=shuffled(snap.history),
                    customers=dict(shuffled(snap.customers.items())), procedures=procedures)
    assert evaluate(other) == evaluate(snap)


@SETTINGS
@given(snapshots(charges=False), st.data())
def test_a_later_payment_never_raises_a_level_nor_adds_a_letter(snap, data):
    payable = [i for i in snap.items if open_on(i, snap.as_of) > 0]
    assume(payable)
    item = data.draw(st.sampled_from(payable))
    latest = max([a.date for a in item.allocations], default=snap.as_of - timedelta(days=30))
    when = data.draw(st.integers(0, max(0, (snap.as_of - latest).days)).map(lambda k: snap.as_of - timedelta(days=k)))
    minor = int(open_on(item, snap.as_of).scaleb(DIGITS[item.currency]))
    part = money(data.draw(st.integers(1, minor)), item.currency)
    paid = replace(item, allocations=item.allocations + (Allocation(when, part),))
    after = evaluate(replace(snap, items=tuple(paid if i is item else i for i in snap.items)))
    before = {lt.record: lt for lt in evaluate(snap).letters}
    for letter in after.letters:
        assert letter.record in before, f"payment of {part} on {item.number} added a letter for {letter.record}"
        earlier = before[letter.record]
        assert letter.level <= earlier.level
        levels_before = {ln.number: ln.level for ln in earlier.lines}
        for line in letter.lines:
            assert line.level <= levels_before[line.number]


@SETTINGS
@given(snapshots(as_of=AS_OF, history=False, charges=False), st.integers(1, 90))
def test_a_later_run_date_never_lowers_an_item_level(snap, days):
    later = replace(snap, as_of=snap.as_of + timedelta(days=days))
    then = {ln.number: ln.level for lt in evaluate(snap).letters for ln in lt.lines}
    now = {ln.number: ln.level for lt in evaluate(later).letters for ln in lt.lines}
    for number, level in then.items():
        assert number in now, f"{number} at level {level} on {snap.as_of} vanished {days} days later"
        assert now[number] >= level


# --- a simulated sequence of days -------------------------------------------------------------

def record_sent(letter, charges: list[Item]) -> PastLetter:
    """What the shell would record once the letter is sent, and the charge items it creates."""
    invoices = tuple(ln.number for ln in letter.lines if ln.kind == "invoice")
    number = f"S-{letter.record.customer}-{letter.record.currency}-{letter.record.invoice}-{letter.as_of}"
    for what, amount in (("fee", letter.fee), ("interest", letter.interest)):
        if amount:
            charges.append(Item(number=f"{number}/{what}", customer=letter.customer, currency=letter.currency,
                                amount=amount, due_date=letter.as_of, kind="charge", origin_letter=number,
                                origin_items=invoices))
    return PastLetter(number=number, record=letter.record, date=letter.as_of, level=letter.level,
                      items={ln.number: ln.level for ln in letter.lines}, fee_level=letter.fee_level,
                      interest_until={n: letter.as_of for n in invoices}, repeat=letter.repeat)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(snapshots(as_of=AS_OF, history=False, charges=False, paid_until=AS_OF - timedelta(days=200)))
def test_day_by_day_fees_once_per_record_level_and_cycle_and_one_letter_per_interval(snap):
    """Every day for 150 days, each letter sent and its charges recorded; no payment comes in meanwhile."""
    history, charges, fees = [], [], Counter()
    last_letter: dict[RecordKey, date] = {}
    start = AS_OF - timedelta(days=150)
    for offset in range(151):
        today = start + timedelta(days=offset)
        decisions = evaluate(replace(snap, as_of=today, items=snap.items + tuple(charges), history=tuple(history)))
        assert len({lt.record for lt in decisions.letters}) == len(decisions.letters)
        for letter in decisions.letters:
            procedure = snap.procedures[letter.procedure]
            if letter.record in last_letter:
                assert (today - last_letter[letter.record]).days >= max(procedure.min_interval_days, 1)
            last_letter[letter.record] = today
            if letter.repeat:
                assert letter.fee == 0
            if letter.fee:
                fees[(letter.record, letter.fee_level)] += 1
            history.append(record_sent(letter, charges))
    assert all(count == 1 for count in fees.values()), fees
