"""The budgets use cases: the RAS grid, people, assessments, allocation and revision.

The context's one door: the commands and queries on a person's budget and plan take the
``Actor`` asking, and call the context's policies (budgets/policies.py) themselves, so the API
and the pages get the same answer. Whether the actor is the person's engaged support planner
is asked of the marketplace through ``engaged_planner_of`` (wired in budgets/services.py).

Allocations and revisions are recorded here, then posted to the ledger by
budgets/services.py as entries whose idempotency keys come from the budget's own events,
so a retry after a failure between the two stores posts each entry exactly once.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import IntegrityError
from eventsourcing.utils import get_topic

import budgets.budget
import budgets.domain
import budgets.people
import budgets.plan
import budgets.review
import budgets.sign_off
from budgets import policies
from budgets.budget import WEEKS_A_YEAR, PersonalBudget, budget_id
from budgets.decision import Decision, not_eligible_decision
from budgets.domain import (
    BudgetError,
    Calculation,
    RasGrid,
    Simulation,
    calculate,
    candidate_grid,
    simulate,
)
from budgets.people import (
    Assessment,
    Eligibility,
    NhsNumberRecord,
    NhsNumberTakenError,
    Person,
    PersonDetails,
    person_id,
)
from budgets.plan import DEMO_POLICY, Plan, Route, SignOffPolicy, first_draft, plan_id
from budgets.review import Reviews
from budgets.sign_off import SignOffRules
from config.actor import Actor
from config.errors import Conflict, DomainError, NotFound
from config.transcodings import ContextApplication
from ledger.domain import EntryDraft
from ledger.money import format_pence

FUND = "COUNCIL:CARE-FUND"


@dataclass(frozen=True)
class PublishedRules:
    """The sign-off rules as anyone may read them: their version (0 while the demo's apply,
    until the council publishes its own) and parameters, and never the spot-check seed."""

    version: int
    policy: SignOffPolicy


def available(council_ref: str) -> str:
    return f"PB:{council_ref}:AVAILABLE"


def committed(council_ref: str) -> str:
    return f"PB:{council_ref}:COMMITTED"


def contributions(council_ref: str) -> str:
    """What the person owes towards their budget: their assessed contribution."""
    return f"CONTRIBUTION:{council_ref}:DUE"


class BudgetApplication(ContextApplication):
    name = "Budgets"
    domain_modules = (
        budgets.domain,
        budgets.budget,
        budgets.people,
        budgets.plan,
        budgets.review,
        budgets.sign_off,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Whether a provider organisation is the person's engaged support planner: set by
        # budgets/services.py from the marketplace; tests give their own.
        self.engaged_planner_of: policies.EngagedPlanner = lambda _provider, _ref: False

    # -- the grid
    def grid(self) -> RasGrid:
        try:
            found: Any = self.repository.get(RasGrid.ID)
        except AggregateNotFoundError:
            return RasGrid()
        return found  # type: ignore[no-any-return]

    def grid_for(self, actor: Actor) -> RasGrid:
        """Every published version of the grid, for anyone (policies.check_may_read_parameters)."""
        policies.check_may_read_parameters(actor)
        return self.grid()

    def publish_grid(self, *, actor: Actor, **values: Any) -> int:
        """A new version of the grid, by a team manager (policies.check_may_change_grid)."""
        policies.check_may_change_grid(actor)
        grid = self.grid()
        version = grid.publish(actor=actor.id, **values)
        self.save(grid)
        return version

    # -- people and assessments
    def register_person(self, *, today: date, actor: Actor, **details: Any) -> UUID:
        """Register a person, by a worker (policies.check_may_register); one record per council
        reference and one per NHS number, both held by the store itself (saved together), so
        two workers at once cannot make two."""
        policies.check_may_register(actor)
        checked = PersonDetails.create(today=today, **details)
        person, nhs_number = Person.register(checked, actor=actor.id)
        try:
            self.save(person, nhs_number)
        except IntegrityError:
            raise self._registration_refused(checked) from None
        return person.id

    def _registration_refused(self, details: PersonDetails) -> DomainError:
        """Why the store refused a registration: the reference, the NHS number, or both."""
        refusals: list[DomainError] = []
        if self._exists(person_id(details.council_ref)):
            refusals.append(
                Conflict("this council reference is already registered", field="council_ref")
            )
        try:
            record: Any = self.repository.get(NhsNumberRecord.create_id(details.nhs_number))
            record.check_free_for(details.council_ref)
        except AggregateNotFoundError:
            pass
        except NhsNumberTakenError as taken:
            refusals.append(taken)
        if not refusals:  # not expected: each of the two ids is in the store once refused
            return Conflict(
                "the council reference or NHS number was recorded at the same moment: try again",
                field="council_ref",
            )
        first, *also = refusals
        first.also = also
        return first

    def _exists(self, aggregate_id: UUID) -> bool:
        try:
            self.repository.get(aggregate_id)
        except AggregateNotFoundError:
            return False
        return True

    def get_person(self, council_ref: str) -> Person:
        return self._get(person_id(council_ref), "person")  # type: ignore[no-any-return]

    def record_assessment(
        self, council_ref: str, *, today: date, actor: Actor, **content: Any
    ) -> Eligibility:
        """A new version of the person's assessment, by a worker (policies.check_may_assess),
        recorded with them as its assessor."""
        policies.check_may_assess(actor)
        self.get_person(council_ref)
        try:
            assessment: Any = self.repository.get(Assessment.create_id(council_ref))
        except AggregateNotFoundError:
            assessment = Assessment(council_ref)
        eligibility = assessment.record(today=today, assessor=actor.id, **content)
        self.save(assessment)
        return eligibility  # type: ignore[no-any-return]

    def assessment(self, council_ref: str) -> Assessment:
        return self._get(Assessment.create_id(council_ref), "assessment")  # type: ignore[no-any-return]

    def first_plan_draft(self, actor: Actor, council_ref: str) -> tuple[dict[str, str], date]:
        """A plan's first version, started from the latest assessment (budgets.plan), and the
        day of that assessment, for whoever the policy lets write the plan (plan_author)."""
        self.plan_author(actor, council_ref)
        latest = self.assessment(council_ref).versions[-1]
        return first_draft(latest), latest["on"]

    def not_eligible_decision(self, actor: Actor, council_ref: str) -> Decision:
        """The written decision for a person found not eligible (budgets/decision.py), for
        those the policy lets see the person (policies.may_see)."""
        self.may_see(actor, council_ref)
        name = self.get_person(council_ref).details.name
        return not_eligible_decision(council_ref, name, self.assessment(council_ref))

    def indicative(self, council_ref: str, *, today: date) -> Calculation:
        """The indicative budget from the latest eligible assessment and the grid in force."""
        needs = self.assessment(council_ref).eligible_unmet_needs()
        return calculate(self.grid().in_force(today), needs)

    def indicative_for(self, actor: Actor, council_ref: str, *, today: date) -> Calculation:
        """The indicative budget, for those the policy lets see the person (policies.may_see)."""
        self.may_see(actor, council_ref)
        return self.indicative(council_ref, today=today)

    def calculation_of(self, budget: PersonalBudget) -> Calculation:
        """How the budget's indicative figure was reached: its own grid and assessment versions,
        however many grids came after."""
        needs = self.assessment(budget.council_ref).eligible_unmet_needs(budget.assessment_version)
        return calculate(self.grid().grid_version(budget.grid_version), needs)

    # -- budgets
    def allocate(
        self, council_ref: str, *, today: date, actor: Actor, **choices: Any
    ) -> PersonalBudget:
        policies.check_may_set_budget(actor)
        try:
            return self._first_allocation(council_ref, choices)
        except NotFound:
            pass
        assessment = self.assessment(council_ref)
        budget = PersonalBudget.allocate(
            council_ref=council_ref,
            assessment_version=len(assessment.versions),
            calculation=self.indicative(council_ref, today=today),
            today=today,
            actor=actor.id,
            **choices,
        )
        try:
            self.save(budget)
        except IntegrityError:  # allocated by someone else a moment ago
            return self._first_allocation(council_ref, choices)
        return budget

    def _first_allocation(self, council_ref: str, choices: dict[str, Any]) -> PersonalBudget:
        """A retry finds the first allocation; a different second one is a conflict."""
        first = self.get_budget(council_ref)
        if not first.same_allocation(**choices):
            raise Conflict("this budget is already allocated: revise it instead", field="weekly")
        return first

    def revise(
        self, council_ref: str, *, today: date, actor: Actor, **change: Any
    ) -> PersonalBudget:
        """Revise the budget; a signed-off plan carrying the old figure is reopened with it,
        to be written anew and signed off again (saved together, or neither)."""
        policies.check_may_set_budget(actor)
        budget = self.get_budget(council_ref)
        budget.revise(
            assessment_version=len(self.assessment(council_ref).versions),
            today=today,
            actor=actor.id,
            **change,
        )
        changed: list[Any] = [budget]
        try:
            plan: Any = self.repository.get(plan_id(council_ref))
        except AggregateNotFoundError:
            plan = None
        if plan is not None:
            plan.reopen_for_revision(revised_on=today, actor=actor.id)
            changed.append(plan)
        self.save(*changed)
        return budget

    def change_contribution(
        self, council_ref: str, *, today: date, actor: Actor, **change: Any
    ) -> PersonalBudget:
        """Record the person's new assessed contribution (a financial reassessment)."""
        policies.check_may_set_budget(actor)
        budget = self.get_budget(council_ref)
        budget.change_contribution(today=today, actor=actor.id, **change)
        self.save(budget)
        return budget

    def get_budget(self, council_ref: str) -> PersonalBudget:
        return self._get(budget_id(council_ref), "budget")  # type: ignore[no-any-return]

    def ledger_drafts(self, council_ref: str, *, version: int | None = None) -> list[EntryDraft]:
        """The ledger entries this budget's history calls for (or the event at ``version``
        alone), each keyed by the budget event it comes from.

        An allocation puts a year of the budget in the person's account: the council's part
        from the care fund, and the person's assessed contribution as owed by them (so the
        account holds the whole personal budget, each part an entry of its own). A revision
        moves the difference for a year, from the date it takes effect, from the council's part;
        a new contribution moves its difference for a year between the council's part and
        what the person owes.
        """
        drafts = []
        previous = previous_contribution = 0
        events: list[Any] = list(
            self.repository.event_store.get(budget_id(council_ref), lte=version)
        )
        for n, e in enumerate(events):
            source = f"budget:{council_ref}:v{n + 1}"
            weekly = getattr(e, "weekly", None)
            if weekly is None and hasattr(e, "contribution_weekly"):  # a new contribution
                drafts += _budget_move(
                    council_ref,
                    e,
                    source,
                    f"contribution:{n}",
                    "adjustment",
                    contributions(council_ref),
                    (e.contribution_weekly - previous_contribution) * WEEKS_A_YEAR,
                    f"Assessed contribution now {format_pence(e.contribution_weekly)} a week:"
                    f" {e.reason}",
                    into=FUND,
                )
                previous_contribution = e.contribution_weekly
            if weekly is None:
                continue

            if n == 0:
                contribution = previous_contribution = e.contribution_weekly
                drafts += _budget_move(
                    council_ref,
                    e,
                    source,
                    "allocation",
                    "allocation",
                    FUND,
                    (weekly - contribution) * WEEKS_A_YEAR,
                    f"Personal budget of {format_pence(weekly)} a week, from RAS grid version "
                    f"{e.grid_version}: the council pays {format_pence(weekly - contribution)}"
                    " a week",
                )
                drafts += _budget_move(
                    council_ref,
                    e,
                    source,
                    "contribution",
                    "contribution",
                    contributions(council_ref),
                    contribution * WEEKS_A_YEAR,
                    f"The person's assessed contribution of {format_pence(contribution)} a week"
                    " towards their personal budget",
                )
            else:
                drafts += _budget_move(
                    council_ref,
                    e,
                    source,
                    f"revision:{n}",
                    "adjustment",
                    FUND,
                    (weekly - previous) * WEEKS_A_YEAR,
                    f"Budget revised to {format_pence(weekly)} a week: {e.reason}",
                )
            previous = weekly
        if version is not None:
            return [d for d in drafts if d.source_document == f"budget:{council_ref}:v{version}"]
        return drafts

    # -- the plan, its sign-off and reviews
    def write_plan(
        self,
        council_ref: str,
        *,
        parts: Mapping[str, object],
        actor: Actor,
        today: date,
        as_author: object = None,
    ) -> int:
        """A new version of the plan, carrying the budget as it stands (Care Act s.25 and s.26),
        written by the person, their engaged planner or a worker (``as_author``, or the first
        of these the actor is: policies.plan_author)."""
        author = self.plan_author(actor, council_ref, as_author=as_author)
        budget = self.get_budget(council_ref)
        try:
            plan: Any = self.repository.get(plan_id(council_ref))
        except AggregateNotFoundError:
            plan = Plan(council_ref)
        version = plan.write(
            parts=parts,
            author=author,
            written_by=actor.id,
            figures=budget.figures,
            today=today,
        )
        try:
            reviews: Any = self.repository.get(Reviews.create_id(council_ref))
        except AggregateNotFoundError:
            reviews = Reviews(council_ref, today)  # the 6-week review counts from the first plan
        self.save(plan, reviews)
        return version  # type: ignore[no-any-return]

    # -- who may: the context's policies, asked with the marketplace's answer in hand
    def plan_author(
        self, actor: Actor, council_ref: str, *, as_author: object = None
    ) -> policies.Author:
        """In what capacity the actor may write the person's plan (refused if in none)."""
        return policies.plan_author(
            actor, council_ref, self.engaged_planner_of, as_author=as_author
        )

    def reviewer_kind(
        self, actor: Actor, council_ref: str, *, reopens_plan: bool = False
    ) -> policies.Reviewer:
        """As whom the actor may record the person's review (refused if neither)."""
        return policies.reviewer_kind(
            actor, council_ref, self.engaged_planner_of, reopens_plan=reopens_plan
        )

    def may_see(self, actor: Actor, council_ref: str) -> policies.Sight:
        """Why the actor may see the person's budget; anyone else is told there is no such
        person (policies.NoSuchPersonError)."""
        return policies.may_see(actor, council_ref, self.engaged_planner_of)

    def plan(self, council_ref: str) -> Plan:
        return self._get(plan_id(council_ref), "plan")  # type: ignore[no-any-return]

    def sign_plan(
        self,
        council_ref: str,
        *,
        actor: Actor,
        as_role: object = None,
        reason: object = "",
        policy: SignOffPolicy | None = None,
        spot_check_seed: str | None = None,
    ) -> Route:
        """Sign as the social worker or the team manager (``as_role``; not given, as the
        policy decides from the actor's roles), when the plan is at the stage for it, under
        the council's parameters in force (or those given, in tests)."""
        step = policies.signing_step(actor, as_role=as_role)
        in_force, seed = self.sign_off_policy()
        policy = policy or in_force
        spot_check_seed = seed if spot_check_seed is None else spot_check_seed
        budget = self.get_budget(council_ref)
        plan = self.plan(council_ref)
        policies.check_stage(step, plan)
        route = plan.sign(
            role=policies.SIGNATURES[step],
            actor=actor.id,
            policy=policy,
            weekly=budget.weekly,
            indicative=budget.indicative_weekly,
            reason=reason,
            set_by=budget.set_by,
            reviewed=bool(self.reviews(council_ref).reviews),
        )
        if plan.signed_off and policy.spot_checked(plan.id, seed=spot_check_seed):
            # The panel's quality sample, drawn at sign-off at the council's rate.
            plan.refer_to_panel(why="spot check", actor="careledger")
        self.save(plan)
        return route  # type: ignore[no-any-return]

    def sign_off_rules(self) -> SignOffRules:
        try:
            found: Any = self.repository.get(SignOffRules.ID)
        except AggregateNotFoundError:
            return SignOffRules()
        return found  # type: ignore[no-any-return]

    def sign_off_policy(self) -> tuple[SignOffPolicy, str]:
        """The parameters in force and the spot-check seed; the demo's until the council sets
        its own."""
        rules = self.sign_off_rules()
        return rules.in_force() if rules.versions else (DEMO_POLICY, "")

    def sign_off_rules_for(self, actor: Actor) -> PublishedRules:
        """The sign-off rules in force, for anyone (policies.check_may_read_parameters): their
        version and parameters, without the spot-check seed, which would predict the sample."""
        policies.check_may_read_parameters(actor)
        policy, _seed = self.sign_off_policy()
        return PublishedRules(version=len(self.sign_off_rules().versions), policy=policy)

    def publish_sign_off_rules(self, *, actor: Actor, **values: Any) -> int:
        """A new version of the council's sign-off rules, by a team manager
        (policies.check_may_publish_sign_off_rules), with a fresh spot-check seed."""
        policies.check_may_publish_sign_off_rules(actor)
        rules = self.sign_off_rules()
        version = rules.publish(actor=actor.id, **values)
        self.save(rules)
        return version  # type: ignore[no-any-return]

    def refer_to_panel(self, council_ref: str, *, actor: Actor, note: object = "") -> None:
        """The team manager refers the plan the social worker signed as exceptional."""
        policies.check_role(actor, policies.Step.REFER)
        plan = self.plan(council_ref)
        policies.check_stage(policies.Step.REFER, plan)
        plan.refer_to_panel(why="exceptional", actor=actor.id, note=note)
        self.save(plan)

    def panel_decides(
        self, council_ref: str, *, actor: Actor, decision: str, reasons: object
    ) -> None:
        """A panel member decides on a plan waiting for the panel."""
        policies.check_role(actor, policies.Step.PANEL_DECIDES)
        plan = self.plan(council_ref)
        policies.check_stage(policies.Step.PANEL_DECIDES, plan)
        plan.panel_decides(decision=decision, actor=actor.id, reasons=reasons)
        self.save(plan)

    def reviews(self, council_ref: str) -> Reviews:
        return self._get(Reviews.create_id(council_ref), "reviews")  # type: ignore[no-any-return]

    def record_review(
        self, council_ref: str, *, actor: Actor, plan_changes: bool = False, **review: Any
    ) -> date:
        """Record a review, carried out by a worker or the engaged planner (policies.
        reviewer_kind); when it finds the plan must change, reopen the plan with it."""
        kind = self.reviewer_kind(actor, council_ref, reopens_plan=plan_changes)
        reviews = self.reviews(council_ref)
        next_due = reviews.record(reviewer=actor.id, reviewer_kind=kind.value, **review)
        changed: list[Any] = [reviews]
        if plan_changes:
            plan = self.plan(council_ref)
            plan.reopen_at_review(reviewed_on=review["on"], actor=actor.id)
            changed.append(plan)
        self.save(*changed)  # the review and the reopened plan together, or neither
        return next_due  # type: ignore[no-any-return]

    def remind_reviews(self, actor: Actor, *, today: date, batch_size: int = 500) -> int:
        """The daily job, run as the system (policies.check_may_send_reminders): remind the
        worker of each review due within two weeks, once."""
        policies.check_may_send_reminders(actor)
        reminded = 0
        position = 0
        topic = get_topic(Reviews.Scheduled)  # type: ignore[attr-defined]
        while found := self.recorder.select_notifications(
            start=position, limit=batch_size, topics=[topic], inclusive_of_start=False
        ):
            for notification in found:
                reviews: Any = self.repository.get(UUID(str(notification.originator_id)))
                if reviews.remind(today=today):
                    self.save(reviews)
                    reminded += 1
                position = notification.id
        return reminded

    def simulate_grid(
        self, *, actor: Actor, points: Any, pence_per_point: object, batch_size: int = 500
    ) -> Simulation:
        """What a candidate grid would change across every budget the council has allocated,
        tried by a team manager (policies.check_may_change_grid)."""
        policies.check_may_change_grid(actor)
        candidate = candidate_grid(points, pence_per_point)
        cases = []
        position = 0
        topic = get_topic(PersonalBudget.Allocated)  # type: ignore[attr-defined]
        while found := self.recorder.select_notifications(
            start=position, limit=batch_size, topics=[topic], inclusive_of_start=False
        ):
            for notification in found:
                budget: Any = self.repository.get(UUID(str(notification.originator_id)))
                needs = self.assessment(budget.council_ref).eligible_unmet_needs(
                    budget.assessment_version
                )
                cases.append((budget.council_ref, needs, budget.indicative_weekly))
                position = notification.id
        return simulate(candidate, cases)

    def _get(self, aggregate_id: UUID, what: str) -> Any:
        try:
            return self.repository.get(aggregate_id)
        except AggregateNotFoundError:
            raise NotFound(f"no {what} for this person yet", field=what) from None


def _budget_move(
    council_ref: str,
    event: Any,
    source: str,
    step: str,
    kind: str,
    source_account: str,
    yearly: int,
    why: str,
    into: str | None = None,
) -> list[EntryDraft]:
    """A year of money into the person's account (or ``into`` another) from its source, or
    back out for a cut."""
    if yearly == 0:
        return []
    target = into or available(council_ref)
    debit, credit = (source_account, target) if yearly > 0 else (target, source_account)
    return [
        EntryDraft.create(
            idempotency_key=f"budget:{council_ref}:{step}",
            kind=kind,
            legs=[
                {"account": debit, "side": "debit", "amount": abs(yearly)},
                {"account": credit, "side": "credit", "amount": abs(yearly)},
            ],
            effective_at=datetime.combine(event.effective_from, time(), tzinfo=UTC),
            actor=event.actor,
            reason=why,
            budget=council_ref,
            source_document=source,
        )
    ]


__all__ = ["BudgetApplication", "BudgetError", "available", "committed", "contributions"]
