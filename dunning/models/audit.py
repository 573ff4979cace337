from django.db import models


class AuditEvent(models.Model):
    """Append-only: what happened, who did it, when. Never updated, never deleted."""

    at = models.DateTimeField(auto_now_add=True)
    actor = models.CharField(max_length=150, default="system")
    action = models.CharField(max_length=50, help_text="Past tense: letter_sent, customer_paused, ...")
    object_type = models.CharField(max_length=30)
    object_id = models.CharField(max_length=64)
    data = models.JSONField(default=dict)

    class Meta:
        indexes = [models.Index(fields=["object_type", "object_id"])]

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise PermissionError("audit events are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("audit events are append-only")
