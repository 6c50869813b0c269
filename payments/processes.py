"""Commitment accounting for the support-plan and annual-review fees, and a direct payment
following its budget, as process managers (core/process.py).

An accepted support-planning engagement counts against the person's budget at once: the
payments context **holds** its price (Doncaster's £450) in the ledger, Dr ``PB:<ref>:AVAILABLE``
/ Cr ``PB:<ref>:COMMITTED`` pending (docs/ledger.md, section 5). The hold is **posted** when
the person's plan is signed off (the commitment entry, effective that day), and **voided** if
the engagement ends before that. The provider's invoice then moves the committed money to its
payable (the invoices part of the payments issue).

The **annual-review fee** (£200) is held the same way once the person's annual review is due
within ``REVIEW_HOLD_AHEAD`` (the daily ``keep_commitments``), posted when the review is
recorded by the engaged provider's staff, and released when it is recorded by the council's
worker or the engagement ends first. ``keep_commitments`` also renews any hold that would
expire before its fee is owed (payments/commitments.py).

A budget **revised**, or its contribution **changed** by a financial reassessment, changes its
direct payment's amounts from the first period not yet paid, with the difference for the days
before it (``BudgetChanges``; the rule is the agreement's, in payments/direct_payments.py).

Each step is keyed by the event it follows (the hold by the engagement, its posting by the
hold, an amount change by the budget's event), and every date of money in it comes from that
event, so a manager that runs again, in another process or after a crash, finds what it did
before and does nothing twice. (``BudgetChanges`` asks today's date only for how far ahead to
look for payments already made.)
"""

from __future__ import annotations

import logging
from contextlib import suppress
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any
from uuid import UUID
from zoneinfo import ZoneInfo

from eventsourcing.persistence import Tracking

from config.actor import Actor
from core.process import ProcessManager
from ledger.application import Journal, LedgerApplication
from ledger.domain import (
    NotFoundError,
    Owner,
    hold_id,
)
from ledger.money import format_pence
from payments import commitments
from payments.commitments import Commitment

if TYPE_CHECKING:
    from payments.application import PaymentsApplication

log = logging.getLogger(__name__)

PLAN_SERVICE = "support_planning"
LONDON = ZoneInfo("Europe/London")
# The annual-review fee is held from this long before the review is due.
REVIEW_HOLD_AHEAD = timedelta(days=60)


def plan_fee_key(engagement: UUID) -> str:
    return f"payments:engagement:{engagement}:plan-fee"


def plan_fee_hold(engagement: UUID) -> UUID:
    """The first hold of the plan fee (renewals follow it: payments/commitments.py)."""
    return hold_id(plan_fee_key(engagement))


def review_fee_key(engagement: UUID, due: date) -> str:
    """The annual-review fee for the review due on ``due``, by the engagement's provider."""
    return f"payments:engagement:{engagement}:review-fee:{due.isoformat()}"


def plan_fee(engagement: Any) -> Commitment:
    return Commitment(
        base=plan_fee_key(engagement.id),
        budget=engagement.person,
        amount=engagement.price,
        reason=(
            f"Support plan and its implementation by an accredited planner:"
            f" {format_pence(engagement.price)}, held until the plan is signed off"
        ),
        source_document=f"engagement:{engagement.id}",
    )


def review_fee(engagement: Any, due: date, amount: int) -> Commitment:
    return Commitment(
        base=review_fee_key(engagement.id, due),
        budget=engagement.person,
        amount=amount,
        reason=(
            f"Annual review update by the accredited planner, due {due:%-d %B %Y}:"
            f" {format_pence(amount)}, held until the review is recorded"
        ),
        source_document=f"engagement:{engagement.id}",
    )


def _journal(ledger: LedgerApplication) -> Journal:
    return ledger.journal(Actor.system(), context=Owner.PAYMENTS)


class EngagementCommitments(ProcessManager):
    """Support-planning engagement accepted → its fee held; ended first → released."""

    name = "marketplace-to-ledger-commitments"
    downstream: LedgerApplication

    def handle(self, event: Any, tracking: Tracking | None) -> bool:
        kind = type(event).__qualname__
        if kind not in ("Engagement.Accepted", "Engagement.Ended"):
            return False
        engagement: Any = self.upstream.repository.get(
            event.originator_id, version=event.originator_version
        )
        if engagement.service.value != PLAN_SERVICE:
            return False
        journal = _journal(self.downstream)
        if kind == "Engagement.Accepted":
            self._hold(journal, engagement, event)
        else:
            self._release(journal, engagement)
        return False  # holds take no tracking position: the manager records it after them

    def _hold(self, journal: Journal, engagement: Any, event: Any) -> None:
        # Dated by the event, so the step run again places the same hold (found, not repeated).
        commitments.hold(journal, plan_fee(engagement), now=event.timestamp, actor=event.actor)

    def _release(self, journal: Journal, engagement: Any) -> None:
        # A posted fee stands (the plan was signed off first); the rest is released.
        commitments.release(
            journal,
            plan_fee_key(engagement.id),
            reason="The support-planning engagement ended before the plan was signed off",
        )
        due = _review_due(engagement.person)
        if due is not None:
            commitments.release(
                journal,
                review_fee_key(engagement.id, due),
                reason="The engagement ended before the annual review",
            )


class PlanFeePostings(ProcessManager):
    """A person's plan signed off → the plan fee held for each support-planning engagement of
    theirs posted as the commitment, effective on the day of sign-off."""

    name = "budgets-to-ledger-plan-fees"
    downstream: LedgerApplication

    def handle(self, event: Any, tracking: Tracking | None) -> bool:
        if type(event).__qualname__ not in ("Plan.Signed", "Plan.PanelDecided"):
            return False
        plan: Any = self.upstream.repository.get(
            event.originator_id, version=event.originator_version
        )
        if not plan.signed_off or self._was_signed_off_before(event):
            return False
        journal = _journal(self.downstream)
        for engagement in engagements_of(plan.council_ref):
            # An engagement accepted a moment before and not held yet is refused (no such
            # hold): the step is parked for finance to run again (manage.py step_failures).
            # None pending: posted before (run again), voided or expired.
            commitments.post(
                journal,
                plan_fee_key(engagement),
                reason="The plan was signed off: the support-plan fee is committed",
                effective_at=event.timestamp,
            )
        return False

    def _was_signed_off_before(self, event: Any) -> bool:
        if event.originator_version <= 1:
            return False
        before: Any = self.upstream.repository.get(
            event.originator_id, version=event.originator_version - 1
        )
        return bool(before.signed_off)


class BudgetChanges(ProcessManager):
    """A budget revised or its contribution changed → its direct payment's amounts follow."""

    name = "budgets-to-payments-amounts"
    downstream: PaymentsApplication

    def handle(self, event: Any, tracking: Tracking | None) -> bool:
        kind = type(event).__qualname__
        if kind not in ("PersonalBudget.Revised", "PersonalBudget.ContributionChanged"):
            return False
        budget: Any = self.upstream.repository.get(
            event.originator_id, version=event.originator_version
        )
        what = "revised" if kind == "PersonalBudget.Revised" else "contribution changed"
        return self.downstream.follow_budget(
            budget.council_ref,
            figures=budget.figures,
            on=event.effective_from,
            reason=f"Budget {what}: {event.reason}",
            actor=event.actor,
            source=f"budget:{budget.council_ref}:v{event.originator_version}",
            today=date.today(),
            tracking=tracking,
        )


class ReviewFeePostings(ProcessManager):
    """A person's annual review recorded → the review fee held for it posted for the engaged
    provider whose staff carried it out, released for any other (the council's worker did it,
    or another provider)."""

    name = "budgets-to-ledger-review-fees"
    downstream: LedgerApplication

    def handle(self, event: Any, tracking: Tracking | None) -> bool:
        if type(event).__qualname__ != "Reviews.Recorded" or event.kind != "annual":
            return False
        before: Any = self.upstream.repository.get(
            event.originator_id, version=event.originator_version - 1
        )
        journal = _journal(self.downstream)
        for engagement in engagements_of(before.council_ref):
            base = review_fee_key(engagement, before.due_on)
            if event.reviewer_kind == "planner" and event.reviewer in _staff_of(engagement):
                with suppress(NotFoundError):  # held no fee (reviewed long before it was due)
                    commitments.post(
                        journal,
                        base,
                        reason="The annual review was recorded: the review fee is committed",
                        effective_at=event.timestamp,
                    )
            else:
                commitments.release(
                    journal, base, reason="The annual review was carried out by someone else"
                )
        return False


def keep_commitments(
    now: datetime,
    *,
    review_ahead: timedelta = REVIEW_HOLD_AHEAD,
    renew_within: timedelta = commitments.RENEW_WITHIN,
) -> dict[str, int]:
    """The daily job: for each active support-planning engagement, the plan fee held until the
    plan is signed off (renewed before its hold expires), and the annual-review fee held from
    ``review_ahead`` before the review is due. Returns how many of each outcome."""
    from budgets.services import budget_app
    from config.errors import DomainError
    from ledger.services import ledger_app
    from marketplace.services import marketplace_app

    journal = _journal(ledger_app())
    market, budgets = marketplace_app(), budget_app()
    today = now.astimezone(LONDON).date()
    outcomes: dict[str, int] = {}
    for engagement_id in engagements_of(None):
        engagement: Any = market.get_engagement(engagement_id)
        if engagement.ended_on is not None:
            continue  # ended a moment ago: its manager releases what it held
        wanted = []
        try:
            signed = budgets.plan(engagement.person).signed_off
        except DomainError:
            signed = False
        if not signed:
            wanted.append(plan_fee(engagement))
        try:
            reviews: Any = budgets.reviews(engagement.person)
        except DomainError:
            reviews = None
        # Only an annual review earns the fee: one is due once the first review is done.
        if reviews is not None and reviews.reviews and reviews.due_on - today <= review_ahead:
            fee = market.tariff_in_force(today).annual_review_fee
            wanted.append(review_fee(engagement, reviews.due_on, fee))
        for commitment in wanted:
            try:
                outcome = commitments.keep_held(
                    journal, commitment, now=now, renew_within=renew_within
                )
            except DomainError as refused:  # the budget cannot cover it: shown, tried tomorrow
                log.warning("%s not held: %s", commitment.base, refused)
                outcome = "refused"
            outcomes[outcome] = outcomes.get(outcome, 0) + 1
    return outcomes


def _review_due(person: str) -> date | None:
    """When the person's next review is due (what a review fee would be held for now)."""
    from budgets.services import budget_app
    from config.errors import DomainError

    try:
        return budget_app().reviews(person).due_on
    except DomainError:
        return None


def _staff_of(engagement: UUID) -> set[str]:
    from accreditation.models import Membership
    from marketplace.services import marketplace_app

    provider = marketplace_app().get_engagement(engagement).provider
    return set(
        Membership.objects.filter(provider_id=provider).values_list("user__username", flat=True)
    )


def engagements_of(person: str | None) -> list[UUID]:
    """The person's (or, None, everyone's) support-planning engagements that are active, from
    the marketplace's read model brought up to date first (one accepted a moment ago counts)."""
    from marketplace.models import EngagementRecord
    from marketplace.services import catch_up

    catch_up()
    found = EngagementRecord.objects.filter(service=PLAN_SERVICE, status="active")
    if person is not None:
        found = found.filter(person=person)
    return list(found.order_by("id").values_list("id", flat=True))


def engagement_commitments() -> EngagementCommitments:
    from ledger.services import ledger_app
    from marketplace.services import marketplace_app

    return EngagementCommitments(marketplace_app(), ledger_app())


def plan_fee_postings() -> PlanFeePostings:
    from budgets.services import budget_app
    from ledger.services import ledger_app

    return PlanFeePostings(budget_app(), ledger_app())


def budget_changes() -> BudgetChanges:
    from budgets.services import budget_app
    from payments.application import payments_app

    return BudgetChanges(budget_app(), payments_app())


def review_fee_postings() -> ReviewFeePostings:
    from budgets.services import budget_app
    from ledger.services import ledger_app

    return ReviewFeePostings(budget_app(), ledger_app())


def run_commitments() -> None:
    """Run both now, so the page that accepted an engagement or signed a plan shows its
    effect; a failure loses nothing: the projections process runs them again."""
    for manager in (engagement_commitments, plan_fee_postings, review_fee_postings):
        try:
            manager().catch_up()
        except Exception:
            log.exception("%s: left to the projections process", manager.__name__)
