"""Allocating and revising a personal budget, each a ledger entry posted exactly once."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any
from uuid import uuid4

import pytest

from budgets import services
from budgets.domain import DEMO_PENCE_PER_POINT, DEMO_POINTS, BudgetError
from budgets.policies import WORKERS
from budgets.services import allocate, budget_app, revise
from config.actor import Actor
from config.errors import Conflict, NotFound
from config.roles import Role
from ledger import models, queries
from ledger.services import catch_up, ledger_app
from tests.conftest import draft
from tests.integration.helpers import ALEX, JO, assessed_person, six_week_review, staff
from tests.unit.test_people import SAM_OUTCOMES

pytestmark = pytest.mark.django_db(transaction=True)
TODAY = date.today()


@pytest.fixture
def sam(stores: Any) -> str:
    stores.new()
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
    app = budget_app()
    app.publish_grid(
        effective_from=TODAY - timedelta(days=30),
        today=TODAY,
        points=DEMO_POINTS,
        pence_per_point=DEMO_PENCE_PER_POINT,
        actor=staff("council", Role.TEAM_MANAGER),
        reason="Grid 2026-1",
    )
    return assessed_person("DN-000123")


def council_managed(
    ref: str, weekly: int | None = None, *, actor: Actor = ALEX, reason: str = ""
) -> None:
    """Allocate the budget (the indicative £322.00 unless given), all managed by the council."""
    allocate(
        ref,
        today=TODAY,
        actor=actor,
        weekly=weekly,
        adjustment_reason=reason,
        contribution_weekly=0,
        split={"council_managed": weekly or 32200},
        direct_payment_start=None,
    )


def balance(code: str) -> int:
    catch_up()
    return queries.account_by_code(code).normal_balance


def test_allocation_is_the_councils_part_and_the_contribution_an_entry_each(sam: str) -> None:
    assert budget_app().indicative(sam, today=TODAY).weekly == 32200
    choices = {
        "today": TODAY,
        "actor": ALEX,
        "weekly": None,
        "adjustment_reason": "",
        "contribution_weekly": 4000,
        "split": {"direct_payment": 20000, "council_managed": 12200},
        "direct_payment_start": TODAY + timedelta(days=7),
    }
    budget = allocate(sam, **choices)
    assert (budget.weekly, budget.grid_version, budget.split.direct_payment) == (32200, 1, 20000)
    assert balance("PB:DN-000123:AVAILABLE") == 32200 * 52
    allocate(sam, **choices)  # a retry: no second entry
    # The council's part from the care fund, and Sam's contribution as owed by him.
    entries = {e.kind: e for e in models.Entry.objects.filter(budget=sam)}
    assert set(entries) == {"allocation", "contribution"}
    assert "£322.00 a week, from RAS grid version 1" in entries["allocation"].reason
    assert "the council pays £282.00 a week" in entries["allocation"].reason
    legs = ledger_app().get_entry(entries["allocation"].id).legs
    assert {(leg.account, leg.amount) for leg in legs} == {
        ("COUNCIL:CARE-FUND", 28200 * 52),
        ("PB:DN-000123:AVAILABLE", 28200 * 52),
    }
    assert balance("CONTRIBUTION:DN-000123:DUE") == 4000 * 52
    with pytest.raises(Conflict, match="already allocated: revise it instead"):
        allocate(sam, **{**choices, "weekly": 40000, "adjustment_reason": "More care"})
    assert budget_app().get_budget(sam).weekly == 32200
    assert models.Entry.objects.filter(budget=sam).count() == 2


def test_revisions_and_the_rule_against_cuts_without_reassessment(sam: str) -> None:
    council_managed(sam, weekly=33000, reason="Two carers needed for moving and handling")
    assert balance("PB:DN-000123:AVAILABLE") == 33000 * 52
    revise(
        sam,
        today=TODAY,
        actor=staff("teammanager", Role.TEAM_MANAGER),
        weekly=35000,
        split={"council_managed": 35000},
        reason="Six-week review: night support needed",
    )
    assert balance("PB:DN-000123:AVAILABLE") == 35000 * 52
    before = models.Entry.objects.count()
    with pytest.raises(BudgetError, match="cannot cut a budget without a reassessment"):
        revise(
            sam,
            today=TODAY,
            actor=staff("teammanager", Role.TEAM_MANAGER),
            weekly=30000,
            split={"council_managed": 30000},
            reason="Saving money",
        )
    catch_up()
    assert models.Entry.objects.count() == before and budget_app().get_budget(sam).weekly == 35000
    budget_app().record_assessment(
        sam,
        today=TODAY,
        actor=ALEX,
        own_words={"day_in_my_life": "Recovering well"},
        outcomes=SAM_OUTCOMES,
        arises_from_impairment=True,
        significant_impact=True,
    )
    revise(
        sam,
        today=TODAY,
        actor=staff("teammanager", Role.TEAM_MANAGER),
        weekly=30000,
        split={"council_managed": 30000},
        reason="Reassessed: fewer needs",
    )
    assert balance("PB:DN-000123:AVAILABLE") == 30000 * 52
    kinds = list(
        models.Entry.objects.filter(budget=sam).order_by("position").values_list("kind", flat=True)
    )
    assert kinds == ["allocation", "adjustment", "adjustment"]


@pytest.mark.parametrize(
    ("choices", "field"),
    [
        (
            {"weekly": 40000, "adjustment_reason": "", "split": {"council_managed": 40000}},
            "adjustment_reason",
        ),
        (
            {"split": {"direct_payment": 32200}, "direct_payment_start": None},
            "direct_payment_start",
        ),
        ({"split": {"council_managed": 10000}}, "split"),
        ({"contribution_weekly": 50000}, "contribution_weekly"),
        # A bad part is refused once, not also as a direct payment with no start date.
        ({"split": {"direct_payment": -5, "council_managed": 32200}}, "split.direct_payment"),
    ],
)
def test_bad_allocations_are_refused_and_nothing_is_recorded(
    sam: str, choices: dict[str, Any], field: str
) -> None:
    base = {
        "today": TODAY,
        "actor": ALEX,
        "weekly": None,
        "adjustment_reason": "",
        "contribution_weekly": 0,
        "split": {"council_managed": 32200},
        "direct_payment_start": None,
    }
    with pytest.raises(BudgetError) as err:
        allocate(sam, **{**base, **choices})
    assert [e.field for e in err.value.all()] == [field]  # that one refusal, and no other
    catch_up()
    assert not models.Entry.objects.filter(budget=sam).exists()


def test_plan_sign_off_and_reviews_through_the_application(sam: str, monkeypatch: Any) -> None:
    from budgets.domain import BudgetError as Refused
    from budgets.plan import REQUIRED_PARTS, Route
    from budgets.tasks import remind_reviews_due

    allocate(
        sam,
        today=TODAY,
        actor=ALEX,
        weekly=None,
        adjustment_reason="",
        contribution_weekly=4000,
        split={"direct_payment": 32200},
        direct_payment_start=TODAY + timedelta(days=7),
    )
    connect = uuid4()  # the marketplace's answer: Connect is the planner Sam engaged
    monkeypatch.setattr(services, "_engaged_planner_of", lambda p, ref: (p, ref) == (connect, sam))
    app = budget_app()
    priya = staff("priya", Role.PROVIDER_STAFF, organisation=connect)
    parts = {key: f"About {key}" for key in REQUIRED_PARTS}
    with pytest.raises(Refused) as err:  # the budget has a direct payment: its parts are required
        app.write_plan(sam, parts=parts, actor=priya, as_author="planner", today=TODAY)
    assert err.value.field == "parts.direct_payment_needs"
    with pytest.raises(NotFound):
        app.plan(sam)  # the refused plan left nothing behind
    parts |= {"direct_payment_needs": "Personal care", "direct_payment_frequency": "Every 4 weeks"}
    assert app.write_plan(sam, parts=parts, actor=priya, as_author="planner", today=TODAY) == 1
    assert app.plan(sam).budget_breakdown()[1] == "The council pays £282.00 a week."
    assert app.sign_plan(sam, actor=ALEX) is Route.DELEGATED
    with pytest.raises(Refused, match="someone other than the worker"):
        # alex holds both roles: as team manager he may not sign off what he signed as worker
        app.sign_plan(sam, actor=staff("alex", *WORKERS), as_role="team manager")
    assert app.plan(sam).signatures == {"social worker": "alex"}  # nothing changed
    assert not app.plan(sam).signed_off
    with pytest.raises(Refused, match="record the review first"):
        app.sign_plan(sam, actor=JO)  # not before the 6-week review
    assert not app.plan(sam).signed_off
    assert app.reviews(sam).due_on == TODAY + timedelta(weeks=6)
    assert remind_reviews_due() == 0  # six weeks away: too early to remind
    system = Actor.system()  # the daily job
    assert app.remind_reviews(system, today=TODAY + timedelta(weeks=5)) == 1  # within two weeks
    assert app.remind_reviews(system, today=TODAY + timedelta(weeks=5, days=1)) == 0  # once
    six_week_review(sam)
    assert app.reviews(sam).due_on == TODAY + timedelta(days=365)
    app.sign_plan(sam, actor=JO)  # in conversation at the review
    assert app.plan(sam).signed_off


def test_a_signed_off_plan_drawn_for_the_spot_check_goes_to_the_panel(sam: str) -> None:
    from budgets.plan import REQUIRED_PARTS, SignOffPolicy

    council_managed(sam)
    app = budget_app()
    app.write_plan(sam, parts={k: "x" for k in REQUIRED_PARTS}, actor=ALEX, today=TODAY)
    always = SignOffPolicy(
        percent_over_indicative=10, weekly_ceiling=100_000, spot_check_per_thousand=1000
    )
    app.sign_plan(sam, actor=ALEX, policy=always)
    six_week_review(sam)
    app.sign_plan(sam, actor=JO, policy=always, spot_check_seed="2026-27")
    panel = app.plan(sam).panel
    assert panel is not None and (panel["why"], panel["decision"]) == ("spot check", None)


def test_what_a_candidate_grid_would_change(sam: str) -> None:
    from budgets.domain import DEMO_POINTS

    council_managed(sam)
    richer = {s: {r: p + 1 for r, p in row.items()} for s, row in DEMO_POINTS.items()}
    result = budget_app().simulate_grid(actor=JO, points=richer, pence_per_point=2300)
    [row] = result.rows
    assert (row.council_ref, row.indicative_now, row.indicative_under_candidate) == (
        sam,
        32200,
        17 * 2300,
    )
    assert (result.up, result.down, result.weekly_change) == (1, 0, 17 * 2300 - 32200)
    assert len(budget_app().grid().versions) == 1  # a simulation publishes nothing
    with pytest.raises(BudgetError):
        budget_app().simulate_grid(actor=JO, points=richer, pence_per_point=0)


def test_my_budget_shows_the_person_how_it_was_reached_and_what_was_paid(
    sam: str, make_user: Any
) -> None:
    from django.test import Client

    from budgets.plan import REQUIRED_PARTS
    from config.roles import Role
    from tests.integration.helpers import person, signed_in

    allocate(
        sam,
        today=TODAY,
        actor=ALEX,
        weekly=None,
        adjustment_reason="",
        contribution_weekly=4000,
        split={"council_managed": 32200},
        direct_payment_start=None,
    )
    budget_app().write_plan(
        sam,
        parts={k: f"About {k}" for k in REQUIRED_PARTS},
        actor=ALEX,
        today=TODAY,
    )
    page = person(make_user, "sam", sam).get("/my-budget/").content.decode()
    assert "£322.00 a week" in page
    assert (
        "Maintaining personal hygiene: a substantial need, with high risk to you if it is "
        "not met, scores 9 points." in page
    )
    assert "You contribute £40.00 a week, as your financial assessment found." in page
    assert "Personal budget of £322.00 a week, from RAS grid version 1" in page  # its history
    paid_table = page[page.index("What has been paid") :]
    assert "Nothing yet." in paid_table  # the allocation is not a payment

    ledger = ledger_app()
    ledger.open_account(code=f"DP:{sam}", name="Sam's DP account", type="asset", actor="t")
    paid = ledger.post_entry(
        draft(
            "dp-first",
            [(f"PB:{sam}:AVAILABLE", "debit", 128800), (f"DP:{sam}", "credit", 128800)],
            kind="direct_payment",
            budget=sam,
            reason="Direct payment, 4 weeks in advance",
        )
    )
    ledger.reverse_entry(entry=paid.id, actor="farah", reason="Paid to the wrong account")
    page = person(make_user, "sam2", sam).get("/my-budget/").content.decode()
    assert "Direct payment, 4 weeks in advance" in page and "£1,288.00" in page
    assert "Reversed</strong> Paid to the wrong account" in page
    assert signed_in(make_user, "farah", Role.FINANCE_OFFICER).get("/my-budget/").status_code == 403
    assert Client().get("/my-budget/").status_code == 302


def test_caseload_queues_and_the_case_page_actions(sam: str, make_user: Any) -> None:
    from django.test import Client

    from api.models import PersonalDataRead
    from budgets.plan import REQUIRED_PARTS
    from config.roles import Role
    from tests.integration.helpers import signed_in

    council_managed(sam, weekly=40000, reason="Two carers for moving and handling")
    budget_app().write_plan(sam, parts={k: "x" for k in REQUIRED_PARTS}, actor=ALEX, today=TODAY)
    worker = signed_in(make_user, "alex", Role.SOCIAL_WORKER)
    manager = signed_in(make_user, "jo", Role.TEAM_MANAGER)
    panel = signed_in(make_user, "chris", Role.PANEL_MEMBER)
    assert "Plan written" in worker.get("/cases/").content.decode()
    assert manager.post(f"/cases/{sam}/manager-sign/").status_code == 400  # the worker signs first
    assert worker.post(f"/cases/{sam}/worker-sign/").status_code == 302
    assert (
        worker.post(f"/cases/{sam}/manager-sign/").status_code == 403
    )  # not the worker's to sign off
    assert "Sam Patel" in manager.get("/cases/?queue=sign-off").content.decode()
    refused = manager.post(f"/cases/{sam}/manager-sign/", {"reason": ""})  # outside the parameters
    assert refused.status_code == 400 and b"govuk-error-summary" in refused.content
    assert (
        manager.post(f"/cases/{sam}/refer/", {"reason": "Needs the panel's view"}).status_code
        == 302
    )
    assert "Sam Patel" in panel.get("/cases/?queue=panel").content.decode()
    bad = panel.post(f"/cases/{sam}/panel-decide/", {"decision": "approved", "reasons": ""})
    assert bad.status_code == 400
    assert (
        panel.post(
            f"/cases/{sam}/panel-decide/",
            {"decision": "approved", "reasons": "Two carers are needed"},
        ).status_code
        == 302
    )
    assert budget_app().plan(sam).signed_off
    assert "Plan signed off" in worker.get("/cases/").content.decode()
    assert signed_in(make_user, "farah", Role.FINANCE_OFFICER).get("/cases/").status_code == 403
    assert Client().get("/cases/").status_code == 302
    assert PersonalDataRead.objects.filter(subject=sam, user__username="chris").exists()


def test_a_new_grid_leaves_the_explanation_of_an_allocated_budget_as_it_was(sam: str) -> None:
    from budgets.services import person_summary

    council_managed(sam)
    before = person_summary(sam, actor=ALEX).calculation
    budget_app().publish_grid(
        effective_from=TODAY,
        today=TODAY,
        points=DEMO_POINTS,
        pence_per_point=DEMO_PENCE_PER_POINT * 2,
        actor=staff("council", Role.TEAM_MANAGER),
        reason="Grid 2026-2",
    )
    assert budget_app().indicative(sam, today=TODAY).weekly == 64400  # today's grid doubles
    after = person_summary(sam, actor=ALEX).calculation
    assert after is not None and before is not None
    assert (after.grid_version, after.weekly) == (1, 32200)
    assert after.explanation == before.explanation


def test_refused_allocations_and_cuts_record_nothing_in_either_store(sam: str) -> None:
    base = {
        "today": TODAY,
        "actor": ALEX,
        "adjustment_reason": "Round-the-clock care",
        "contribution_weekly": 0,
        "direct_payment_start": None,
    }
    # A year of this could not be one ledger entry: refused before the budget is saved.
    with pytest.raises(BudgetError, match="must be at most") as err:
        allocate(sam, weekly=20_000_000, split={"council_managed": 20_000_000}, **base)
    assert err.value.field == "weekly"
    with pytest.raises(NotFound):
        budget_app().get_budget(sam)

    allocate(
        sam, weekly=None, split={"council_managed": 32200}, **{**base, "adjustment_reason": ""}
    )
    ledger = ledger_app()
    ledger.open_account(code="PROVIDER:X", name="Provider", type="liability", actor="t")
    spent = 32200 * 52 - 10_000  # all but £100 of the year is spent
    ledger.post_entry(
        draft(
            "spend",
            [("PB:DN-000123:AVAILABLE", "debit", spent), ("PROVIDER:X", "credit", spent)],
            kind="managed_spend",
            budget=sam,
        )
    )
    app = budget_app()
    app.record_assessment(
        sam,
        today=TODAY,
        actor=ALEX,
        own_words={"day_in_my_life": "Managing better"},
        outcomes=SAM_OUTCOMES,
        arises_from_impairment=True,
        significant_impact=True,
    )
    with pytest.raises(BudgetError, match="cannot give back"):
        revise(
            sam,
            today=TODAY,
            actor=ALEX,
            weekly=30000,
            split={"council_managed": 30000},
            reason="Needs less help",
        )
    assert app.get_budget(sam).weekly == 32200
    catch_up()
    assert not models.Entry.objects.filter(budget=sam, kind="adjustment").exists()


def test_a_revision_reopens_a_signed_off_plan_to_be_written_and_signed_again(sam: str) -> None:
    from budgets.plan import REQUIRED_PARTS

    council_managed(sam)
    app = budget_app()
    app.write_plan(sam, parts={k: "x" for k in REQUIRED_PARTS}, actor=ALEX, today=TODAY)
    app.sign_plan(sam, actor=ALEX)
    six_week_review(sam)
    app.sign_plan(sam, actor=JO)
    revise(
        sam,
        today=TODAY,
        actor=ALEX,
        weekly=35000,
        split={"council_managed": 35000},
        reason="More help at night",
    )
    plan = app.plan(sam)
    assert not plan.signed_off and plan.signatures == {}
    app.write_plan(sam, parts={k: "y" for k in REQUIRED_PARTS}, actor=ALEX, today=TODAY)
    assert app.plan(sam).versions[-1]["budget"]["total_weekly"] == 35000


def test_a_team_manager_cannot_sign_off_a_budget_they_set(sam: str) -> None:
    from budgets.plan import REQUIRED_PARTS

    council_managed(sam, weekly=50000, actor=JO, reason="Night care after the fall")
    app = budget_app()
    app.write_plan(sam, parts={k: "x" for k in REQUIRED_PARTS}, actor=ALEX, today=TODAY)
    app.sign_plan(sam, actor=ALEX)
    six_week_review(sam)
    with pytest.raises(BudgetError, match="must not sign off a budget they set") as err:
        app.sign_plan(sam, actor=JO, reason="I agree with myself")
    assert err.value.field == "actor"
    plan = app.plan(sam)
    assert not plan.signed_off and plan.signatures == {"social worker": "alex"}
    app.sign_plan(sam, actor=staff("sue", Role.TEAM_MANAGER), reason="Night care is needed")
    assert app.plan(sam).signed_off
