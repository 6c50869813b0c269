"""A provider accredited through the API gets a Stripe account; onboarding makes it payable."""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any

import pytest
from django.test import Client

from accreditation.models import ProviderRecord
from accreditation.services import accreditation_app
from config.roles import Role
from payments.models import StripeEvent
from tests.integration.helpers import signed_in
from tests.unit.test_accreditation import ADMIN, DETAILS, NEWCOMER, staff_of_provider

pytestmark = pytest.mark.django_db(transaction=True)


def test_accreditation_opens_an_account_and_the_verified_webhook_records_onboarding(
    council: Any, make_user: Any, stripe_server: Any, stripe_webhooks: Any, monkeypatch: Any
) -> None:
    from config import celery_app

    # The route stores the event and hands it to a task: run here, in this process
    # (tests/integration/test_webhook_worker.py runs it in a real worker).
    monkeypatch.setitem(celery_app.conf, "task_always_eager", True)
    app = accreditation_app()
    pid = app.register_provider(actor=NEWCOMER, **{**DETAILS, "registration_number": "1600001"}).id
    aid = app.apply(pid, service="support_planning", actor=staff_of_provider(pid)).id
    app.start_assessment(aid, actor=ADMIN)
    for c in app.checklist().criteria(1):
        app.assess(aid, criterion=c.code, met=True, evidence=[], note="", actor=ADMIN)
    admin = signed_in(make_user, "admin", Role.REGISTER_ADMIN)
    response = admin.post(
        f"/api/v1/register/accreditations/{aid}/accredit",
        data=json.dumps(
            {"expires_on": (date.today() + timedelta(days=365)).isoformat(), "reason": "Met"}
        ),
        content_type="application/json",
    )
    assert response.json()["status"] == "accredited"
    provider = ProviderRecord.objects.get(id=pid)
    assert provider.payment_account.startswith("acct_") and not provider.payouts_ready

    stripe_server.post(f"/_config/accounts/{provider.payment_account}/complete_onboarding")
    delivery = stripe_webhooks.wait_for("account.updated", provider.payment_account)
    hook = "/api/v1/payments/stripe/webhook"
    tampered = Client().post(
        hook,
        data=delivery.payload.replace(b"acct_", b"acct_X"),
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=delivery.signature,
    )
    assert tampered.status_code == 400
    assert not ProviderRecord.objects.get(id=pid).payouts_ready
    for _ in range(2):  # delivered twice: acted on once
        ok = Client().post(
            hook,
            data=delivery.payload,
            content_type="application/json",
            HTTP_STRIPE_SIGNATURE=delivery.signature,
        )
        assert ok.status_code == 200
    assert ProviderRecord.objects.get(id=pid).payouts_ready
    stored = StripeEvent.objects.get(
        type="account.updated", payload__data__object__id=provider.payment_account
    )
    assert stored.processed_at is not None and "payouts ready: True" in stored.outcome
    assert StripeEvent.objects.filter(id=stored.id).count() == 1
