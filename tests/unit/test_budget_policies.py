"""The budgets context's policies (budgets/policies.py): who may, who may not, at which stage.

One test per policy; each is decided from the ``Actor`` and the state in hand alone, and
refuses with its named error. Plans are real ``Plan`` aggregates taken to each stage.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest

from budgets import policies
from budgets.budget import BudgetFigures
from budgets.domain import BudgetError
from budgets.plan import DEMO_POLICY, REQUIRED_PARTS, Author, Plan
from budgets.policies import (
    TURNS,
    CaseFacts,
    NoSuchPersonError,
    NotAtThisStageError,
    NotPermittedError,
    Reviewer,
    Sight,
    Stage,
    Step,
)
from config.actor import Actor
from config.errors import NotAllowed, NotFound
from config.roles import Role

REF = "DN-000123"
TODAY = date(2026, 11, 25)
CONNECT = uuid4()  # the planner Sam engaged
ELSEWHERE = uuid4()  # a provider he did not


def engaged(provider: UUID, council_ref: str) -> bool:
    """The marketplace's answer, as the application is given it."""
    return (provider, council_ref) == (CONNECT, REF)


def actor(name: str, *roles: Role, organisation: UUID | None = None, acts_for: str = "") -> Actor:
    return Actor(
        id=name,
        roles=frozenset(roles),
        organisation=organisation,
        on_behalf_of=((acts_for, "person"),) if acts_for else (),
    )


ALEX = actor("alex", Role.SOCIAL_WORKER)
JO = actor("jo", Role.TEAM_MANAGER)
CHRIS = actor("chris", Role.PANEL_MEMBER)
AUDITOR = actor("ava", Role.AUDITOR)
FINANCE = actor("farah", Role.FINANCE_OFFICER)
SAM = actor("sam", Role.PERSON, acts_for=REF)
LEE = actor("lee", Role.PERSON, acts_for="DN-000456")
PRIYA = actor("priya", Role.PROVIDER_STAFF, organisation=CONNECT)
SOL = actor("sol", Role.PROVIDER_STAFF, organisation=ELSEWHERE)
REGISTRAR = actor("rae", Role.REGISTER_ADMIN)


def plan_at(stage: Stage) -> Plan | None:
    """A real plan aggregate taken to ``stage`` through its own commands."""
    if stage is Stage.BUDGET_ALLOCATED:
        return None
    plan = Plan(REF)
    plan.write(
        parts={k: "x" for k in REQUIRED_PARTS},
        author="worker",
        written_by="alex",
        figures=BudgetFigures(32200, 0, 0),
        today=TODAY,
    )
    if stage is Stage.PLAN_WRITTEN:
        return plan
    sign = {"policy": DEMO_POLICY, "weekly": 32200, "indicative": 32200}
    plan.sign(role="social worker", actor="alex", **sign)  # type: ignore[arg-type]
    if stage is Stage.WAITING_FOR_MANAGER:
        return plan
    if stage is Stage.WITH_PANEL:
        plan.refer_to_panel(why="exceptional", actor="jo")
        return plan
    plan.sign(role="team manager", actor="jo", **sign)  # type: ignore[arg-type]
    assert stage is Stage.SIGNED_OFF
    return plan


PLAN_STAGES = [
    Stage.BUDGET_ALLOCATED,
    Stage.PLAN_WRITTEN,
    Stage.WAITING_FOR_MANAGER,
    Stage.SIGNED_OFF,
    Stage.WITH_PANEL,
]


def test_the_errors_are_named_and_map_to_403_404_and_422() -> None:
    assert issubclass(NotPermittedError, NotAllowed) and NotPermittedError.status == 403
    assert issubclass(NoSuchPersonError, NotFound) and NoSuchPersonError.status == 404
    assert issubclass(NotAtThisStageError, BudgetError) and NotAtThisStageError.status == 422


def test_who_may_see_a_persons_budget() -> None:
    for staff in (ALEX, JO, CHRIS, AUDITOR, FINANCE):
        assert policies.may_see(staff, REF, engaged) is Sight.STAFF
    assert policies.may_see(SAM, REF, engaged) is Sight.PERSON
    nominee = Actor(id="nia", roles=frozenset({Role.PERSON}), on_behalf_of=((REF, "nominee"),))
    assert policies.may_see(nominee, REF, engaged) is Sight.PERSON
    assert policies.may_see(PRIYA, REF, engaged) is Sight.PLANNER
    # Another person, a provider Sam did not engage, a register administrator: no such person.
    for stranger in (LEE, SOL, REGISTRAR, actor("nobody")):
        with pytest.raises(NoSuchPersonError, match="no such person"):
            policies.may_see(stranger, REF, engaged)
    with pytest.raises(NoSuchPersonError):  # Connect is Sam's planner, not everyone's
        policies.may_see(PRIYA, "DN-000456", engaged)


def test_who_may_allocate_or_revise_a_budget() -> None:
    policies.check_may_set_budget(ALEX)
    policies.check_may_set_budget(JO)
    for refused in (CHRIS, AUDITOR, FINANCE, SAM, PRIYA):
        with pytest.raises(NotPermittedError, match="social worker or team manager"):
            policies.check_may_set_budget(refused)


def test_who_may_write_the_plan_and_as_whom() -> None:
    # Not asked: the first of worker, planner, person that the actor is.
    assert policies.plan_author(ALEX, REF, engaged) is Author.WORKER
    assert policies.plan_author(PRIYA, REF, engaged) is Author.PLANNER
    assert policies.plan_author(SAM, REF, engaged) is Author.PERSON
    # Asked: the actor must be what they write as.
    assert policies.plan_author(PRIYA, REF, engaged, as_author="planner") is Author.PLANNER
    assert policies.plan_author(SAM, REF, engaged, as_author="person") is Author.PERSON
    refused = "only as its person, their engaged planner or a worker"
    for who, as_author in [
        (ALEX, "person"),  # a worker is not Sam
        (SOL, "planner"),  # not the planner Sam engaged
        (SAM, "worker"),
        (LEE, "person"),  # another person
        (PRIYA, "worker"),
    ]:
        with pytest.raises(NotPermittedError, match=refused):
            policies.plan_author(who, REF, engaged, as_author=as_author)
    for stranger in (SOL, LEE, CHRIS, FINANCE):
        with pytest.raises(NotPermittedError, match=refused):
            policies.plan_author(stranger, REF, engaged)
    with pytest.raises(BudgetError, match="must be person, planner or worker") as err:
        policies.plan_author(ALEX, REF, engaged, as_author="friend")
    assert err.value.field == "author"


def test_who_may_record_a_review_and_who_reopens_the_plan() -> None:
    assert policies.reviewer_kind(ALEX, REF, engaged) is Reviewer.WORKER
    assert policies.reviewer_kind(JO, REF, engaged, reopens_plan=True) is Reviewer.WORKER
    assert policies.reviewer_kind(PRIYA, REF, engaged) is Reviewer.PLANNER
    with pytest.raises(BudgetError, match="only the social worker or team manager") as err:
        policies.reviewer_kind(PRIYA, REF, engaged, reopens_plan=True)
    assert err.value.field == "plan_changes"
    for refused in (SAM, SOL, CHRIS, AUDITOR):  # reviews are the council's or the planner's
        with pytest.raises(NotPermittedError, match="a worker or the engaged planner"):
            policies.reviewer_kind(refused, REF, engaged)


@pytest.mark.parametrize(
    ("facts", "stage"),
    [
        (CaseFacts(), Stage.REGISTERED),
        (CaseFacts(assessed=True, eligible=False), Stage.NOT_ELIGIBLE),
        (CaseFacts(assessed=True, eligible=True), Stage.ASSESSED),
        (CaseFacts(assessed=True, eligible=True, allocated=True), Stage.BUDGET_ALLOCATED),
        (CaseFacts(allocated=True, plan_versions=2), Stage.PLAN_WRITTEN),
        (CaseFacts(plan_versions=1, worker_signed=True), Stage.WAITING_FOR_MANAGER),
        (CaseFacts(plan_versions=1, worker_signed=True, signed_off=True), Stage.SIGNED_OFF),
        # The panel's pending decision comes first: a spot check of a signed-off plan, and an
        # exceptional case waiting for the panel rather than the team manager.
        (CaseFacts(worker_signed=True, signed_off=True, with_panel=True), Stage.WITH_PANEL),
        (CaseFacts(worker_signed=True, with_panel=True), Stage.WITH_PANEL),
    ],
)
def test_the_cases_stage(facts: CaseFacts, stage: Stage) -> None:
    assert policies.stage(facts) is stage


@pytest.mark.parametrize("stage", PLAN_STAGES)
def test_a_plan_aggregates_stage_is_the_same_definition(stage: Stage) -> None:
    assert policies.plan_stage(plan_at(stage)) is stage


def test_which_signature_the_actor_gives() -> None:
    assert policies.signing_step(ALEX) is Step.WORKER_SIGNS
    assert policies.signing_step(JO) is Step.MANAGER_SIGNS
    both = actor("sue", Role.SOCIAL_WORKER, Role.TEAM_MANAGER)
    assert policies.signing_step(both) is Step.MANAGER_SIGNS  # not asked: the team manager's
    assert policies.signing_step(both, as_role="social worker") is Step.WORKER_SIGNS
    with pytest.raises(NotPermittedError, match="only the team manager signs the plan off"):
        policies.signing_step(ALEX, as_role="team manager")
    with pytest.raises(NotPermittedError, match="only the social worker signs the plan"):
        policies.signing_step(JO, as_role="social worker")
    for refused in (CHRIS, PRIYA, SAM):
        with pytest.raises(NotPermittedError):
            policies.signing_step(refused)
    with pytest.raises(BudgetError, match="only the social worker and the team manager sign"):
        policies.signing_step(ALEX, as_role="panel member")


@pytest.mark.parametrize("step", list(Step))
@pytest.mark.parametrize("stage", PLAN_STAGES)
def test_who_takes_each_step_and_at_which_stage(step: Step, stage: Stage) -> None:
    """Signing, referring and the panel's decision: one role each, at one stage each."""
    turn = TURNS[step]
    plan = plan_at(stage)
    holder = actor("holder", turn.role)
    others = [a for a in (ALEX, JO, CHRIS, PRIYA, SAM) if not a.has(turn.role)]
    assert policies.may(holder, step, plan) is (stage is turn.at)
    if stage is turn.at:
        policies.check_may(holder, step, plan)
    else:
        with pytest.raises(NotAtThisStageError) as err:
            policies.check_may(holder, step, plan)
        assert err.value.field == "plan" and err.value.message == policies.NOT_NOW[stage]
    for other in others:  # the wrong role is refused whatever the stage, and first
        assert not policies.may(other, step, plan)
        with pytest.raises(NotPermittedError, match=f"only the {turn.role.value}"):
            policies.check_may(other, step, plan)


def test_the_steps_stages() -> None:
    """The team manager signs off and refers when the worker has signed; the panel decides
    what is with it; the worker signs a written plan."""
    assert TURNS[Step.WORKER_SIGNS].at is Stage.PLAN_WRITTEN
    assert TURNS[Step.MANAGER_SIGNS].at is Stage.WAITING_FOR_MANAGER
    assert TURNS[Step.REFER].at is Stage.WAITING_FOR_MANAGER
    assert TURNS[Step.PANEL_DECIDES].at is Stage.WITH_PANEL
    assert policies.NOT_NOW[Stage.PLAN_WRITTEN] == "the social worker signs first"


def test_when_a_review_is_due_soon_or_overdue() -> None:
    assert policies.review_due_soon(TODAY, TODAY)
    assert policies.review_due_soon(TODAY + timedelta(days=14), TODAY)
    assert not policies.review_due_soon(TODAY + timedelta(days=15), TODAY)
    assert not policies.review_due_soon(TODAY - timedelta(days=1), TODAY)  # overdue instead
    assert not policies.review_due_soon(None, TODAY)
    assert policies.review_overdue(TODAY - timedelta(days=1), TODAY)
    assert not policies.review_overdue(TODAY, TODAY)
    assert not policies.review_overdue(None, TODAY)


def test_who_may_register_a_person_and_record_their_assessment() -> None:
    for worker in (ALEX, JO):
        policies.check_may_register(worker)
        policies.check_may_assess(worker)
    for refused in (CHRIS, AUDITOR, FINANCE, SAM, PRIYA, REGISTRAR, actor("nobody")):
        with pytest.raises(NotPermittedError, match="registered by a social worker or team"):
            policies.check_may_register(refused)
        with pytest.raises(NotPermittedError, match="recorded by a social worker or team"):
            policies.check_may_assess(refused)


@pytest.mark.parametrize(
    ("check", "why"),
    [
        (policies.check_may_change_grid, "only a team manager tries or publishes a new RAS grid"),
        (
            policies.check_may_publish_sign_off_rules,
            "only a team manager changes the council's sign-off rules",
        ),
    ],
)
def test_only_a_team_manager_tries_and_publishes_the_councils_parameters(
    check: Any, why: str
) -> None:
    check(JO)
    assert policies.permits(check, JO)
    for refused in (ALEX, CHRIS, AUDITOR, FINANCE, SAM, PRIYA, REGISTRAR, Actor.system()):
        with pytest.raises(NotPermittedError) as err:
            check(refused)
        assert err.value.message == why and err.value.status == 403
        assert not policies.permits(check, refused)


def test_anyone_reads_the_grid_and_the_sign_off_rules() -> None:
    public = Actor(id="", name="the public")  # not signed in (identity.actors.PUBLIC)
    for anyone in (public, SAM, LEE, SOL, ALEX, JO, CHRIS, AUDITOR, FINANCE, REGISTRAR):
        policies.check_may_read_parameters(anyone)
        assert policies.permits(policies.check_may_read_parameters, anyone)


def test_review_reminders_are_sent_by_the_daily_job_only() -> None:
    policies.check_may_send_reminders(Actor.system())
    for person_not_the_job in (ALEX, JO, CHRIS, PRIYA, actor("careledger")):
        with pytest.raises(NotPermittedError, match="the council's daily job"):
            policies.check_may_send_reminders(person_not_the_job)
