"""Who may do what to a person's record, budget and plan, and at which stage, and who sets
the council's parameters (the RAS grid, the sign-off rules). Pure Python, no Django.

The budgets context decides these once, here, for the API and the pages alike: the
application (budgets/application.py) calls them in its commands and queries, and the pages
ask them (``may``) which buttons to show. Each policy takes the ``Actor`` (config/actor.py)
and the state in hand, and refuses with a named error:

- ``NotPermittedError`` (403): the actor's role or relationship to the person does not
  allow it, whatever the case's stage;
- ``NoSuchPersonError`` (404): the actor may not see the person at all, told exactly what
  someone asking about a reference that does not exist is told, so nothing leaks;
- ``NotAtThisStageError`` (422): the actor may do it, but not at the stage the case is at.

Whether the actor is staff of the support planner the person engaged is a fact of the
marketplace; a policy is given it as a plain function (``EngagedPlanner``), which the
application holds and budgets/services.py wires to the marketplace's read model.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import TYPE_CHECKING
from uuid import UUID

from budgets.domain import BudgetError
from budgets.plan import Author
from budgets.review import REMIND_BEFORE
from config.actor import Actor
from config.errors import NotAllowed, NotFound
from config.roles import Role

if TYPE_CHECKING:
    from budgets.plan import Plan

# Asked of the marketplace: is this provider organisation the person's engaged support planner?
EngagedPlanner = Callable[[UUID, str], bool]

# The council's staff who work with people's budgets.
WORKERS = frozenset({Role.SOCIAL_WORKER, Role.TEAM_MANAGER})
# Staff who may read any person's budget (each read logged for auditors).
READERS = WORKERS | {Role.PANEL_MEMBER, Role.AUDITOR, Role.FINANCE_OFFICER}


class NotPermittedError(NotAllowed):
    """The actor's role, or their relationship to the person, does not allow this (403)."""


class NoSuchPersonError(NotFound):
    """The actor may not see this person: the same answer as for a person who does not exist."""


class NotAtThisStageError(BudgetError):
    """The actor may take this step, but not at the stage the plan is at."""


def is_worker(actor: Actor) -> bool:
    """A social worker or team manager: the council's staff who hold people's cases."""
    return actor.has(*WORKERS)


def is_engaged_planner(actor: Actor, council_ref: str, engaged: EngagedPlanner) -> bool:
    """Staff of the support planner the person engaged (and who accepted)."""
    return actor.organisation is not None and engaged(actor.organisation, council_ref)


# -- seeing a person's budget
class Sight(StrEnum):
    """Why the actor may see the person's budget."""

    STAFF = "staff"  # the council's staff (their reads are logged)
    PERSON = "person"  # the person, or their nominee or advocate
    PLANNER = "planner"  # staff of the planner the person engaged


def may_see(actor: Actor, council_ref: str, engaged: EngagedPlanner) -> Sight:
    """Staff who work with people, the person (or whoever acts for them), and the planner they
    engaged see a person's budget; anyone else is told there is no such person."""
    if actor.has(*READERS):
        return Sight.STAFF
    if actor.acts_for(council_ref):
        return Sight.PERSON
    if is_engaged_planner(actor, council_ref, engaged):
        return Sight.PLANNER
    raise NoSuchPersonError("no such person", field="council_ref")


# -- setting the budget
def check_may_set_budget(actor: Actor) -> None:
    """Only a social worker or team manager allocates or revises a personal budget."""
    if not is_worker(actor):
        raise NotPermittedError(
            "a budget is allocated or revised by a social worker or team manager"
        )


# -- the person's record and their assessment
def check_may_register(actor: Actor) -> None:
    """Only a social worker or team manager registers a person with the council."""
    if not is_worker(actor):
        raise NotPermittedError("a person is registered by a social worker or team manager")


def check_may_assess(actor: Actor) -> None:
    """Only a social worker or team manager records a person's needs assessment."""
    if not is_worker(actor):
        raise NotPermittedError("an assessment is recorded by a social worker or team manager")


# -- the council's parameters: the RAS grid and the sign-off rules
def check_may_change_grid(actor: Actor) -> None:
    """Only a team manager tries a candidate RAS grid over every budget the council allocated
    (which reads every person's budget) and publishes a new version of it."""
    if not actor.has(Role.TEAM_MANAGER):
        raise NotPermittedError("only a team manager tries or publishes a new RAS grid")


def check_may_publish_sign_off_rules(actor: Actor) -> None:
    """Only a team manager publishes the council's sign-off rules (its delegated authority)."""
    if not actor.has(Role.TEAM_MANAGER):
        raise NotPermittedError("only a team manager changes the council's sign-off rules")


def check_may_read_parameters(actor: Actor) -> None:
    """Anyone, signed in or not, reads the RAS grid and the sign-off rules: the council's
    resource allocation is open to the people it applies to. (The spot-check seed is not
    among what they read: it would predict the panel's sample.)"""
    del actor  # everyone may


def permits(check: Callable[[Actor], object], actor: Actor) -> bool:
    """Whether a policy lets the actor do it (a page's links and buttons): the same check
    the command runs."""
    try:
        check(actor)
    except NotPermittedError:
        return False
    return True


# -- the scheduled jobs
def check_may_send_reminders(actor: Actor) -> None:
    """Reminders of reviews coming due are sent by the council's daily job, as the system
    itself (``Actor.system()``), never by a person: each due date is reminded once."""
    if actor != Actor.system():
        raise NotPermittedError("review reminders are sent by the council's daily job")


# -- writing the plan
def plan_author(
    actor: Actor, council_ref: str, engaged: EngagedPlanner, *, as_author: object = None
) -> Author:
    """Who may write the plan: the person themselves (or someone acting for them), staff of
    the planner they engaged, or a worker. Asked to write as one of these (``as_author``),
    the actor must be it; not asked, they write as the first they are: worker, planner,
    person."""
    capacities: dict[Author, Callable[[], bool]] = {
        Author.WORKER: lambda: is_worker(actor),
        Author.PLANNER: lambda: is_engaged_planner(actor, council_ref, engaged),
        Author.PERSON: lambda: actor.acts_for(council_ref),
    }
    if as_author is None or as_author == "":
        held = next((kind for kind, holds in capacities.items() if holds()), None)
    else:
        try:
            held = Author(str(as_author))
        except ValueError:
            raise BudgetError("must be person, planner or worker", field="author") from None
        if not capacities[held]():
            held = None
    if held is None:
        raise NotPermittedError(
            "you may write this plan only as its person, their engaged planner or a worker"
        )
    return held


# -- recording a review
class Reviewer(StrEnum):
    """Who carried out a review (stored as the review's ``reviewer_kind``)."""

    WORKER = "worker"
    PLANNER = "planner"  # the annual review by the engaged planner lets them invoice its fee


def reviewer_kind(
    actor: Actor, council_ref: str, engaged: EngagedPlanner, *, reopens_plan: bool = False
) -> Reviewer:
    """A review is carried out by a worker or by the person's engaged planner; only a worker
    finds that the signed-off plan must change and reopens it."""
    if is_worker(actor):
        return Reviewer.WORKER
    if not is_engaged_planner(actor, council_ref, engaged):
        raise NotPermittedError("reviews are carried out by a worker or the engaged planner")
    if reopens_plan:
        raise BudgetError(
            "only the social worker or team manager reopens a signed-off plan",
            field="plan_changes",
        )
    return Reviewer.PLANNER


# -- the case's stage
class Stage(StrEnum):
    """Where a person's case stands, as the caseload and the case page show it."""

    REGISTERED = "Registered"
    NOT_ELIGIBLE = "Assessed: not eligible"
    ASSESSED = "Assessed"
    BUDGET_ALLOCATED = "Budget allocated"
    PLAN_WRITTEN = "Plan written"
    WAITING_FOR_MANAGER = "Waiting for the team manager"
    SIGNED_OFF = "Plan signed off"
    WITH_PANEL = "With the panel"


@dataclass(frozen=True)
class CaseFacts:
    """What the stage is decided from, whether read from the aggregates or a read model."""

    assessed: bool = False
    eligible: bool | None = None
    allocated: bool = False
    plan_versions: int = 0
    worker_signed: bool = False  # the social worker signed the latest version
    signed_off: bool = False
    with_panel: bool = False  # referred to the panel and not yet decided


def stage(facts: CaseFacts) -> Stage:
    """The case's stage: the panel's pending decision first, then how far the plan has got,
    then the budget and the assessment."""
    if facts.with_panel:
        return Stage.WITH_PANEL
    if facts.signed_off:
        return Stage.SIGNED_OFF
    if facts.worker_signed:
        return Stage.WAITING_FOR_MANAGER
    if facts.plan_versions:
        return Stage.PLAN_WRITTEN
    if facts.allocated:
        return Stage.BUDGET_ALLOCATED
    if facts.assessed:
        return Stage.ASSESSED if facts.eligible else Stage.NOT_ELIGIBLE
    return Stage.REGISTERED


def plan_facts(plan: Plan | None) -> CaseFacts:
    """The facts of a plan aggregate (a plan is written only once the budget is allocated)."""
    if plan is None:
        return CaseFacts(assessed=True, eligible=True, allocated=True)
    return CaseFacts(
        assessed=True,
        eligible=True,
        allocated=True,
        plan_versions=len(plan.versions),
        worker_signed="social worker" in plan.signatures,
        signed_off=plan.signed_off,
        with_panel=bool(plan.waiting_for_panel),
    )


def plan_stage(plan: Plan | None) -> Stage:
    return stage(plan_facts(plan))


# -- signing, the panel: who takes each step, and at which stage
class Step(StrEnum):
    WORKER_SIGNS = "worker-sign"
    MANAGER_SIGNS = "manager-sign"
    REFER = "refer"
    PANEL_DECIDES = "panel-decide"


@dataclass(frozen=True)
class Turn:
    role: Role  # who takes the step
    at: Stage  # the only stage at which they take it
    what: str  # in words, for the refusal


TURNS = {
    Step.WORKER_SIGNS: Turn(Role.SOCIAL_WORKER, Stage.PLAN_WRITTEN, "signs the plan"),
    Step.MANAGER_SIGNS: Turn(Role.TEAM_MANAGER, Stage.WAITING_FOR_MANAGER, "signs the plan off"),
    Step.REFER: Turn(Role.TEAM_MANAGER, Stage.WAITING_FOR_MANAGER, "refers a plan to the panel"),
    Step.PANEL_DECIDES: Turn(Role.PANEL_MEMBER, Stage.WITH_PANEL, "decides on a plan"),
}
# The role each signature is recorded under (the plan's ``signatures`` and ``Signed`` events).
SIGNATURES = {Step.WORKER_SIGNS: "social worker", Step.MANAGER_SIGNS: "team manager"}
# Why a step cannot be taken at each stage the plan may be at.
NOT_NOW = {
    Stage.BUDGET_ALLOCATED: "there is no plan yet: write it first",
    Stage.PLAN_WRITTEN: "the social worker signs first",
    Stage.WAITING_FOR_MANAGER: "the social worker has signed: the plan is with the team manager",
    Stage.SIGNED_OFF: "the plan is already signed off",
    Stage.WITH_PANEL: "the plan is with the panel: wait for its decision",
}


def signing_step(actor: Actor, *, as_role: object = None) -> Step:
    """Which signature the actor gives: the one asked for ("social worker" or "team
    manager"), which needs that role; not asked, the team manager's if they are one, else
    the social worker's."""
    if as_role is None or as_role == "":
        step = Step.MANAGER_SIGNS if actor.has(Role.TEAM_MANAGER) else Step.WORKER_SIGNS
    else:
        found = [s for s, role in SIGNATURES.items() if role == as_role]
        if not found:
            raise BudgetError("only the social worker and the team manager sign", field="role")
        step = found[0]
    check_role(actor, step)
    return step


def check_role(actor: Actor, step: Step) -> None:
    """The step is taken by one role only, at any stage."""
    turn = TURNS[step]
    if not actor.has(turn.role):
        raise NotPermittedError(f"only the {turn.role.value} {turn.what}")


def check_stage(step: Step, plan: Plan | None) -> None:
    """The step is taken at one stage of the plan only."""
    now = plan_stage(plan)
    if now is not TURNS[step].at:
        raise NotAtThisStageError(NOT_NOW.get(now, "there is no plan yet"), field="plan")


def check_may(actor: Actor, step: Step, plan: Plan | None) -> None:
    """Who takes the step, then whether the plan is at its stage."""
    check_role(actor, step)
    check_stage(step, plan)


def may(actor: Actor, step: Step, plan: Plan | None) -> bool:
    """Whether to offer the step (the case page's buttons): the same policy the command runs."""
    try:
        check_may(actor, step, plan)
    except (NotPermittedError, NotAtThisStageError):
        return False
    return True


# -- reviews coming due (the worker is reminded from REMIND_BEFORE the due date: review.py)
def review_due_soon(due_on: date | None, today: date) -> bool:
    """Due within the reminder window, and not yet overdue."""
    return due_on is not None and today <= due_on <= today + REMIND_BEFORE


def review_overdue(due_on: date | None, today: date) -> bool:
    return due_on is not None and due_on < today
