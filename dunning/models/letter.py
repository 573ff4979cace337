from django.db import models

from .money import MinorUnitsField

# What a letter said. Once it has gone out these never change: a correction is a new letter that
# supersedes it (dunning.services.supersede). Delivery bookkeeping (printed_at, attempts, ...) may.
SENT_CONTENT = ("run_id", "company_id", "customer_id", "currency", "invoice_key", "date", "procedure_code", "level",
                "level_name", "language", "channels", "repeat", "dunned_minor", "fee_minor", "fee_level",
                "interest_minor", "credit_minor", "total_minor", "reasons", "data", "supersedes_id")


class LetterFrozen(PermissionError):
    """A sent letter cannot be edited or deleted, only superseded."""


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

    def was_sent(self) -> bool:
        """Sent, or sent and later superseded by a corrected letter."""
        return self.state == "sent" or (self.state == "superseded" and
                                        (self.sent_at is not None or self.printed_at is not None))

    def save(self, *args, **kwargs):
        if self.pk is not None:
            self._refuse_changing_what_was_sent(kwargs.get("update_fields"))
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        stored = Letter.objects.filter(pk=self.pk).first() if self.pk else None
        if stored is not None and stored.was_sent():
            raise LetterFrozen(f"letter {self.pk} was sent: it cannot be deleted, only superseded")
        return super().delete(*args, **kwargs)

    def _refuse_changing_what_was_sent(self, update_fields) -> None:
        watched = set(SENT_CONTENT) | {"state"}
        if update_fields is not None:
            watched &= {self._meta.get_field(name).attname for name in update_fields}
            if not watched:
                return
        stored = Letter.objects.filter(pk=self.pk).values("state", "sent_at", "printed_at", *SENT_CONTENT).first()
        if stored is None or not Letter(state=stored["state"], sent_at=stored["sent_at"],
                                        printed_at=stored["printed_at"]).was_sent():
            return
        changed = sorted(name for name in watched - {"state"} if stored[name] != getattr(self, name))
        if "state" in watched and self.state not in (stored["state"], "superseded"):
            changed.append("state")
        if changed:
            raise LetterFrozen(f"letter {self.pk} was sent: {', '.join(changed)} cannot change; supersede it "
                               f"with a corrected letter instead")


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
