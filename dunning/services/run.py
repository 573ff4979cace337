"""The daily run: for each company, on its own local date, facts in, decisions out, rows written.

Each company is one transaction that first takes the company's write lock (SELECT ... FOR UPDATE on
PostgreSQL; BEGIN IMMEDIATE on SQLite), then reads, evaluates and writes. So a second run of the
same company waits for the first and then finds its letters in the history: re-running the same
day, hourly, or twice at once makes one set of letters. The unique constraint on Letter (one per
record and date) is the last guard. A company, or a range of its customers, is a partition:
evaluating it alone gives the same letters, because the core only looks inside one record.

Letters are only handed to delivery after the commit, so a crash never sends an unrecorded letter.
"""
from __future__ import annotations

import logging
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Collection, Optional

from django.db import IntegrityError, OperationalError, connections, transaction
from django.utils import timezone

from dunning.core import Decisions, LetterDecision, evaluate
from dunning.models import Allocation, Company, Letter, Run
from dunning.models.money import to_minor
from dunning.selectors.company_date import company_today
from dunning.selectors.snapshot import CompanyFacts, build_company_facts

from .audit import event, events_recorded
from .letter_create import LetterBatch, letter_create
from .worker import lease_from_environment, worker_alive, worker_identity

log = logging.getLogger(__name__)


class RunBusy(Exception):
    """Another run holds the company's write lock for longer than the database waits."""


class UnknownCompany(LookupError):
    pass


@dataclass(frozen=True)
class MadeLetter:
    decision: LetterDecision
    letter_id: Optional[int]  # None in a dry run


@dataclass
class CompanyRun:
    company: str
    as_of: date
    decisions: Decisions
    letters: list[MadeLetter] = field(default_factory=list)
    already_made: int = 0  # decisions for records that already have today's letter


@dataclass
class RunResult:
    run_id: Optional[int]
    as_of: Optional[date]
    dry_run: bool
    companies: list[CompanyRun] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def letters(self) -> list[MadeLetter]:
        return [made for company in self.companies for made in company.letters]


def run_dunning(as_of: Optional[date] = None, company: Optional[str] = None, dry_run: bool = False,
                deliver: bool = True, now: Optional[datetime] = None,
                customer_ids: Optional[Collection[int]] = None) -> RunResult:
    """Run every company (or one, by code) as of `as_of`, or each company's own today at `now`.

    customer_ids: evaluate only these customers (a partition; a range of ids works).
    """
    now = now or timezone.now()
    companies = _companies(company)
    started = time.monotonic()
    run = None if dry_run else _run_started(as_of, companies if company else None, dry_run, now, customer_ids)
    result = RunResult(run_id=run.pk if run else None, as_of=as_of, dry_run=dry_run)
    for row in companies:
        day = as_of or company_today(row, now)
        try:
            result.companies.append(_company_run(run, row, day, dry_run, customer_ids))
        except RunBusy as exc:
            result.errors.append(str(exc))
        except Exception as exc:  # one company's failure must not stop the others; it is recorded
            log.exception("run of company %s failed", row.code)
            result.errors.append(f"{row.code}: {type(exc).__name__}: {exc}")
    if run is not None:
        _run_finished(run, result, started)
        if deliver:
            _deliver(run, result, [row.pk for row in companies], customer_ids)
    return result


def _companies(code: Optional[str]) -> list[Company]:
    rows = Company.objects.order_by("code")
    if code:
        rows = rows.filter(code=code)
        if not rows:
            raise UnknownCompany(f"no company with code {code!r}")
    return list(rows)


def _run_started(as_of, companies, dry_run, now, customer_ids) -> Run:
    parameters = {"as_of": as_of.isoformat() if as_of else None, "company": companies[0].code if companies else None,
                  "dry_run": dry_run, "now": now.isoformat(),
                  "customers": _describe(customer_ids), "worker": worker_identity()}
    try:
        runs_interrupted_closed()
        return Run.objects.create(as_of=as_of, company=companies[0] if companies else None, dry_run=dry_run,
                                  parameters=parameters)
    except OperationalError as exc:
        raise RunBusy(f"the database is busy with another run; try again when it finishes ({exc})") from exc


def runs_interrupted_closed() -> list[int]:
    """Runs whose process died before it finished are marked interrupted, so none says "running" for ever.

    What such a run committed stays (each company is all or nothing); the next run makes the rest and
    delivers what it left queued. Off this machine the run is trusted for DUNNING_RUN_LEASE_SECONDS.
    """
    lease = lease_from_environment("DUNNING_RUN_LEASE_SECONDS", 12 * 3600)
    closed = []
    for run in Run.objects.filter(status="running").order_by("id"):
        if worker_alive((run.parameters or {}).get("worker"), run.started_at, lease):
            continue
        reason = "interrupted: the process making this run stopped before it finished"
        if Run.objects.filter(pk=run.pk, status="running").update(
                status="interrupted", finished_at=timezone.now(), errors=[*run.errors, reason]):
            event("run_interrupted", run, reason=reason).save()
            log.warning("run %s was interrupted; marked so", run.pk)
            closed.append(run.pk)
    return closed


def _describe(customer_ids) -> Optional[object]:
    if customer_ids is None:
        return None
    if isinstance(customer_ids, range):
        return {"from_id": customer_ids.start, "to_id": customer_ids.stop}
    return sorted(customer_ids)


def _company_run(run, company, day, dry_run, customer_ids) -> CompanyRun:
    if dry_run:
        facts = build_company_facts(company, day, customer_ids=customer_ids)
        decisions = evaluate(facts.snapshot)
        return CompanyRun(company.code, day, decisions, [MadeLetter(d, None) for d in decisions.letters])
    try:
        with transaction.atomic():
            Company.objects.select_for_update().filter(pk=company.pk).first()  # the company's write lock
            facts = build_company_facts(company, day, customer_ids=customer_ids)
            decisions = evaluate(facts.snapshot)
            outcome = _decisions_applied(run, facts, decisions)
            _counts_added(run, outcome)
            return outcome
    except OperationalError as exc:
        if "locked" in str(exc) or "lock" in str(exc).lower():
            raise RunBusy(f"{company.code}: another run for this company is still writing; "
                          f"nothing was changed, run again when it finishes") from exc
        raise


def _decisions_applied(run, facts: CompanyFacts, decisions: Decisions) -> CompanyRun:
    """Letters not made yet today, the waivers, and an event for each; inside the company's transaction.

    The new letters, their items and events are written with bulk inserts: a few queries per company,
    not per letter. Should one of them exist meanwhile (the unique constraint refuses it), the batch is
    rolled back to its savepoint and written again one letter at a time, skipping the ones made.
    """
    outcome = CompanyRun(facts.company.code, decisions.as_of, decisions)
    made_today = set(Letter.objects.filter(company=facts.company, date=decisions.as_of)
                     .exclude(state="superseded").values_list("customer_id", "currency", "invoice_key"))
    todo = []
    for decision in decisions.letters:
        key = (facts.customers[decision.customer].id, decision.currency, decision.record.invoice or "")
        if key in made_today:
            outcome.already_made += 1
            continue
        todo.append(decision)
    made, already_made = _letters_written(run, facts, todo)
    outcome.already_made += already_made
    outcome.letters.extend(MadeLetter(decision, letter.pk) for decision, (letter, _) in made)
    events = [created for _, (_, created) in made]
    events.extend(_waivers_recorded(facts, decisions))
    events_recorded(events)
    return outcome


def _letters_written(run, facts: CompanyFacts, todo: list[LetterDecision]):
    """[(decision, (letter, unsaved event))] for the letters written, and how many were found made meanwhile."""
    if not todo:
        return [], 0
    try:
        with transaction.atomic():
            batch = LetterBatch()
            for decision in todo:
                letter_create(run, facts, decision, batch=batch)
            return list(zip(todo, batch.write())), 0
    except IntegrityError:  # one was made meanwhile by another writer: one by one below
        pass
    made, already_made = [], 0
    for decision in todo:
        try:
            with transaction.atomic():
                made.append((decision, letter_create(run, facts, decision)))
        except IntegrityError:  # made meanwhile by another writer: the constraint keeps it to one
            already_made += 1
    return made, already_made


def _waivers_recorded(facts: CompanyFacts, decisions: Decisions) -> list:
    """A waived charge is closed by an allocation marked as waiver, never deleted."""
    rows = [Allocation(invoice_id=facts.invoices[waiver.charge].id, credit=None, date=decisions.as_of,
                       amount_minor=to_minor(waiver.amount, waiver.currency), source="waiver",
                       note=waiver.reason[:200]) for waiver in decisions.waivers]
    if not rows:
        return []
    if connections[Allocation.objects.db].features.can_return_rows_from_bulk_insert:
        Allocation.objects.bulk_create(rows)  # sets the ids the events name
    else:
        for row in rows:
            row.save(force_insert=True)
    return [event("charge_waived", row, invoice=waiver.charge, amount=str(waiver.amount),
                  currency=waiver.currency, reason=waiver.reason) for row, waiver in zip(rows, decisions.waivers)]


def _counts_added(run, outcome: CompanyRun) -> None:
    counts = run.counts or {}
    by_level = Counter(counts.get("by_level", {}))
    by_channel = Counter(counts.get("by_channel", {}))
    skips = Counter(counts.get("skips", {}))
    for made in outcome.letters:
        by_level[str(made.decision.level)] += 1
        for channel in made.decision.channels:
            by_channel[channel] += 1
    for skip in outcome.decisions.skips:
        skips[skip.code] += 1
    run.counts = {
        "letters": counts.get("letters", 0) + len(outcome.letters),
        "already_made": counts.get("already_made", 0) + outcome.already_made,
        "by_level": dict(sorted(by_level.items())), "by_channel": dict(sorted(by_channel.items())),
        "skips": dict(sorted(skips.items())),
        "waivers": counts.get("waivers", 0) + len(outcome.decisions.waivers),
        "data_issues": counts.get("data_issues", 0) + len(outcome.decisions.data_issues),
        "companies": {**counts.get("companies", {}), outcome.company: {"as_of": outcome.as_of.isoformat(),
                                                                       "letters": len(outcome.letters)}},
    }
    run.save(update_fields=["counts"])


def _run_finished(run, result: RunResult, started: float) -> None:
    run.refresh_from_db(fields=["counts"])
    run.errors = result.errors
    run.status = "failed" if result.errors and not result.companies else "finished"
    run.finished_at = timezone.now()
    run.duration_ms = int((time.monotonic() - started) * 1000)
    run.save(update_fields=["errors", "status", "finished_at", "duration_ms"])
    event("run_finished", run, letters=run.counts.get("letters", 0), errors=len(result.errors)).save()


def _deliver(run, result: RunResult, company_ids: list[int], customer_ids) -> None:
    """Hand the committed letters of the run's companies to delivery, when the delivery part is installed.

    Not only this run's: letters an interrupted run committed, or approved from review, are waiting too,
    and an hourly run is what sends them.
    """
    try:
        from dunning.delivery.send import deliver_queued
    except ModuleNotFoundError as exc:
        if exc.name in ("dunning.delivery", "dunning.delivery.send"):
            return
        raise
    try:
        deliver_queued(company_ids=company_ids, customer_ids=customer_ids)
    except Exception as exc:  # letters stay queued (or unknown -> review); the run itself is done
        log.exception("delivery after run %s failed", run.pk)
        result.errors.append(f"delivery: {type(exc).__name__}: {exc}")
        Run.objects.filter(pk=run.pk).update(errors=result.errors)
