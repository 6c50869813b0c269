"""Stripe's webhooks with a real Celery worker process, PostgreSQL and the local Stripe server:
the route verifies and stores, the worker acts once. A run that crashed after Stripe made its
transfer, before it recorded it, is put right by the transfer.created webhook (the payment is
recorded sent), and the next run settles it without a second transfer. A bad signature is
refused and stores nothing; the same event twice is acted on once; account updates out of order
(the newer first) leave what Stripe says now, even for an account linked a moment before."""

from __future__ import annotations

import time
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from config.actor import Actor
from ledger.domain import Owner
from payments.application import payments_app
from payments.calendar import england_and_wales
from payments.models import StripeEvent
from payments.rails import StripeRail
from payments.runs import PaymentStatus
from tests.integration.celery_process import celery_process
from tests.integration.test_payment_faults import (
    RUN_ON,
    check_paid_once,
    people,
    transfers_of,
    worker_env,
)

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
HOOK = "/api/v1/payments/stripe/webhook"
__all__ = ["worker_env"]


class Crash(Exception):
    pass


class CrashingRail(StripeRail):
    """Sends, then dies before the run can record what Stripe answered."""

    def send(self, payments: Any, *, run_on: date) -> Any:
        super().send(payments, run_on=run_on)
        raise Crash


def deliver(payload: bytes, signature: str) -> Any:
    return Client().post(
        HOOK, data=payload, content_type="application/json", HTTP_STRIPE_SIGNATURE=signature
    )


def wait_processed(event_id: str, timeout: float = 60) -> StripeEvent:
    deadline = time.monotonic() + timeout
    while True:
        stored = StripeEvent.objects.get(id=event_id)
        if stored.processed_at is not None:
            return stored
        assert time.monotonic() < deadline, "the worker did not act on the event"
        time.sleep(0.1)


def test_a_transfer_webhook_heals_a_run_that_crashed_after_stripe_answered(
    stores: Any, stripe_server: Any, stripe_webhooks: Any, tmp_path: Path
) -> None:
    ledger = stores.new()
    [key] = people(ledger, stripe_server, 1)
    app = payments_app()
    journal = ledger.journal(Actor.system(), context=Owner.PAYMENTS)
    run = app.start_run(
        Actor.system(), rail=StripeRail(), run_on=RUN_ON, calendar=england_and_wales()
    )
    with pytest.raises(Crash):
        app.work_run(Actor.system(), run, rail=CrashingRail(), journal=journal)
    [made] = transfers_of(key)
    assert app.get_payment(key).status is PaymentStatus.POSTED  # Stripe paid; we never heard
    delivery = stripe_webhooks.wait_for("transfer.created", made.id)

    with celery_process(tmp_path):
        tampered = deliver(delivery.payload.replace(b"tr_", b"tr_X"), delivery.signature)
        assert tampered.status_code == 400
        assert not StripeEvent.objects.filter(type="transfer.created").exists()
        first = deliver(delivery.payload, delivery.signature)
        assert (first.status_code, first.content) == (200, b"stored")
        event_id = delivery.body["id"]
        stored = wait_processed(event_id)
        assert stored.outcome == f"payment {key} sent as {made.id}"
        again = deliver(delivery.payload, delivery.signature)
        assert (again.status_code, again.content) == (200, b"already processed")
    assert StripeEvent.objects.filter(id=event_id).count() == 1
    assert app.get_payment(key).rail_ref == made.id
    report = app.work_run(Actor.system(), run, rail=StripeRail(), journal=journal)
    assert report.paid == 1
    check_paid_once(ledger, [key])


def test_account_updates_out_of_order_leave_what_stripe_says_now(
    stores: Any, stripe_server: Any, stripe_webhooks: Any, worker_env: None, tmp_path: Path
) -> None:
    from accreditation.models import ProviderRecord
    from accreditation.services import accreditation_app
    from payments import stripe as pay
    from tests.integration.helpers import accredited_provider

    stores.new()
    provider = accredited_provider("2100001", name="Connect Doncaster")
    account = pay.create_connected_account(
        provider_id=str(provider), email="c@example.org", name="Connect"
    )
    accreditation_app().link_payment_account(provider, account=account)
    # Two updates: first a detail (not yet able to be paid), then onboarding completed.
    pay.client().v1.accounts.update(account, params={"metadata": {"ref": "2100001"}})
    older = stripe_webhooks.wait_for("account.updated", account)
    stripe_server.post(f"/_config/accounts/{account}/complete_onboarding")

    def updates() -> list[Any]:
        return [
            d
            for d in stripe_webhooks.deliveries
            if d.body["type"] == "account.updated" and d.body["data"]["object"]["id"] == account
        ]

    deadline = time.monotonic() + 15
    while len(updates()) < 2:
        assert time.monotonic() < deadline, "no second account.updated"
        time.sleep(0.05)
    newer = updates()[-1]
    assert newer.body["id"] != older.body["id"]
    with celery_process(tmp_path):
        # The newer first, then the older one, late.
        assert deliver(newer.payload, newer.signature).status_code == 200
        assert "payouts ready: True" in wait_processed(newer.body["id"]).outcome
        assert deliver(older.payload, older.signature).status_code == 200
        late = wait_processed(older.body["id"])
    # The late event changed nothing: its state is read again from Stripe.
    assert "payouts ready: True" in late.outcome
    assert ProviderRecord.objects.get(id=provider).payouts_ready is True
