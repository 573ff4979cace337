"""Templates are user code: every template of the hostile corpus fails with a clear reported error.

Each file in tests/hostile_templates/ starts with `{# expect: KIND [KIND...] — what it tries #}`;
rendering it on a real letter's data must raise TemplateError of one of those kinds (the worker
is killed after 1 s on timeouts, so none can run on), and the calling process goes on working.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from dunning.delivery.sandbox import SAMPLE_LETTER_DATA, TemplateError, render_template, validate_template

CORPUS = sorted((Path(__file__).parent / "hostile_templates").glob("*.j2"))


def expected_kinds(source: str) -> set[str]:
    match = re.search(r"\{# expect: ([a-z ]+?) —", source)
    assert match, "each hostile template names the error kinds it must end with"
    return set(match.group(1).split())


def test_corpus_is_there():
    assert len(CORPUS) >= 25


@pytest.mark.parametrize("path", CORPUS, ids=[p.stem for p in CORPUS])
def test_hostile_template_fails_cleanly(path: Path):
    source = path.read_text(encoding="utf-8")
    with pytest.raises(TemplateError) as err:
        render_template(source, SAMPLE_LETTER_DATA, html=path.stem.endswith("html"))
    assert err.value.kind in expected_kinds(source), str(err.value)
    assert err.value.message
    # the parent is unharmed and the next letter renders normally
    assert render_template("{{ customer.number }}", SAMPLE_LETTER_DATA) == "0042"


@pytest.mark.parametrize("path", CORPUS[:8], ids=[p.stem for p in CORPUS[:8]])
def test_hostile_template_is_refused_at_save(path: Path):
    assert validate_template(path.read_text(encoding="utf-8")) != []


def test_secrets_and_other_customers_are_not_in_reach():
    seen = render_template("{{ company }}|{{ customer }}|{{ letter }}", SAMPLE_LETTER_DATA)
    assert "SECRET" not in seen and "password" not in seen.lower()
    for name in ("settings", "customers", "Customer", "objects", "os", "sys", "request", "environ", "db"):
        with pytest.raises(TemplateError) as err:
            render_template("{{ %s }}" % name, SAMPLE_LETTER_DATA)
        assert err.value.kind == "undefined"
