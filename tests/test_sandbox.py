"""The template sandbox: plain data in, locale filters, strict names, validation at save, reused workers."""
from __future__ import annotations

import copy

import pytest

from dunning.delivery import sandbox
from dunning.delivery.sandbox import (SAMPLE_LETTER_DATA, Source, TemplateError, render_template, render_templates,
                                      template_context, validate_template)

NBSP = "\u00a0"


def test_context_is_plain_data_from_the_letter_only():
    ctx = template_context(SAMPLE_LETTER_DATA, "de_DE")
    assert sorted(ctx) == sorted(sandbox.CONTEXT_NAMES)
    assert str(ctx["items"][0]["open_amount"]) == "1234.56"
    assert ctx["items"][0]["due_date"].isoformat() == "2026-10-21"
    assert ctx["payment_instructions"].startswith("IBAN")


def test_money_and_date_filters_follow_the_locale():
    source = "{% for i in items %}{{ i.number }} {{ i.due_date|date }} {{ i.open_amount|money }}\n{% endfor %}" \
             "{{ letter.date|date('long') }} {{ totals.total|money }} {{ 8|percent }}"
    assert render_template(source, SAMPLE_LETTER_DATA, locale="de_DE") == (
        f"INV-1 21.10.2026 1.234,56{NBSP}€\nINV-2 14.11.2026 250,00{NBSP}€\n"
        f"3. Dezember 2026 1.389,56{NBSP}€ 8{NBSP}%")


def test_money_filter_takes_another_currency():
    assert render_template("{{ 1234.5|money('JPY') }}", SAMPLE_LETTER_DATA, locale="ja_JP") == "￥1,235"


def test_html_is_autoescaped_text_is_not():
    data = copy.deepcopy(SAMPLE_LETTER_DATA)
    data["customer"]["name"] = "<b>Smith & Sons</b>"
    assert render_template("{{ customer.name }}", data, html=True) == "&lt;b&gt;Smith &amp; Sons&lt;/b&gt;"
    assert render_template("{{ customer.name }}", data) == "<b>Smith & Sons</b>"


def test_undefined_names_are_errors_with_the_line():
    with pytest.raises(TemplateError) as err:
        render_template("Hello\n{{ customer.nmae }}", SAMPLE_LETTER_DATA)
    assert err.value.kind == "undefined"
    assert err.value.line == 2
    assert "nmae" in err.value.message


def test_several_templates_in_one_round_trip():
    subject, text, html = render_templates(
        [Source("{{ customer.number }}"), Source("{{ company.name }}"), Source("<p>{{ items|length }}</p>", True)],
        SAMPLE_LETTER_DATA)
    assert (subject, text, html) == ("0042", "Acme Supplies Ltd", "<p>2</p>")


def test_validate_reports_syntax_unknown_names_and_filters():
    assert validate_template("Dear {{ customer.name }}, you owe {{ totals.total|money }}.") == []
    assert validate_template("{% for i in items %}") == ["line 1: Unexpected end of template. Jinja was looking "
                                                          "for the following tags: 'endfor' or 'else'. The innermost "
                                                          "block that needs to be closed is 'for'."]
    errors = validate_template("{{ custmer.name }}")
    assert len(errors) == 1 and errors[0].startswith("unknown name 'custmer' (known: company, credits, ")
    errors = validate_template("{{ customer.name|shout }}")
    assert len(errors) == 1 and errors[0].startswith("line 1: unknown filter 'shout' (available: abs, ")
    assert validate_template("{{ customer.nmae }}") == ["line 1: unknown name or field: 'dict object' has no "
                                                         "attribute 'nmae'"]


def test_validate_reports_a_template_that_runs_too_long():
    errors = validate_template("{% for a in range(10000) %}{% for b in range(10000) %}{% for c in range(10000) %}"
                               "{% endfor %}{% endfor %}{% endfor %}")
    assert errors == ["template stopped: it ran longer than 1 s (endless loop or too much work?)"]


def test_workers_are_reused_across_letters():
    first = sandbox.pool().call({"op": "ping"}, 5)
    render_template("{{ customer.name }}", SAMPLE_LETTER_DATA)
    assert sandbox.pool().call({"op": "ping"}, 5) == first


def test_a_killed_worker_is_replaced():
    pid = sandbox.pool().call({"op": "ping"}, 5)
    with pytest.raises(TemplateError) as err:
        render_template("{% for a in range(10000) %}{% for b in range(10000) %}{% endfor %}{% endfor %}",
                        SAMPLE_LETTER_DATA)
    assert err.value.kind == "timeout"
    assert render_template("{{ customer.number }}", SAMPLE_LETTER_DATA) == "0042"
    assert sandbox.pool().call({"op": "ping"}, 5) != pid


def test_worker_does_not_inherit_secrets(monkeypatch):
    monkeypatch.setenv("DUNNING_SMTP_PASSWORD", "hunter2")
    sandbox.pool().close()
    # The worker's environment is not reachable from a template at all; this checks the process itself.
    worker = sandbox._Worker()
    try:
        with open(f"/proc/{worker.proc.pid}/environ", "rb") as fh:
            environ = fh.read()
        assert b"hunter2" not in environ
    finally:
        worker.kill()


def test_memory_limit_stops_a_template(monkeypatch):
    monkeypatch.setenv("DUNNING_SANDBOX_MEMORY", str(256 * 1024 * 1024))
    small = sandbox.WorkerPool(size=1)
    source = "{{ (range(10000)|map('string')|join('x' * 90000))|length }}"  # a 900 MB string
    try:
        with pytest.raises(TemplateError) as err:
            small.call({"op": "render", "jobs": [{"source": source}], "data": SAMPLE_LETTER_DATA, "locale": "en"}, 10)
        assert err.value.kind == "memory"
        assert "memory" in err.value.message
        assert small.call({"op": "render", "jobs": [{"source": "{{ customer.number }}"}], "data": SAMPLE_LETTER_DATA,
                           "locale": "en"}, 10) == ["0042"]
    finally:
        small.close()


def test_python_values_in_the_data_are_accepted():
    from datetime import date
    from decimal import Decimal

    data = copy.deepcopy(SAMPLE_LETTER_DATA)
    data["totals"]["total"] = Decimal("1389.56")
    data["letter"]["date"] = date(2026, 12, 3)
    assert render_template("{{ totals.total|money }} {{ letter.date|date }}", data, locale="de") == \
        f"1.389,56{NBSP}€ 03.12.2026"


def test_concurrent_letters_share_the_pool_safely():
    from concurrent.futures import ThreadPoolExecutor

    def one(n: int) -> str:
        data = copy.deepcopy(SAMPLE_LETTER_DATA)
        data["customer"]["number"] = f"C{n}"
        return render_template("{{ customer.number }}", data)

    with ThreadPoolExecutor(4) as threads:
        assert list(threads.map(one, range(40))) == [f"C{n}" for n in range(40)]
