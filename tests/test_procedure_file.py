"""The dunning policy as a TOML file: exported, edited, loaded back whole, or refused with every problem.

Given the default set-up, when a director exports it, adds a fee and a stricter procedure for large
German debtors and loads the file, then the run uses exactly those levels and fees; a file with
mistakes changes nothing and names each one.
"""
from __future__ import annotations

import subprocess
import sys
from datetime import date
from decimal import Decimal

import pytest

from dunning.models import AssignmentRule, AuditEvent, Level, Procedure
from dunning.services.procedure_file import procedures_exported, procedures_loaded
from dunning.services.validation import ConfigurationInvalid

POLICY = '''
[[procedure]]
code = "standard"
name = "Standard"
min_interval_days = 7
  [[procedure.level]]
  days = 1
  name = "First reminder"
  [[procedure.level]]
  days = 30
  name = "Second reminder"
  fee = { EUR = "5.00", USD = 6.00 }
  [[procedure.level]]
  days = 60
  name = "Final notice"
  fee_percent = 2.5
  min_total = { EUR = "100.00" }

[[procedure]]
code = "strict"
name = "Large debtors"
mode = "step"
min_interval_days = 10
interest_rate = "9.12"
  [[procedure.level]]
  days = 60
  name = "Legal notice"
  [[procedure.level]]
  days = -3
  name = "Friendly pre-due note"

[[rule]]
priority = 10
procedure = "strict"
country = "DE"
tag = "key-account"

[[rule]]
priority = 1000
procedure = "standard"
'''


@pytest.fixture
def installed(db):
    from dunning.services.setup import ensure_default_setup

    return ensure_default_setup()


def levels(code: str) -> list[tuple]:
    return [(lv.number, lv.days, lv.name, lv.fee_percent,
             sorted((a.kind, a.currency, a.amount_minor) for a in lv.amounts.all()))
            for lv in Level.objects.filter(procedure__code=code).prefetch_related("amounts").order_by("days")]


def test_a_policy_file_creates_and_replaces_procedures_and_rules(installed):
    assert procedures_loaded(POLICY, actor="director") == {"procedures": 2, "rules": 2}

    assert levels("standard") == [
        (1, 1, "First reminder", None, []),
        (2, 30, "Second reminder", None, [("fee", "EUR", 500), ("fee", "USD", 600)]),
        (3, 60, "Final notice", Decimal("2.5000"), [("min_total", "EUR", 10000)])]
    strict = Procedure.objects.get(code="strict")
    assert (strict.mode, strict.min_interval_days, strict.interest_rate) == ("step", 10, Decimal("9.1200"))
    assert levels("strict") == [(1, -3, "Friendly pre-due note", None, []), (2, 60, "Legal notice", None, [])]
    assert list(AssignmentRule.objects.order_by("priority").values_list("priority", "procedure__code", "country",
                                                                        "tag")) == [
        (10, "strict", "DE", "key-account"), (1000, "standard", "", "")]
    assert AuditEvent.objects.filter(action="procedure_saved", actor="director").count() == 2


def test_an_exported_policy_loads_back_to_the_same_file(installed):
    procedures_loaded(POLICY)
    exported = procedures_exported()

    procedures_loaded(exported)

    assert procedures_exported() == exported
    assert 'fee = { EUR = "5.00", USD = "6.00" }' in exported
    assert 'interest_rate = "9.12"' in exported and 'fee_percent = "2.5"' in exported


def test_every_problem_is_named_and_nothing_changes(installed):
    before = procedures_exported()
    broken = '''
[[procedure]]
code = "standard"
mode = "sideways"
repeat_days = "weekly"
  [[procedure.level]]
  days = 30
  fee = { EUR = "-5.00", EURO = "1.00" }
  [[procedure.level]]
  days = 30
  colour = "red"
  [[procedure.level]]
  name = "no days"

[[rule]]
priority = 1
procedure = "nonexistent"
'''
    with pytest.raises(ConfigurationInvalid) as refused:
        procedures_loaded(broken)

    assert [str(e) for e in refused.value.errors] == [
        "procedure standard.level 2.colour: not a level setting (known: days, name, combine, fee_percent, "
        "interest_rate, channels, min_item, min_total, fee)",
        "procedure standard.repeat_days: give a whole number of days, not 'weekly'",
        "procedure standard.level 3.days: give the days overdue as a whole number, e.g. days = 30 (negative: "
        "before the due date)",
        "rule 1.procedure: no procedure 'nonexistent'; use one of standard",
    ]
    assert procedures_exported() == before


def test_a_sound_file_with_a_policy_mistake_is_refused_by_the_procedure_checks(installed):
    before = procedures_exported()
    with pytest.raises(ConfigurationInvalid) as refused:
        procedures_loaded('[[procedure]]\ncode = "standard"\nmode = "sideways"\n'
                          '  [[procedure.level]]\n  days = 30\n  fee = { EUR = "-5.00" }\n'
                          '  [[procedure.level]]\n  days = 30\n')
    assert [str(e) for e in refused.value.errors] == [
        "procedure standard.mode: 'sideways' is not a choice; use one of jump, step",
        "procedure standard.levels: 2 levels start at 30 days overdue; give each level its own number of days, or "
        "delete the extra one",
        "procedure standard.level 1.fee.EUR: the fixed fee of -5.00 EUR is negative; give 0 or more, or remove the "
        "line"]
    assert procedures_exported() == before


def test_the_run_uses_the_loaded_fees(installed, company, customer, invoice):
    from dunning.services.run import run_dunning

    procedures_loaded(POLICY)
    acme = company()
    invoice(customer(acme), amount="1000.00", due_date=date(2026, 10, 1))

    (made,) = run_dunning(as_of=date(2026, 11, 5), dry_run=True).letters  # 35 days overdue: level 2

    assert (made.decision.level, made.decision.fee, made.decision.total) == (2, Decimal("5.00"), Decimal("1005.00"))


def test_the_cli_exports_and_loads_and_names_problems(tmp_path):
    url = f"sqlite:///{tmp_path / 'd.sqlite3'}"

    def dunning(*args):
        return subprocess.run([sys.executable, "-m", "dunning.cli", "--database", url, *map(str, args)],
                              capture_output=True, text=True, timeout=120)

    exported = dunning("procedures", "export", tmp_path / "policy.toml")
    assert (exported.returncode, exported.stdout) == (0, f"procedures written to {tmp_path / 'policy.toml'}\n")
    (tmp_path / "policy.toml").write_text(POLICY, encoding="utf-8")
    loaded = dunning("procedures", "load", tmp_path / "policy.toml")
    assert (loaded.returncode, loaded.stdout) == (0, f"loaded 2 procedure(s) and 2 assignment rule(s) from "
                                                     f"{tmp_path / 'policy.toml'}\n")
    (tmp_path / "bad.toml").write_text('[[procedure]]\ncode = "x"\n', encoding="utf-8")
    refused = dunning("procedures", "load", tmp_path / "bad.toml")
    assert (refused.returncode, refused.stderr) == (2, (
        f"dunning procedures: nothing was changed; 1 problem(s):\n{tmp_path / 'bad.toml'}: procedure x.levels: "
        f"the procedure has no levels; add at least one, e.g. 1 day overdue\n"))
