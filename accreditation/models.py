"""Read models of the register: providers, their services' accreditation and its history."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class ProviderRecord(models.Model):
    id = models.UUIDField(primary_key=True)
    name = models.CharField(max_length=150, db_index=True)
    registration_kind = models.CharField(max_length=10)
    registration_number = models.CharField(max_length=12, unique=True)
    address = models.CharField(max_length=300)
    email = models.CharField(max_length=254)
    phone = models.CharField(max_length=30, blank=True)
    areas = models.JSONField(default=list)
    languages = models.JSONField(default=list)
    access_needs = models.JSONField(default=list)
    capacity = models.IntegerField()
    offers = models.JSONField(default=dict)  # service -> pence, where it differs from the tariff
    payment_account = models.CharField(max_length=64, blank=True)
    payouts_ready = models.BooleanField(default=False)
    registered_at = models.DateTimeField()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(condition=models.Q(capacity__gt=0), name="capacity_positive")
        ]


class ServiceRecord(models.Model):
    """One service's accreditation as it stands now."""

    id = models.UUIDField(primary_key=True)
    provider = models.ForeignKey(ProviderRecord, on_delete=models.PROTECT, related_name="services")
    service = models.CharField(max_length=20)
    status = models.CharField(max_length=20, db_index=True)
    checklist_version = models.IntegerField(default=0)
    accredited_since = models.DateField(null=True)
    expires_on = models.DateField(null=True)
    conditions = models.TextField(blank=True)
    applied_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["provider__name", "service"]
        constraints = [
            models.UniqueConstraint(fields=["provider", "service"], name="one_record_per_service")
        ]


class ServiceHistory(models.Model):
    """Every step of an accreditation, for the public register's history."""

    accreditation = models.ForeignKey(
        ServiceRecord, on_delete=models.PROTECT, related_name="history"
    )
    position = models.BigIntegerField(unique=True)
    step = models.CharField(max_length=40)
    at = models.DateTimeField()
    actor = models.CharField(max_length=150)
    reason = models.TextField(blank=True)

    class Meta:
        ordering = ["position"]


class Assessment(models.Model):
    accreditation = models.ForeignKey(
        ServiceRecord, on_delete=models.PROTECT, related_name="assessments"
    )
    criterion = models.CharField(max_length=40)
    met = models.BooleanField()
    evidence = models.JSONField(default=list)
    note = models.TextField(blank=True)
    assessor = models.CharField(max_length=150)
    at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["accreditation", "criterion"], name="one_assessment_per_criterion"
            )
        ]


class Evidence(models.Model):
    id = models.UUIDField(primary_key=True)
    provider = models.ForeignKey(ProviderRecord, on_delete=models.PROTECT, related_name="evidence")
    kind = models.CharField(max_length=40)
    filename = models.CharField(max_length=200)
    content_type = models.CharField(max_length=40)
    size = models.IntegerField()
    sha256 = models.CharField(max_length=64)
    expires_on = models.DateField(null=True)
    uploaded_on = models.DateField()

    class Meta:
        ordering = ["-uploaded_on"]


class Membership(models.Model):
    """Which organisation a provider staff user works for (access control, not history)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="provider_membership"
    )
    provider_id = models.UUIDField(db_index=True)


class OnboardingLink(models.Model):
    """A provider's Stripe onboarding link, made by a Celery task (never in a request thread):
    asked for, then ready (its address) or failed (why), for the provider's page to show."""

    provider_id = models.UUIDField(primary_key=True)
    requested_at = models.DateTimeField()
    url = models.URLField(max_length=500, blank=True)
    ready_at = models.DateTimeField(null=True)
    failure = models.CharField(max_length=300, blank=True)
