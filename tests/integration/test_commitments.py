"""Commitment accounting for the support-plan fee (payments/processes.py), across the three
contexts and the ledger: an accepted support-planning engagement holds its price against the
person's budget; the plan signed off posts it (the commitment entry); an engagement ended first
releases it. Each step happens once, however often its manager runs."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from budgets.domain import DEMO_PENCE_PER_POINT, DEMO_POINTS
from budgets.plan import REQUIRED_PARTS
from budgets.services import allocate, budget_app
from config.actor import Actor
from config.roles import Role
from ledger.domain import Hold, HoldStatus, Owner
from ledger.services import ledger_app
from marketplace.services import marketplace_app
from payments.commitments import holds_of, keep_held
from payments.processes import (
    engagement_commitments,
    keep_commitments,
    plan_fee,
    plan_fee_hold,
    plan_fee_key,
    plan_fee_postings,
)
from tests.conftest import draft
from tests.integration.helpers import (
    ALEX,
    JO,
    accredited_provider,
    assessed_person,
    engaged_planner,
    provider_staff,
    six_week_review,
    staff,
)

pytestmark = pytest.mark.django_db(transaction=True)
TODAY = date.today()
REF = "DN-000777"


@pytest.fixture
def allocated(council: Any) -> str:
    """A person with a council-managed budget of the indicative £322.00 a week, and the
    council's tariff in force (£450 for a plan)."""
    ledger = ledger_app()
    ledger.open_account(code="COUNCIL:CARE-FUND", name="Fund", type="equity", actor="t")
    ledger.open_account(code="COUNCIL:BANK", name="Bank", type="asset", actor="t")
    ledger.post_entry(
        draft(
            "fund",
            [("COUNCIL:BANK", "debit", 100_000_000), ("COUNCIL:CARE-FUND", "credit", 100_000_000)],
            kind="opening",
        )
    )
    budget_app().publish_grid(
        effective_from=TODAY - timedelta(days=30),
        today=TODAY,
        points=DEMO_POINTS,
        pence_per_point=DEMO_PENCE_PER_POINT,
        actor=staff("council", Role.TEAM_MANAGER),
        reason="Grid 2026-1",
    )
    assessed_person(REF)
    allocate(
        REF,
        today=TODAY,
        actor=ALEX,
        weekly=None,
        adjustment_reason="",
        contribution_weekly=0,
        split={"council_managed": 32200},
        direct_payment_start=None,
    )
    return REF


def run_managers() -> None:
    engagement_commitments().catch_up()
    plan_fee_postings().catch_up()


def budget_account() -> Any:
    return ledger_app().get_account(f"PB:{REF}:AVAILABLE")


def test_the_plan_fee_is_held_on_acceptance_and_posted_at_sign_off_once(allocated: str) -> None:
    planner = accredited_provider("1700001", name="Connect Doncaster")
    engagement = engaged_planner(REF, planner)
    price = marketplace_app().get_engagement(engagement).price
    assert price == 45000
    before = budget_account()
    run_managers()
    run_managers()  # again: nothing more
    held = budget_account()
    assert (held.pending_debits, held.balance) == (price, before.balance)
    assert held.available == before.available - price
    hold: Hold = ledger_app().get_hold(plan_fee_hold(engagement))
    assert (hold.status, hold.budget, hold.amount) == (HoldStatus.PENDING, REF, price)
    # The plan, written by the planner, signed by the worker, then at the 6-week review by the
    # team manager: signed off, so the fee is committed.
    app = budget_app()
    parts = {key: f"About {key}" for key in REQUIRED_PARTS}
    app.write_plan(
        REF, parts=parts, actor=provider_staff(planner), as_author="planner", today=TODAY
    )
    app.sign_plan(REF, actor=ALEX)
    run_managers()
    assert ledger_app().get_hold(plan_fee_hold(engagement)).status is HoldStatus.PENDING
    six_week_review(REF)
    app.sign_plan(REF, actor=JO)
    assert app.plan(REF).signed_off
    run_managers()
    run_managers()
    posted = ledger_app().get_hold(plan_fee_hold(engagement))
    assert posted.status is HoldStatus.POSTED
    after = budget_account()
    assert (after.pending_debits, after.available) == (0, held.available)
    assert ledger_app().get_account(f"PB:{REF}:COMMITTED").balance == -price
    entry = ledger_app().get_entry(posted.entry)
    assert (entry.kind.value, entry.budget) == ("commitment", REF)


def test_an_engagement_ended_before_sign_off_releases_the_fee(allocated: str) -> None:
    planner = accredited_provider("1700002", name="Connect Doncaster")
    engagement = engaged_planner(REF, planner)
    before = budget_account()
    run_managers()
    assert budget_account().pending_debits > 0
    marketplace_app().end(
        engagement, actor=provider_staff(planner), reason="moved away", today=TODAY
    )
    run_managers()
    run_managers()
    assert ledger_app().get_hold(plan_fee_hold(engagement)).status is HoldStatus.VOIDED
    after = budget_account()
    assert (after.pending_debits, after.available) == (0, before.available)


def sign_off(planner: Any) -> None:
    app = budget_app()
    parts = {key: f"About {key}" for key in REQUIRED_PARTS}
    app.write_plan(
        REF, parts=parts, actor=provider_staff(planner), as_author="planner", today=TODAY
    )
    app.sign_plan(REF, actor=ALEX)
    six_week_review(REF)
    app.sign_plan(REF, actor=JO)


def test_a_plan_fee_hold_is_renewed_until_sign_off_and_the_renewal_is_posted(
    allocated: str,
) -> None:
    planner = accredited_provider("1700003", name="Connect Doncaster")
    engagement = engaged_planner(REF, planner)
    price = marketplace_app().get_engagement(engagement).price
    run_managers()
    before = budget_account()
    now = datetime.now(UTC)
    # Held long enough: nothing to do.
    assert keep_commitments(now) == {"kept": 1}
    # Asked to renew what has less than 89 days left (the plan is taking its time): the fee
    # is held by a new hold, the first voided, and never held twice.
    assert keep_commitments(now, renew_within=timedelta(days=89)) == {"renewed": 1}
    chain = holds_of(ledger_app(), plan_fee_key(engagement))
    assert [h.status for h in chain] == [HoldStatus.VOIDED, HoldStatus.PENDING]
    assert chain[1].expires_at > chain[0].expires_at
    held = budget_account()
    assert (held.pending_debits, held.available) == (price, before.available)
    # Signed off: the renewal is what is posted, once.
    sign_off(planner)
    run_managers()
    run_managers()
    chain = holds_of(ledger_app(), plan_fee_key(engagement))
    assert [h.status for h in chain] == [HoldStatus.VOIDED, HoldStatus.POSTED]
    assert ledger_app().get_account(f"PB:{REF}:COMMITTED").balance == -price
    after = budget_account()
    assert (after.pending_debits, after.available) == (0, before.available)
    assert keep_commitments(now, renew_within=timedelta(days=89)) == {}  # signed off: done


def test_a_renewal_that_meets_the_sign_off_voids_its_own_hold(allocated: str) -> None:
    planner = accredited_provider("1700004", name="Connect Doncaster")
    engagement = engaged_planner(REF, planner)
    price = marketplace_app().get_engagement(engagement).price
    run_managers()
    journal = ledger_app().journal(Actor.system(), context=Owner.PAYMENTS)
    first = plan_fee_hold(engagement)

    class SignedOffMeanwhile:
        """The journal, but the plan is signed off (the first hold posted) just as the
        renewal's new hold is placed."""

        def __getattr__(self, name: str) -> Any:
            return getattr(journal, name)

        def hold(self, draft: Any) -> Any:
            placed = journal.hold(draft)
            journal.post_hold(hold=first, reason="signed off", effective_at=None)
            return placed

    commitment = plan_fee(marketplace_app().get_engagement(engagement))
    outcome = keep_held(
        SignedOffMeanwhile(),  # type: ignore[arg-type]
        commitment,
        now=datetime.now(UTC),
        renew_within=timedelta(days=89),
    )
    assert outcome == "posted"
    chain = holds_of(ledger_app(), plan_fee_key(engagement))
    assert [h.status for h in chain] == [HoldStatus.POSTED, HoldStatus.VOIDED]
    assert budget_account().pending_debits == 0
    assert ledger_app().get_account(f"PB:{REF}:COMMITTED").balance == -price
