from . import append_only  # noqa: F401  (registers the SQLite guard function on each connection)
from .audit import AuditEvent
from .company import Company
from .customer import Contact, Customer, customer_key
from .invoice import Allocation, Credit, ExchangeRate, Invoice
from .letter import Letter, LetterDocument, LetterItem
from .procedure import AssignmentRule, Level, LevelAmount, Procedure
from .run import Run
from .template import Template

__all__ = [
    "Allocation", "AssignmentRule", "AuditEvent", "Company", "Contact", "Credit", "Customer", "ExchangeRate",
    "Invoice", "Letter", "LetterDocument", "LetterItem", "Level", "LevelAmount", "Procedure", "Run", "Template",
    "customer_key",
]
