"""One test per rule of SPEC section 3 ("Precise rules"), with exact values, on the pure core.

Each test builds its facts by hand (a customer, a few invoices, a procedure) and reads the
decisions the way a collector would: which letter, at which level, for how much, and why not.
"""
from __future__ import annotations

from datetime import date
from decimal import Decimal as D

from dunning.core import evaluate
from dunning.core.facts import (
    Allocation, Credit, Customer, Item, Level, PastLetter, Pause, Procedure, RecordKey, Snapshot,
)

STANDARD = (Level(1, 1, "Reminder"), Level(2, 30, "Second reminder"), Level(3, 60, "Final notice"))


def procedure(levels=STANDARD, code="STD", **fields) -> Procedure:
    return Procedure(code=code, levels=tuple(levels), **fields)


def invoice(number: str, amount: str, due: date, customer: str = "C1", currency: str = "EUR", paid=(),
            **fields) -> Item:
    """An open invoice; `paid` is [(date, amount), ...] of allocations."""
    return Item(number=number, customer=customer, currency=currency, amount=D(amount), due_date=due,
                allocations=tuple(Allocation(when, D(part)) for when, part in paid), **fields)


def snapshot(as_of: date, items, proc: Procedure | None = None, customers=None, credits=(), history=(),
             more_procedures=(), **fields) -> Snapshot:
    proc = proc or procedure()
    if customers is None:
        customers = [Customer(number=n, procedure=proc.code) for n in sorted({i.customer for i in items})]
    procedures = {p.code: p for p in (proc, *more_procedures)}
    return Snapshot(company="CO1", as_of=as_of, procedures=procedures,
                    customers={c.number: c for c in customers}, items=tuple(items), credits=tuple(credits),
                    history=tuple(history), minor_units={"EUR": 2, "USD": 2, "JPY": 0}, **fields)


def sent(number: str, when: date, level: int, items: dict[str, int], customer: str = "C1", currency: str = "EUR",
         **fields) -> PastLetter:
    return PastLetter(number=number, record=RecordKey(customer, currency), date=when, level=level, items=items,
                      **fields)


def only_letter(decisions, customer="C1", currency="EUR", invoice=None):
    mine = [lt for lt in decisions.letters
            if (lt.customer, lt.currency, lt.record.invoice) == (customer, currency, invoice)]
    assert len(mine) == 1, f"letters: {[(lt.record, lt.level) for lt in decisions.letters]}"
    return mine[0]


def lines(letter) -> dict[str, tuple]:
    return {ln.number: (ln.open_amount, ln.days_overdue, ln.level) for ln in letter.lines}


def skip_codes(decisions, customer="C1") -> list[str]:
    return [s.code for s in decisions.skips if s.customer == customer]


# --- AND / OR, per-currency thresholds, default currency through a rate -----------------------

THRESHOLDS = dict(min_item={"EUR": D("100.00")}, min_total={"EUR": D("500.00")})
DUE = date(2024, 1, 1)
AS_OF = date(2024, 1, 11)  # 10 days overdue: level 1 only


def test_and_needs_every_threshold_that_is_set():
    proc = procedure([Level(1, 1, combine="and", **THRESHOLDS)])
    alone = evaluate(snapshot(AS_OF, [invoice("INV-1", "300.00", DUE)], proc))
    assert alone.letters == () and skip_codes(alone) == ["not_overdue"]
    both = only_letter(evaluate(snapshot(AS_OF, [invoice("INV-1", "300.00", DUE),
                                                 invoice("INV-2", "250.00", DUE)], proc)))
    assert lines(both) == {"INV-1": (D("300.00"), 10, 1), "INV-2": (D("250.00"), 10, 1)}
    assert both.total == D("550.00")


def test_or_needs_any_one_threshold():
    proc = procedure([Level(1, 1, combine="or", **THRESHOLDS)])
    letter = only_letter(evaluate(snapshot(AS_OF, [invoice("INV-1", "300.00", DUE)], proc)))
    assert lines(letter) == {"INV-1": (D("300.00"), 10, 1)}
    assert evaluate(snapshot(AS_OF, [invoice("INV-1", "50.00", DUE)], proc)).letters == ()


def test_without_thresholds_days_alone_decide():
    letter = only_letter(evaluate(snapshot(AS_OF, [invoice("INV-1", "0.50", DUE)])))
    assert (letter.level, letter.total) == (1, D("0.50"))


def test_a_currency_with_its_own_line_uses_it_unconverted():
    proc = procedure([Level(1, 1, min_item={"EUR": D("100.00"), "USD": D("50.00")})])
    letter = only_letter(evaluate(snapshot(AS_OF, [invoice("INV-1", "60.00", DUE, currency="USD")], proc,
                                           rates={("EUR", "USD"): D("1.25")})), currency="USD")
    assert letter.total == D("60.00")


def test_a_currency_without_a_line_uses_the_default_currency_through_the_rate():
    proc = procedure([Level(1, 1, min_item={"EUR": D("100.00")})], default_currency="EUR")
    for rates in ({("EUR", "USD"): D("1.25")}, {("USD", "EUR"): D("0.8")}):  # 100 EUR = 125 USD either way
        met = evaluate(snapshot(AS_OF, [invoice("INV-1", "125.00", DUE, currency="USD")], proc, rates=rates))
        assert only_letter(met, currency="USD").total == D("125.00")
        short = evaluate(snapshot(AS_OF, [invoice("INV-1", "124.99", DUE, currency="USD")], proc, rates=rates))
        assert short.letters == ()


def test_a_missing_rate_is_reported_not_guessed():
    proc = procedure([Level(1, 1, min_item={"EUR": D("100.00")})])
    decisions = evaluate(snapshot(AS_OF, [invoice("INV-1", "1000.00", DUE, currency="USD")], proc))
    assert decisions.letters == ()
    assert [(d.customer, d.problem) for d in decisions.data_issues] == [("C1", "missing_exchange_rate")]


def test_levels_are_ranked_by_days_not_by_entry_order():
    proc = procedure([Level(3, 60, "Final notice"), Level(1, 1, "Reminder"), Level(2, 30, "Second reminder")])
    letter = only_letter(evaluate(snapshot(date(2024, 2, 5), [invoice("INV-1", "100.00", DUE)], proc)))
    assert (letter.level, letter.level_name) == (2, "Second reminder")


# --- step and jump ----------------------------------------------------------------------------

SEVENTY = date(2024, 3, 11)  # INV-1 due 2024-01-01 is 70 days overdue


def test_jump_goes_to_the_highest_level_met():
    letter = only_letter(evaluate(snapshot(SEVENTY, [invoice("INV-1", "1000.00", DUE)], procedure(mode="jump"))))
    assert (letter.level, lines(letter)) == (3, {"INV-1": (D("1000.00"), 70, 3)})


def test_step_goes_one_level_above_the_highest_sent_and_caps_item_levels():
    proc = procedure(mode="step")
    items = [invoice("INV-1", "1000.00", DUE)]
    first = only_letter(evaluate(snapshot(SEVENTY, items, proc)))
    assert (first.level, lines(first)) == (1, {"INV-1": (D("1000.00"), 70, 1)})
    after_one = [sent("L-1", date(2024, 1, 10), 1, {"INV-1": 1})]
    second = only_letter(evaluate(snapshot(SEVENTY, items, proc, history=after_one)))
    assert (second.level, lines(second), second.lines[0].reminded_level) == (2, {"INV-1": (D("1000.00"), 70, 2)}, 1)
    after_two = after_one + [sent("L-2", date(2024, 2, 10), 2, {"INV-1": 2})]
    third = only_letter(evaluate(snapshot(SEVENTY, items, proc, history=after_two)))
    assert third.level == 3


# --- repeat, minimum interval -----------------------------------------------------------------

def test_repeat_sends_the_last_level_again_every_n_days_without_a_fee():
    levels = (*STANDARD[:2], Level(3, 60, "Final notice", fee_fixed={"EUR": D("20.00")}))
    proc = procedure(levels, repeat_days=14)
    items = [invoice("INV-1", "1000.00", DUE)]
    history = [sent("L-3", SEVENTY, 3, {"INV-1": 3}, fee_level=3)]
    assert evaluate(snapshot(date(2024, 3, 24), items, proc, history=history)).letters == ()
    again = only_letter(evaluate(snapshot(date(2024, 3, 25), items, proc, history=history)))
    assert (again.repeat, again.level, again.fee, again.fee_level, again.total) == (True, 3, D("0"), None,
                                                                                   D("1000.00"))
    # counted from the last letter, the repeat itself
    history.append(sent("L-4", date(2024, 3, 25), 3, {"INV-1": 3}, repeat=True))
    assert evaluate(snapshot(date(2024, 4, 7), items, proc, history=history)).letters == ()
    assert only_letter(evaluate(snapshot(date(2024, 4, 8), items, proc, history=history))).repeat
    # without a repeat interval nothing is sent again while nothing rises
    assert evaluate(snapshot(date(2024, 3, 25), items, procedure(levels), history=history[:1])).letters == ()


def test_minimum_interval_holds_a_rise_and_says_why():
    items = [invoice("INV-1", "1000.00", DUE)]
    history = [sent("L-1", date(2024, 1, 28), 1, {"INV-1": 1})]
    held = evaluate(snapshot(date(2024, 1, 31), items, history=history))  # 30 days: level 2 met
    assert held.letters == ()
    assert [(s.code, s.reason) for s in held.skips] == [
        ("interval", "last letter 3 days ago; minimum interval 7 days")]
    letter = only_letter(evaluate(snapshot(date(2024, 2, 4), items, history=history)))
    assert (letter.level, lines(letter)) == (2, {"INV-1": (D("1000.00"), 34, 2)})


def test_a_letter_held_in_review_counts_its_interval_and_repeat_from_the_day_it_went_out():
    """Written 2024-01-28, approved and sent 2024-02-02: the interval of 7 days ends 2024-02-09, not 02-04."""
    items = [invoice("INV-1", "1000.00", DUE)]
    history = [sent("L-1", date(2024, 1, 28), 1, {"INV-1": 1}, sent_on=date(2024, 2, 2))]
    held = evaluate(snapshot(date(2024, 2, 4), items, history=history))  # level 2 met, 2 days after sending
    assert [(s.code, s.reason) for s in held.skips] == [
        ("interval", "last letter 2 days ago; minimum interval 7 days")]
    assert only_letter(evaluate(snapshot(date(2024, 2, 9), items, history=history))).level == 2
    repeating = procedure(STANDARD[:1], repeat_days=10)
    assert evaluate(snapshot(date(2024, 2, 11), items, repeating, history=history)).letters == ()
    again = only_letter(evaluate(snapshot(date(2024, 2, 12), items, repeating, history=history)))
    assert (again.repeat, again.level) == (True, 1)


# --- pre-due, pause, dispute, tolerance -------------------------------------------------------

def test_pre_due_level_duns_inside_its_window_and_the_interval_applies():
    proc = procedure([Level(1, -5, "Friendly"), Level(2, 1, "Reminder"), Level(3, 30, "Second")])
    items = [invoice("INV-1", "400.00", date(2024, 3, 10))]
    assert evaluate(snapshot(date(2024, 3, 4), items, proc)).letters == ()
    friendly = only_letter(evaluate(snapshot(date(2024, 3, 5), items, proc)))
    assert (friendly.level, friendly.level_name, lines(friendly)) == (1, "Friendly",
                                                                      {"INV-1": (D("400.00"), -5, 1)})
    history = [sent("F-1", date(2024, 3, 5), 1, {"INV-1": 1})]
    held = evaluate(snapshot(date(2024, 3, 11), items, proc, history=history))
    assert held.letters == () and skip_codes(held) == ["interval"]
    overdue = only_letter(evaluate(snapshot(date(2024, 3, 12), items, proc, history=history)))
    assert (overdue.level, lines(overdue)) == (2, {"INV-1": (D("400.00"), 2, 2)})


def test_customer_pause_with_until_date_ends_by_itself_the_day_after():
    items = [invoice("INV-1", "100.00", DUE)]
    customers = [Customer("C1", procedure="STD", pause=Pause("holiday", until=date(2024, 2, 10)))]
    held = evaluate(snapshot(date(2024, 2, 10), items, customers=customers))
    assert held.letters == ()
    assert [s.code for s in held.skips] == ["paused"]
    assert "paused until 2024-02-10" in held.skips[0].reason
    letter = only_letter(evaluate(snapshot(date(2024, 2, 11), items, customers=customers)))
    assert lines(letter) == {"INV-1": (D("100.00"), 41, 2)}


def test_invoice_pause_with_until_date_holds_only_that_invoice():
    items = [invoice("INV-1", "100.00", DUE), invoice("INV-2", "200.00", DUE, pause=Pause("query", date(2024, 2, 10)))]
    letter = only_letter(evaluate(snapshot(date(2024, 2, 10), items)))
    assert lines(letter) == {"INV-1": (D("100.00"), 40, 2)}
    assert [(i.number, i.note) for i in letter.info] == [("INV-2", "paused")]
    assert letter.total == D("100.00")
    later = only_letter(evaluate(snapshot(date(2024, 2, 11), items)))
    assert set(lines(later)) == {"INV-1", "INV-2"} and later.total == D("300.00")


def test_disputed_invoice_is_shown_as_information_never_dunned():
    items = [invoice("INV-1", "100.00", DUE), invoice("INV-2", "900.00", DUE, disputed=True,
                                                       dispute_reason="goods damaged")]
    letter = only_letter(evaluate(snapshot(SEVENTY, items)))
    assert lines(letter) == {"INV-1": (D("100.00"), 70, 3)}
    assert [(i.number, i.open_amount, i.note) for i in letter.info] == [("INV-2", D("900.00"), "disputed")]
    assert (letter.dunned_total, letter.total) == (D("100.00"), D("100.00"))
    assert evaluate(snapshot(SEVENTY, items[1:])).letters == ()


def test_open_amount_at_the_tolerance_is_paid():
    paid = [invoice("INV-1", "100.00", DUE, paid=[(date(2024, 1, 5), "99.99")])]
    assert evaluate(snapshot(AS_OF, paid, tolerance={"EUR": D("0.01")})).letters == ()
    assert evaluate(snapshot(AS_OF, paid)).letters == ()  # default: one minor unit
    owed = [invoice("INV-1", "100.00", DUE, paid=[(date(2024, 1, 5), "99.98")])]
    assert only_letter(evaluate(snapshot(AS_OF, owed, tolerance={"EUR": D("0.01")}))).total == D("0.02")
    assert evaluate(snapshot(AS_OF, owed, tolerance={"EUR": D("1.00")})).letters == ()
    yen = [invoice("INV-1", "1000", DUE, currency="JPY", paid=[(date(2024, 1, 5), "999")])]
    assert evaluate(snapshot(AS_OF, yen)).letters == ()
    yen2 = [invoice("INV-1", "1000", DUE, currency="JPY", paid=[(date(2024, 1, 5), "998")])]
    assert only_letter(evaluate(snapshot(AS_OF, yen2)), currency="JPY").total == D("2")


# --- fees -------------------------------------------------------------------------------------

def test_fixed_fee_per_currency():
    proc = procedure([Level(1, 1, fee_fixed={"EUR": D("5.00"), "USD": D("6.00")})])
    items = [invoice("INV-1", "100.00", DUE), invoice("INV-2", "200.00", DUE, currency="USD")]
    decisions = evaluate(snapshot(AS_OF, items, proc))
    eur, usd = only_letter(decisions), only_letter(decisions, currency="USD")
    assert (eur.fee, eur.fee_level, eur.total) == (D("5.00"), 1, D("105.00"))
    assert (usd.fee, usd.fee_level, usd.total) == (D("6.00"), 1, D("206.00"))


def test_percent_fee_rounds_half_up_to_the_minor_unit():
    proc = procedure([Level(1, 1, fee_percent=D("2.5"))])
    letter = only_letter(evaluate(snapshot(AS_OF, [invoice("INV-1", "100.20", DUE)], proc)))
    assert (letter.fee, letter.total) == (D("2.51"), D("102.71"))  # 2.505: half-even would give 2.50


def test_percent_fee_in_yen_has_no_minor_unit():
    proc = procedure([Level(1, 1, fee_percent=D("2.5"))])
    letter = only_letter(evaluate(snapshot(AS_OF, [invoice("INV-1", "1060", DUE, currency="JPY")], proc)),
                         currency="JPY")
    assert (letter.fee, letter.total) == (D("27"), D("1087"))  # 26.5: half-even would give 26
    assert letter.fee.as_tuple().exponent == 0


def test_percent_fee_is_taken_on_the_dunned_invoices_before_credits():
    proc = procedure([Level(1, 1, fee_percent=D("10"))])
    credits = [Credit("CN-1", "C1", "EUR", D("100.00"), date(2024, 1, 2))]
    letter = only_letter(evaluate(snapshot(AS_OF, [invoice("INV-1", "500.00", DUE)], proc, credits=credits)))
    assert (letter.fee, letter.credit_total, letter.total) == (D("50.00"), D("100.00"), D("450.00"))


def test_fee_is_charged_once_per_record_level_and_cycle():
    proc = procedure([Level(1, 1, fee_fixed={"EUR": D("5.00")}), Level(2, 30)])
    items = [invoice("INV-1", "100.00", date(2024, 1, 25)), invoice("INV-2", "200.00", date(2024, 2, 10))]
    history = [sent("L-1", date(2024, 2, 1), 1, {"INV-1": 1}, fee_level=1)]
    letter = only_letter(evaluate(snapshot(date(2024, 2, 20), items, proc, history=history)))
    assert (letter.level, letter.fee, letter.total) == (1, D("0"), D("300.00"))
    # A letter of an ended cycle (its invoice paid) does not count: the fee is charged again.
    old = [sent("L-0", date(2023, 11, 1), 1, {"INV-0": 1}, fee_level=1)]
    fresh = only_letter(evaluate(snapshot(date(2024, 2, 20), items, proc, history=old)))
    assert (fresh.fee, fresh.fee_level, fresh.total) == (D("5.00"), 1, D("305.00"))


def test_jump_charges_only_the_level_reached():
    proc = procedure([Level(1, 1, fee_fixed={"EUR": D("5.00")}), Level(2, 30, fee_fixed={"EUR": D("10.00")}),
                      Level(3, 60, fee_fixed={"EUR": D("20.00")})])
    letter = only_letter(evaluate(snapshot(SEVENTY, [invoice("INV-1", "1000.00", DUE)], proc)))
    assert (letter.level, letter.fee, letter.fee_level, letter.total) == (3, D("20.00"), 3, D("1020.00"))


# --- interest ---------------------------------------------------------------------------------

MARCH_1 = date(2024, 3, 1)  # INV-1 due 2024-01-01 is 60 days overdue


def test_interest_is_simple_act_365_per_day_overdue():
    letter = only_letter(evaluate(snapshot(MARCH_1, [invoice("INV-1", "1000.00", DUE)],
                                           procedure(interest_rate=D("10")))))
    # 1000.00 × 10 % × 60 / 365 = 16.4383…
    assert (letter.interest, letter.total) == (D("16.44"), D("1016.44"))


def test_interest_line_says_the_first_day_charged():
    letter = only_letter(evaluate(snapshot(MARCH_1, [invoice("INV-1", "1000.00", DUE)],
                                           procedure(interest_rate=D("10")))))
    # decision.Line: interest_from is the first day charged; the due date itself is not overdue.
    assert letter.lines[0].interest_from == date(2024, 1, 2)


def test_a_partial_payment_lowers_interest_from_its_date():
    items = [invoice("INV-1", "1000.00", DUE, paid=[(date(2024, 2, 1), "400.00")])]
    letter = only_letter(evaluate(snapshot(MARCH_1, items, procedure(interest_rate=D("10")))))
    # 30 days (Jan 2 – Jan 31) on 1000.00, 30 days (Feb 1 – Mar 1) on 600.00: 4800 / 365 = 13.1506…
    assert (letter.interest, letter.lines[0].open_amount, letter.total) == (D("13.15"), D("600.00"), D("613.15"))


def test_interest_runs_from_the_end_of_the_period_an_earlier_letter_charged():
    history = [sent("L-2", date(2024, 2, 1), 2, {"INV-1": 2}, interest_until={"INV-1": date(2024, 2, 1)})]
    letter = only_letter(evaluate(snapshot(MARCH_1, [invoice("INV-1", "1000.00", DUE)],
                                           procedure(interest_rate=D("10")), history=history)))
    # Feb 2 – Mar 1: 29 days × 1000.00 × 10 % / 365 = 7.9452…
    assert (letter.level, letter.interest) == (3, D("7.95"))


def test_interest_is_rounded_once_per_letter_not_per_line():
    items = [invoice("INV-1", "50.00", DUE), invoice("INV-2", "50.00", DUE)]
    letter = only_letter(evaluate(snapshot(date(2024, 1, 2), items, procedure(interest_rate=D("3.65")))))
    assert [ln.interest for ln in letter.lines] == [D("0.005"), D("0.005")]
    assert (letter.interest, letter.total) == (D("0.01"), D("100.01"))  # per line it would be 0.02


def test_a_level_rate_overrides_the_procedure_rate():
    levels = [Level(1, 1, interest_rate=D("3.65"))]
    letter = only_letter(evaluate(snapshot(date(2024, 1, 2), [invoice("INV-1", "1000.00", DUE)],
                                           procedure(levels, interest_rate=D("10")))))
    assert letter.interest == D("0.10")  # 10 % would give 0.27


# --- charges ----------------------------------------------------------------------------------

CHARGE_LEVELS = (Level(1, 1), Level(2, 30, fee_fixed={"EUR": D("10.00")}), Level(3, 60))
D1 = sent("D-1", date(2024, 2, 5), 2, {"INV-1": 2}, fee_level=2)
D1_FEE = Item(number="D-1/fee", customer="C1", currency="EUR", amount=D("10.00"), due_date=date(2024, 2, 5),
              kind="charge", origin_letter="D-1", origin_items=("INV-1",))


def test_charges_ride_along_but_never_make_a_letter_due_by_themselves():
    items = [invoice("INV-1", "1000.00", DUE), D1_FEE]
    quiet = evaluate(snapshot(date(2024, 2, 20), items, procedure(CHARGE_LEVELS), history=[D1]))
    assert quiet.letters == () and skip_codes(quiet) == ["no_change"]
    letter = only_letter(evaluate(snapshot(MARCH_1, items, procedure(CHARGE_LEVELS), history=[D1])))
    assert letter.level == 3
    assert {ln.number: (ln.kind, ln.open_amount) for ln in letter.lines} == {
        "INV-1": ("invoice", D("1000.00")), "D-1/fee": ("charge", D("10.00"))}
    assert (letter.dunned_total, letter.fee, letter.total) == (D("1010.00"), D("0"), D("1010.00"))


def test_charges_left_after_the_principal_is_paid_are_dunned_like_an_invoice():
    items = [invoice("INV-1", "1000.00", DUE, paid=[(MARCH_1, "1000.00")]), D1_FEE]
    letter = only_letter(evaluate(snapshot(date(2024, 3, 10), items, procedure(CHARGE_LEVELS), history=[D1])))
    # due on D-1's date, 34 days overdue, never reminded; level 2's fee was already charged by D-1
    assert [(ln.number, ln.kind, ln.days_overdue, ln.level) for ln in letter.lines] == [
        ("D-1/fee", "charge", 34, 2)]
    assert (letter.level, letter.fee, letter.total) == (2, D("0"), D("10.00"))


def test_waive_policy_closes_charges_of_a_paid_principal_with_a_waiver():
    items = [invoice("INV-1", "1000.00", DUE, paid=[(MARCH_1, "1000.00")]), D1_FEE]
    decisions = evaluate(snapshot(date(2024, 3, 10), items, procedure(CHARGE_LEVELS, charges_policy="waive"),
                                  history=[D1]))
    assert decisions.letters == ()
    assert [(w.charge, w.customer, w.currency, w.amount) for w in decisions.waivers] == [
        ("D-1/fee", "C1", "EUR", D("10.00"))]
    assert "INV-1" in decisions.waivers[0].reason


# --- pending and removed letters --------------------------------------------------------------

def test_a_pending_letter_blocks_a_second_one():
    pending = PastLetter("P-1", RecordKey("C1", "EUR"), date(2024, 2, 5), 2, state="pending", items={"INV-1": 2})
    decisions = evaluate(snapshot(MARCH_1, [invoice("INV-1", "1000.00", DUE)], history=[pending]))
    assert decisions.letters == () and skip_codes(decisions) == ["pending"]


def test_a_letter_removed_from_review_reminded_nothing():
    removed = PastLetter("R-1", RecordKey("C1", "EUR"), date(2024, 2, 28), 2, state="removed", items={"INV-1": 2},
                         fee_level=2)
    letter = only_letter(evaluate(snapshot(date(2024, 2, 29), [invoice("INV-1", "1000.00", DUE)],
                                           procedure(CHARGE_LEVELS), history=[removed])))
    assert (letter.level, letter.lines[0].reminded_level, letter.fee) == (2, 0, D("10.00"))


# --- records: currency, invoice scope, invoice override ---------------------------------------

def test_one_letter_per_currency_never_mixing():
    items = [invoice("INV-1", "100.00", DUE), invoice("INV-2", "200.00", DUE, currency="USD")]
    credits = [Credit("CN-1", "C1", "EUR", D("30.00"), date(2024, 1, 5))]
    decisions = evaluate(snapshot(AS_OF, items, credits=credits))
    eur, usd = only_letter(decisions), only_letter(decisions, currency="USD")
    assert (set(lines(eur)), [c.number for c in eur.credits], eur.total) == ({"INV-1"}, ["CN-1"], D("70.00"))
    assert (set(lines(usd)), usd.credits, usd.total) == ({"INV-2"}, (), D("200.00"))
    assert len(decisions.letters) == 2


def test_invoice_scope_gives_one_letter_per_invoice():
    items = [invoice("INV-1", "100.00", DUE), invoice("INV-2", "200.00", date(2023, 12, 1))]
    decisions = evaluate(snapshot(AS_OF, items, procedure(scope="invoice")))
    first, second = only_letter(decisions, invoice="INV-1"), only_letter(decisions, invoice="INV-2")
    assert (lines(first), first.level) == ({"INV-1": (D("100.00"), 10, 1)}, 1)
    assert (lines(second), second.level) == ({"INV-2": (D("200.00"), 41, 2)}, 2)
    assert len(decisions.letters) == 2


def test_invoice_with_its_own_procedure_leaves_the_customer_letter():
    legal = procedure([Level(1, 1, "Legal notice")], code="LEGAL", scope="invoice")
    items = [invoice("INV-1", "100.00", DUE), invoice("INV-2", "200.00", DUE, procedure="LEGAL")]
    decisions = evaluate(snapshot(AS_OF, items, more_procedures=[legal]))
    customer_letter = only_letter(decisions)
    assert (set(lines(customer_letter)), customer_letter.procedure, customer_letter.total) == (
        {"INV-1"}, "STD", D("100.00"))
    own = only_letter(decisions, invoice="INV-2")
    assert (set(lines(own)), own.procedure, own.level_name) == ({"INV-2"}, "LEGAL", "Legal notice")
    # Without "allow invoice override" the customer's procedure keeps both.
    closed = procedure(allow_invoice_override=False)
    both = evaluate(snapshot(AS_OF, items, closed, more_procedures=[legal]))
    assert [set(lines(lt)) for lt in both.letters] == [{"INV-1", "INV-2"}]


def test_a_repeat_after_a_procedure_change_stays_within_the_new_procedures_levels():
    """INV-2 was on a level-2 customer letter; its own one-level procedure repeats daily: level 1, not 2."""
    legal = procedure([Level(1, 1, "Legal notice")], code="LEGAL", scope="invoice", repeat_days=1,
                      min_interval_days=1)
    items = [invoice("INV-2", "200.00", DUE, procedure="LEGAL")]
    history = [sent("L-1", date(2024, 2, 9), 2, {"INV-2": 2})]
    again = only_letter(evaluate(snapshot(date(2024, 2, 10), items, more_procedures=[legal], history=history)),
                        invoice="INV-2")
    assert (again.repeat, again.level, again.level_name, again.procedure, lines(again)) == (
        True, 1, "Legal notice", "LEGAL", {"INV-2": (D("200.00"), 40, 1)})
