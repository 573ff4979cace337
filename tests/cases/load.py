"""Read the shared cases file from the folder beside the repository (never copied into it)."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]
CASES_FILE = REPO_ROOT.parent / "shared" / "cases" / "cases.yaml"


@lru_cache(maxsize=1)
def all_cases() -> tuple[dict, ...]:
    with CASES_FILE.open(encoding="utf-8") as fh:
        return tuple(yaml.safe_load(fh)["cases"])


def case(case_id: str) -> dict:
    for c in all_cases():
        if c["id"] == case_id:
            return c
    raise KeyError(case_id)


def case_ids() -> list[str]:
    return [c["id"] for c in all_cases()]
