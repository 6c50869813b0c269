"""The payments context's tables (Django only, no workflow).

Today one: what Stripe told us, every webhook event, stored before it is acted on
(api/payments.py). The read models that payments/projections.py will write join it with the
payments issue.
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
