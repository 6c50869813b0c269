"""Payment runs when things go wrong, with a real Celery worker process, PostgreSQL and the
local Stripe server (told to be slow, down or late by its /_config/faults route):

- the worker SIGKILLed in the middle of a run, and the run started again: every due payment is
  paid exactly once;
- Stripe down (503), then answering only after the client has given up: the payments stay
  pending, the next run pays each once (the late transfer is found by its group, not made
  again), and the sum of Stripe's transfers equals the ledger's payments.
"""

from __future__ import annotations

import os
import signal
import time
import uuid
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from budgets.budget import BudgetFigures
from config.actor import Actor
from config.roles import Role
from ledger.domain import Owner
from payments import stripe as pay
from payments.application import payments_app
from payments.calendar import england_and_wales
from payments.direct_payments import Payee
from payments.rails import StripeRail
from payments.runs import PaymentStatus
from tests.conftest import draft
from tests.integration.celery_process import celery_process
from tests.integration.conftest import API_KEY, WEBHOOK_SECRET

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

RUN_ON = date(2026, 12, 7)
WORKER = Actor(id="a.khan", roles=frozenset({Role.SOCIAL_WORKER}))
FIGURES = BudgetFigures(total_weekly=30000, contribution_weekly=4000, direct_payment_weekly=30000)


def people(ledger: Any, stripe_server: Any, count: int, *, fund: bool = True) -> list[str]:
    """``count`` budgets, each with a year allocated and a 4-weekly direct payment to a
    connected account from ``RUN_ON`` (and, with ``fund``, the platform topped up outside the
    ledger); returns the payments' keys."""
    for code, kind in [("COUNCIL:CARE-FUND", "equity"), ("STRIPE:CLEARING", "asset")]:
        ledger.open_account(code=code, name=code, type=kind, actor="t")
    budgets = ledger.journal(Actor.system(), context=Owner.BUDGETS)
    app = payments_app()
    keys = []
    for n in range(count):
        ref = f"DN-F{n}-{uuid.uuid4().hex[:6]}"
        budgets.open_account(
            code=f"PB:{ref}:AVAILABLE",
            name=ref,
            type="liability",
            owner_kind="budget",
            owner_id=ref,
            no_overdraft=True,
        )
        budgets.open_account(
            code=f"CONTRIBUTION:{ref}:DUE",
            name=ref,
            type="asset",
            owner_kind="budget",
            owner_id=ref,
        )
        budgets.post_entry(
            draft(
                f"budget:{ref}:allocation",
                [
                    ("COUNCIL:CARE-FUND", "debit", 1_560_000),
                    (f"PB:{ref}:AVAILABLE", "credit", 1_560_000),
                ],
            )
        )
        account = pay.create_connected_account(provider_id=ref, email="dp@example.org", name=ref)
        stripe_server.post(f"/_config/accounts/{account}/complete_onboarding")
        app.agree_direct_payment(
            WORKER,
            budget_ref=ref,
            needs=["Managing and maintaining nutrition"],
            payee=Payee.create(kind="person", name=ref, stripe_account=account),
            has_capacity=True,
            start=RUN_ON,
            today=date(2026, 11, 30),
            figures=FIGURES,
        )
        keys.append(f"payments:dp:{ref}:P01")
    if fund:
        key = f"fund-{uuid.uuid4()}"
        pay.top_up(amount_pence=100_000_000, idempotency_key=key, description="f")
    return keys


def transfers_of(key: str) -> list[Any]:
    return list(pay.client().v1.transfers.list(params={"transfer_group": key}).data)


def statuses(keys: list[str]) -> list[PaymentStatus]:
    app = payments_app()
    found = []
    for key in keys:
        try:
            found.append(app.get_payment(key).status)
        except Exception:
            found.append(PaymentStatus.DUE)
    return found


def check_paid_once(ledger: Any, keys: list[str]) -> None:
    total = 0
    for key in keys:
        made = transfers_of(key)
        assert len(made) == 1, f"{key} has {len(made)} transfers"
        total += made[0].amount
        assert payments_app().get_payment(key).rail_ref == made[0].id
    assert total == len(keys) * 104000
    # What Stripe moved is what the ledger says was paid out through it.
    assert ledger.get_account("STRIPE:CLEARING").balance == -total


@pytest.fixture
def worker_env(stripe_server: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STRIPE_API_KEY", API_KEY)
    monkeypatch.setenv("STRIPE_API_BASE", stripe_server.base_url)
    monkeypatch.setenv("CARELEDGER_RAIL", "stripe")


def test_a_worker_killed_mid_run_then_run_again_pays_every_payment_once(
    stores: Any, stripe_server: Any, worker_env: None, tmp_path: Path
) -> None:
    from payments.tasks import run_due_payments

    ledger = stores.new()
    keys = people(ledger, stripe_server, 10)
    # Each transfer takes a quarter of a second, so the run is still going when it is killed.
    stripe_server.post("/_config/faults", {"path": "/v1/transfers", "delay": 0.25})
    # One broker for both workers (the Celery app keeps its first broker's connections).
    with celery_process(tmp_path) as worker:
        run_due_payments.delay(RUN_ON.isoformat(), 2)
        deadline = time.monotonic() + 90
        while PaymentStatus.PAID not in statuses(keys):
            assert time.monotonic() < deadline, "the worker paid nothing in 90 s"
            time.sleep(0.05)
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait(timeout=10)
    at_kill = statuses(keys)
    assert 0 < at_kill.count(PaymentStatus.PAID) < len(keys), at_kill
    stripe_server.post("/_config/faults", {})
    with celery_process(tmp_path):
        report = run_due_payments.delay(RUN_ON.isoformat(), 2).get(timeout=120)
    assert (report["paid"], report["failed"], report["pending"]) == (len(keys), [], 0)
    check_paid_once(ledger, keys)


def test_stripe_down_or_late_leaves_payments_pending_and_the_next_run_pays_each_once(
    stores: Any, stripe_server: Any, tmp_path: Path
) -> None:
    ledger = stores.new()
    keys = people(ledger, stripe_server, 3)
    app, rail = payments_app(), StripeRail()
    journal = ledger.journal(Actor.system(), context=Owner.PAYMENTS)
    run = app.start_run(Actor.system(), rail=rail, run_on=RUN_ON, calendar=england_and_wales())
    # Down: every transfer answered 503 (the SDK retries twice, then gives up).
    stripe_server.post("/_config/faults", {"path": "/v1/transfers", "status": 503})
    down = app.work_run(Actor.system(), run, rail=rail, journal=journal)
    assert (down.paid, down.failed, down.pending) == (0, [], 3)
    stripe_server.post("/_config/faults", {})
    assert all(transfers_of(k) == [] for k in keys)
    assert all(payments_app().get_payment(k).retryable for k in keys)
    # Late: Stripe makes the transfer but answers after the client's timeout (0.5 s).
    stripe_server.post("/_config/faults", {"path": "/v1/transfers", "delay": 1.5})
    pay.configure(API_KEY, stripe_server.base_url, WEBHOOK_SECRET, timeout=0.5)
    try:
        late = app.work_run(Actor.system(), run, rail=rail, journal=journal)
    finally:
        pay.configure(API_KEY, stripe_server.base_url, WEBHOOK_SECRET)
    # Some may get through on the SDK's last retry (the idempotency key replays the first
    # answer); none is failed for good.
    assert late.failed == [] and late.paid + late.pending == 3
    stripe_server.post("/_config/faults", {})
    time.sleep(2)  # the late requests finish on the server, each making its transfer
    again = app.work_run(Actor.system(), run, rail=rail, journal=journal)
    assert (again.paid, again.pending) == (3, 0)
    # Each payment has one transfer: the next run found the late one, and made none of its own.
    check_paid_once(ledger, keys)
