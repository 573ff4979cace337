"""A folder instead of a mail server: each delivered letter as a PDF and an .eml file.

Used by the demo and by anyone who wants to look at letters before switching SMTP on
(DUNNING_DELIVERY=folder, DUNNING_OUTBOX=path). Layout:
`<company>/<customer>/<date>-L<level>-<id>.pdf` and `.eml`. The same letter always lands on the same
names, so delivering it again replaces its files instead of adding a second copy. Files are written
to a temporary name and renamed, so a crash never leaves half a letter.
"""
from __future__ import annotations

import os
import re
from pathlib import Path

from dunning.models import Letter

from .email import BuiltEmail
from .smtp import Outcome


def _safe(part: str) -> str:
    """A path component that cannot climb out of the outbox or hide: no slashes, no leading dots."""
    return re.sub(r"[^\w.-]", "_", part).lstrip(".") or "_"


class FolderOutbox:
    def __init__(self, path: str | os.PathLike[str]):
        self.path = Path(path)

    def stem(self, letter: Letter) -> Path:
        name = f"{letter.date.isoformat()}-L{letter.level}-{letter.pk}"
        return self.path / _safe(letter.company.code) / _safe(letter.customer.number) / name

    def write(self, letter: Letter, built: BuiltEmail, pdf: bytes) -> tuple[Path, Path]:
        stem = self.stem(letter)
        stem.parent.mkdir(parents=True, exist_ok=True)
        pdf_path, eml_path = stem.with_suffix(".pdf"), stem.with_suffix(".eml")
        _write_atomically(pdf_path, pdf)
        _write_atomically(eml_path, built.as_bytes())
        return pdf_path, eml_path

    def deliver_letter(self, letter: Letter, built: BuiltEmail, pdf: bytes) -> Outcome:
        pdf_path, _ = self.write(letter, built, pdf)
        return Outcome("sent", f"written to {pdf_path.parent}")


def _write_atomically(path: Path, content: bytes) -> None:
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_bytes(content)
    os.replace(temporary, path)
