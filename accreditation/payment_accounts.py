"""A provider's Stripe connected account: opened on accreditation, ready once onboarded.

Stripe is an outside service, called only from Celery tasks (accreditation/tasks.py), never in
a request thread: accrediting a service asks a task to open the account; "Set up payments"
asks one to make the onboarding link, and the provider's page shows it when it is ready. If
Stripe cannot be reached, the accreditation still stands and the account is opened later (the
link's task opens it if it is missing); until its onboarding is complete, the provider cannot
be paid.
"""

from __future__ import annotations

import logging
from datetime import date
from uuid import UUID

from eventsourcing.persistence import IntegrityError

from accreditation import policies
from accreditation.application import Done
from accreditation.services import accreditation_app, catch_up
from config.actor import Actor
from config.errors import Conflict
from payments import stripe

log = logging.getLogger(__name__)


def accredit(
    accreditation: UUID,
    *,
    actor: Actor,
    expires_on: date,
    today: date,
    conditions: object,
    reason: object,
) -> Done:
    """The register administrator accredits a service; its provider's payment account is then
    opened (or opened later, if Stripe cannot be reached now)."""
    app = accreditation_app()
    done = app.accredit(
        accreditation,
        actor=actor,
        expires_on=expires_on,
        today=today,
        conditions=conditions,
        reason=reason,
    )
    request_payment_account(app.get_accreditation(accreditation).provider, actor=actor)
    return done


def request_payment_account(provider_id: UUID, *, actor: Actor) -> None:
    """Ask a worker to open the provider's Stripe account (policies.check_may_set_up_payments
    decides who may ask)."""
    from accreditation.tasks import open_payment_account_task

    policies.check_may_set_up_payments(actor, provider_id)
    open_payment_account_task.delay(str(provider_id))


def request_onboarding_link(provider_id: UUID, *, actor: Actor, return_url: str) -> None:
    """Ask a worker for the provider's onboarding link (opening its account first if it has
    none); the provider's page shows it once it is ready (``OnboardingLink``)."""
    from django.utils import timezone

    from accreditation.models import OnboardingLink
    from accreditation.tasks import make_onboarding_link

    policies.check_may_set_up_payments(actor, provider_id)
    OnboardingLink.objects.update_or_create(
        provider_id=provider_id,
        defaults={"requested_at": timezone.now(), "url": "", "ready_at": None, "failure": ""},
    )
    make_onboarding_link.delay(str(provider_id), return_url)


def open_payment_account(provider_id: UUID, *, actor: Actor) -> str | None:
    """The provider's Stripe account, opened if it has none yet: asked by its own staff or by
    the register administrator (policies.check_may_set_up_payments); None if Stripe cannot be
    reached just now. Calls Stripe: from a task or a script, never a request."""
    policies.check_may_set_up_payments(actor, provider_id)
    return open_account(provider_id)


def open_account(provider_id: UUID) -> str | None:
    """The Stripe work of ``open_payment_account``, for its task (the policy was asked when
    the task was)."""
    app = accreditation_app()
    provider = app.get_provider(provider_id)
    if provider.payment_account:
        return provider.payment_account
    try:
        account = stripe.create_connected_account(
            provider_id=str(provider_id), email=provider.details.email, name=provider.details.name
        )
    except stripe.StripeFailure as exc:
        log.warning("payment account for %s not opened yet: %s", provider_id, exc)
        return None
    try:
        app.link_payment_account(provider_id, account=account)
    except (Conflict, IntegrityError):
        # Another request linked it first; Stripe's idempotency gave both the same account.
        return app.get_provider(provider_id).payment_account
    catch_up()
    return account


def refresh_payouts_status(provider_id: UUID) -> bool:
    """Ask Stripe (the authority) whether the provider can be paid now, and record it."""
    app = accreditation_app()
    provider = app.get_provider(provider_id)
    if not provider.payment_account:
        return False
    ready = stripe.onboarding_status(provider.payment_account).ready
    app.record_payouts_ready(provider_id, ready=ready)
    catch_up()
    return ready
