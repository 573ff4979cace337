from django.db import models

from .money import MinorUnitsField, from_minor


class Invoice(models.Model):
    """An open item: an invoice, or a charge (fee and interest) a sent letter created."""

    STATUSES = [(s, s) for s in ("draft", "open", "paid", "void", "cancelled")]

    company = models.ForeignKey("dunning.Company", on_delete=models.PROTECT, related_name="invoices")
    customer = models.ForeignKey("dunning.Customer", on_delete=models.PROTECT, related_name="invoices")
    number = models.CharField(max_length=64)
    kind = models.CharField(max_length=8, default="invoice", choices=[("invoice", "Invoice"), ("charge", "Charge")])
    issue_date = models.DateField(null=True, blank=True)
    due_date = models.DateField(null=True, blank=True, help_text="Missing: reported, never dunned")
    currency = models.CharField(max_length=3)
    amount_minor = MinorUnitsField()
    status = models.CharField(max_length=12, choices=STATUSES, default="open")
    procedure = models.ForeignKey("dunning.Procedure", null=True, blank=True, on_delete=models.PROTECT)
    disputed = models.BooleanField(default=False)
    dispute_reason = models.CharField(max_length=200, blank=True)
    paused = models.BooleanField(default=False)
    pause_reason = models.CharField(max_length=100, blank=True)
    pause_detail = models.TextField(blank=True)
    pause_until = models.DateField(null=True, blank=True)
    info = models.JSONField(default=dict, blank=True, help_text="Source columns kept for reference")
    origin_letter = models.ForeignKey("dunning.Letter", null=True, blank=True, on_delete=models.PROTECT,
                                      related_name="charges")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["company", "number"], name="invoice_unique_number")]
        indexes = [models.Index(fields=["company", "status", "due_date"])]

    @property
    def amount(self):
        return from_minor(self.amount_minor, self.currency)

    def __str__(self) -> str:
        return self.number


class Credit(models.Model):
    """A payment or a credit note. What is not allocated is the customer's credit."""

    company = models.ForeignKey("dunning.Company", on_delete=models.PROTECT, related_name="credits")
    customer = models.ForeignKey("dunning.Customer", on_delete=models.PROTECT, related_name="credits")
    number = models.CharField(max_length=64)
    kind = models.CharField(max_length=12, choices=[("payment", "Payment"), ("credit_note", "Credit note")])
    date = models.DateField()
    currency = models.CharField(max_length=3)
    amount_minor = MinorUnitsField(help_text="Positive")
    status = models.CharField(max_length=12, default="posted",
                              choices=[("posted", "posted"), ("cancelled", "cancelled")])

    class Meta:
        constraints = [models.UniqueConstraint(fields=["company", "kind", "number"], name="credit_unique_number")]

    @property
    def amount(self):
        return from_minor(self.amount_minor, self.currency)


class Allocation(models.Model):
    """Part of a credit applied to an invoice on a date; or a recorded waiver of a charge."""

    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="allocations")
    credit = models.ForeignKey(Credit, null=True, blank=True, on_delete=models.PROTECT, related_name="allocations")
    date = models.DateField()
    amount_minor = MinorUnitsField()
    source = models.CharField(max_length=12, default="credit",
                              choices=[("credit", "Payment or credit note"), ("waiver", "Waiver")])
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        indexes = [models.Index(fields=["invoice", "date"])]


class ExchangeRate(models.Model):
    """One unit of `base` costs `rate` units of `quote` from `date` on."""

    date = models.DateField()
    base = models.CharField(max_length=3)
    quote = models.CharField(max_length=3)
    rate = models.DecimalField(max_digits=20, decimal_places=10)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["date", "base", "quote"], name="rate_unique_day")]
