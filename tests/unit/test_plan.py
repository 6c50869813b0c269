"""The care and support plan and its sign-off, on every side of each threshold."""

from __future__ import annotations

import uuid
from datetime import date

import pytest

from budgets.budget import BudgetFigures
from budgets.domain import BudgetError
from budgets.plan import DEMO_POLICY, REQUIRED_PARTS, Plan, Route, SignOffPolicy

TODAY = date(2026, 11, 25)
PARTS = {key: f"What the plan says about {key}" for key in REQUIRED_PARTS}


def written(dp: int = 0, weekly: int = 32200, **extra: str) -> Plan:
    """A plan written for a budget of ``weekly`` (what it is then signed off at)."""
    plan = Plan("DN-000123")
    plan.write(
        parts={**PARTS, **extra},
        author="planner",
        written_by="priya",
        figures=BudgetFigures(weekly, 4000, dp),
        today=TODAY,
    )
    return plan


def write_again(plan: Plan, **parts: str) -> int:
    """A worker writes a new version of the plan, the budget unchanged."""
    return plan.write(
        parts={**PARTS, **parts},
        author="worker",
        written_by="alex",
        figures=BudgetFigures(32200, 4000, 0),
        today=TODAY,
    )


POLICY = SignOffPolicy(
    percent_over_indicative=10, weekly_ceiling=100_000, spot_check_per_thousand=50
)


@pytest.mark.parametrize(
    ("weekly", "route"),
    [
        (32200, Route.DELEGATED),  # at the indicative figure
        (35420, Route.DELEGATED),  # exactly 10% over: within
        (35421, Route.MANAGER_REASON),  # a penny more: outside
        (100_000, Route.MANAGER_REASON),  # at the ceiling: not yet exceptional
        (100_001, Route.PANEL),  # over the ceiling: panel
        (20000, Route.DELEGATED),  # below the indicative figure
    ],
)
def test_routes_on_each_side_of_each_threshold(weekly: int, route: Route) -> None:
    assert POLICY.route(weekly=weekly, indicative=32200) is route


def test_within_the_parameters_the_worker_and_manager_sign_off() -> None:
    plan = written()
    assert (
        plan.sign(role="social worker", actor="alex", policy=POLICY, weekly=32200, indicative=32200)
        is Route.DELEGATED
    )
    plan.sign(role="team manager", actor="jo", policy=POLICY, weekly=32200, indicative=32200)
    assert plan.signed_off and plan.signatures == {"social worker": "alex", "team manager": "jo"}


def test_outside_them_the_manager_records_why() -> None:
    plan = written(weekly=40000)
    plan.sign(role="social worker", actor="alex", policy=POLICY, weekly=40000, indicative=32200)
    with pytest.raises(BudgetError) as err:
        plan.sign(role="team manager", actor="jo", policy=POLICY, weekly=40000, indicative=32200)
    assert err.value.field == "reason" and not plan.signed_off
    plan.sign(
        role="team manager",
        actor="jo",
        policy=POLICY,
        weekly=40000,
        indicative=32200,
        reason="Two carers for moving and handling",
    )
    assert plan.signed_off


def test_no_one_signs_off_their_own_exception_and_exceptional_budgets_go_to_panel() -> None:
    plan = written(weekly=40000)
    plan.sign(role="social worker", actor="alex", policy=POLICY, weekly=40000, indicative=32200)
    with pytest.raises(BudgetError, match="someone other than the worker") as err:
        plan.sign(
            role="team manager",
            actor="alex",
            policy=POLICY,
            weekly=40000,
            indicative=32200,
            reason="I agree with me",
        )
    assert err.value.field == "actor" and not plan.signed_off
    exceptional = written(weekly=150_000)
    exceptional.sign(
        role="social worker", actor="alex", policy=POLICY, weekly=150_000, indicative=32200
    )
    with pytest.raises(BudgetError, match="refer it to the panel"):
        exceptional.sign(
            role="team manager",
            actor="jo",
            policy=POLICY,
            weekly=150_000,
            indicative=32200,
            reason="ok",
        )
    assert not exceptional.signed_off


def test_the_spot_check_rate_over_many_plans() -> None:
    ids = [uuid.UUID(int=i) for i in range(10_000)]
    sampled = [i for i in ids if DEMO_POLICY.spot_checked(i, seed="2026-27")]
    # 5% of 10,000 is 500; the binomial standard deviation is about 22: allow four.
    assert 413 <= len(sampled) <= 587
    assert sampled == [
        i for i in ids if DEMO_POLICY.spot_checked(i, seed="2026-27")
    ]  # reproducible
    assert sampled != [
        i for i in ids if DEMO_POLICY.spot_checked(i, seed="2027-28")
    ]  # a new sample each year
    assert not any(SignOffPolicy(10, 100_000, 0).spot_checked(i, seed="x") for i in ids)


@pytest.mark.parametrize("missing", list(REQUIRED_PARTS))
def test_a_plan_missing_a_required_part_is_refused(missing: str) -> None:
    plan = Plan("DN-000123")
    with pytest.raises(BudgetError, match="is required") as err:
        plan.write(
            parts={**PARTS, missing: ""},
            author="worker",
            written_by="alex",
            figures=BudgetFigures(1, 0, 0),
            today=TODAY,
        )
    assert err.value.field == f"parts.{missing}"
    assert plan.versions == []


def test_direct_payments_need_their_own_parts_and_the_breakdown_shows_them() -> None:
    with pytest.raises(BudgetError) as err:
        written(dp=20000)
    assert err.value.field == "parts.direct_payment_needs"
    plan = written(
        dp=20000,
        direct_payment_needs="Personal care in the mornings",
        direct_payment_frequency="Every 4 weeks, in advance",
    )
    assert plan.budget_breakdown() == [
        "Your personal budget: £322.00 a week.",
        "The council pays £282.00 a week.",
        "You contribute £40.00 a week, as your financial assessment found.",
        "£200.00 a week of the budget is taken as a direct payment.",
        "Your contribution of £40.00 a week is taken off it, so the council pays £160.00 a week"
        " into your direct-payment account, and you pay your contribution into it yourself.",
        "It is paid every 4 weeks, in advance: £640.00 each time.",
    ]


def test_a_signed_off_plan_is_changed_only_by_review() -> None:
    plan = written()
    plan.sign(role="social worker", actor="alex", policy=POLICY, weekly=32200, indicative=32200)
    plan.sign(role="team manager", actor="jo", policy=POLICY, weekly=32200, indicative=32200)
    with pytest.raises(BudgetError, match="review it to change it"):
        plan.write(
            parts=PARTS,
            author="worker",
            written_by="alex",
            figures=BudgetFigures(1, 0, 0),
            today=TODAY,
        )


def test_a_review_reopens_a_signed_off_plan_for_a_new_version_and_sign_off_again() -> None:
    plan = written()
    with pytest.raises(BudgetError, match="not signed off"):
        plan.reopen_at_review(reviewed_on=TODAY, actor="alex")
    plan.sign(role="social worker", actor="alex", policy=POLICY, weekly=32200, indicative=32200)
    plan.sign(role="team manager", actor="jo", policy=POLICY, weekly=32200, indicative=32200)
    plan.reopen_at_review(reviewed_on=TODAY, actor="alex")
    assert not plan.signed_off and plan.signatures == {}
    write_again(plan, outcomes="Back at the club on Thursdays")
    assert len(plan.versions) == 2
    assert plan.versions[0]["parts"]["outcomes"] == PARTS["outcomes"]  # the first is kept
    with pytest.raises(BudgetError, match="social worker signs first"):
        plan.sign(role="team manager", actor="jo", policy=POLICY, weekly=32200, indicative=32200)


def test_a_new_version_is_signed_anew() -> None:
    plan = written()
    plan.sign(role="social worker", actor="alex", policy=POLICY, weekly=32200, indicative=32200)
    write_again(plan, contingency="Call Sam's daughter first")
    assert plan.signatures == {}
    with pytest.raises(BudgetError, match="social worker signs first"):
        plan.sign(role="team manager", actor="jo", policy=POLICY, weekly=32200, indicative=32200)


def test_a_plan_with_the_panel_is_not_reopened_until_it_decides() -> None:
    plan = written()
    plan.sign(role="social worker", actor="alex", policy=POLICY, weekly=32200, indicative=32200)
    plan.sign(role="team manager", actor="jo", policy=POLICY, weekly=32200, indicative=32200)
    plan.refer_to_panel(why="spot check", actor="careledger")
    version = plan.version
    with pytest.raises(BudgetError, match="with the panel"):
        plan.reopen_at_review(reviewed_on=TODAY, actor="alex")
    assert plan.version == version and plan.signed_off


def test_an_exceptional_budget_is_decided_by_the_panel_with_reasons() -> None:
    plan = written(weekly=150_000)
    plan.sign(role="social worker", actor="alex", policy=POLICY, weekly=150_000, indicative=32200)
    plan.refer_to_panel(why="exceptional", actor="jo", note="Needs two carers day and night")
    with pytest.raises(BudgetError, match="already with the panel"):
        plan.refer_to_panel(why="exceptional", actor="jo")
    with pytest.raises(BudgetError, match="must not have signed"):
        plan.panel_decides(decision="approved", actor="alex", reasons="I think so")
    with pytest.raises(BudgetError, match="must be approved or not approved"):
        plan.panel_decides(decision="good", actor="chris", reasons="x")
    plan.panel_decides(
        decision="approved",
        actor="chris",
        reasons="Risks at night are high; no cheaper safe option",
    )
    assert plan.signed_off and plan.panel is not None and plan.panel["decided_by"] == "chris"


def test_a_spot_check_records_findings_without_deciding_the_budget() -> None:
    plan = written()
    plan.sign(role="social worker", actor="alex", policy=POLICY, weekly=32200, indicative=32200)
    plan.sign(role="team manager", actor="jo", policy=POLICY, weekly=32200, indicative=32200)
    plan.refer_to_panel(why="spot check", actor="careledger")
    plan.panel_decides(
        decision="needs improvement",
        actor="chris",
        reasons="Outcomes are not in the person's words",
    )
    assert plan.panel is not None and plan.panel["decision"] == "needs improvement"
    with pytest.raises(BudgetError, match="not waiting for the panel"):
        plan.panel_decides(decision="good", actor="chris", reasons="again")


def test_no_new_version_while_the_panel_has_the_plan() -> None:
    plan = written()
    plan.sign(role="social worker", actor="alex", policy=POLICY, weekly=32200, indicative=32200)
    plan.refer_to_panel(why="exceptional", actor="jo", note="Two carers day and night")
    with pytest.raises(BudgetError, match="with the panel"):
        write_again(plan)
    assert len(plan.versions) == 1 and plan.signatures == {"social worker": "alex"}


def test_the_team_manager_signs_off_only_once_the_six_week_review_is_recorded() -> None:
    plan = written()
    plan.sign(role="social worker", actor="alex", policy=POLICY, weekly=32200, indicative=32200)
    with pytest.raises(BudgetError, match="record the review first") as err:
        plan.sign(
            role="team manager",
            actor="jo",
            policy=POLICY,
            weekly=32200,
            indicative=32200,
            reviewed=False,
        )
    assert err.value.field == "plan" and not plan.signed_off
    plan.sign(role="team manager", actor="jo", policy=POLICY, weekly=32200, indicative=32200)
    assert plan.signed_off


def test_a_version_is_signed_off_only_at_the_budget_it_carries() -> None:
    plan = written(weekly=32200)
    plan.sign(role="social worker", actor="alex", policy=POLICY, weekly=32200, indicative=32200)
    with pytest.raises(BudgetError, match="write the plan anew") as err:
        plan.sign(role="team manager", actor="jo", policy=POLICY, weekly=35000, indicative=32200)
    assert err.value.field == "plan" and not plan.signed_off


def test_the_first_draft_starts_from_the_assessment() -> None:
    from budgets.plan import first_draft

    draft = first_draft(
        {
            "outcomes": [
                {
                    "outcome": "hygiene",
                    "need_without_support": "Cannot wash alone",
                    "met_by_strengths": "",
                    "unmet_severity": "substantial",
                    "risk": "high",
                },
                {
                    "outcome": "nutrition",
                    "need_without_support": "",
                    "met_by_strengths": "",
                    "unmet_severity": None,
                    "risk": None,
                },
            ],
            "own_words": {"important_to_me": "My garden", "good_days": ""},
            "reasons": ["Arises from an impairment.", "Significant impact."],
        }
    )
    assert draft == {
        "needs": (
            "Maintaining personal hygiene: Cannot wash alone. Left unmet: substantial, high risk."
        ),
        "eligibility": "Arises from an impairment. Significant impact.",
        "outcomes": "What is important to me: My garden",
    }
