"""What earlier letters mean for a record today.

Only sent letters remind anything; a letter removed from review reminded
nothing; one still waiting blocks a second. A record's cycle ends when nothing
dunned is left: an earlier letter belongs to the current cycle while an item it
listed (or a charge it created) is still open.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from .facts import PastLetter, RecordKey


@dataclass(frozen=True)
class RecordHistory:
    sent: tuple[PastLetter, ...]  # by date
    pending: tuple[PastLetter, ...]
    cycle: tuple[PastLetter, ...]  # sent letters of the current cycle, by date

    @property
    def last_sent(self) -> PastLetter | None:
        """The letter that went out last (a letter held in review counts from the day it was sent)."""
        return max(self.sent, key=_went_out, default=None)

    @property
    def last_in_cycle(self) -> PastLetter | None:
        return max(self.cycle, key=_went_out, default=None)

    @property
    def highest_in_cycle(self) -> int:
        return max((letter.level for letter in self.cycle), default=0)

    def fee_charged_in_cycle(self, level: int) -> bool:
        return any(letter.fee_level == level for letter in self.cycle)

    def interest_charged_until(self, item: str) -> date | None:
        ends = [letter.interest_until[item] for letter in self.sent if item in letter.interest_until]
        return max(ends, default=None)


def _went_out(letter: PastLetter) -> tuple[date, date, str]:
    return (letter.counted_from, letter.date, letter.number)


def record_history(letters: Iterable[PastLetter], record: RecordKey, record_items: frozenset[str],
                   open_items: frozenset[str], charge_origins: frozenset[str]) -> RecordHistory:
    """Letters of the record, and letters that listed its items under another record.

    The second kind carries history over when a procedure changes between customer
    and invoice letters: no restart at level 1, no second letter inside the interval.
    """
    mine = sorted((lt for lt in letters if lt.record == record or record_items.intersection(lt.items)),
                  key=lambda lt: (lt.date, lt.number))
    sent = tuple(lt for lt in mine if lt.state == "sent")
    pending = tuple(lt for lt in mine if lt.state == "pending")
    cycle = tuple(lt for lt in sent if lt.number in charge_origins or open_items.intersection(lt.items))
    return RecordHistory(sent=sent, pending=pending, cycle=cycle)


class HistoryIndex:
    """The letters by record and by listed item, so each record finds its own without reading them all.

    `letters_for` gives a subset of the letters, in their original order, that holds every letter
    `record_history` would pick for the record: the result of `record_history` is the same.
    """

    def __init__(self, letters: Iterable[PastLetter]):
        self.letters = tuple(letters)
        self.by_record: dict[RecordKey, list[int]] = {}
        self.by_item: dict[str, list[int]] = {}
        for index, letter in enumerate(self.letters):
            self.by_record.setdefault(letter.record, []).append(index)
            for item in letter.items:
                self.by_item.setdefault(item, []).append(index)

    def letters_for(self, record: RecordKey, record_items: Iterable[str]) -> list[PastLetter]:
        found = set(self.by_record.get(record, ()))
        for item in record_items:
            found.update(self.by_item.get(item, ()))
        return [self.letters[index] for index in sorted(found)]


def item_memory(letters: Iterable[PastLetter]) -> dict[str, int]:
    """The highest level each item appeared at on a sent letter; it stays with the item across cycles."""
    memory: dict[str, int] = {}
    for letter in letters:
        if letter.state != "sent":
            continue
        for item, level in letter.items.items():
            memory[item] = max(memory.get(item, 0), level)
    return memory
