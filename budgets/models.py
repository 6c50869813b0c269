"""Read models of the budgets context: each person's progress, for caseloads and queues."""

from __future__ import annotations

from django.db import models


class CaseRecord(models.Model):
    """Where one person's case stands: assessment, budget, plan, sign-off, panel, review."""

    council_ref = models.CharField(max_length=64, primary_key=True)
    name = models.CharField(max_length=150)
    worker = models.CharField(max_length=150, blank=True, db_index=True)  # who assessed last
    registered_at = models.DateTimeField()
    assessed = models.BooleanField(default=False)
    eligible = models.BooleanField(null=True)
    indicative_weekly = models.BigIntegerField(null=True)
    weekly = models.BigIntegerField(null=True)
    plan_versions = models.IntegerField(default=0)
    worker_signed_by = models.CharField(max_length=150, blank=True)
    manager_signed_by = models.CharField(max_length=150, blank=True)
    signed_off = models.BooleanField(default=False)
    panel_why = models.CharField(max_length=20, blank=True)
    panel_decision = models.CharField(max_length=30, blank=True)
    review_due = models.DateField(null=True)
    review_reminded_for = models.DateField(null=True)  # the due date the worker was reminded of

    class Meta:
        ordering = ["name"]


class CaseAggregate(models.Model):
    """Which case an aggregate belongs to (only its first event names the person)."""

    originator_id = models.UUIDField(primary_key=True)
    council_ref = models.CharField(max_length=64)
