"""Check the core's Decisions against a case's `expected` block, exactly."""
from __future__ import annotations

from decimal import Decimal
from typing import Iterable

from dunning.core.decision import Decisions, LetterDecision

from .to_facts import day, money


def letters_of(results: Iterable[Decisions]) -> list[LetterDecision]:
    return [letter for decisions in results for letter in decisions.letters]


def expected_letters(case: dict) -> list[dict]:
    return list((case.get("expected") or {}).get("letters") or [])


def assert_case_letters(case: dict, results: Iterable[Decisions]) -> None:
    """Exactly the expected letters (customer × currency), nobody else, each with its exact content."""
    letters = letters_of(results)
    currency_of = {c["id"]: c["currency"] for c in case.get("customers", [])}
    expected = [{"currency": currency_of[e["customer"]], **e} for e in expected_letters(case)]
    got_keys = sorted((l.customer, l.currency, l.record.invoice) for l in letters)
    want_keys = sorted((e["customer"], e["currency"], None) for e in expected)
    assert got_keys == want_keys, f"letters for {got_keys}, expected {want_keys}"
    silent = set((case.get("expected") or {}).get("no_letter_for") or [])
    assert not silent & {l.customer for l in letters}
    by_key = {(l.customer, l.currency): l for l in letters}
    for want in expected:
        assert_letter(by_key[(want["customer"], want["currency"])], want)


def assert_letter(letter: LetterDecision, want: dict) -> None:
    if "level" in want:
        assert letter.level == want["level"], f"{letter.customer}: level {letter.level}, expected {want['level']}"
    if "level_name" in want:
        assert letter.level_name == want["level_name"]
    if "company" in want:
        assert letter.company == want["company"]
    for key in ("letter_date", "sent_on"):
        if key in want:
            assert letter.as_of == day(want[key])
    if "items" in want:  # BUG-22 names only level, language and total
        assert_invoice_lines(letter, [i for i in want["items"] if "invoice" in i])
        assert_credit_lines(letter, [i for i in want["items"] if "credit_note" in i])
    assert_charge_lines(letter, want.get("outstanding_charges") or [])
    assert letter.fee == money(want.get("fees", "0")), f"fee {letter.fee}"
    assert letter.interest == money(want.get("interest", "0")), f"interest {letter.interest}"
    assert letter.total == money(want["total_due"]), f"total {letter.total}, expected {want['total_due']}"
    assert_total_adds_up(letter)


def assert_invoice_lines(letter: LetterDecision, want: list[dict]) -> None:
    got = {line.number: line for line in letter.lines if line.kind == "invoice"}
    assert sorted(got) == sorted(w["invoice"] for w in want), f"lines {sorted(got)}"
    for w in want:
        line = got[w["invoice"]]
        assert line.open_amount == money(w["open_amount"]), f"{line.number} open {line.open_amount}"
        assert line.days_overdue == w["days_overdue"], f"{line.number} days {line.days_overdue}"
        if "level" in w:
            assert line.level == w["level"], f"{line.number} level {line.level}"


def assert_credit_lines(letter: LetterDecision, want: list[dict]) -> None:
    got = {c.number: c.open_amount for c in letter.credits}
    assert got == {w["credit_note"]: money(w["open_amount"]) for w in want}


def assert_charge_lines(letter: LetterDecision, want: list[dict]) -> None:
    """Charges of a sent letter, owed after their principal was paid: listed as charge lines, by origin."""
    charges = [line for line in letter.lines if line.kind == "charge"]
    for w in want:
        mine = [line for line in charges if line.origin_letter == w["from_letter"]]
        owed = money(w.get("fee", "0")) + money(w.get("interest", "0"))
        assert sum((line.open_amount for line in mine), Decimal(0)) == owed, f"charges of {w['from_letter']}"
    if not want:
        assert not charges, f"unexpected charge lines {[c.number for c in charges]}"


def assert_total_adds_up(letter: LetterDecision) -> None:
    dunned = sum((line.open_amount for line in letter.lines), Decimal(0))
    credits = -sum((c.open_amount for c in letter.credits), Decimal(0))
    assert letter.dunned_total == dunned
    assert letter.credit_total == credits
    assert letter.total == letter.dunned_total + letter.fee + letter.interest - letter.credit_total


def skip_reasons(decisions: Decisions, customer: str) -> list[str]:
    return [s.reason for s in decisions.skips if s.customer == customer]
