"""A year of a person's direct payments, each run by a real Celery worker process on its day,
over PostgreSQL and the local Stripe server, with the projections process running beside it
as deployed: 4-weekly in advance from 7 December 2026, the pay date moved off Good Friday and
Easter Monday; a financial reassessment recorded after four periods were paid and backdated to
before the first (the budgets context records it, the projections process carries it to the
direct payment: paid from period 5, with the difference for the 112 days already paid); and a
suspension (its period skipped with its reason). Each period is paid once, on its day, for what
the schedule says; Stripe's transfers add up to what the ledger paid out."""

from __future__ import annotations

import json
import signal
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from budgets.services import allocate, budget_app
from config.actor import Actor
from config.roles import Role
from ledger.services import ledger_app
from payments import stripe as pay
from payments.application import payments_app
from payments.calendar import england_and_wales
from payments.direct_payments import Payee
from tests.integration.celery_process import celery_process
from tests.integration.child import spawn_child
from tests.integration.helpers import ALEX, assessed_person, care_fund_and_grid, signed_in
from tests.integration.test_payment_faults import RUN_ON, transfers_of

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

WORKER = Actor(id="a.khan", roles=frozenset({Role.SOCIAL_WORKER}))
REF = "DN-000990"
PROJECTIONS = """
from django.core.management import call_command
print("ready", flush=True)
call_command("run_projections", interval=0.1)
"""


@pytest.fixture
def year_env(stripe_server: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.integration.conftest import API_KEY

    monkeypatch.setenv("STRIPE_API_KEY", API_KEY)
    monkeypatch.setenv("STRIPE_API_BASE", stripe_server.base_url)
    monkeypatch.setenv("CARELEDGER_RAIL", "stripe")
    # The scheduled job runs each day of the year now: the ledger takes entries that far ahead.
    monkeypatch.setenv("LEDGER_MAX_DAYS_AHEAD", "400")


def a_person_with_a_direct_payment(stripe_server: Any) -> None:
    """Sam, assessed and allocated £322.00 a week (£300.00 of it a direct payment, £40.00 a
    week netted off it), paid into his own connected account from 7 December."""
    care_fund_and_grid()
    ledger_app().open_account(code="STRIPE:CLEARING", name="Clearing", type="asset", actor="t")
    assessed_person(REF)
    allocate(
        REF,
        today=date.today(),
        actor=ALEX,
        weekly=None,
        adjustment_reason="",
        contribution_weekly=4000,
        split={"direct_payment": 30000, "council_managed": 2200},
        direct_payment_start=RUN_ON,
    )
    account = pay.create_connected_account(provider_id=REF, email="sam@example.org", name="Sam")
    stripe_server.post(f"/_config/accounts/{account}/complete_onboarding")
    payments_app().agree_direct_payment(
        WORKER,
        budget_ref=REF,
        needs=["Managing and maintaining nutrition"],
        payee=Payee.create(kind="person", name="Sam", stripe_account=account),
        has_capacity=True,
        start=RUN_ON,
        today=date(2026, 11, 30),
        figures=budget_app().get_budget(REF).figures,
    )
    pay.top_up(amount_pence=100_000_000, idempotency_key=f"fund-{REF}", description="f")


def reassessed(make_user: Any) -> None:
    """The worker records the new contribution, £50.00 a week from today (before the first
    payment), through the API."""
    worker = signed_in(make_user, "alex", Role.SOCIAL_WORKER)
    answer = worker.post(
        f"/api/v1/budgets/people/{REF}/budget/contribution",
        data=json.dumps(
            {
                "contribution_weekly_pence": 5000,
                "effective_from": date.today().isoformat(),
                "reason": "financial reassessment: pension rose",
            }
        ),
        content_type="application/json",
    )
    assert answer.status_code == 200, answer.content
    # The projections process (another OS process) carries it to the direct payment.
    deadline = time.monotonic() + 60
    while len(payments_app().agreement(REF).amount_changes) < 2:
        assert time.monotonic() < deadline, "the projections process did not follow the budget"
        time.sleep(0.1)


def test_a_year_of_four_weekly_payments_with_holidays_a_reassessment_and_a_suspension(
    stores: Any, stripe_server: Any, year_env: None, make_user: Any, tmp_path: Path
) -> None:
    from payments.tasks import run_due_payments

    stores.new()
    a_person_with_a_direct_payment(stripe_server)
    app, cal = payments_app(), england_and_wales()
    starts = [RUN_ON + timedelta(weeks=4 * n) for n in range(13)]
    pay_days = [cal.on_or_before(s) for s in starts]
    # Period 5 starts on Easter Monday 2027, after Good Friday: paid on Thursday 25 March.
    assert (starts[4], pay_days[4]) == (date(2027, 3, 29), date(2027, 3, 25))
    assert [d for d, s in zip(pay_days, starts, strict=True) if d != s] == [date(2027, 3, 25)]
    reports: dict[date, dict[str, Any]] = {}
    projections = spawn_child(PROJECTIONS, EVENTSTORE_POOL_SIZE="2")
    assert projections.stdout is not None and projections.stdout.readline().strip() == "ready"
    try:
        with celery_process(tmp_path):
            for n, day in enumerate(pay_days, start=1):
                if n == 5:
                    reassessed(make_user)
                if n == 8:
                    app.change_agreement(
                        WORKER,
                        REF,
                        lambda a: a.suspend(on=starts[7], reason="in hospital", actor=WORKER.id),
                    )
                if n == 9:
                    app.change_agreement(
                        WORKER,
                        REF,
                        lambda a: a.resume(on=starts[8], reason="home again", actor=WORKER.id),
                    )
                # The day before first: nothing is due yet (paid in advance, never early).
                early = run_due_payments.delay((day - timedelta(days=1)).isoformat())
                assert early.get(timeout=60)["paid"] == 0, n
                reports[day] = run_due_payments.delay(day.isoformat()).get(timeout=60)
            again = run_due_payments.delay(pay_days[-1].isoformat()).get(timeout=60)
    finally:
        projections.send_signal(signal.SIGTERM)
        projections.wait(timeout=30)

    # What each period paid: 4 × £300.00 gross, less the contribution netted off; period 5
    # also takes the reassessment's £10.00 a week for the 112 days of periods 1 to 4.
    netted = {n: 16000 for n in range(1, 5)} | {n: 20000 for n in range(5, 14)}
    netted[5] += 16 * 1000
    total = 0
    for n in range(1, 14):
        key = f"payments:dp:{REF}:P{n:02d}"
        made = transfers_of(key)
        if n == 8:
            assert made == []  # suspended: skipped, with its reason
            assert any("in hospital" in s[1] for s in reports[pay_days[7]]["skipped"])
            continue
        assert len(made) == 1, (key, made)
        payment = app.get_payment(key)
        assert (payment.gross, payment.netted) == (120000, netted[n]), key
        assert made[0].amount == 120000 - netted[n]
        total += made[0].amount
    assert [r["paid"] for r in reports.values()] == [1] * 7 + [0] + [1] * 5
    assert (again["failed"], again["pending"]) == ([], 0)
    assert total == 4 * 104000 + (120000 - 36000) + 7 * 100000
    ledger = ledger_app()
    assert ledger.get_account("STRIPE:CLEARING").balance == -total
    assert ledger.get_account(f"PB:{REF}:AVAILABLE").balance == -(32200 * 52 - 12 * 120000)
    # The reassessment's own entry: a year of £10.00 a week more owed by the person.
    assert ledger.get_account(f"CONTRIBUTION:{REF}:DUE").balance == (
        5000 * 52 - sum(netted[n] for n in range(1, 14) if n != 8)
    )
