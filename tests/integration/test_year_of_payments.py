"""A year of a person's direct payments, each run by a real Celery worker process on its day,
over PostgreSQL and the local Stripe server: 4-weekly in advance from 7 December 2026, the pay
date moved off Good Friday and Easter Monday, a contribution change from inside a period
(from the next one, pro rata), and a suspension (its period skipped with its reason). Each
period is paid once, on its day, for what the schedule says; Stripe's transfers add up to what
the ledger paid out."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from config.actor import Actor
from config.roles import Role
from payments.application import payments_app
from payments.calendar import england_and_wales
from payments.direct_payments import Amounts
from tests.integration.celery_process import celery_process
from tests.integration.test_payment_faults import RUN_ON, people, transfers_of

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

WORKER = Actor(id="a.khan", roles=frozenset({Role.SOCIAL_WORKER}))


@pytest.fixture
def year_env(stripe_server: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.integration.conftest import API_KEY

    monkeypatch.setenv("STRIPE_API_KEY", API_KEY)
    monkeypatch.setenv("STRIPE_API_BASE", stripe_server.base_url)
    monkeypatch.setenv("CARELEDGER_RAIL", "stripe")
    # The scheduled job runs each day of the year now: the ledger takes entries that far ahead.
    monkeypatch.setenv("LEDGER_MAX_DAYS_AHEAD", "400")


def test_a_year_of_four_weekly_payments_with_holidays_a_change_and_a_suspension(
    stores: Any, stripe_server: Any, year_env: None, tmp_path: Path
) -> None:
    from payments.tasks import run_due_payments

    ledger = stores.new()
    [first_key] = people(ledger, stripe_server, 1)
    ref = first_key.split(":")[2]
    app, cal = payments_app(), england_and_wales()
    starts = [RUN_ON + timedelta(weeks=4 * n) for n in range(13)]
    pay_days = [cal.on_or_before(s) for s in starts]
    # Period 5 starts on Easter Monday 2027, after Good Friday: paid on Thursday 25 March.
    assert (starts[4], pay_days[4]) == (date(2027, 3, 29), date(2027, 3, 25))
    assert [d for d, s in zip(pay_days, starts, strict=True) if d != s] == [date(2027, 3, 25)]
    reports: dict[date, dict[str, Any]] = {}
    with celery_process(tmp_path):
        for n, day in enumerate(pay_days, start=1):
            if n == 5:
                # Reassessed from Wednesday 10 March (inside period 4, paid already): £50.00 a
                # week netted instead of £40.00, from period 5 with 19 days' difference.
                app.change_amounts(
                    WORKER,
                    ref,
                    on=date(2027, 3, 10),
                    amounts=Amounts.create(30000, 5000),
                    reason="financial reassessment",
                    today=date(2027, 3, 10),
                )
            if n == 8:
                app.change_agreement(
                    WORKER,
                    ref,
                    lambda a: a.suspend(on=starts[7], reason="in hospital", actor=WORKER.id),
                )
            if n == 9:
                app.change_agreement(
                    WORKER,
                    ref,
                    lambda a: a.resume(on=starts[8], reason="home again", actor=WORKER.id),
                )
            # The day before first: nothing is due yet (paid in advance, never early).
            early = run_due_payments.delay((day - timedelta(days=1)).isoformat()).get(timeout=60)
            assert (early["paid"], early["total_paid"]) == (0, 0), (n, early)
            reports[day] = run_due_payments.delay(day.isoformat()).get(timeout=60)
        again = run_due_payments.delay(pay_days[-1].isoformat()).get(timeout=60)

    # What each period paid: 4 × £300.00 gross, less the contribution netted off.
    netted = {n: 16000 for n in range(1, 14)}
    netted.update({n: 20000 for n in range(6, 14)})
    netted[5] = 20000 + (1000 * 19 * 2 + 7) // 14  # £27.14 for 10–28 March
    total = 0
    for n in range(1, 14):
        key = f"payments:dp:{ref}:P{n:02d}"
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
    assert sum(r["paid"] for r in reports.values()) >= 12
    assert again["failed"] == [] and again["pending"] == 0
    assert total == 4 * 104000 + (120000 - netted[5]) + 7 * 100000
    assert ledger.get_account("STRIPE:CLEARING").balance == -total
    assert ledger.get_account(f"PB:{ref}:AVAILABLE").balance == -(1_560_000 - 12 * 120000)
