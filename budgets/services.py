"""Wires the budgets application (to the marketplace, for who the person's engaged planner
is) and posts its ledger entries; the person's summary, for the API and the pages alike."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

from django.conf import settings
from django.utils import timezone

from budgets.application import BudgetApplication, available
from budgets.budget import PersonalBudget
from budgets.domain import Calculation
from budgets.people import PersonDetails
from budgets.plan import Plan
from budgets.policies import Sight
from budgets.processes import post_budget_entries
from budgets.queries import reviews_due_for, reviews_due_soon
from budgets.review import Reviews
from config.actor import Actor
from config.applications import application
from config.errors import DomainError, NotFound
from ledger.models import Entry
from ledger.queries import Standing, left_in
from ledger.services import catch_up, ledger_app


def _engaged_planner_of(provider: UUID, council_ref: str) -> bool:
    from marketplace.services import planner_engaged

    return planner_engaged(provider, council_ref)


def budget_app() -> BudgetApplication:
    app = application(BudgetApplication)
    app.engaged_planner_of = _engaged_planner_of
    return app


def catch_up_cases(until: int | None = None) -> int:
    from budgets.projections import CaseProjection

    return CaseProjection(budget_app()).catch_up(until)


def allocate(council_ref: str, **choices: object) -> PersonalBudget:
    """Record the allocation; its ledger entries follow from the budget's event (processes.py).
    The council's choice for contributions, netted or charged gross, is recorded with it."""
    choices.setdefault("contribution_method", settings.CONTRIBUTION_METHOD)
    budget = budget_app().allocate(council_ref, **choices)  # type: ignore[arg-type]
    post_budget_entries()
    catch_up()
    return budget


def revise(council_ref: str, **change: object) -> PersonalBudget:
    """Record the revision; its ledger entry follows. A cut is checked against what the budget
    still holds first (not spent, committed or held), so a refused one records nothing in
    either store."""
    try:
        account = ledger_app().get_account(available(council_ref))
        unspent: int | None = account.available  # the ledger counts its holds too
    except DomainError:
        unspent = None  # no ledger account yet: nothing has been spent from it
    budget = budget_app().revise(council_ref, unspent=unspent, **change)  # type: ignore[arg-type]
    post_budget_entries()
    catch_up()
    return budget


def change_contribution(council_ref: str, **change: object) -> PersonalBudget:
    """Record a new assessed contribution; its ledger entry follows, and the projections
    process carries it to the direct payment (payments/processes.py)."""
    budget = budget_app().change_contribution(council_ref, **change)  # type: ignore[arg-type]
    post_budget_entries()
    catch_up()
    return budget


# What "what has been paid" lists: money spent from the budget, not its allocation.
PAID_KINDS = ("direct_payment", "managed_spend", "provider_fee", "recovery")


@dataclass(frozen=True)
class PersonSummary:
    """What a person's "my budget" shows: the budget, how it was reached, the plan, payments."""

    council_ref: str
    sight: Sight  # why the actor who asked may see it (policies.may_see)
    name: str
    details: PersonDetails  # the person's record: for them and those who work with them
    budget: PersonalBudget | None
    calculation: Calculation | None
    plan: Plan | None
    reviews: Reviews | None
    paid: list[Entry]  # money out of the budget; an entry later reversed says so
    changes: list[Entry]  # the allocation, the contribution and each revision
    # The budget's account in the ledger: its balance, what is held on it and what is left.
    left: Standing | None = None
    # The latest assessment's finding (None before any): not eligible has a written decision.
    eligible: bool | None = None


def person_summary(council_ref: str, *, actor: Actor) -> PersonSummary:
    """The person's budget, for those the policy lets see it (policies.may_see); anyone else
    is told there is no such person."""
    app = budget_app()
    sight = app.may_see(actor, council_ref)
    person = app.get_person(council_ref)
    found: dict[str, Any] = {}
    for name, get in [("budget", app.get_budget), ("plan", app.plan), ("reviews", app.reviews)]:
        try:
            found[name] = get(council_ref)
        except NotFound:
            found[name] = None
    try:
        if found["budget"] is not None:  # the figure that produced the budget, not today's grid
            calculation = app.calculation_of(found["budget"])
        else:
            calculation = app.indicative(council_ref, today=timezone.localdate())
    except DomainError:  # no eligible assessment or no grid yet: nothing to explain
        calculation = None
    catch_up()
    entries = Entry.objects.filter(budget=council_ref).order_by("effective_at", "position")
    return PersonSummary(
        council_ref=council_ref,
        sight=sight,
        name=person.details.name,
        details=person.details,
        budget=found["budget"],
        calculation=calculation,
        plan=found["plan"],
        reviews=found["reviews"],
        paid=list(entries.filter(kind__in=PAID_KINDS)[:200]),
        changes=list(entries.filter(kind__in=("allocation", "contribution", "adjustment"))[:200]),
        left=left_in(available(council_ref)),
        eligible=_eligible(app, council_ref),
    )


def _eligible(app: Any, council_ref: str) -> bool | None:
    try:
        versions = app.assessment(council_ref).versions
    except NotFound:
        return None
    return bool(versions[-1]["eligible"]) if versions else None


__all__ = [
    "PersonSummary",
    "allocate",
    "budget_app",
    "catch_up_cases",
    "person_summary",
    "reviews_due_for",  # a selector (budgets/queries.py), here for the start page
    "reviews_due_soon",
    "revise",
]
