"""The decision core imports only the standard library and itself."""
import ast
from pathlib import Path

CORE = Path(__file__).resolve().parents[1] / "dunning" / "core"
ALLOWED = {"__future__", "dataclasses", "datetime", "decimal", "typing", "itertools", "functools", "collections"}


def imported_modules(path: Path):
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name.split(".")[0], node.lineno
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            yield (node.module or "").split(".")[0], node.lineno


def test_core_imports_no_django_and_no_io():
    offenders = [f"{p.name}:{line} imports {mod}"
                 for p in sorted(CORE.glob("*.py")) for mod, line in imported_modules(p) if mod not in ALLOWED]
    assert offenders == []


def test_core_never_reads_the_clock():
    text = "\n".join(p.read_text() for p in CORE.glob("*.py"))
    for call in ("today()", "now()", "utcnow()", "time.time"):
        assert call not in text
