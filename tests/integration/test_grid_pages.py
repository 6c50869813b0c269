"""The RAS grid page (open to all) and the team manager's try-then-publish page."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from django.test import Client

from budgets.domain import DEMO_POINTS
from budgets.services import budget_app
from config.roles import Role
from tests.integration.helpers import ALEX, JO, signed_in, six_week_review
from tests.integration.test_case_forms import (
    allocated,
    date_input,
    summary_links,
    worker_writes_plan,
)

pytestmark = pytest.mark.django_db(transaction=True)
TODAY = date.today()


def grid_form(**changes: str) -> dict[str, str]:
    cells = {f"{s}-{r}": str(p) for s, row in DEMO_POINTS.items() for r, p in row.items()}
    return {**cells, "pence_per_point": "23.00", **changes}


def test_anyone_reads_the_grid_in_force(worker: Client) -> None:
    page = Client().get("/budgets/grid/").content.decode()
    assert "Version 1: in force since" in page
    assert "Each point is worth <strong>£23.00 a week</strong>" in page
    assert "9 points" in page  # substantial need, high risk
    assert "Try a new grid" not in page  # only for team managers


def test_a_manager_sees_what_a_grid_would_change_and_nothing_is_saved(
    worker: Client, make_user: Any
) -> None:
    assert allocated(worker).status_code == 302  # one budget: 13 points at £23.00
    manager = signed_in(make_user, "jo", Role.TEAM_MANAGER)
    assert "Try a new grid" in manager.get("/budgets/grid/").content.decode()
    form = manager.get("/budgets/grid/change/").content.decode()
    assert (
        'id="substantial-high" name="substantial-high" type="text" inputmode="numeric" value="9"'
        in form
    )

    page = manager.post("/budgets/grid/change/", grid_form(pence_per_point="25.00", simulate="1"))
    assert page.status_code == 200
    text = page.content.decode()
    assert "Of 1 allocated budget, 1 would go up and 0 down" in text
    assert "rise by £26.00 a week in all" in text  # 13 points x £2.00
    assert len(budget_app().grid().versions) == 1

    bad = manager.post(
        "/budgets/grid/change/", grid_form(**{"substantial-high": "2", "simulate": "1"})
    )
    assert bad.status_code == 400
    assert summary_links(bad.content.decode()) == ["substantial-high"]
    assert "must not score fewer points" in bad.content.decode()


def test_a_manager_publishes_a_grid_from_a_date_with_a_reason(
    worker: Client, make_user: Any
) -> None:
    manager = signed_in(make_user, "jo", Role.TEAM_MANAGER)
    start = TODAY + timedelta(days=30)
    no_reason = manager.post(
        "/budgets/grid/change/", grid_form(publish="1", **date_input("effective_from", start))
    )
    assert no_reason.status_code == 400
    assert summary_links(no_reason.content.decode()) == ["reason"]
    assert len(budget_app().grid().versions) == 1

    published = manager.post(
        "/budgets/grid/change/",
        grid_form(
            publish="1",
            pence_per_point="24.00",
            reason="Care costs rose 4% this year",
            **date_input("effective_from", start),
        ),
    )
    assert published.status_code == 302
    grid = budget_app().grid()
    assert [(v.version, v.effective_from, v.pence_per_point) for v in grid.versions][-1] == (
        2,
        start,
        2400,
    )
    assert "takes effect on" in Client().get("/budgets/grid/").content.decode()


@pytest.mark.parametrize(
    "role", [Role.SOCIAL_WORKER, Role.PERSON, Role.FINANCE_OFFICER, Role.PROVIDER_STAFF]
)
def test_only_team_managers_change_the_grid(worker: Client, make_user: Any, role: Role) -> None:
    client = signed_in(make_user, "someone", role)
    assert client.get("/budgets/grid/change/").status_code == 403
    valid = grid_form(
        publish="1",
        reason="A good reason",
        **date_input("effective_from", TODAY + timedelta(days=30)),
    )
    assert client.post("/budgets/grid/change/", valid).status_code == 403
    assert len(budget_app().grid().versions) == 1


def test_the_change_page_starts_from_a_grid_to_come_and_refuses_odd_numbers(
    council: Any, make_user: Any
) -> None:
    budget_app().publish_grid(
        effective_from=TODAY + timedelta(days=10),
        today=TODAY,
        points=DEMO_POINTS,
        pence_per_point=2300,
        actor=JO,
        reason="The first grid, from next week",
    )
    manager = signed_in(make_user, "jo", Role.TEAM_MANAGER)
    assert 'value="9"' in manager.get("/budgets/grid/change/").content.decode()
    huge = grid_form(**{"substantial-high": "9" * 5000, "pence_per_point": "9" * 5000})
    response = manager.post("/budgets/grid/change/", {**huge, "simulate": "1"})
    assert response.status_code == 400
    assert summary_links(response.content.decode()) == ["pence_per_point"]
    huge["pence_per_point"] = "23.00"
    response = manager.post("/budgets/grid/change/", {**huge, "simulate": "1"})
    assert summary_links(response.content.decode()) == ["substantial-high"]


def test_the_council_sets_its_sign_off_rules_and_sign_off_follows_them(
    worker: Client, make_user: Any
) -> None:
    from budgets.plan import DEMO_POLICY

    before = Client().get("/api/v1/budgets/sign-off-rules").json()
    assert before["version"] == 0  # the demo's defaults until the council sets its own
    assert before["weekly_ceiling_pence"] == DEMO_POLICY.weekly_ceiling
    manager = signed_in(make_user, "jo", Role.TEAM_MANAGER)
    body = {
        "percent_over_indicative": 5,
        "weekly_ceiling_pence": 40000,
        "spot_check_per_thousand": 1000,  # every plan, so the sample is certain here
        "reason": "Budgets tightened after the 2026 review",
    }
    refused = signed_in(make_user, "alex2", Role.SOCIAL_WORKER).post(
        "/api/v1/budgets/sign-off-rules", body, content_type="application/json"
    )
    assert refused.status_code == 403
    bad = manager.post(
        "/api/v1/budgets/sign-off-rules",
        {**body, "percent_over_indicative": 101, "spot_check_per_thousand": -1},
        content_type="application/json",
    )
    assert bad.status_code == 422
    assert [e["field"] for e in bad.json()["errors"]] == [
        "percent_over_indicative",
        "spot_check_per_thousand",
    ]
    published = manager.post(
        "/api/v1/budgets/sign-off-rules", body, content_type="application/json"
    )
    assert published.status_code == 201 and published.json()["version"] == 1
    page = Client().get("/budgets/grid/").content.decode()
    assert "no more than 5% above" in page and "above £400.00 a week" in page
    # Each version draws its own seed for the spot check, and it is never shown.
    seed = budget_app().sign_off_rules().versions[-1]["seed"]
    assert len(seed) == 32 and seed not in page
    assert seed not in Client().get("/api/v1/budgets/sign-off-rules").content.decode()

    # Sign-off now follows them: every signed-off plan is drawn for the panel's spot check.
    assert allocated(worker).status_code == 302
    app = budget_app()
    worker_writes_plan()
    app.sign_plan("DN-000900", actor=ALEX)
    six_week_review("DN-000900")
    app.sign_plan("DN-000900", actor=JO, reason="Within the grid")
    assert app.plan("DN-000900").panel == {
        "why": "spot check",
        "referred_by": "careledger",
        "decision": None,
    }


def test_a_manager_sets_the_sign_off_parameters_on_a_page(worker: Client, make_user: Any) -> None:
    manager = signed_in(make_user, "jo", Role.TEAM_MANAGER)
    form = manager.get("/budgets/sign-off/").content.decode()
    assert 'id="weekly_ceiling" name="weekly_ceiling" type="text" inputmode="decimal"' in form
    bad = manager.post(
        "/budgets/sign-off/",
        {
            "percent_over_indicative": "150",
            "weekly_ceiling": "£900.00",
            "spot_check_per_thousand": "2000",
            "reason": "",
        },
    )
    assert bad.status_code == 400
    assert summary_links(bad.content.decode()) == [
        "percent_over_indicative",
        "spot_check_per_thousand",
        "reason",
    ]
    assert budget_app().sign_off_rules().versions == []
    done = manager.post(
        "/budgets/sign-off/",
        {
            "percent_over_indicative": "15",
            "weekly_ceiling": "£900.00",
            "spot_check_per_thousand": "20",
            "reason": "Agreed at the budget board",
        },
    )
    assert done.status_code == 302
    [version] = budget_app().sign_off_rules().versions
    assert (version["percent_over_indicative"], version["weekly_ceiling"]) == (15, 90000)
    assert version["set_by"] == "jo"
    assert (
        signed_in(make_user, "sw", Role.SOCIAL_WORKER).get("/budgets/sign-off/").status_code == 403
    )
