"""The API and the pages are two adapters on the budgets context's one door.

For each journey both call the same application command with the caller's ``Actor``; an actor
the policy refuses is refused by both for the same reason (403 and the forbidden page, or the
stage's refusal as a 422 problem and the error summary); and the caseload's queues are the
policies' own stages, row for row.
"""

from __future__ import annotations

import html
import itertools
import json
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from budgets import policies, queries
from budgets.application import BudgetApplication
from budgets.models import CaseRecord
from budgets.plan import Route
from config.actor import Actor
from config.roles import Role
from tests.integration.helpers import (
    accredited_provider,
    person,
    signed_in,
    staff_of,
)
from tests.integration.test_case_forms import (
    ALL_PARTS,
    REF,
    allocated,
    date_input,
    signed_by_worker,
    worker_writes_plan,
)

pytestmark = pytest.mark.django_db(transaction=True)
TODAY = date.today()
API = f"/api/v1/budgets/people/{REF}"
PAGE = f"/cases/{REF}"


def api_post(client: Client, path: str, body: dict[str, Any]) -> Any:
    return client.post(path, data=json.dumps(body, default=str), content_type="application/json")


# What each spied command returns, so the adapters carry on to shape their output.
RETURNS: dict[str, Callable[[BudgetApplication, str], Any]] = {
    "write_plan": lambda _app, _ref: 1,
    "record_review": lambda _app, _ref: TODAY + timedelta(days=365),
    "sign_plan": lambda _app, _ref: Route.DELEGATED,
    "refer_to_panel": lambda _app, _ref: None,
    "panel_decides": lambda _app, _ref: None,
    "allocate": lambda app, ref: app.get_budget(ref),
    "revise": lambda app, ref: app.get_budget(ref),
}


def spy_on(monkeypatch: pytest.MonkeyPatch, name: str) -> list[tuple[str, Actor]]:
    """Replace one command of the application with a recorder of who called it for whom."""
    calls: list[tuple[str, Actor]] = []

    def spy(self: BudgetApplication, council_ref: str, *args: Any, **kwargs: Any) -> Any:
        calls.append((council_ref, kwargs["actor"]))
        return RETURNS[name](self, council_ref)

    monkeypatch.setattr(BudgetApplication, name, spy)
    return calls


# journey: the command, who takes it, the API's request and the page's request
REVISION = {"weekly_pence": 33000, "split": {"council_managed": 33000}, "reason": "Night care"}
JOURNEYS: dict[str, tuple[str, Role, tuple[str, dict[str, Any]], tuple[str, dict[str, Any]]]] = {
    "allocate": (
        "allocate",
        Role.SOCIAL_WORKER,
        (f"{API}/budget", {"split": {"council_managed": 32200}}),
        (
            f"{PAGE}/allocation/",
            {"weekly": "322.00", "council_managed": "322.00", "contribution": "0"},
        ),
    ),
    "revise": (
        "revise",
        Role.SOCIAL_WORKER,
        (f"{API}/budget/revision", REVISION),
        (f"{PAGE}/revision/", {"weekly": "330.00", "council_managed": "330.00", "reason": "x"}),
    ),
    "write the plan": (
        "write_plan",
        Role.SOCIAL_WORKER,
        (f"{API}/plan", {"parts": ALL_PARTS, "author": "worker"}),
        (f"{PAGE}/plan/", ALL_PARTS),
    ),
    "record a review": (
        "record_review",
        Role.SOCIAL_WORKER,
        (
            f"{API}/reviews",
            {"on": TODAY, "outcomes": {"Maintaining personal hygiene": {"scale": 4}}},
        ),
        (
            f"{PAGE}/review/",
            {**date_input("on", TODAY), "hygiene-scale": "4", "nutrition-scale": "4"},
        ),
    ),
    "the worker signs": (
        "sign_plan",
        Role.SOCIAL_WORKER,
        (f"{API}/plan/signatures", {}),
        (f"{PAGE}/worker-sign/", {}),
    ),
    "the team manager signs off": (
        "sign_plan",
        Role.TEAM_MANAGER,
        (f"{API}/plan/signatures", {"reason": "Within the grid"}),
        (f"{PAGE}/manager-sign/", {"reason": "Within the grid"}),
    ),
    "refer to the panel": (
        "refer_to_panel",
        Role.TEAM_MANAGER,
        (f"{API}/plan/panel", {"note": "Two carers"}),
        (f"{PAGE}/refer/", {"reason": "Two carers"}),
    ),
    "the panel decides": (
        "panel_decides",
        Role.PANEL_MEMBER,
        (f"{API}/plan/panel/decision", {"decision": "approved", "reasons": "Needed"}),
        (f"{PAGE}/panel-decide/", {"decision": "approved", "reasons": "Needed"}),
    ),
}


@pytest.mark.parametrize("journey", list(JOURNEYS))
def test_the_api_and_the_page_call_the_same_command_with_the_callers_actor(
    journey: str, worker: Client, make_user: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    command, role, (api_path, api_body), (page_path, page_form) = JOURNEYS[journey]
    assert allocated(worker).status_code == 302
    worker_writes_plan()  # the 6-week review counts from it
    client = signed_in(make_user, f"u-{role.name.lower()}", role)
    calls = spy_on(monkeypatch, command)

    through_api = api_post(client, api_path, api_body)
    assert through_api.status_code in (200, 201), through_api.content
    through_page = client.post(page_path, page_form)
    assert through_page.status_code == 302, through_page.content.decode()[:2000]

    assert [ref for ref, _ in calls] == [REF, REF]  # one call each, of the same command
    (_, by_api), (_, by_page) = calls
    assert isinstance(by_api, Actor) and by_api == by_page  # the same actor, built once each
    assert by_api.id == f"u-{role.name.lower()}" and by_api.has(role)


def test_the_api_and_the_pages_read_a_budget_through_the_same_policy(
    worker: Client, make_user: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert allocated(worker).status_code == 302
    worker_writes_plan()
    asked: list[tuple[str, str]] = []
    real = BudgetApplication.may_see

    def may_see(self: BudgetApplication, actor: Actor, council_ref: str) -> Any:
        asked.append((actor.id, council_ref))
        return real(self, actor, council_ref)

    monkeypatch.setattr(BudgetApplication, "may_see", may_see)
    lee = person(make_user, "lee", REF)  # the person themselves
    assert lee.get(API).status_code == 200
    assert lee.get("/my-budget/").status_code == 200
    assert lee.get(f"/my-budget/{REF}/plan.pdf").status_code == 200
    assert worker.get(API).status_code == 200
    assert worker.get(f"{PAGE}/").status_code == 200
    assert asked == [("lee", REF)] * 3 + [("alex", REF)] * 2
    # Another person is told there is no such person, by both.
    sam = person(make_user, "sam", "DN-000123")
    assert sam.get(API).status_code == 404
    assert sam.get(f"/my-budget/{REF}/plan.pdf").status_code == 404
    assert asked[-2:] == [("sam", REF)] * 2


def forbidden_reason(response: Any) -> str:
    page = response.content.decode()
    assert response.status_code == 403 and "You cannot use this page" in page
    start = page.index('data-testid="forbidden-reason">') + len('data-testid="forbidden-reason">')
    return page[start : page.index("</p>", start)]


def page_says(response: Any) -> str:
    """The forbidden page's reason, as the reader reads it (HTML entities decoded)."""
    return html.unescape(forbidden_reason(response))


def test_an_actor_the_policy_refuses_is_refused_by_both_for_the_same_reason(
    worker: Client, make_user: Any
) -> None:
    assert allocated(worker).status_code == 302
    sol = staff_of(make_user, "sol", accredited_provider("1600077", name="Elsewhere"))
    lee_elsewhere = person(make_user, "sam", "DN-000123")  # someone else's plan
    writes = "you may write this plan only as its person, their engaged planner or a worker"
    for stranger, author in [(sol, "planner"), (lee_elsewhere, "person")]:
        refused = api_post(stranger, f"{API}/plan", {"parts": ALL_PARTS, "author": author})
        assert refused.status_code == 403 and refused.json()["detail"] == writes
        assert forbidden_reason(stranger.get(f"{PAGE}/plan/")) == writes.capitalize() + "."
        assert forbidden_reason(stranger.post(f"{PAGE}/plan/", ALL_PARTS)) == (
            writes.capitalize() + "."
        )
    worker_writes_plan()
    reviews = "reviews are carried out by a worker or the engaged planner"
    body = {"on": TODAY, "outcomes": {"Maintaining personal hygiene": {"scale": 4}}}
    refused = api_post(sol, f"{API}/reviews", body)
    assert refused.status_code == 403 and refused.json()["detail"] == reviews
    assert forbidden_reason(sol.get(f"{PAGE}/review/")) == reviews.capitalize() + "."
    from budgets.services import budget_app

    assert budget_app().reviews(REF).reviews == []  # nothing recorded by either


def test_a_step_out_of_its_stage_is_refused_by_both_for_the_same_reason(
    worker: Client, make_user: Any
) -> None:
    from budgets.services import budget_app

    assert allocated(worker).status_code == 302
    worker_writes_plan()
    manager = signed_in(make_user, "jo", Role.TEAM_MANAGER)
    panel = signed_in(make_user, "chris", Role.PANEL_MEMBER)
    for client, api_path, body, page_path, form, why in [
        # The team manager before the social worker has signed.
        (
            manager,
            "plan/signatures",
            {},
            "manager-sign",
            {},
            policies.NOT_NOW[policies.Stage.PLAN_WRITTEN],
        ),
        (manager, "plan/panel", {}, "refer", {}, policies.NOT_NOW[policies.Stage.PLAN_WRITTEN]),
        # The panel, with nothing referred to it.
        (
            panel,
            "plan/panel/decision",
            {"decision": "approved", "reasons": "x"},
            "panel-decide",
            {"decision": "approved", "reasons": "x"},
            policies.NOT_NOW[policies.Stage.PLAN_WRITTEN],
        ),
    ]:
        refused = api_post(client, f"{API}/{api_path}", body)
        assert refused.status_code == 422 and refused.json()["errors"] == [
            {"field": "plan", "message": why}
        ]
        page = client.post(f"{PAGE}/{page_path}/", form)
        # The same reason, as the page writes it: a sentence (frontend.forms.sentence).
        assert page.status_code == 400 and why[:1].upper() + why[1:] in page.content.decode()
    plan = budget_app().plan(REF)
    assert plan.signatures == {} and plan.panel is None  # nothing recorded by either
    # The social worker's signature moves the plan on: now the team manager's turn, not the
    # panel's, on both.
    signed_by_worker_now = api_post(worker, f"{API}/plan/signatures", {})
    assert signed_by_worker_now.status_code == 200
    why = policies.NOT_NOW[policies.Stage.WAITING_FOR_MANAGER]
    refused = api_post(panel, f"{API}/plan/panel/decision", {"decision": "good", "reasons": "x"})
    assert refused.status_code == 422 and refused.json()["errors"][0]["message"] == why
    page = panel.post(f"{PAGE}/panel-decide/", {"decision": "good", "reasons": "x"})
    assert page.status_code == 400 and why[:1].upper() + why[1:] in page.content.decode()


def test_the_case_page_offers_the_buttons_the_policy_allows(worker: Client, make_user: Any) -> None:
    signed_by_worker(worker)
    manager = signed_in(make_user, "jo", Role.TEAM_MANAGER)
    panel = signed_in(make_user, "chris", Role.PANEL_MEMBER)
    assert f"{PAGE}/worker-sign/" not in worker.get(f"{PAGE}/").content.decode()  # signed
    page = manager.get(f"{PAGE}/").content.decode()
    assert f"{PAGE}/refer/" in page  # the team manager's turn
    assert f"{PAGE}/panel-decide/" not in panel.get(f"{PAGE}/").content.decode()


def test_the_queues_are_the_policies_stages_row_for_row(stores: Any) -> None:
    """Every combination of a case record's plan columns: each stage's filter, and the
    sign-off and panel queues, pick exactly the rows policies.stage puts at that stage."""
    stores.new()  # no events: the caseload's catch-up adds no case of its own
    today = timezone.localdate()
    rows = []
    for n, (versions, worker_signed, signed_off, why, decision) in enumerate(
        itertools.product(
            (0, 1), ("", "alex"), (False, True), ("", "exceptional", "spot check"), ("", "good")
        )
    ):
        rows.append(
            CaseRecord.objects.create(
                council_ref=f"Q-{n}",
                name=f"Case {n}",
                registered_at=timezone.now(),
                assessed=True,
                eligible=True,
                weekly=32200,
                plan_versions=versions,
                worker_signed_by=worker_signed,
                signed_off=signed_off,
                panel_why=why,
                panel_decision=decision,
                review_due=today + timedelta(days=n - 20),
            )
        )
    everyone = CaseRecord.objects.all()
    for stage in queries.STAGE_FILTERS:
        expected = {r.council_ref for r in rows if queries.stage_of(r) is stage}
        assert expected, stage  # each stage is among the rows
        assert set(queries.at_stage(everyone, stage).values_list("council_ref", flat=True)) == (
            expected
        ), stage
    alex = Actor(id="alex", roles=frozenset({Role.TEAM_MANAGER}))
    for queue, stage in [
        ("sign-off", policies.TURNS[policies.Step.MANAGER_SIGNS].at),
        ("panel", policies.TURNS[policies.Step.PANEL_DECIDES].at),
    ]:
        _, cases = queries.caseload(queue, actor=alex, today=today)
        assert {c.council_ref for c in cases} == {
            r.council_ref for r in rows if queries.stage_of(r) is stage
        }
    for queue, rule in [
        ("due-soon", policies.review_due_soon),
        ("overdue", policies.review_overdue),
    ]:
        _, cases = queries.caseload(queue, actor=alex, today=today)
        assert {c.council_ref for c in cases} == {
            r.council_ref for r in rows if rule(r.review_due, today)
        }


# -- the rest of the budgets context: the person's record, the assessment, the parameters
PERSON_BODY = {
    "council_ref": REF,
    "name": "Lee Hart",
    "date_of_birth": "1955-06-01",
    "nhs_number": "9434765919",
    "has_capacity": True,
}
ASSESSMENT_BODY = {
    "own_words": {"day_in_my_life": "Up at seven."},
    "outcomes": {
        "hygiene": {
            "need_without_support": "Cannot get in or out of the bath",
            "met_by_strengths": "",
            "unmet_severity": "substantial",
            "risk": "high",
        }
    },
    "arises_from_impairment": True,
    "significant_impact": True,
}
GRID_BODY = {
    "effective_from": (TODAY + timedelta(days=30)).isoformat(),
    "points": None,  # filled with the demo's points below
    "pence_per_point": 2400,
    "reason": "The council's new rates",
}
RULES_BODY = {
    "percent_over_indicative": 15,
    "weekly_ceiling_pence": 90000,
    "spot_check_per_thousand": 20,
    "reason": "Agreed at the budget board",
}
RULES_FORM = {
    "percent_over_indicative": "15",
    "weekly_ceiling": "£900.00",
    "spot_check_per_thousand": "20",
    "reason": "Agreed at the budget board",
}
# journey: the command, who takes it, what the spy returns, the API's and the page's request
SETTINGS_JOURNEYS: dict[str, tuple[str, Role, Any, tuple[str, Any], tuple[str, Any]]] = {
    "register a person": (
        "register_person",
        Role.SOCIAL_WORKER,
        None,
        ("/api/v1/budgets/people", PERSON_BODY),
        ("/cases/new/", "REGISTRATION"),
    ),
    "record an assessment": (
        "record_assessment",
        Role.SOCIAL_WORKER,
        "eligible",
        (f"{API}/assessments", ASSESSMENT_BODY),
        (f"{PAGE}/assessment/", "ASSESSMENT"),
    ),
    "publish the grid": (
        "publish_grid",
        Role.TEAM_MANAGER,
        1,
        ("/api/v1/budgets/grid", GRID_BODY),
        ("/budgets/grid/change/", "GRID"),
    ),
    "publish the sign-off rules": (
        "publish_sign_off_rules",
        Role.TEAM_MANAGER,
        1,
        ("/api/v1/budgets/sign-off-rules", RULES_BODY),
        ("/budgets/sign-off/", RULES_FORM),
    ),
}


def settings_forms(name: str) -> Any:
    from budgets.domain import DEMO_POINTS
    from tests.integration.test_case_forms import ASSESSMENT, REGISTRATION
    from tests.integration.test_grid_pages import grid_form

    if name == "GRID":
        return grid_form(
            pence_per_point="24.00",
            publish="1",
            reason="The council's new rates",
            **date_input("effective_from", TODAY + timedelta(days=30)),
        )
    if name == "GRID_BODY":
        return {**GRID_BODY, "points": DEMO_POINTS}
    return {"REGISTRATION": REGISTRATION, "ASSESSMENT": ASSESSMENT}[name]


def spy_on_any(monkeypatch: pytest.MonkeyPatch, name: str, returns: Any) -> list[Actor]:
    """Replace one command with a recorder of the actor it was called with."""
    from budgets.people import Eligibility

    calls: list[Actor] = []

    def spy(self: BudgetApplication, *args: Any, **kwargs: Any) -> Any:
        calls.append(kwargs["actor"])
        if returns == "eligible":
            return Eligibility(eligible=True, reasons=["Eligible"])
        return returns

    monkeypatch.setattr(BudgetApplication, name, spy)
    return calls


@pytest.mark.parametrize("journey", list(SETTINGS_JOURNEYS))
def test_registering_assessing_and_publishing_call_the_same_command_with_the_callers_actor(
    journey: str, worker: Client, make_user: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    command, role, returns, (api_path, api_body), (page_path, page_form) = SETTINGS_JOURNEYS[
        journey
    ]
    if command == "record_assessment":
        assert worker.post("/cases/new/", settings_forms("REGISTRATION")).status_code == 302
    client = signed_in(make_user, f"u-{role.name.lower()}", role)
    calls = spy_on_any(monkeypatch, command, returns)

    body = settings_forms("GRID_BODY") if command == "publish_grid" else api_body
    through_api = api_post(client, api_path, body)
    assert through_api.status_code == 201, through_api.content
    form = settings_forms(page_form) if isinstance(page_form, str) else page_form
    through_page = client.post(page_path, form)
    assert through_page.status_code == 302, through_page.content.decode()[:2000]

    assert len(calls) == 2  # one call each, of the same command
    by_api, by_page = calls
    assert isinstance(by_api, Actor) and by_api == by_page  # the same actor, built once each
    assert by_api.id == f"u-{role.name.lower()}" and by_api.has(role)


# journey: who the policy refuses, the API's request, the page, and the policy's words
REFUSALS: dict[str, tuple[Role, tuple[str, dict[str, Any]], str, str]] = {
    "register a person": (
        Role.PANEL_MEMBER,
        ("/api/v1/budgets/people", PERSON_BODY),
        "/cases/new/",
        "a person is registered by a social worker or team manager",
    ),
    "record an assessment": (
        Role.FINANCE_OFFICER,
        (f"{API}/assessments", ASSESSMENT_BODY),
        f"{PAGE}/assessment/",
        "an assessment is recorded by a social worker or team manager",
    ),
    "publish the grid": (
        Role.SOCIAL_WORKER,
        ("/api/v1/budgets/grid", GRID_BODY),
        "/budgets/grid/change/",
        "only a team manager tries or publishes a new RAS grid",
    ),
    "publish the sign-off rules": (
        Role.SOCIAL_WORKER,
        ("/api/v1/budgets/sign-off-rules", RULES_BODY),
        "/budgets/sign-off/",
        "only a team manager changes the council's sign-off rules",
    ),
}


@pytest.mark.parametrize("journey", list(REFUSALS))
def test_an_actor_refused_registering_assessing_or_publishing_is_told_the_same_by_both(
    journey: str, worker: Client, make_user: Any
) -> None:
    from budgets.services import budget_app

    role, (api_path, body), page_path, why = REFUSALS[journey]
    assert worker.post("/cases/new/", settings_forms("REGISTRATION")).status_code == 302
    before = budget_app().recorder.max_notification_id()
    stranger = signed_in(make_user, "stranger", role)
    if api_path.endswith("/grid"):
        body = settings_forms("GRID_BODY")
    refused = api_post(stranger, api_path, body)
    assert refused.status_code == 403
    assert refused.json()["detail"] == why  # the policy's words, as the page says them:
    assert page_says(stranger.get(page_path)) == why[0].upper() + why[1:] + "."
    assert page_says(stranger.post(page_path, {})) == why[0].upper() + why[1:] + "."
    assert budget_app().recorder.max_notification_id() == before  # nothing recorded by either


def test_the_commands_refuse_whoever_calls_them_not_only_the_routes(worker: Client) -> None:
    """The policy is the application's: called directly (a task, the demo, another context),
    a command refuses the actor the route's gate would, and records nothing."""
    from budgets.domain import DEMO_POINTS
    from budgets.policies import NotPermittedError
    from budgets.services import budget_app
    from tests.integration.helpers import staff
    from tests.unit.test_people import PERSON

    app = budget_app()
    before = app.recorder.max_notification_id()
    panel = staff("chris", Role.PANEL_MEMBER)
    alex = staff("alex", Role.SOCIAL_WORKER)
    for command in [
        lambda: app.register_person(today=TODAY, actor=panel, **PERSON),
        lambda: app.record_assessment(REF, today=TODAY, actor=panel, **ASSESSMENT_BODY),
        lambda: app.publish_grid(
            actor=alex,
            effective_from=TODAY + timedelta(days=30),
            today=TODAY,
            points=DEMO_POINTS,
            pence_per_point=2400,
            reason="x",
        ),
        lambda: app.simulate_grid(actor=alex, points=DEMO_POINTS, pence_per_point=2400),
        lambda: app.publish_sign_off_rules(
            actor=alex,
            percent_over_indicative=15,
            weekly_ceiling=90000,
            spot_check_per_thousand=20,
            reason="x",
        ),
        lambda: app.remind_reviews(alex, today=TODAY),
    ]:
        with pytest.raises(NotPermittedError):
            command()
    assert app.recorder.max_notification_id() == before
