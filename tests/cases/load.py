"""Read the shared cases file from the folder beside the repository (never copied into it)."""
from __future__ import annotations

from functools import lru_cache
import os

import pytest
import yaml

from shared_folder import shared_folder

CASES_FILE = shared_folder() / "cases" / "cases.yaml"
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


@lru_cache(maxsize=1)
def all_cases() -> tuple[dict, ...]:
    """Every case; on a newcomer's clone without the shared folder, the case tests skip with the reason."""
    if not CASES_FILE.is_file() and not IN_CI:
        pytest.skip(f"cases file not found at {CASES_FILE} (set DUNNING_SHARED)", allow_module_level=True)
    with CASES_FILE.open(encoding="utf-8") as fh:
        return tuple(yaml.safe_load(fh)["cases"])


def case(case_id: str) -> dict:
    for c in all_cases():
        if c["id"] == case_id:
            return c
    raise KeyError(case_id)


def case_ids() -> list[str]:
    return [c["id"] for c in all_cases()]
