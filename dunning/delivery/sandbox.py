"""User-authored letter templates run here, contained: templates are user code.

Finance staff write the Jinja2 texts of the letters. A template must not reach Python internals,
files, settings or other customers' data, and must not run unbounded. So:

- it runs in `ImmutableSandboxedEnvironment` on plain data built from one letter's `Letter.data`
  (dicts, lists, strings, Decimals, dates), never on model objects: nothing else is reachable;
- only whitelisted filters and one bounded `range` exist; `*`, `**`, `+`, `%` are checked before
  they build huge numbers, strings or lists; undefined names are errors (StrictUndefined);
- it runs in a separate worker process (started with `python -m`, so it also works inside daemonic
  task workers) with an address-space limit; the parent waits at most `TEMPLATE_TIMEOUT` seconds,
  then kills the worker and starts a fresh one. Workers are kept and reused across letters.

Errors of every kind come back to the caller as `TemplateError` with a message a person can act
on; nothing a template does can crash the calling process.
"""
from __future__ import annotations

import atexit
import base64
import json
import math
import os
import select
import struct
import subprocess
import sys
import threading
import time
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

TEMPLATE_TIMEOUT = 1.0  # seconds for one letter's templates
WORKER_MEMORY_BYTES = 1024 * 1024 * 1024  # address space of a worker (typst and fonts need ~350 MB)
WORKER_START_TIMEOUT = 30.0
MAX_OUTPUT_CHARS = 1_000_000
MAX_SEQUENCE = 100_000  # longest string/list an operator or call may build
MAX_RANGE = 10_000
MAX_INT_ARGUMENT = 100_000
MAX_POWER_BITS = 256
CACHE_SIZE = 256


class TemplateError(Exception):
    """A template could not be used; `kind` says why (syntax, undefined, security, limit, timeout, memory...)."""

    def __init__(self, message: str, kind: str = "error", line: int | None = None):
        self.message = message
        self.kind = kind
        self.line = line
        super().__init__(f"{message} (line {line})" if line else message)


# --------------------------------------------------------------------------------------------
# Plain data: the context a template sees, built from Letter.data only.

DATE_KEYS = frozenset({"date", "issue_date", "due_date"})
AMOUNT_KEYS = frozenset({"amount", "open_amount", "interest", "dunned", "fee", "credits", "total"})
CONTEXT_NAMES = ("company", "customer", "letter", "items", "credits", "info", "totals", "fee", "interest",
                 "payment_instructions", "locale", "currency")


def _plain(value: Any, key: str = "") -> Any:
    """JSON values made convenient and inert: amounts as Decimal, ISO dates as date."""
    from datetime import date as _date

    if isinstance(value, dict):
        return {str(k): _plain(v, str(k)) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v, key) for v in value]
    if isinstance(value, str):
        if key in DATE_KEYS and value:
            try:
                return _date.fromisoformat(value[:10])
            except ValueError:
                return value
        if key in AMOUNT_KEYS and value:
            try:
                return Decimal(value)
            except ArithmeticError:
                return value
        return value
    if isinstance(value, float):
        return Decimal(str(value))
    if value is None or isinstance(value, (bool, int, Decimal, _date)):
        return value
    return str(value)


def template_context(data: dict, locale: str) -> dict:
    """The names a template can use. Built from one letter's plain data; nothing else is in it."""
    plain = _plain(data)
    company = plain.get("company") or {}
    letter = plain.get("letter") or {}
    totals = plain.get("totals") or {}
    return {
        "company": company,
        "customer": plain.get("customer") or {},
        "letter": letter,
        "items": plain.get("items") or [],
        "credits": plain.get("credits") or [],
        "info": plain.get("info") or [],
        "totals": totals,
        "fee": totals.get("fee", Decimal(0)),
        "interest": totals.get("interest", Decimal(0)),
        "payment_instructions": company.get("payment_instructions", ""),
        "currency": letter.get("currency", ""),
        "locale": locale,
    }


SAMPLE_LETTER_DATA: dict = {
    "company": {"code": "ACME", "name": "Acme Supplies Ltd", "address": ["1 Market Street", "London EC1A 1AA"],
                "sender_email": "accounts@acme.example", "reply_to": "collections@acme.example",
                "payment_instructions": "IBAN GB29 NWBK 6016 1331 9268 19, reference: your customer number",
                "base_currency": "EUR"},
    "customer": {"number": "0042", "name": "Example Customer GmbH", "address": ["Hauptstraße 1", "10115 Berlin"],
                 "email": "ap@example.com", "language": "en", "country": "DE"},
    "letter": {"date": "2026-12-03", "level": 2, "level_name": "Second reminder", "currency": "EUR",
               "procedure": "Standard", "repeat": False, "language": "en",
               "reasons": ["INV-1 is 43 days overdue; level 2 starts at 30"]},
    "items": [{"number": "INV-1", "kind": "invoice", "issue_date": "2026-09-21", "due_date": "2026-10-21",
               "amount": "1234.56", "open_amount": "1234.56", "days_overdue": 43, "level": 2,
               "reminded_level": 1, "interest": "0.00"},
              {"number": "INV-2", "kind": "invoice", "issue_date": "2026-10-15", "due_date": "2026-11-14",
               "amount": "500.00", "open_amount": "250.00", "days_overdue": 19, "level": 1,
               "reminded_level": 0, "interest": "0.00"}],
    "credits": [{"number": "CN-7", "kind": "credit_note", "date": "2026-11-20", "open_amount": "-100.00"}],
    "info": [{"number": "INV-3", "due_date": "2026-12-20", "open_amount": "80.00", "days_overdue": -17,
              "note": "not due"}],
    "totals": {"dunned": "1484.56", "fee": "5.00", "interest": "0.00", "credits": "-100.00", "total": "1389.56"},
}


# --------------------------------------------------------------------------------------------
# The sandboxed environment (used inside the worker process).

SAFE_FILTERS = ("abs", "capitalize", "count", "d", "default", "dictsort", "e", "escape", "first", "float",
                "forceescape", "groupby", "int", "items", "join", "last", "length", "list", "lower", "map", "max",
                "min", "reject", "rejectattr", "replace", "reverse", "round", "select", "selectattr", "sort",
                "string", "striptags", "sum", "title", "trim", "truncate", "unique", "upper", "wordcount",
                "wordwrap")
BLOCKED_ATTRIBUTES = frozenset({"format", "format_map", "mro", "gi_frame", "gi_code", "cr_frame", "f_globals",
                                "func_globals", "ljust", "rjust", "center", "zfill", "expandtabs"})


class LimitExceeded(Exception):
    """A template tried to build something too big."""


def _sized(value: Any) -> bool:
    return isinstance(value, (str, list, tuple, bytes))


def _check_power(base: Any, exponent: Any) -> None:
    if isinstance(base, (int, float, Decimal)) and isinstance(exponent, (int, float, Decimal)):
        magnitude = abs(float(base))
        if abs(exponent) > 1000 or (magnitude > 1 and abs(float(exponent)) * math.log2(magnitude) > MAX_POWER_BITS):
            raise LimitExceeded(f"power {base} ** {exponent} is too large for a letter")


def _check_product(left: Any, right: Any) -> None:
    for seq, times in ((left, right), (right, left)):
        if _sized(seq) and isinstance(times, int):
            if len(seq) * max(times, 0) > MAX_SEQUENCE:
                raise LimitExceeded(f"repeating a text or list {times} times is too large for a letter")
    if isinstance(left, int) and isinstance(right, int) and not isinstance(left, bool):
        if abs(left).bit_length() + abs(right).bit_length() > 4 * MAX_POWER_BITS:
            raise LimitExceeded("number too large for a letter")


def _bounded_range(*args: int) -> range:
    """range() as in the sandbox, but shorter: a letter never needs more than MAX_RANGE steps."""
    rng = range(*args)
    if len(rng) > MAX_RANGE:
        raise LimitExceeded(f"range of {len(rng)} steps is too long (at most {MAX_RANGE})")
    return rng


def make_environment(autoescape: bool) -> Any:
    """One sandboxed Jinja2 environment: whitelisted filters, bounded operators, strict undefined."""
    from jinja2 import StrictUndefined
    from jinja2.defaults import DEFAULT_FILTERS
    from jinja2.exceptions import SecurityError
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    from . import formatting

    class LetterSandbox(ImmutableSandboxedEnvironment):
        intercepted_binops = frozenset({"*", "**", "+", "%", "//"})

        def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
            if operator == "**":
                _check_power(left, right)
            elif operator == "*":
                _check_product(left, right)
            elif operator == "+" and _sized(left) and _sized(right) and len(left) + len(right) > MAX_SEQUENCE:
                raise LimitExceeded("joining these texts or lists makes them too large for a letter")
            elif operator == "%" and isinstance(left, str):
                raise LimitExceeded("'%' formatting of text is not available; use the filters (money, date, ...)")
            return super().call_binop(context, operator, left, right)

        def wrap_str_format(self, value: Any) -> Any:
            if super().wrap_str_format(value) is None:
                return None

            def refused(*args: Any, **kwargs: Any) -> str:
                raise SecurityError("str.format is not available in letters; use the filters (money, date, ...)")

            return refused

        def is_safe_attribute(self, obj: Any, attr: str, value: Any) -> bool:
            if attr in BLOCKED_ATTRIBUTES:
                return False
            return super().is_safe_attribute(obj, attr, value)

        def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: N805
            for arg in (*args, *kwargs.values()):
                if isinstance(arg, int) and not isinstance(arg, bool) and abs(arg) > MAX_INT_ARGUMENT \
                        and __obj is not _bounded_range:
                    raise LimitExceeded(f"argument {arg} is too large for a letter")
            return super().call(__context, __obj, *args, **kwargs)

    env = LetterSandbox(autoescape=autoescape, undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True,
                        keep_trailing_newline=False, cache_size=0)
    env.filters = {name: DEFAULT_FILTERS[name] for name in SAFE_FILTERS}
    env.globals = {"range": _bounded_range}

    from jinja2 import pass_context

    def _locale(ctx: Any) -> str:
        return str(ctx.get("locale") or "en")

    @pass_context
    def money(ctx: Any, value: Any, currency: str | None = None) -> str:
        code = currency or (ctx.get("letter") or {}).get("currency") or ctx.get("currency") or "EUR"
        return formatting.format_money(value, str(code), _locale(ctx))

    @pass_context
    def date_filter(ctx: Any, value: Any, style: str = "medium") -> str:
        return formatting.format_date(value, _locale(ctx), style)

    @pass_context
    def number(ctx: Any, value: Any, digits: int | None = None) -> str:
        if digits is not None and not 0 <= int(digits) <= 6:
            raise LimitExceeded("number() keeps 0 to 6 decimals")
        return formatting.format_number(value, _locale(ctx), digits)

    @pass_context
    def percent(ctx: Any, value: Any) -> str:
        return formatting.format_percent(value, _locale(ctx))

    env.filters.update({"money": money, "date": date_filter, "number": number, "percent": percent})
    return env


class _Renderer:
    """Inside the worker: compiled templates cached by source, rendered with an output bound."""

    def __init__(self) -> None:
        self.envs = {False: make_environment(False), True: make_environment(True)}
        self.cache: OrderedDict[tuple[bool, str], Any] = OrderedDict()

    def compile(self, source: str, html: bool) -> Any:
        key = (html, source)
        if key in self.cache:
            self.cache.move_to_end(key)
            return self.cache[key]
        template = self.envs[html].from_string(source)
        self.cache[key] = template
        if len(self.cache) > CACHE_SIZE:
            self.cache.popitem(last=False)
        return template

    def render(self, source: str, html: bool, context: dict) -> str:
        parts: list[str] = []
        size = 0
        for chunk in self.compile(source, html).generate(context):
            size += len(chunk)
            if size > MAX_OUTPUT_CHARS:
                raise LimitExceeded(f"the text is longer than {MAX_OUTPUT_CHARS} characters")
            parts.append(chunk)
        return "".join(parts)

    def validate(self, source: str, html: bool, context: dict) -> list[str]:
        from jinja2 import TemplateSyntaxError, meta, nodes

        env = self.envs[html]
        try:
            ast = env.parse(source)
        except TemplateSyntaxError as exc:
            return [f"line {exc.lineno}: {exc.message}"]
        errors: list[str] = []
        for node in ast.find_all(nodes.Filter):
            if node.name not in env.filters:
                errors.append(f"line {node.lineno}: unknown filter '{node.name}' "
                              f"(available: {', '.join(sorted(env.filters))})")
        for node in ast.find_all(nodes.Test):
            if node.name not in env.tests:
                errors.append(f"line {node.lineno}: unknown test '{node.name}'")
        if errors:
            return errors
        try:
            unknown = meta.find_undeclared_variables(ast) - set(context) - set(env.globals)
        except TemplateSyntaxError as exc:
            return [f"line {exc.lineno}: {exc.message}"]
        errors += [f"unknown name '{name}' (known: {', '.join(sorted(context))})" for name in sorted(unknown)]
        if errors:
            return errors
        try:
            self.render(source, html, context)
        except Exception as exc:  # noqa: BLE001 - every failure becomes a message for the author
            err = _describe(exc)
            return [f"line {err['line']}: {err['message']}" if err.get("line") else err["message"]]
        return []


def _template_line(exc: BaseException) -> int | None:
    tb = exc.__traceback__
    line = None
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == "<template>":
            line = tb.tb_lineno
        tb = tb.tb_next
    return getattr(exc, "lineno", None) or line


def _describe(exc: BaseException) -> dict:
    """A worker-side exception as a message for the template's author."""
    from jinja2 import TemplateSyntaxError, UndefinedError
    from jinja2.exceptions import SecurityError

    line = _template_line(exc)
    if isinstance(exc, TemplateSyntaxError):
        kind, message = "syntax", exc.message or str(exc)
    elif isinstance(exc, UndefinedError):
        kind, message = "undefined", f"unknown name or field: {exc.message}"
    elif isinstance(exc, SecurityError):
        kind, message = "security", f"not allowed in a template: {exc}"
    elif isinstance(exc, LimitExceeded):
        kind, message = "limit", f"template stopped: {exc}"
    elif isinstance(exc, OverflowError):
        kind, message = "limit", f"template stopped: {exc}"
    elif isinstance(exc, RecursionError):
        kind, message = "limit", "template stopped: recursion too deep"
    elif isinstance(exc, MemoryError):
        kind, message = "memory", "template stopped: it used too much memory"
    elif isinstance(getattr(exc, "kind", None), str):
        kind, message = exc.kind, str(exc)  # type: ignore[attr-defined]
    else:
        kind, message = "error", f"{type(exc).__name__}: {exc}"
    return {"ok": False, "kind": kind, "message": message, "line": line}


# --------------------------------------------------------------------------------------------
# The worker process: frames of JSON over stdin/stdout.

def _write_frame(stream: Any, payload: dict) -> None:
    body = json.dumps(payload, ensure_ascii=False).encode()
    stream.write(struct.pack(">I", len(body)) + body)
    stream.flush()


def _read_frame_blocking(stream: Any) -> dict | None:
    header = stream.read(4)
    if len(header) < 4:
        return None
    (size,) = struct.unpack(">I", header)
    return json.loads(stream.read(size))


def _handle(renderer: _Renderer, request: dict) -> dict:
    op = request.get("op")
    if op == "ping":
        return {"ok": True, "result": os.getpid()}
    if op == "pdf":
        from . import pdf

        return {"ok": True, "result": base64.b64encode(pdf.compile_in_worker(request)).decode()}
    context = template_context(request.get("data") or {}, request.get("locale") or "en")
    if op == "render":
        return {"ok": True, "result": [renderer.render(job["source"], bool(job.get("html")), context)
                                       for job in request["jobs"]]}
    if op == "validate":
        return {"ok": True, "result": renderer.validate(request["source"], bool(request.get("html")), context)}
    return {"ok": False, "kind": "error", "message": f"unknown request {op!r}", "line": None}


def worker_main() -> None:
    """Serve requests until stdin closes. Limits are set after imports, before any template runs."""
    import resource

    inp = sys.stdin.buffer
    out = os.fdopen(os.dup(1), "wb")  # frames go to a private copy of stdout...
    os.dup2(2, 1)  # ...and anything else printing to fd 1 (Python or native code) goes to stderr
    sys.stdout = sys.stderr
    renderer = _Renderer()
    from . import formatting, pdf  # noqa: F401 - imported before the limit, and to warm Babel

    formatting.format_money("1", "EUR", "de")
    limit = int(os.environ.get("DUNNING_SANDBOX_MEMORY", WORKER_MEMORY_BYTES))
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    resource.setrlimit(resource.RLIMIT_FSIZE, (0, 0))  # no file may be written
    sys.setrecursionlimit(600)
    _write_frame(out, {"ok": True, "result": "ready"})
    while True:
        request = _read_frame_blocking(inp)
        if request is None:
            return
        try:
            response = _handle(renderer, request)
        except BaseException as exc:  # noqa: BLE001 - the worker reports, the parent decides
            response = _describe(exc)
        try:
            _write_frame(out, response)
        except MemoryError:
            _write_frame(out, {"ok": False, "kind": "memory", "message": "template stopped: it used too much memory",
                               "line": None})
        if response.get("kind") == "memory":
            return  # start clean after running out of memory


# --------------------------------------------------------------------------------------------
# The parent side: a small pool of persistent workers.

SECRET_MARKERS = ("PASSWORD", "SECRET", "TOKEN", "KEY", "DATABASE_URL")


class _WorkerLost(Exception):
    pass


def _json_default(value: Any) -> Any:
    """Letter data handed over as Python values (Decimal, date) travels as the JSON contract writes it."""
    if isinstance(value, Decimal):
        return str(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not plain letter data")


class _Worker:
    def __init__(self) -> None:
        env = {k: v for k, v in os.environ.items() if not any(m in k.upper() for m in SECRET_MARKERS)}
        env["PYTHONDONTWRITEBYTECODE"] = "1"
        self.proc = subprocess.Popen([sys.executable, "-m", "dunning.delivery.sandbox"], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env, close_fds=True,
                                     cwd="/")
        try:
            self._read(time.monotonic() + WORKER_START_TIMEOUT)
        except BaseException:
            self.kill()
            raise

    def alive(self) -> bool:
        return self.proc.poll() is None

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass
        for stream in (self.proc.stdin, self.proc.stdout):
            try:
                stream.close()  # type: ignore[union-attr]
            except OSError:
                pass

    def _read_exact(self, size: int, deadline: float) -> bytes:
        fd = self.proc.stdout.fileno()  # type: ignore[union-attr]
        chunks: list[bytes] = []
        while size:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([fd], [], [], left)[0]:
                raise TimeoutError
            chunk = os.read(fd, min(size, 1 << 20))
            if not chunk:
                raise _WorkerLost
            chunks.append(chunk)
            size -= len(chunk)
        return b"".join(chunks)

    def _read(self, deadline: float) -> dict:
        (size,) = struct.unpack(">I", self._read_exact(4, deadline))
        return json.loads(self._read_exact(size, deadline))

    def call(self, request: dict, timeout: float) -> dict:
        body = json.dumps(request, ensure_ascii=False, default=_json_default).encode()
        try:
            self.proc.stdin.write(struct.pack(">I", len(body)) + body)  # type: ignore[union-attr]
            self.proc.stdin.flush()  # type: ignore[union-attr]
        except (BrokenPipeError, OSError) as exc:
            raise _WorkerLost from exc
        return self._read(time.monotonic() + timeout)


class WorkerPool:
    """Persistent workers reused across letters; a worker that overran is killed and replaced."""

    def __init__(self, size: int | None = None) -> None:
        self.size = size or max(1, os.cpu_count() or 1)
        self._idle: list[_Worker] = []
        self._count = 0
        self._cond = threading.Condition()

    def _acquire(self) -> _Worker:
        with self._cond:
            while True:
                while self._idle:
                    worker = self._idle.pop()
                    if worker.alive():
                        return worker
                    worker.kill()
                    self._count -= 1
                if self._count < self.size:
                    self._count += 1
                    break
                self._cond.wait()
        try:
            return _Worker()
        except BaseException as exc:
            with self._cond:
                self._count -= 1
                self._cond.notify()
            if isinstance(exc, (TimeoutError, _WorkerLost, OSError, ValueError, struct.error)):
                raise TemplateError(f"the rendering process could not start ({type(exc).__name__})",
                                    "worker") from None
            raise

    def _release(self, worker: _Worker | None) -> None:
        with self._cond:
            if worker is not None and worker.alive():
                self._idle.append(worker)
            else:
                self._count -= 1
            self._cond.notify()

    def call(self, request: dict, timeout: float, what: str = "template") -> Any:
        worker: _Worker | None = self._acquire()
        started = time.monotonic()
        try:
            response = worker.call(request, timeout)  # type: ignore[union-attr]
        except TimeoutError:
            worker.kill()  # type: ignore[union-attr]
            worker = None
            raise TemplateError(f"{what} stopped: it ran longer than {timeout:g} s (endless loop or too much work?)",
                                "timeout") from None
        except (_WorkerLost, ValueError, struct.error):
            worker.kill()  # type: ignore[union-attr]
            worker = None
            raise TemplateError(f"{what} stopped: the rendering process ended abruptly after "
                                f"{time.monotonic() - started:.2f} s (memory limit reached?)", "memory") from None
        finally:
            self._release(worker)
        if response.get("ok"):
            return response.get("result")
        if response.get("kind") == "memory" and worker is not None:
            worker.kill()
        raise TemplateError(str(response.get("message")), str(response.get("kind")), response.get("line"))

    def close(self) -> None:
        with self._cond:
            for worker in self._idle:
                worker.kill()
            self._count -= len(self._idle)
            self._idle.clear()


_pool: WorkerPool | None = None
_pool_lock = threading.Lock()


def pool() -> WorkerPool:
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = WorkerPool()
        return _pool


def _forget_pool_after_fork() -> None:
    """A forked child (e.g. a prefork task worker) must not share its parent's pipes."""
    global _pool, _pool_lock
    _pool, _pool_lock = None, threading.Lock()


os.register_at_fork(after_in_child=_forget_pool_after_fork)


@atexit.register
def _close_pool() -> None:
    if _pool is not None:
        _pool.close()


# --------------------------------------------------------------------------------------------
# The API.

@dataclass(frozen=True)
class Source:
    """One template source and whether its output is HTML (then autoescaped)."""

    text: str
    html: bool = False


def render_templates(sources: Sequence[Source], data: dict, locale: str = "en",
                     timeout: float = TEMPLATE_TIMEOUT) -> list[str]:
    """Render several templates of one letter in one round trip to a worker; bounded in time together."""
    jobs = [{"source": s.text, "html": s.html} for s in sources]
    return list(pool().call({"op": "render", "jobs": jobs, "data": data, "locale": locale}, timeout))


def render_template(source: str, data: dict, *, html: bool = False, locale: str = "en",
                    timeout: float = TEMPLATE_TIMEOUT) -> str:
    """Render one template on one letter's plain data. Raises TemplateError."""
    return render_templates([Source(source, html)], data, locale, timeout)[0]


def validate_template(source: str, *, html: bool = False, data: dict | None = None, locale: str = "en",
                      pdf: bool = False) -> list[str]:
    """Everything wrong with a template, for the save form: syntax, unknown names and filters, and what
    rendering it on sample data (or `data`) reports; with `pdf`, also characters the letter's fonts cannot
    print. An empty list means it can be saved."""
    sample = data or SAMPLE_LETTER_DATA
    try:
        errors = list(pool().call({"op": "validate", "source": source, "html": html, "data": sample,
                                   "locale": locale}, TEMPLATE_TIMEOUT))
        if pdf and not errors:
            from .pdf import MissingGlyphsError, check_glyphs

            try:
                check_glyphs({"text": render_template(source, sample, html=html, locale=locale)})
            except MissingGlyphsError as exc:
                errors.append(str(exc))
        return errors
    except TemplateError as exc:
        return [str(exc)]


def run_in_worker(request: dict, timeout: float, what: str) -> Any:
    """Run another bounded job (the PDF compile) in the same workers."""
    return pool().call(request, timeout, what)


if __name__ == "__main__":
    worker_main()
