"""The payments context's tables (Django only, no workflow).

What Stripe told us (every webhook event, stored before it is acted on: api/payments.py), and
the read models payments/projections.py writes from the context's events: each payment and
each payment run, for finance's pages, the person's and the API.
"""

from __future__ import annotations

from django.db import models


class StripeEvent(models.Model):
    id = models.CharField(max_length=255, primary_key=True)  # Stripe's evt_ id: received once
    type = models.CharField(max_length=100, db_index=True)
    payload = models.JSONField()
    received_at = models.DateTimeField(auto_now_add=True)
    processed_at = models.DateTimeField(null=True)
    outcome = models.TextField(blank=True)

    class Meta:
        ordering = ["-received_at"]


class PaymentRecord(models.Model):
    """One payment as finance, the person and the auditor see it (payments/runs.py)."""

    id = models.UUIDField(primary_key=True)  # the Payment aggregate's
    key = models.CharField(max_length=150, unique=True)  # its ledger key, payments:dp:<ref>:P01
    budget = models.CharField(max_length=64, db_index=True)
    kind = models.CharField(max_length=20)  # period, one_off
    rail = models.CharField(max_length=20)
    payee = models.CharField(max_length=150)
    gross = models.BigIntegerField()
    netted = models.BigIntegerField()
    net = models.BigIntegerField()
    pay_on = models.DateField(db_index=True)
    period_start = models.DateField()
    period_end = models.DateField()
    label = models.CharField(max_length=200)
    reason = models.TextField()
    status = models.CharField(max_length=20, db_index=True)
    failure = models.TextField(blank=True)
    retryable = models.BooleanField(default=True)
    attempts = models.IntegerField(default=0)
    rail_ref = models.CharField(max_length=255, blank=True)
    run = models.UUIDField(db_index=True)
    entry = models.UUIDField(null=True)
    settlement = models.UUIDField(null=True)
    paid_at = models.DateTimeField(null=True)

    class Meta:
        ordering = ["pay_on", "key"]


class PaymentRunRecord(models.Model):
    id = models.UUIDField(primary_key=True)
    rail = models.CharField(max_length=20)
    run_on = models.DateField(db_index=True)
    status = models.CharField(max_length=20)
    total = models.IntegerField(default=0)
    done = models.IntegerField(default=0)
    started_by = models.CharField(max_length=150)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True)
    runs = models.IntegerField(default=1)
    report = models.JSONField(default=dict)
    skipped = models.JSONField(default=list)

    class Meta:
        ordering = ["-run_on", "rail"]


class InvoiceRecord(models.Model):
    """A provider's invoice as the provider and finance see it (payments/invoices.py)."""

    id = models.UUIDField(primary_key=True)
    provider = models.UUIDField(db_index=True)
    number = models.CharField(max_length=35)
    kind = models.CharField(max_length=20)
    engagement = models.UUIDField()
    person = models.CharField(max_length=64, db_index=True)
    service_date = models.DateField()
    amount = models.BigIntegerField()
    status = models.CharField(max_length=20, db_index=True)
    submitted_by = models.CharField(max_length=150)
    submitted_at = models.DateTimeField()
    approvals = models.JSONField(default=list)
    decision_reason = models.TextField(blank=True)
    entry = models.UUIDField(null=True)
    approved_at = models.DateTimeField(null=True)
    paid_at = models.DateTimeField(null=True)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["-submitted_at"]


class MatchingJob(models.Model):
    """An imported statement being matched by a worker (a large one), and how far it is."""

    id = models.UUIDField(primary_key=True)  # the import's
    account = models.CharField(max_length=40)
    filename = models.CharField(max_length=300)
    lines = models.IntegerField()
    status = models.CharField(max_length=20)  # waiting, matching, done, failed
    done = models.IntegerField(default=0)  # matches saved so far
    total = models.IntegerField(default=0)  # matches the rules make
    exceptions = models.IntegerField(default=0)
    suggestions = models.IntegerField(default=0)
    started_by = models.CharField(max_length=150)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True)
    error = models.TextField(default="", blank=True)

    class Meta:
        ordering = ["-started_at"]
