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
from tests.integration.test_payment_faults import worker_env
from tests.unit.test_accreditation import ADMIN, DETAILS, NEWCOMER, staff_of_provider

pytestmark = pytest.mark.django_db(transaction=True)
__all__ = ["worker_env"]


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


@pytest.mark.postgres
def test_setting_up_payments_asks_a_worker_and_no_request_waits_on_stripe(
    council: Any, make_user: Any, stripe_server: Any, worker_env: None, tmp_path: Any
) -> None:
    import time

    from payments import stripe as pay
    from tests.integration.celery_process import celery_process
    from tests.integration.conftest import API_KEY, WEBHOOK_SECRET
    from tests.integration.helpers import accredited_provider, staff_of

    provider = accredited_provider("1600002", name="Connect Doncaster")
    staff = staff_of(make_user, "priya", provider)
    # This process cannot reach Stripe at all: a page that called it would fail.
    pay.configure(API_KEY, "http://127.0.0.1:9", WEBHOOK_SECRET, timeout=0.5)

    def page_once_ready() -> str:
        deadline = time.monotonic() + 60
        while True:
            page = staff.get("/provider/payments/").content.decode()
            if "being prepared" not in page:
                return page
            assert time.monotonic() < deadline, "the worker made no link"
            time.sleep(0.2)

    try:
        assert "Ask for my set-up link" in staff.get("/provider/payments/").content.decode()
        with celery_process(tmp_path):
            asked = staff.post("/provider/payments/")
            assert (asked.status_code, asked["Location"]) == (302, "/provider/payments/")
            ready = page_once_ready()
            assert "Continue to Stripe" in ready and stripe_server.base_url in ready
            assert ProviderRecord.objects.get(id=provider).payment_account.startswith("acct_")
            # Stripe refusing: the page says so, and offers to try again.
            stripe_server.post("/_config/faults", {"path": "/v1/account_links", "status": 503})
            staff.post("/provider/payments/")
            failed = page_once_ready()
            assert "Payments cannot be set up just now" in failed and "Try again" in failed
    finally:
        stripe_server.post("/_config/faults", {})
        pay.configure(API_KEY, stripe_server.base_url, WEBHOOK_SECRET)
