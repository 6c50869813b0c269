"""The tables the followers (core.projection, core.process) keep their place and failures in.

They are declared here, beside the loops that use them, so that this package needs no context.
Their tables and migrations are the ledger app's (``app_label``), where they were first made:
ledger/models.py imports them so Django registers them with that app, and nothing about the
database changes.
"""

from __future__ import annotations

from django.db import models


class StepFailure(models.Model):
    """A cross-context step the downstream context refused: parked for finance to look at,
    so that one refusal does not stop its process manager for every later event."""

    manager = models.CharField(max_length=64)
    position = models.BigIntegerField()  # the upstream event's notification id
    originator_id = models.CharField(max_length=64)
    event = models.CharField(max_length=150)
    error = models.TextField()
    parked_at = models.DateTimeField(auto_now_add=True)
    # Set when someone ran the step again and it went through: who, when.
    resolved_by = models.CharField(max_length=150, default="", blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        app_label = "ledger"
        constraints = [
            models.UniqueConstraint(fields=["manager", "position"], name="one_failure_per_step")
        ]


class ProjectionPosition(models.Model):
    """How far a projection has read the notification log, and the hash chain's head."""

    name = models.CharField(max_length=64, primary_key=True)
    position = models.BigIntegerField(default=0)
    head_hash = models.CharField(max_length=64, default="")

    class Meta:
        app_label = "ledger"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(position__gte=0), name="position_not_negative"
            )
        ]
