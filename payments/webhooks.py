"""Acting on a stored Stripe event, once: the webhook route stores each verified event before
anything else (api/payments.py) and a Celery task acts on it (payments/tasks.py), so the route
answers Stripe at once and a slow step never holds it.

Each event is acted on at most once: the task locks the stored row and does nothing if it was
processed already (a delivery twice, or the task run twice). Out of order is safe: an account's
state is read again from Stripe rather than taken from the event, and a transfer is matched to
its payment by its group, whatever arrived first.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from payments.models import StripeEvent


def act_on(event_id: str) -> str:
    """Act on the stored event ``event_id`` unless it was acted on; return its outcome."""
    with transaction.atomic():
        stored = StripeEvent.objects.select_for_update().filter(id=event_id).first()
        if stored is None:
            return "no such event stored"
        if stored.processed_at is not None:
            return stored.outcome
        stored.outcome = _act(stored.payload)
        stored.processed_at = timezone.now()
        stored.save(update_fields=["outcome", "processed_at"])
        return stored.outcome


def pending(older_than_seconds: float = 30) -> list[str]:
    """Stored events not yet acted on (their task lost, say): the beat job acts on them."""
    cutoff = timezone.now() - timedelta(seconds=older_than_seconds)
    return list(
        StripeEvent.objects.filter(processed_at=None, received_at__lt=cutoff).values_list(
            "id", flat=True
        )
    )


def _act(payload: dict[str, Any]) -> str:
    obj = payload["data"]["object"]
    kind = payload["type"]
    if kind == "account.updated":
        from accreditation.models import ProviderRecord
        from accreditation.payment_accounts import refresh_payouts_status
        from accreditation.services import catch_up

        catch_up()  # an account linked a moment ago is in the register's read model
        provider = ProviderRecord.objects.filter(payment_account=obj["id"]).first()
        if provider is None:
            # Kept for finance: Stripe knows an account the register does not.
            return f"no provider has account {obj['id']}"
        # The status is read again from Stripe, so an event that arrives late changes nothing.
        ready = refresh_payouts_status(provider.id)
        return f"provider {provider.id} payouts ready: {ready}"
    if kind == "transfer.created":
        from payments.application import payments_app

        group = obj.get("transfer_group") or ""
        if not group.startswith("payments:"):
            return f"transfer {obj['id']} is not a careledger payment's"
        return payments_app().confirm_transfer(group, obj["id"])
    return "not used"
