"""Facts the decision core reads: plain, frozen, already as of the run.

The shell (persistence) builds these from the database; tests build them by
hand. Nothing here knows about Django, files or the clock: the run date is
always an argument.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from datetime import date as Day
from decimal import Decimal
from typing import Literal

Scope = Literal["customer", "invoice"]
Mode = Literal["jump", "step"]
Combine = Literal["and", "or"]
Sending = Literal["automatic", "review"]
ChargesPolicy = Literal["collect", "waive"]
ItemKind = Literal["invoice", "charge"]
Rates = Mapping[tuple[str, str], Decimal]  # (from, to) -> units of `to` per unit of `from`

# Statuses that are posted and still owed; everything else is never dunned.
DUNNABLE_STATUSES = frozenset({"open", "posted", "sent", "overdue", "partially_paid"})


@dataclass(frozen=True)
class Allocation:
    """Part of a payment or credit note applied to one item on a date."""

    date: date
    amount: Decimal


@dataclass(frozen=True)
class Pause:
    """Dunning held; with an until date it ends by itself the day after."""

    reason: str = ""
    until: date | None = None

    def holds_on(self, day: date) -> bool:
        return self.until is None or day <= self.until


@dataclass(frozen=True)
class Level:
    """One escalation step. `number` is its rank once levels are sorted by days."""

    number: int
    days: int  # days overdue from which it applies; negative = before the due date
    name: str = ""
    min_item: Mapping[str, Decimal] = field(default_factory=dict)  # currency -> amount
    min_total: Mapping[str, Decimal] = field(default_factory=dict)
    combine: Combine = "and"
    fee_fixed: Mapping[str, Decimal] = field(default_factory=dict)  # currency -> fee
    fee_percent: Decimal | None = None  # percent of dunned invoices before credits
    interest_rate: Decimal | None = None  # yearly percent; overrides the procedure's
    channels: tuple[str, ...] = ("email",)


@dataclass(frozen=True)
class Procedure:
    code: str
    levels: tuple[Level, ...]  # any order; the core sorts by days
    scope: Scope = "customer"
    mode: Mode = "jump"
    min_interval_days: int = 7
    repeat_days: int | None = None
    sending: Sending = "automatic"
    default_currency: str = "EUR"  # used for thresholds a currency has no line for
    interest_rate: Decimal | None = None  # yearly percent, simple, ACT/365
    charges_policy: ChargesPolicy = "collect"
    allow_invoice_override: bool = True


@dataclass(frozen=True)
class Item:
    """An invoice, or a charge (fee and interest of a sent letter) owed like one."""

    number: str
    customer: str
    currency: str
    amount: Decimal
    due_date: date | None
    kind: ItemKind = "invoice"
    issue_date: date | None = None
    status: str = "open"
    disputed: bool = False
    dispute_reason: str = ""
    pause: Pause | None = None
    procedure: str | None = None  # the invoice's own procedure code, if any
    allocations: tuple[Allocation, ...] = ()
    # charges only: the letter that created it and the invoices it relates to
    origin_letter: str | None = None
    origin_items: tuple[str, ...] = ()


@dataclass(frozen=True)
class Credit:
    """A payment or credit note; what is not allocated is the customer's credit."""

    number: str
    customer: str
    currency: str
    amount: Decimal  # positive
    date: date
    allocations: tuple[Allocation, ...] = ()
    status: str = "posted"  # cancelled credits count for nothing
    kind: Literal["payment", "credit_note"] = "credit_note"


@dataclass(frozen=True)
class Customer:
    number: str
    name: str = ""
    language: str = "en"
    pause: Pause | None = None
    procedure: str | None = None  # resolved: manual override, else first matching rule


@dataclass(frozen=True)
class RecordKey:
    """What a letter is sent for: a customer in a currency, or one invoice."""

    customer: str
    currency: str
    invoice: str | None = None


@dataclass(frozen=True)
class PastLetter:
    """A letter already made for a record. Only `sent` ones remind anything."""

    number: str
    record: RecordKey
    date: date
    level: int
    state: Literal["sent", "pending", "removed"] = "sent"
    items: Mapping[str, int] = field(default_factory=dict)  # item number -> its level
    fee_level: int | None = None  # the level whose fee this letter charged
    interest_until: Mapping[str, Day] = field(default_factory=dict)
    repeat: bool = False
    sent_on: Day | None = None  # the day it actually went out, when later than its date (held in review)

    @property
    def counted_from(self) -> Day:
        """Intervals and repeats count from the day a letter actually went out."""
        return self.sent_on if self.sent_on is not None and self.sent_on > self.date else self.date


@dataclass(frozen=True)
class Snapshot:
    """Everything one company's run needs, as of its local run date."""

    company: str
    as_of: date
    procedures: Mapping[str, Procedure]
    customers: Mapping[str, Customer]
    items: tuple[Item, ...]
    credits: tuple[Credit, ...] = ()
    history: tuple[PastLetter, ...] = ()
    minor_units: Mapping[str, int] = field(default_factory=dict)  # currency -> digits
    rates: Rates = field(default_factory=dict)  # (from, to)
    tolerance: Mapping[str, Decimal] = field(default_factory=dict)  # currency -> amount
