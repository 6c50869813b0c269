"""A provider's Stripe connected account: opened on accreditation, ready once onboarded.

Stripe is an outside service: if it cannot be reached, the accreditation still stands
and the account is opened later, when the provider presses "Set up payments" on their page
(which opens it if it is missing); until its onboarding is complete, the provider cannot be
paid.
"""

from __future__ import annotations

import logging
from uuid import UUID

from eventsourcing.persistence import IntegrityError

from accreditation.services import accreditation_app, catch_up
from config.errors import Conflict
from payments import stripe

log = logging.getLogger(__name__)


def open_payment_account(provider_id: UUID) -> str | None:
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
        app.link_payment_account(provider_id, account=account, actor="careledger")
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
