from django.db import models


class Run(models.Model):
    """One evaluation of one or all companies for a date, with what it did."""

    as_of = models.DateField(null=True, blank=True, help_text="Empty: each company's own today")
    company = models.ForeignKey("dunning.Company", null=True, blank=True, on_delete=models.PROTECT)
    dry_run = models.BooleanField(default=False)
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=12, default="running",
                              choices=[(s, s) for s in ("running", "finished", "failed", "interrupted")])
    parameters = models.JSONField(default=dict)
    counts = models.JSONField(default=dict, help_text="Letters by level and channel")
    errors = models.JSONField(default=list)
    duration_ms = models.PositiveIntegerField(null=True, blank=True)
