from django.db import models


class Template(models.Model):
    """User-authored text for one level, channel and language (Jinja2, sandboxed)."""

    procedure = models.ForeignKey("dunning.Procedure", null=True, blank=True, on_delete=models.CASCADE,
                                  help_text="Empty: used by every procedure without its own")
    level = models.PositiveSmallIntegerField()
    channel = models.CharField(max_length=5, choices=[("email", "Email"), ("pdf", "PDF letter")])
    language = models.CharField(max_length=16)
    subject = models.CharField(max_length=300, blank=True)
    body_text = models.TextField(help_text="Plain text; for PDF the letter's paragraphs")
    body_html = models.TextField(blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["procedure", "level", "channel", "language"],
                                               name="template_unique")]

    def __str__(self) -> str:
        return f"level {self.level} {self.channel} template ({self.language})"

    def clean(self) -> None:
        """Refuse a template that does not parse, naming the line."""
        from dunning.services.validation import template_clean

        template_clean(self)
