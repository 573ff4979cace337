"""What the decision core returns: letters to make, and reasons for the rest."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from .facts import RecordKey


@dataclass(frozen=True)
class Line:
    """One dunned item on a letter, in its own currency, with its own level."""

    number: str
    kind: str  # "invoice" or "charge"
    due_date: date
    amount: Decimal  # original amount
    open_amount: Decimal
    days_overdue: int
    level: int
    reminded_level: int  # highest level it appeared at on an earlier sent letter (0: never)
    interest: Decimal = Decimal(0)  # unrounded share of this letter's interest
    interest_from: date | None = None  # first day charged (exclusive bound is the day before)
    origin_letter: str | None = None


@dataclass(frozen=True)
class CreditLine:
    number: str
    kind: str  # "payment" or "credit_note"
    date: date
    open_amount: Decimal  # negative: it lowers the total


@dataclass(frozen=True)
class InfoLine:
    """Shown for information only, outside the total (not yet due, below level 1, disputed)."""

    number: str
    due_date: date | None
    open_amount: Decimal
    days_overdue: int | None
    note: str  # "not_due", "below_first_level", "disputed", "paused"


@dataclass(frozen=True)
class LetterDecision:
    company: str
    record: RecordKey
    procedure: str
    as_of: date
    level: int
    level_name: str
    channels: tuple[str, ...]
    sending: str  # "automatic" or "review"
    lines: tuple[Line, ...]
    credits: tuple[CreditLine, ...]
    info: tuple[InfoLine, ...]
    dunned_total: Decimal  # invoices + charges, before fee, interest and credits
    fee: Decimal
    fee_level: int | None  # the level whose fee is charged, None when none
    interest: Decimal  # rounded once per letter
    credit_total: Decimal  # positive amount subtracted
    total: Decimal
    repeat: bool
    reasons: tuple[str, ...]

    @property
    def currency(self) -> str:
        return self.record.currency

    @property
    def customer(self) -> str:
        return self.record.customer


@dataclass(frozen=True)
class Skip:
    """A record or item that gets nothing today, and why, in a collector's words."""

    company: str
    customer: str
    reason: str
    code: str  # machine-readable: paused, interval, credit_covers, no_procedure, ...
    currency: str | None = None
    invoice: str | None = None


@dataclass(frozen=True)
class Waiver:
    """A charge closed because its principal was paid and the policy waives."""

    charge: str
    customer: str
    currency: str
    amount: Decimal
    reason: str


@dataclass(frozen=True)
class DataIssue:
    customer: str
    invoice: str
    problem: str  # "missing_due_date", "unknown_currency", ...


@dataclass(frozen=True)
class Decisions:
    company: str
    as_of: date
    letters: tuple[LetterDecision, ...] = ()
    skips: tuple[Skip, ...] = ()
    waivers: tuple[Waiver, ...] = ()
    data_issues: tuple[DataIssue, ...] = field(default_factory=tuple)
