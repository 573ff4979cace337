"""Where the project's shared material (SPEC, cases, real data sets) is: never copied into the repository.

It sits beside the repository as `../shared`. A clone made somewhere else finds it through
DUNNING_SHARED (the folder itself), else the first ancestor folder that has a `shared/` holding
`cases/` and `data/`, else this workplace's own copy at /work/shared.
"""
from __future__ import annotations

import os
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
WORKPLACE_COPY = Path("/work/shared")


def _looks_shared(folder: Path) -> bool:
    return (folder / "cases").is_dir() and (folder / "data").is_dir()


def shared_folder() -> Path:
    """The shared folder; a path that does not exist when none was found (callers skip or fail with it)."""
    if os.environ.get("DUNNING_SHARED"):
        return Path(os.environ["DUNNING_SHARED"])
    for ancestor in REPO.parents:
        if _looks_shared(ancestor / "shared"):
            return ancestor / "shared"
    if _looks_shared(WORKPLACE_COPY):
        return WORKPLACE_COPY
    return REPO.parent / "shared"
