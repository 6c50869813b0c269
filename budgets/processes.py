"""The budgets context's steps into the ledger, run as process managers (core/process.py).

A budget allocated or revised calls for a ledger entry: a year of the weekly budget into the
person's account, or the difference a revision makes. The budget is saved first, in its own
store; the entry follows from the budget's event, with the event's own key, so a crash in
between is healed the next time the manager runs (in the request that saved the budget, or in
the projections process), and never posted twice.

The manager posts through the ledger's door as the budgets context, acting as the system
(``journal(Actor.system(), context=Owner.BUDGETS)``): its journal moves the budgets context's
own entries and accounts only. Each entry records the worker who allocated or revised.
"""

from __future__ import annotations

import logging
from typing import Any

from eventsourcing.persistence import Tracking

from budgets.application import BudgetApplication, available, committed, contributions
from budgets.budget import PersonalBudget
from config.actor import Actor
from core.process import ProcessManager
from ledger.application import Journal, LedgerApplication
from ledger.domain import Owner

log = logging.getLogger(__name__)

# The budget's events that move money into or out of the person's account.
MOVES_MONEY = (
    PersonalBudget.Allocated,  # type: ignore[attr-defined]
    PersonalBudget.Revised,  # type: ignore[attr-defined]
    PersonalBudget.ContributionChanged,  # type: ignore[attr-defined]
)


class BudgetEntries(ProcessManager):
    """Budget allocated, revised or its contribution changed → its ledger entry, once."""

    name = "budgets-to-ledger"
    upstream: BudgetApplication
    downstream: LedgerApplication

    def handle(self, event: Any, tracking: Tracking | None) -> bool:
        if not isinstance(event, MOVES_MONEY):
            return False
        budget: Any = self.upstream.repository.get(event.originator_id)
        assert isinstance(budget, PersonalBudget)
        ref = budget.council_ref
        journal = self.journal()
        self.open_accounts(ref, journal)
        drafts = self.upstream.ledger_drafts(ref, version=event.originator_version)
        journal.post_entries(drafts, tracking=tracking)
        return True

    def journal(self) -> Journal:
        """The budgets context's own journal in the ledger."""
        return self.downstream.journal(Actor.system(), context=Owner.BUDGETS)

    def open_accounts(self, ref: str, journal: Journal) -> None:
        """The person's budget accounts (opening one again is harmless)."""
        name = self.upstream.get_person(ref).details.name
        for code, label, kind, no_overdraft in [
            (available(ref), "budget available", "liability", True),
            (committed(ref), "budget committed", "liability", False),
            (contributions(ref), "contribution due", "asset", False),
        ]:
            journal.open_account(
                code=code,
                name=f"{name}: {label}",
                type=kind,
                owner_kind="budget",
                owner_id=ref,
                no_overdraft=no_overdraft,
            )


def budget_entries() -> BudgetEntries:
    from budgets.services import budget_app
    from ledger.services import ledger_app

    return BudgetEntries(budget_app(), ledger_app())


def post_budget_entries() -> None:
    """Run the manager now, so the page that saved a budget shows its entry. A failure here
    loses nothing: the budget is saved, and the projections process posts the entry."""
    try:
        budget_entries().catch_up()
    except Exception:
        log.exception("budget entries: left to the projections process")
