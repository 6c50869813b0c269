"""Read model of the notifications context: every notice, where it stands, for the case page,
the provider's page, finance and the sending worker's sweep."""

from __future__ import annotations

from django.db import models


class NoticeRecord(models.Model):
    id = models.UUIDField(primary_key=True)
    kind = models.CharField(max_length=40)
    label = models.CharField(max_length=100)  # "New request for support"
    recipient = models.CharField(max_length=200, db_index=True)  # person:<ref>, provider:<id>
    recipient_name = models.CharField(max_length=200)
    channel = models.CharField(max_length=10, blank=True)
    to = models.TextField(blank=True)
    case_ref = models.CharField(max_length=64, blank=True, db_index=True)
    about = models.CharField(max_length=300, blank=True)
    status = models.CharField(max_length=20, db_index=True)
    notify_status = models.CharField(max_length=30, blank=True)
    notify_id = models.CharField(max_length=64, blank=True)
    attempts = models.IntegerField(default=0)
    error = models.TextField(blank=True)
    requested_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    next_attempt_at = models.DateTimeField(null=True)

    class Meta:
        ordering = ["-requested_at"]
