"""Which record (and so which letter) each open item belongs to, and whether it may be dunned.

A record is a customer in one currency, or one invoice: one letter never mixes
currencies. An invoice with its own procedure leaves the customer letter when the
customer's procedure allows it, and gets its own.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from .balance import open_amount
from .facts import DUNNABLE_STATUSES, Customer, Item, Procedure, RecordKey, Snapshot
from .money import tolerance


@dataclass(frozen=True)
class Candidate:
    """An open item of a record with what today makes of it."""

    item: Item
    open_amount: Decimal
    days: int
    held: str = ""  # "disputed" or "paused": shown, never dunned
    riding: bool = False  # a charge whose principal is still owed: listed, never a reason to write


@dataclass
class RecordInput:
    key: RecordKey
    procedure: Procedure
    candidates: list[Candidate] = field(default_factory=list)


def is_open(item: Item, snapshot: Snapshot) -> bool:
    if item.status not in DUNNABLE_STATUSES:
        return False
    tol = tolerance(item.currency, snapshot.minor_units, snapshot.tolerance)
    return open_amount(item, snapshot.as_of) > tol


def procedure_of(item: Item, customer: Customer, procedures: Mapping[str, Procedure]) -> Procedure | None:
    own = procedures.get(customer.procedure) if customer.procedure else None
    if item.procedure and item.procedure in procedures and (own is None or own.allow_invoice_override):
        return procedures[item.procedure]
    return own


def record_of(item: Item, procedure: Procedure, customer: Customer) -> RecordKey:
    separate = procedure.scope == "invoice" or procedure.code != customer.procedure
    return RecordKey(item.customer, item.currency, item.number if separate else None)


def hold_of(item: Item, as_of: date) -> str:
    if item.disputed:
        return "disputed"
    if item.pause is not None and item.pause.holds_on(as_of):
        return "paused"
    return ""


def charge_record(charge: Item, records_by_invoice: dict[str, RecordKey],
                  procedure: Procedure) -> RecordKey:
    """A charge follows the record of the invoice it came from."""
    for origin in charge.origin_items:
        if origin in records_by_invoice:
            return records_by_invoice[origin]
    if procedure.scope == "invoice" and charge.origin_items:
        return RecordKey(charge.customer, charge.currency, charge.origin_items[0])
    return RecordKey(charge.customer, charge.currency, None)
