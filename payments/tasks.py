"""Thin Celery tasks over the payments application, found by config/celery.py's autodiscovery.

Stripe is called only from here (a worker), never from a request thread: a Stripe that hangs
holds a worker for at most its timeout (payments/stripe.py), and the payment is tried again.
"""

from __future__ import annotations

import logging
from datetime import date
from typing import Any

from celery import shared_task
from django.utils import timezone

from config.actor import Actor
from config.roles import Role
from payments.services import run_payments

logger = logging.getLogger(__name__)


@shared_task(bind=True, acks_late=True)
def run_due_payments(
    self: Any, run_on: str | None = None, batch_size: int = 200, started_by: str = ""
) -> dict[str, Any]:
    """The day's payment run (beat starts it each morning; finance can start it again). Acked
    only when done, so a worker killed mid-run leaves the task to run again, which carries on
    from what the run's payments record. Its progress is the task's state (done, total)."""
    day = date.fromisoformat(run_on) if run_on else timezone.localdate()

    def progress(done: int, total: int) -> None:
        if self.request.id:
            self.update_state(state="PROGRESS", meta={"done": done, "total": total})

    # Started by a finance officer (their id recorded on the run), or by beat, as the system.
    actor = (
        Actor(id=started_by, roles=frozenset({Role.FINANCE_OFFICER}))
        if started_by
        else Actor.system()
    )
    report = run_payments(day, actor=actor, on_progress=progress, batch_size=batch_size)
    return {"run": str(report.run), **report.as_dict()}


@shared_task
def remind_dp_reviews() -> int:
    """Beat, daily: case workers reminded of direct-payment reviews due (regulation 7)."""
    from payments.application import payments_app

    return payments_app().remind_dp_reviews(Actor.system(), today=timezone.localdate())


@shared_task
def keep_commitments() -> dict[str, int]:
    """Beat, daily: plan fees held until sign-off (renewed before their holds expire), and
    annual-review fees held from two months before the review (payments/processes.py)."""
    from payments.processes import keep_commitments as keep

    return keep(timezone.now())


@shared_task(acks_late=True)
def act_on_stripe_event(event_id: str) -> str:
    """Act on one stored Stripe event, once (payments/webhooks.py)."""
    from payments.webhooks import act_on

    return act_on(event_id)


@shared_task
def act_on_stored_stripe_events() -> int:
    """Beat, each minute: act on stored events whose task was lost (a broker restart)."""
    from payments.webhooks import act_on, pending

    found = pending()
    for event_id in found:
        act_on(event_id)
    return len(found)


@shared_task(acks_late=True)
def import_stripe_balance(started_by: str) -> dict[str, Any]:
    """Stripe's balance transactions since the last import (transfers, top-ups, payouts), into
    the Stripe balance's reconciliation; each payout that has arrived recorded with what it
    paid out; then both accounts matched (a worker calls Stripe, never a request)."""
    from config.errors import DomainError
    from payments import stripe
    from payments.services import (
        bank_expectations,
        payments_journal,
        reconciler,
        stripe_expectations,
        treasury,
    )

    actor = Actor(id=started_by, roles=frozenset({Role.FINANCE_OFFICER}))
    rec = reconciler("STRIPE:CLEARING")
    done = rec.import_stripe(actor, fetch=lambda known: stripe.balance_transactions(known=known))
    funds, journal = treasury(), payments_journal()
    arrived, refused = 0, []
    for payout in funds.payouts_to_record(rec.lines()):
        try:
            seen = stripe.payout_details(payout)
            arrived += funds.record_payout(seen, journal=journal) is not None
        except (DomainError, stripe.StripeFailure) as exc:  # the other payouts go on
            logger.warning("payout %s not recorded: %s", payout, exc)
            refused.append(f"{payout}: {exc}")
    state = rec.match_automatically(actor, stripe_expectations())
    reconciler().match_automatically(actor, bank_expectations())  # a payout's line may wait
    return {
        "lines": done.lines,
        "new": done.new,
        "payouts": arrived,
        "payouts_refused": refused,
        "exceptions": len(state.problems),
    }


@shared_task(acks_late=True)
def fund_stripe(
    started_by: str, key: str, amount_pence: int, reason: str, on: str
) -> dict[str, Any]:
    """Top the Stripe balance up from the council's bank (payments/treasury.py), once per key,
    dated the day it was asked for."""
    from payments import stripe
    from payments.services import payments_journal, treasury

    actor = Actor(id=started_by, roles=frozenset({Role.FINANCE_OFFICER}))
    made = treasury().fund(
        actor,
        key=key,
        amount=amount_pence,
        on=date.fromisoformat(on),
        reason=reason,
        top_up=stripe.top_up,
        find=stripe.find_topup,
        journal=payments_journal(),
    )
    return {"topup": made.topup, "reference": made.reference, "amount_pence": made.amount}


@shared_task(acks_late=True)
def match_statement(job_id: str, started_by: str) -> dict[str, Any]:
    """Match a large statement's lines (payments/services.py ``match_import``), with progress."""
    from payments.models import MatchingJob
    from payments.services import work_matching

    job = MatchingJob.objects.get(id=job_id)
    work_matching(Actor(id=started_by, roles=frozenset({Role.FINANCE_OFFICER})), job)
    return {"done": job.done, "exceptions": job.exceptions, "suggestions": job.suggestions}
