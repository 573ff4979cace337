from django.conf import settings
from django.db import models


def customer_key(number: str) -> str:
    """Customer numbers are text; '0200769623' and '200769623' are one customer."""
    stripped = number.strip().lstrip("0")
    return stripped or "0"


class Customer(models.Model):
    company = models.ForeignKey("dunning.Company", on_delete=models.PROTECT, related_name="customers")
    number = models.CharField(max_length=64, help_text="As the billing system writes it")
    key = models.CharField(max_length=64, help_text="Number without leading zeros; one customer per key")
    name = models.CharField(max_length=200)
    address = models.TextField(blank=True)
    country = models.CharField(max_length=32, blank=True)
    language = models.CharField(max_length=16, blank=True, help_text="Locale of letters, e.g. de or fr_CH")
    currency = models.CharField(max_length=3, blank=True)
    email = models.EmailField(blank=True)
    tags = models.CharField(max_length=200, blank=True, help_text="Comma-separated categories")
    collector = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    procedure = models.ForeignKey(
        "dunning.Procedure", null=True, blank=True, on_delete=models.PROTECT,
        help_text="Manual procedure; wins over assignment rules",
    )
    allow_email = models.BooleanField(default=True)
    allow_print = models.BooleanField(default=True)
    paused = models.BooleanField(default=False)
    pause_reason = models.CharField(max_length=100, blank=True)
    pause_detail = models.TextField(blank=True)
    pause_until = models.DateField(null=True, blank=True, help_text="Dunning resumes the day after")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["company", "key"], name="customer_unique_key")]

    def __str__(self) -> str:
        return f"{self.number} {self.name}"


class Contact(models.Model):
    """An extra recipient, for every letter or from one level on."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="contacts")
    name = models.CharField(max_length=200, blank=True)
    email = models.EmailField()
    role = models.CharField(max_length=3, choices=[("to", "To"), ("cc", "Cc"), ("bcc", "Bcc")], default="cc")
    from_level = models.PositiveSmallIntegerField(default=1)
