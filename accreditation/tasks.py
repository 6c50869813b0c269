"""The daily accreditation job, run by Celery beat: expire what has run out, remind what will."""

from __future__ import annotations

from uuid import UUID

from celery import shared_task
from django.utils import timezone

from accreditation.models import ServiceRecord
from accreditation.services import accreditation_app, catch_up

BATCH = 200


@shared_task
def expire_and_remind_accreditations() -> dict[str, int]:
    """Safe to run twice a day or after a missed day: each step is recorded once."""
    catch_up()
    today = timezone.localdate()
    due = list(
        ServiceRecord.objects.filter(status__in=["accredited", "suspended"])
        .order_by("id")
        .values_list("id", flat=True)
    )
    expired = reminded = 0
    for start in range(0, len(due), BATCH):
        e, r = accreditation_app().expire_and_remind(due[start : start + BATCH], today=today)
        expired, reminded = expired + e, reminded + r
    catch_up()  # the register shows it, and the people affected are told, at once
    return {"checked": len(due), "expired": expired, "reminded": reminded}


# Stripe is called from these tasks only, never in a request thread (accreditation/
# payment_accounts.py); each has Stripe's short timeout, and is safe to run twice.


@shared_task(acks_late=True)
def open_payment_account_task(provider_id: str) -> str:
    from accreditation.payment_accounts import open_account

    return open_account(UUID(provider_id)) or "Stripe could not be reached: opened later"


@shared_task(acks_late=True)
def make_onboarding_link(provider_id: str, return_url: str) -> str:
    """The provider's onboarding link, recorded for its page (or why it could not be made)."""
    from accreditation.models import OnboardingLink
    from accreditation.payment_accounts import open_account
    from payments import stripe

    provider = UUID(provider_id)
    found: dict[str, object] = {"ready_at": timezone.now()}
    account = open_account(provider)
    if account is None:
        found["failure"] = "Stripe could not be reached"
    else:
        try:
            found["url"] = stripe.onboarding_link(
                account, return_url=return_url, refresh_url=return_url
            )
        except stripe.StripeFailure as exc:
            found["failure"] = str(exc)[:300]
    OnboardingLink.objects.filter(provider_id=provider).update(**found)
    return str(found.get("url") or found.get("failure"))


@shared_task
def refresh_payouts(provider_id: str) -> bool:
    """Ask Stripe again whether the provider can be paid (back from onboarding, perhaps)."""
    from accreditation.payment_accounts import refresh_payouts_status
    from payments import stripe

    try:
        return refresh_payouts_status(UUID(provider_id))
    except stripe.StripeFailure:
        return False
