"""The dunning decisions, pure: no Django, no I/O, no clock. Facts in, decisions out."""
from .decision import CreditLine, DataIssue, Decisions, InfoLine, LetterDecision, Line, Skip, Waiver
from .evaluate import evaluate
from .facts import Allocation, Credit, Customer, Item, Level, PastLetter, Pause, Procedure, RecordKey, Snapshot

__all__ = [
    "Allocation", "Credit", "CreditLine", "Customer", "DataIssue", "Decisions", "InfoLine", "Item",
    "LetterDecision", "Level", "Line", "PastLetter", "Pause", "Procedure", "RecordKey", "Skip", "Snapshot",
    "Waiver", "evaluate",
]
