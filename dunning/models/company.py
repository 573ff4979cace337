from django.db import models


class Company(models.Model):
    """A legal entity that sells on credit. Its run date is its own local date."""

    code = models.CharField(max_length=32, unique=True)
    name = models.CharField(max_length=200)
    base_currency = models.CharField(max_length=3, default="EUR")
    timezone = models.CharField(max_length=64, default="UTC", help_text="IANA name, e.g. Europe/Berlin")
    language = models.CharField(max_length=16, default="en")
    address = models.TextField(blank=True, help_text="Letterhead address, one line per row")
    logo = models.BinaryField(blank=True, null=True, help_text="PNG or SVG shown on the letterhead")
    sender_email = models.EmailField(blank=True)
    reply_to = models.EmailField(blank=True)
    payment_instructions = models.TextField(blank=True, help_text="Bank account, reference to quote")

    class Meta:
        verbose_name_plural = "companies"

    def __str__(self) -> str:
        return self.code
