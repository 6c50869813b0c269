"""Commitment accounting for the support-plan fee, and a direct payment following its budget,
as process managers (core/process.py).

An accepted support-planning engagement counts against the person's budget at once: the
payments context **holds** its price (Doncaster's £450) in the ledger, Dr ``PB:<ref>:AVAILABLE``
/ Cr ``PB:<ref>:COMMITTED`` pending (docs/ledger.md, section 5). The hold is **posted** when
the person's plan is signed off (the commitment entry, effective that day), and **voided** if
the engagement ends before that. The provider's invoice then moves the committed money to its
payable (the invoices part of the payments issue).

A budget **revised**, or its contribution **changed** by a financial reassessment, changes its
direct payment's amounts from the first period not yet paid, with the difference for the days
before it (``BudgetChanges``; the rule is the agreement's, in payments/direct_payments.py).

Each step is keyed by the event it follows (the hold by the engagement, its posting by the
hold), and every date in it comes from that event, so a manager that runs again, in another
process or after a crash, finds what it did before and does nothing twice.
"""

from __future__ import annotations

import logging
from contextlib import suppress
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any
from uuid import UUID

from eventsourcing.persistence import Tracking

from config.actor import Actor
from core.process import ProcessManager
from ledger.application import Journal, LedgerApplication
from ledger.domain import (
    HoldAlreadyPostedError,
    HoldDraft,
    HoldNotPendingError,
    NotFoundError,
    Owner,
    hold_id,
)
from ledger.money import format_pence

if TYPE_CHECKING:
    from payments.application import PaymentsApplication

log = logging.getLogger(__name__)

# A hold may reach no further ahead than an entry may take effect (90 days by default): it is
# renewed if the plan takes longer (not yet built: the ledger's expiry then releases it).
HOLD_DAYS = 89
PLAN_SERVICE = "support_planning"


def plan_fee_key(engagement: UUID) -> str:
    return f"payments:engagement:{engagement}:plan-fee"


def plan_fee_hold(engagement: UUID) -> UUID:
    return hold_id(plan_fee_key(engagement))


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
        ref = engagement.person
        draft = HoldDraft.create(
            idempotency_key=plan_fee_key(engagement.id),
            kind="commitment",
            legs=[
                {"account": f"PB:{ref}:AVAILABLE", "side": "debit", "amount": engagement.price},
                {"account": f"PB:{ref}:COMMITTED", "side": "credit", "amount": engagement.price},
            ],
            effective_at=event.timestamp,
            expires_at=event.timestamp + timedelta(days=HOLD_DAYS),
            actor=event.actor,
            reason=(
                f"Support plan and its implementation by an accredited planner:"
                f" {format_pence(engagement.price)}, held until the plan is signed off"
            ),
            budget=ref,
            source_document=f"engagement:{engagement.id}",
        )
        journal.hold(draft)

    def _release(self, journal: Journal, engagement: Any) -> None:
        try:
            journal.void_hold(
                hold=plan_fee_hold(engagement.id),
                reason="The support-planning engagement ended before the plan was signed off",
            )
        except (HoldAlreadyPostedError, NotFoundError):
            pass  # the plan was signed off first (the fee stands), or nothing was held
        except HoldNotPendingError:
            pass  # voided before (this step run again) or expired


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
            with suppress(HoldNotPendingError):  # posted before (run again), voided, expired
                journal.post_hold(
                    hold=plan_fee_hold(engagement),
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


def engagements_of(person: str) -> list[UUID]:
    """The person's support-planning engagements that are active, from the marketplace's read
    model brought up to date first (an engagement accepted a moment ago counts)."""
    from marketplace.models import EngagementRecord
    from marketplace.services import catch_up

    catch_up()
    return list(
        EngagementRecord.objects.filter(
            person=person, service=PLAN_SERVICE, status="active"
        ).values_list("id", flat=True)
    )


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


def run_commitments() -> None:
    """Run both now, so the page that accepted an engagement or signed a plan shows its
    effect; a failure loses nothing: the projections process runs them again."""
    for manager in (engagement_commitments, plan_fee_postings):
        try:
            manager().catch_up()
        except Exception:
            log.exception("%s: left to the projections process", manager.__name__)
