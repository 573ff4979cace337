"""The run's decisions for one company on its local date: facts in, decisions out.

Nothing here reads the clock, the database or files; the same snapshot always
gives the same decisions, whatever order its facts come in.
"""
from __future__ import annotations

from decimal import Decimal

from .balance import open_amount, open_credit
from .decision import DataIssue, Decisions, LetterDecision, Skip, Waiver
from .facts import Credit, Customer, Level, RecordKey, Snapshot
from .history import HistoryIndex, item_memory, record_history
from .letter import RecordDecider
from .level import ranked
from .record import Candidate, RecordInput, charge_record, hold_of, is_open, procedure_of, record_of


def evaluate(snapshot: Snapshot) -> Decisions:
    as_of = snapshot.as_of
    open_items = sorted((i for i in snapshot.items if is_open(i, snapshot)), key=lambda i: (i.kind != "invoice", i.number))
    open_numbers = frozenset(i.number for i in open_items)
    skips: list[Skip] = []
    issues: list[DataIssue] = []
    waivers: list[Waiver] = []
    records: dict[RecordKey, RecordInput] = {}
    paused_customers: dict[str, Customer] = {}
    records_by_invoice: dict[str, RecordKey] = {}

    for item in open_items:
        customer = snapshot.customers.get(item.customer)
        if customer is None:
            issues.append(DataIssue(item.customer, item.number, "unknown_customer"))
            continue
        if item.due_date is None:
            issues.append(DataIssue(item.customer, item.number, "missing_due_date"))
            continue
        if customer.pause is not None and customer.pause.holds_on(as_of):
            paused_customers[customer.number] = customer
            continue
        procedure = procedure_of(item, customer, snapshot.procedures)
        if procedure is None or not procedure.levels:
            skips.append(Skip(snapshot.company, item.customer, "no dunning procedure is assigned", "no_procedure",
                              item.currency, item.number))
            continue
        if item.kind == "charge":
            principal_owed = any(n in open_numbers for n in item.origin_items)
            if not principal_owed and item.origin_items and procedure.charges_policy == "waive":
                amount = open_amount(item, as_of)
                waivers.append(Waiver(item.number, item.customer, item.currency, amount,
                                      f"{', '.join(item.origin_items)} paid; charges waived"))
                continue
            key = charge_record(item, records_by_invoice, procedure)
        else:
            key = record_of(item, procedure, customer)
            records_by_invoice[item.number] = key
            principal_owed = False
        record = records.setdefault(key, RecordInput(key, procedure))
        record.candidates.append(Candidate(item, open_amount(item, as_of), (as_of - item.due_date).days,
                                           held=hold_of(item, as_of), riding=item.kind == "charge" and
                                           principal_owed))

    for customer in sorted(paused_customers.values(), key=lambda c: c.number):
        pause = customer.pause
        until = f" until {pause.until}" if pause and pause.until else ""
        why = f" ({pause.reason})" if pause and pause.reason else ""
        skips.append(Skip(snapshot.company, customer.number, f"paused{until}{why}", "paused"))

    letters: list[LetterDecision] = []
    memory = item_memory(snapshot.history)
    credits = _open_credits(snapshot)
    charge_origins = frozenset(i.origin_letter for i in open_items if i.kind == "charge" and i.origin_letter)
    past = HistoryIndex(snapshot.history)  # each record reads its own letters, not the company's
    ranked_levels: dict[int, tuple[Level, ...]] = {}  # id of a snapshot procedure -> its levels ranked
    for key in sorted(records, key=lambda k: (k.customer, k.currency, k.invoice or "")):
        record = records[key]
        numbers = frozenset(c.item.number for c in record.candidates)
        history = record_history(past.letters_for(key, numbers), key, numbers, open_numbers, charge_origins)
        offsets = credits.get((key.customer, key.currency), []) if key.invoice is None else []
        levels = ranked_levels.get(id(record.procedure))
        if levels is None:  # once per procedure, not per record
            levels = ranked_levels[id(record.procedure)] = ranked(record.procedure.levels)
        decider = RecordDecider(snapshot.company, as_of, record, levels, history, memory,
                                offsets, snapshot.rates, snapshot.minor_units)
        outcome = decider.decide()
        if decider.missing_rate:
            issues.append(DataIssue(key.customer, key.invoice or "", "missing_exchange_rate"))
        (letters if isinstance(outcome, LetterDecision) else skips).append(outcome)  # type: ignore[arg-type]

    return Decisions(snapshot.company, as_of, tuple(letters), tuple(skips), tuple(waivers), tuple(issues))


def _open_credits(snapshot: Snapshot) -> dict[tuple[str, str], list[tuple[Credit, Decimal]]]:
    """Unallocated payments and open credit notes per customer and currency."""
    out: dict[tuple[str, str], list[tuple[Credit, Decimal]]] = {}
    for credit in sorted(snapshot.credits, key=lambda c: (c.date, c.kind, c.number)):
        amount = open_credit(credit, snapshot.as_of)
        if amount > 0:
            out.setdefault((credit.customer, credit.currency), []).append((credit, amount))
    return out
