from django.db import models


class Procedure(models.Model):
    """How a group of customers is reminded: ordered levels and the rules between them."""

    code = models.CharField(max_length=32, unique=True)
    name = models.CharField(max_length=200)
    scope = models.CharField(max_length=8, default="customer",
                             choices=[("customer", "One letter per customer and currency"),
                                      ("invoice", "One letter per invoice")])
    mode = models.CharField(max_length=4, default="jump",
                            choices=[("jump", "Jump to the highest level met"), ("step", "One level per letter")])
    min_interval_days = models.PositiveIntegerField(default=7)
    repeat_days = models.PositiveIntegerField(null=True, blank=True, help_text="Resend the last level every N days")
    sending = models.CharField(max_length=9, default="automatic",
                               choices=[("automatic", "Sent during the run"), ("review", "Wait for approval")])
    default_currency = models.CharField(max_length=3, default="EUR",
                                        help_text="Thresholds for currencies without their own line")
    interest_rate = models.DecimalField(max_digits=7, decimal_places=4, null=True, blank=True,
                                        help_text="Yearly percent, simple, ACT/365")
    charges_policy = models.CharField(max_length=7, default="collect",
                                      choices=[("collect", "Collect fees and interest"),
                                               ("waive", "Waive them once the principal is paid")])
    allow_invoice_override = models.BooleanField(default=True)

    def __str__(self) -> str:
        return self.code

    def clean(self) -> None:
        """Refuse a procedure that makes no sense (the admin calls this); every problem at once."""
        from dunning.services.validation import procedure_clean

        procedure_clean(self)


class Level(models.Model):
    procedure = models.ForeignKey(Procedure, on_delete=models.CASCADE, related_name="levels")
    number = models.PositiveSmallIntegerField(
        null=True, blank=True,
        help_text="Optional. Levels are ranked by days; a number given here must agree with that order")
    days = models.IntegerField(help_text="Days overdue from which it applies; negative: before the due date")
    name = models.CharField(max_length=100, blank=True)
    combine = models.CharField(max_length=3, default="and", choices=[("and", "All thresholds"), ("or", "Any")])
    fee_percent = models.DecimalField(max_digits=7, decimal_places=4, null=True, blank=True)
    interest_rate = models.DecimalField(max_digits=7, decimal_places=4, null=True, blank=True)
    channels = models.CharField(max_length=40, default="email",
                                help_text="Comma-separated: email, print, task")

    class Meta:
        ordering = ["days"]
        constraints = [models.UniqueConstraint(fields=["procedure", "days"], name="level_unique_days")]

    def __str__(self) -> str:
        return f"level {self.number or '?'} ({self.days} days)"

    def clean(self) -> None:
        """Refuse a level that breaks its procedure (duplicate days, fee over 100%, ...)."""
        from dunning.services.validation import level_clean

        level_clean(self)


class LevelAmount(models.Model):
    """A per-currency amount of a level: minimum per item, minimum total, or fixed fee."""

    level = models.ForeignKey(Level, on_delete=models.CASCADE, related_name="amounts")
    kind = models.CharField(max_length=9, choices=[("min_item", "Minimum per item"),
                                                   ("min_total", "Minimum total"), ("fee", "Fixed fee")])
    currency = models.CharField(max_length=3)
    amount_minor = models.BigIntegerField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["level", "kind", "currency"], name="level_amount_unique")]

    def clean(self) -> None:
        """Refuse a negative amount or a currency that is not an ISO code (e.g. 'eur'), as procedure_save does."""
        from dunning.services.validation import level_amount_clean

        level_amount_clean(self)


class AssignmentRule(models.Model):
    """First matching rule (lowest priority number) gives a customer its procedure."""

    priority = models.PositiveIntegerField()
    procedure = models.ForeignKey(Procedure, on_delete=models.PROTECT)
    company = models.ForeignKey("dunning.Company", null=True, blank=True, on_delete=models.CASCADE)
    tag = models.CharField(max_length=50, blank=True)
    country = models.CharField(max_length=32, blank=True)
    currency = models.CharField(max_length=3, blank=True)
    language = models.CharField(max_length=16, blank=True)
    min_balance_minor = models.BigIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["priority"]
