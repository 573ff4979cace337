"""Letter.data: the plain data a letter is rendered from (the contract in brief.md).

Amounts are decimal strings quantized to the currency's minor unit, dates ISO strings. Credits
are negative, so dunned + fee + interest + credits = total.
"""
from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Mapping, Optional

from dunning.core import LetterDecision
from dunning.core.money import round_money
from dunning.models.money import minor_units


def _lines(text: str) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def _day(value: Optional[date]) -> Optional[str]:
    return value.isoformat() if value else None


def letter_data(decision: LetterDecision, company, customer, issue_dates: Mapping[str, Optional[date]],
                language: str) -> dict:
    currency = decision.currency
    digits = {currency: minor_units(currency)}

    def money(amount: Decimal) -> str:
        return str(round_money(amount, currency, digits))

    return {
        "company": {"code": company.code, "name": company.name, "address": _lines(company.address),
                    "sender_email": company.sender_email, "reply_to": company.reply_to,
                    "payment_instructions": company.payment_instructions, "base_currency": company.base_currency},
        "customer": {"number": customer.number, "name": customer.name, "address": _lines(customer.address),
                     "email": customer.email, "language": language, "country": customer.country},
        "letter": {"date": decision.as_of.isoformat(), "level": decision.level, "level_name": decision.level_name,
                   "currency": currency, "procedure": decision.procedure, "repeat": decision.repeat,
                   "language": language, "reasons": list(decision.reasons)},
        "items": [{"number": ln.number, "kind": ln.kind, "issue_date": _day(issue_dates.get(ln.number)),
                   "due_date": _day(ln.due_date), "amount": money(ln.amount), "open_amount": money(ln.open_amount),
                   "days_overdue": ln.days_overdue, "level": ln.level, "reminded_level": ln.reminded_level,
                   "interest": money(ln.interest)} for ln in decision.lines],
        "credits": [{"number": c.number, "kind": c.kind, "date": _day(c.date), "open_amount": money(c.open_amount)}
                    for c in decision.credits],
        "info": [{"number": i.number, "due_date": _day(i.due_date), "open_amount": money(i.open_amount),
                  "days_overdue": i.days_overdue, "note": i.note} for i in decision.info],
        "totals": {"dunned": money(decision.dunned_total), "fee": money(decision.fee),
                   "interest": money(decision.interest), "credits": money(-decision.credit_total),
                   "total": money(decision.total)},
    }
