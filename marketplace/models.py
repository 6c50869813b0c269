"""Read models of the marketplace: the tariff, engagements and notices."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models


class TariffRecord(models.Model):
    version = models.IntegerField(primary_key=True)
    effective_from = models.DateField(unique=True)
    support_plan_fee = models.BigIntegerField()
    annual_review_fee = models.BigIntegerField()
    money_management_fee = models.BigIntegerField()
    deductions = models.JSONField(default=list)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["effective_from"]


class EngagementRecord(models.Model):
    id = models.UUIDField(primary_key=True)
    person = models.CharField(max_length=64, db_index=True)
    provider_id = models.UUIDField(db_index=True)
    service = models.CharField(max_length=20)
    status = models.CharField(max_length=20, db_index=True)
    price = models.BigIntegerField()
    tariff_version = models.IntegerField()
    chosen_by = models.CharField(max_length=150)
    on_behalf = models.CharField(max_length=20)
    consent = models.TextField(blank=True)
    replaces = models.UUIDField(null=True)
    requested_at = models.DateTimeField()
    started_on = models.DateField(null=True)
    ended_on = models.DateField(null=True)
    outcome_reason = models.TextField(blank=True)
    # When it was declined, withdrawn or ended: a later suspension does not flag it.
    closed_at = models.DateTimeField(null=True)
    feedback_rating = models.IntegerField(null=True)
    feedback_comment = models.TextField(blank=True)
    feedback_status = models.CharField(max_length=30, blank=True)

    class Meta:
        ordering = ["-requested_at"]


SUBJECT_LIMIT = 200


class Notice(models.Model):
    """A message for a person (by council reference) or a provider, shown on their pages."""

    recipient = models.CharField(max_length=64, db_index=True)  # person ref or provider id
    subject = models.CharField(max_length=SUBJECT_LIMIT)
    body = models.TextField()
    created_at = models.DateTimeField()
    position = models.CharField(max_length=80, unique=True)  # the event that caused it
    # What it is about (an engagement, an accreditation): once that is acted on (a request
    # answered, support ended, an accreditation renewed) the notice clears; its recipient
    # may also dismiss it once read.
    about = models.CharField(max_length=80, blank=True, db_index=True)
    cleared_at = models.DateTimeField(null=True)
    cleared_by = models.CharField(max_length=150, blank=True)

    class Meta:
        ordering = ["-created_at"]

    @classmethod
    def clear(cls, about: str, *, at: Any, by: str, recipient: str | None = None) -> None:
        """Clear what is still open about ``about`` (for ``recipient`` only, if named)."""
        found = cls.objects.filter(about=about, cleared_at__isnull=True)
        if recipient is not None:
            found = found.filter(recipient=recipient)
        found.update(cleared_at=at, cleared_by=by)

    @classmethod
    def send(
        cls, *, position: str, recipient: str, subject: str, body: str, at: Any, about: str = ""
    ) -> None:
        """Once per causing event. A subject built from long names is cut to fit, not
        refused: a projection that stops on one notice stops every read model after it."""
        limit = SUBJECT_LIMIT
        if len(subject) > limit:
            subject = subject[: limit - 1] + "…"
        cls.objects.get_or_create(
            position=position,
            defaults={
                "recipient": recipient,
                "subject": subject,
                "body": body,
                "created_at": at,
                "about": about,
            },
        )


class PersonAccount(models.Model):
    """Which person (council reference) a 'person' user is, or acts for as nominee or advocate."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="people"
    )
    person = models.CharField(max_length=64)
    relationship = models.CharField(max_length=20, default="person")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "person"], name="one_link_per_person")
        ]
