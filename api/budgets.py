"""The budgets routes: the RAS grid, people, assessments, budgets, plans, sign-off, reviews.

Each route declares who may call it: the budgets context's named policy
(``allowed_by(policies.…)``, checked before the body is read, in the policy's words), or its
roles as a first, coarse gate. Who may do what to whose plan, and at which stage, is the
budgets context's (budgets/policies.py), decided in the application the routes call with the
caller's ``Actor``. A person sees only their own record; staff reads of it are logged for
auditors.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja import Router, Status

from api.auth import allowed_by, caller, caller_actor
from api.budget_schemas import (
    AllocationIn,
    AssessmentIn,
    BudgetSummaryOut,
    ContributionIn,
    EligibilityOut,
    GridIn,
    GridVersionOut,
    IndicativeOut,
    PanelDecisionIn,
    PanelReferralIn,
    PersonIn,
    PlanIn,
    ReviewIn,
    RevisionIn,
    SignIn,
    SignOffRulesIn,
    SignOffRulesOut,
    SimulatedOut,
    SimulationIn,
    SimulationOut,
)
from budgets import policies, services
from budgets.domain import Calculation
from budgets.policies import Step
from config.audit import record_read
from ledger.models import Entry
from ledger.money import format_pence

router = Router(tags=["budgets"])


def indicative_out(calculation: Calculation) -> IndicativeOut:
    return IndicativeOut(
        grid_version=calculation.grid_version,
        points=calculation.points,
        weekly_pence=calculation.weekly,
        weekly=format_pence(calculation.weekly),
        explanation=calculation.explanation,
    )


# -- the grid (open to everyone: the council's RAS is transparent)
@router.get("/grid", response=list[GridVersionOut], auth=None)
def grid(request: HttpRequest) -> list[GridVersionOut]:
    versions = services.budget_app().grid_for(caller_actor(request)).versions
    return [GridVersionOut(**v.__dict__) for v in versions]


@router.post(
    "/grid", response={201: GridVersionOut}, auth=allowed_by(policies.check_may_change_grid)
)
def publish_grid(request: HttpRequest, payload: GridIn) -> Status[GridVersionOut]:
    actor = caller_actor(request)
    app = services.budget_app()
    number = app.publish_grid(today=timezone.localdate(), actor=actor, **payload.dict())
    return Status(201, GridVersionOut(**app.grid_for(actor).versions[number - 1].__dict__))


@router.post(
    "/grid/simulation",
    response=SimulationOut,
    auth=allowed_by(policies.check_may_change_grid),
)
def simulate(request: HttpRequest, payload: SimulationIn) -> SimulationOut:
    result = services.budget_app().simulate_grid(actor=caller_actor(request), **payload.dict())
    return SimulationOut(
        rows=[
            SimulatedOut(
                council_ref=r.council_ref,
                indicative_now_pence=r.indicative_now,
                indicative_under_candidate_pence=r.indicative_under_candidate,
                change_pence=r.change,
            )
            for r in result.rows
        ],
        up=result.up,
        down=result.down,
        weekly_change_pence=result.weekly_change,
    )


# -- the council's delegated-authority parameters (open to everyone, like the grid)
def rules_out(request: HttpRequest) -> SignOffRulesOut:
    rules = services.budget_app().sign_off_rules_for(caller_actor(request))
    policy = rules.policy
    return SignOffRulesOut(
        version=rules.version,
        percent_over_indicative=policy.percent_over_indicative,
        weekly_ceiling_pence=policy.weekly_ceiling,
        weekly_ceiling=format_pence(policy.weekly_ceiling),
        spot_check_per_thousand=policy.spot_check_per_thousand,
    )


@router.get("/sign-off-rules", response=SignOffRulesOut, auth=None)
def sign_off_rules(request: HttpRequest) -> SignOffRulesOut:
    return rules_out(request)


@router.post(
    "/sign-off-rules",
    response={201: SignOffRulesOut},
    auth=allowed_by(policies.check_may_publish_sign_off_rules),
)
def publish_sign_off_rules(
    request: HttpRequest, payload: SignOffRulesIn
) -> Status[SignOffRulesOut]:
    """A new version of the parameters, with a fresh random spot-check seed."""
    services.budget_app().publish_sign_off_rules(
        percent_over_indicative=payload.percent_over_indicative,
        weekly_ceiling=payload.weekly_ceiling_pence,
        spot_check_per_thousand=payload.spot_check_per_thousand,
        reason=payload.reason,
        actor=caller_actor(request),
    )
    return Status(201, rules_out(request))


# -- people, assessments and budgets
@router.post(
    "/people", response={201: dict[str, str]}, auth=allowed_by(policies.check_may_register)
)
def register_person(request: HttpRequest, payload: PersonIn) -> Status[dict[str, str]]:
    services.budget_app().register_person(
        today=timezone.localdate(), actor=caller_actor(request), **payload.dict()
    )
    return Status(201, {"council_ref": payload.council_ref})


@router.post(
    "/people/{council_ref}/assessments",
    response={201: EligibilityOut},
    auth=allowed_by(policies.check_may_assess),
)
def assess(request: HttpRequest, council_ref: str, payload: AssessmentIn) -> Status[EligibilityOut]:
    result = services.budget_app().record_assessment(
        council_ref, today=timezone.localdate(), actor=caller_actor(request), **payload.dict()
    )
    return Status(201, EligibilityOut(eligible=result.eligible, reasons=result.reasons))


@router.get("/people/{council_ref}/indicative", response=IndicativeOut)
def indicative(request: HttpRequest, council_ref: str) -> IndicativeOut:
    found = services.budget_app().indicative_for(
        caller_actor(request), council_ref, today=timezone.localdate()
    )
    record_read(caller(request), [council_ref], request.path)  # staff reads only
    return indicative_out(found)


@router.post(
    "/people/{council_ref}/budget",
    response={201: BudgetSummaryOut},
    auth=allowed_by(policies.check_may_set_budget),
)
def allocate(
    request: HttpRequest, council_ref: str, payload: AllocationIn
) -> Status[BudgetSummaryOut]:
    services.allocate(
        council_ref,
        today=timezone.localdate(),
        actor=caller_actor(request),
        weekly=payload.weekly_pence,
        adjustment_reason=payload.adjustment_reason,
        contribution_weekly=payload.contribution_weekly_pence,
        split=payload.split,
        direct_payment_start=payload.direct_payment_start,
    )
    return Status(201, summary(request, council_ref))


@router.post(
    "/people/{council_ref}/budget/revision",
    response=BudgetSummaryOut,
    auth=allowed_by(policies.check_may_set_budget),
)
def revise(request: HttpRequest, council_ref: str, payload: RevisionIn) -> BudgetSummaryOut:
    services.revise(
        council_ref,
        today=timezone.localdate(),
        actor=caller_actor(request),
        weekly=payload.weekly_pence,
        split=payload.split,
        reason=payload.reason,
    )
    return summary(request, council_ref)


@router.post(
    "/people/{council_ref}/budget/contribution",
    response=BudgetSummaryOut,
    auth=allowed_by(policies.check_may_set_budget),
)
def change_contribution(
    request: HttpRequest, council_ref: str, payload: ContributionIn
) -> BudgetSummaryOut:
    """A financial reassessment: the person's weekly contribution from a date (it may go back
    to when their means changed). A direct payment follows from its next unpaid period."""
    services.change_contribution(
        council_ref,
        today=timezone.localdate(),
        actor=caller_actor(request),
        weekly=payload.contribution_weekly_pence,
        effective_from=payload.effective_from,
        reason=payload.reason,
    )
    return summary(request, council_ref)


@router.get("/people/{council_ref}/statement")
def verifiable_statement(request: HttpRequest, council_ref: str) -> dict[str, Any]:
    """The person's statement anyone can check (docs/verify.md): each entry of their budget
    with its inclusion proof against a signed checkpoint, the closing balance, all signed."""
    from ledger import transparency

    services.budget_app().may_see(caller_actor(request), council_ref)  # who may: the policy
    record_read(caller(request), [council_ref], request.path)  # staff reads only
    return transparency.statement(council_ref).as_json()


# -- the plan, sign-off, panel, reviews
@router.post("/people/{council_ref}/plan", response={201: BudgetSummaryOut})
def write_plan(request: HttpRequest, council_ref: str, payload: PlanIn) -> Status[BudgetSummaryOut]:
    services.budget_app().write_plan(
        council_ref,
        parts=payload.parts,
        actor=caller_actor(request),
        as_author=payload.author,
        today=timezone.localdate(),
    )
    return Status(201, summary(request, council_ref))


@router.post(
    "/people/{council_ref}/plan/signatures",
    response=BudgetSummaryOut,
    auth=allowed_by(policies.signing_step),
)
def sign(request: HttpRequest, council_ref: str, payload: SignIn) -> BudgetSummaryOut:
    services.budget_app().sign_plan(council_ref, actor=caller_actor(request), reason=payload.reason)
    return summary(request, council_ref)


@router.post(
    "/people/{council_ref}/plan/panel",
    response=BudgetSummaryOut,
    auth=allowed_by(partial(policies.check_role, step=Step.REFER)),
)
def refer(request: HttpRequest, council_ref: str, payload: PanelReferralIn) -> BudgetSummaryOut:
    services.budget_app().refer_to_panel(
        council_ref, actor=caller_actor(request), note=payload.note
    )
    return summary(request, council_ref)


@router.post(
    "/people/{council_ref}/plan/panel/decision",
    response=BudgetSummaryOut,
    auth=allowed_by(partial(policies.check_role, step=Step.PANEL_DECIDES)),
)
def panel_decides(
    request: HttpRequest, council_ref: str, payload: PanelDecisionIn
) -> BudgetSummaryOut:
    services.budget_app().panel_decides(
        council_ref, actor=caller_actor(request), decision=payload.decision, reasons=payload.reasons
    )
    return summary(request, council_ref)


@router.post("/people/{council_ref}/reviews", response=BudgetSummaryOut)
def review(request: HttpRequest, council_ref: str, payload: ReviewIn) -> BudgetSummaryOut:
    services.budget_app().record_review(
        council_ref, actor=caller_actor(request), today=timezone.localdate(), **payload.dict()
    )
    return summary(request, council_ref)


@router.get("/people/{council_ref}", response=BudgetSummaryOut)
def get_summary(request: HttpRequest, council_ref: str) -> BudgetSummaryOut:
    return summary(request, council_ref)


def entry_out(e: Entry) -> dict[str, str]:
    return {
        "effective_at": e.effective_at.isoformat(),
        "kind": e.kind,
        "amount": format_pence(e.amount),
        "reason": e.reason,
        "reversed": e.reversal_reason if e.reversed_by else "",
    }


def summary(request: HttpRequest, council_ref: str) -> BudgetSummaryOut:
    """What the person's "my budget" shows: the budget, how it was reached, the plan, payments."""
    found = services.person_summary(council_ref, actor=caller_actor(request))
    record_read(caller(request), [council_ref], request.path)  # staff reads only
    budget, plan = found.budget, found.plan
    return BudgetSummaryOut(
        council_ref=council_ref,
        name=found.name,
        weekly_pence=budget.weekly if budget else None,
        weekly=format_pence(budget.weekly) if budget else "",
        indicative=indicative_out(found.calculation) if found.calculation else None,
        breakdown=plan.budget_breakdown() if plan else [],
        plan_versions=len(plan.versions) if plan else 0,
        signed_off=bool(plan and plan.signed_off),
        signatures=dict(plan.signatures) if plan else {},
        panel=plan.panel if plan else None,
        review_due=found.reviews.due_on if found.reviews else None,
        paid=[entry_out(e) for e in found.paid],
        history=[entry_out(e) for e in found.changes],
    )
