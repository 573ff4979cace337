from django.db import models

from .money import MinorUnitsField


class Letter(models.Model):
    """One reminder to one record (customer × currency, or one invoice) on one date.

    Its delivery state is written in the same transaction as the decision that made it.
    """

    STATES = [(s, s) for s in ("review", "queued", "sending", "sent", "failed", "cancelled", "unknown",
                               "removed", "superseded")]

    run = models.ForeignKey("dunning.Run", on_delete=models.PROTECT, related_name="letters")
    company = models.ForeignKey("dunning.Company", on_delete=models.PROTECT)
    customer = models.ForeignKey("dunning.Customer", on_delete=models.PROTECT, related_name="letters")
    currency = models.CharField(max_length=3)
    invoice_key = models.CharField(max_length=64, blank=True, help_text="Invoice number for per-invoice letters")
    date = models.DateField(help_text="The company's local run date")
    procedure_code = models.CharField(max_length=32)
    level = models.PositiveSmallIntegerField()
    level_name = models.CharField(max_length=100, blank=True)
    language = models.CharField(max_length=16, default="en")
    channels = models.CharField(max_length=40, default="email")
    state = models.CharField(max_length=10, choices=STATES, default="queued")
    repeat = models.BooleanField(default=False)
    dunned_minor = MinorUnitsField(default=0)
    fee_minor = MinorUnitsField(default=0)
    fee_level = models.PositiveSmallIntegerField(null=True, blank=True)
    interest_minor = MinorUnitsField(default=0)
    credit_minor = MinorUnitsField(default=0)
    total_minor = MinorUnitsField(default=0)
    reasons = models.JSONField(default=list)
    data = models.JSONField(default=dict, help_text="The plain data the letter was rendered from")
    message_id = models.CharField(max_length=200, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    state_changed_at = models.DateTimeField(auto_now=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    printed_at = models.DateTimeField(null=True, blank=True)
    supersedes = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT)

    class Meta:
        constraints = [models.UniqueConstraint(
            fields=["company", "customer", "currency", "invoice_key", "date"],
            condition=~models.Q(state="superseded"), name="letter_one_per_record_and_day")]
        indexes = [models.Index(fields=["state"]), models.Index(fields=["customer", "date"])]


class LetterItem(models.Model):
    """An item as it stood on the letter; the item's memory of the level it was reminded at."""

    letter = models.ForeignKey(Letter, on_delete=models.CASCADE, related_name="items")
    invoice = models.ForeignKey("dunning.Invoice", on_delete=models.PROTECT, related_name="letter_items")
    level = models.PositiveSmallIntegerField()
    days_overdue = models.IntegerField()
    open_minor = MinorUnitsField()
    interest_minor = MinorUnitsField(default=0)
    interest_until = models.DateField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["letter", "invoice"], name="letter_item_unique")]


class LetterDocument(models.Model):
    """What was actually produced: the PDF, the email as sent."""

    letter = models.ForeignKey(Letter, on_delete=models.PROTECT, related_name="documents")
    kind = models.CharField(max_length=5, choices=[("pdf", "PDF"), ("email", "Email (.eml)")])
    content = models.BinaryField()
    created_at = models.DateTimeField(auto_now_add=True)
