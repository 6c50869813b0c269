"""The budgets API: a worker assesses and allocates, a planner writes, the manager signs off."""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any

import pytest
from django.test import Client

from budgets.domain import DEMO_PENCE_PER_POINT, DEMO_POINTS
from budgets.plan import REQUIRED_PARTS
from config.roles import Role
from ledger.services import ledger_app
from marketplace.services import marketplace_app
from tests.conftest import draft
from tests.integration.helpers import (
    accredited_provider,
    person,
    person_actor,
    provider_staff,
    signed_in,
    staff_of,
)
from tests.unit.test_people import SAM_OUTCOMES

pytestmark = pytest.mark.django_db(transaction=True)
TODAY = date.today()


def get_json(client: Client, path: str) -> Any:
    return client.get(path).json()


def post(client: Client, path: str, body: dict[str, Any]) -> Any:
    return client.post(path, data=json.dumps(body, default=str), content_type="application/json")


@pytest.fixture
def set_up(council: Any, make_user: Any) -> dict[str, Any]:
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
    manager = signed_in(make_user, "jo", Role.TEAM_MANAGER)
    grid = post(
        manager,
        "/api/v1/budgets/grid",
        {
            "effective_from": TODAY.isoformat(),
            "points": DEMO_POINTS,
            "pence_per_point": DEMO_PENCE_PER_POINT,
            "reason": "Grid 2026-1",
        },
    )
    assert grid.status_code == 201
    return {"manager": manager, "worker": signed_in(make_user, "alex", Role.SOCIAL_WORKER)}


def test_the_journey_through_the_api(set_up: dict[str, Any], make_user: Any) -> None:
    worker, manager = set_up["worker"], set_up["manager"]
    assert Client().get("/api/v1/budgets/grid").json()[0]["pence_per_point"] == 2300  # open to all
    person_body = {
        "council_ref": "DN-000123",
        "name": "Sam Patel",
        "date_of_birth": "1961-05-04",
        "nhs_number": "9434765919",
        "has_capacity": True,
    }
    assert post(worker, "/api/v1/budgets/people", person_body).status_code == 201
    outcomes = {
        k: {kk: vv for kk, vv in v.items() if vv is not None} for k, v in SAM_OUTCOMES.items()
    }
    assessed = post(
        worker,
        "/api/v1/budgets/people/DN-000123/assessments",
        {
            "own_words": {"day_in_my_life": "I get up at seven..."},
            "outcomes": outcomes,
            "arises_from_impairment": True,
            "significant_impact": True,
        },
    )
    assert assessed.status_code == 201 and assessed.json()["eligible"]
    indicative = worker.get("/api/v1/budgets/people/DN-000123/indicative").json()
    assert indicative["weekly"] == "£322.00" and len(indicative["explanation"]) == 4
    allocated = post(
        worker,
        "/api/v1/budgets/people/DN-000123/budget",
        {
            "split": {"direct_payment": 32200},
            "contribution_weekly_pence": 4000,
            "direct_payment_start": (TODAY + timedelta(days=7)).isoformat(),
        },
    )
    assert allocated.status_code == 201
    # A year of £322 a week: the council's £282 from the care fund, Sam's £40 contribution.
    history = allocated.json()["history"]
    assert [(h["kind"], h["amount"]) for h in history] == [
        ("allocation", "£14,664.00"),
        ("contribution", "£2,080.00"),
    ]
    assert allocated.json()["paid"] == []  # an allocation is not a payment

    planner_id = accredited_provider("1800001")
    engagement = marketplace_app().choose(
        actor=person_actor("DN-000123", "sam"),
        person="DN-000123",
        provider=planner_id,
        service="support_planning",
        today=TODAY,
        key="sam-plan",
    )
    marketplace_app().accept(engagement, actor=provider_staff(planner_id, "priya"), today=TODAY)
    planner = staff_of(make_user, "priya", planner_id)
    stranger = staff_of(make_user, "mallory", accredited_provider("1800002"))
    parts = {k: f"About {k}" for k in REQUIRED_PARTS} | {
        "direct_payment_needs": "Personal care",
        "direct_payment_frequency": "Every 4 weeks",
    }
    assert (
        post(
            stranger, "/api/v1/budgets/people/DN-000123/plan", {"parts": parts, "author": "planner"}
        ).status_code
        == 403
    )
    missing = post(
        planner,
        "/api/v1/budgets/people/DN-000123/plan",
        {"parts": {**parts, "contingency": "", "outcomes": ""}, "author": "planner"},
    )
    assert missing.status_code == 422
    assert [e["field"] for e in missing.json()["errors"]] == ["parts.outcomes", "parts.contingency"]
    assert get_json(worker, "/api/v1/budgets/people/DN-000123")["plan_versions"] == 0
    written = post(
        planner, "/api/v1/budgets/people/DN-000123/plan", {"parts": parts, "author": "planner"}
    )
    assert (
        written.status_code == 201
        and written.json()["breakdown"][1] == "The council pays £282.00 a week."
    )
    assert post(worker, "/api/v1/budgets/people/DN-000123/plan/signatures", {}).status_code == 200
    early = post(manager, "/api/v1/budgets/people/DN-000123/plan/signatures", {})
    assert early.status_code == 422 and "record the review first" in early.json()["detail"]
    reviewed = post(
        worker,
        "/api/v1/budgets/people/DN-000123/reviews",
        {"on": TODAY.isoformat(), "outcomes": {"Get out more": {"scale": 4}}},
    )
    assert reviewed.status_code == 200
    signed = post(manager, "/api/v1/budgets/people/DN-000123/plan/signatures", {})
    assert signed.json()["signed_off"] and signed.json()["signatures"] == {
        "social worker": "alex",
        "team manager": "jo",
    }

    sam = person(make_user, "sam", "DN-000123")
    mine = sam.get("/api/v1/budgets/people/DN-000123").json()
    assert (
        mine["weekly"] == "£322.00"
        and mine["review_due"] == (TODAY + timedelta(days=365)).isoformat()  # after the 6-week
    )
    lee = person(make_user, "lee", "DN-000456")
    other = lee.get("/api/v1/budgets/people/DN-000123")
    assert other.status_code == 404
    assert "Sam" not in other.content.decode()  # nothing of the other person's record leaks


def test_each_route_refuses_the_wrong_roles(set_up: dict[str, Any], make_user: Any) -> None:
    provider = signed_in(make_user, "prov", Role.PROVIDER_STAFF)
    finance = signed_in(make_user, "farah", Role.FINANCE_OFFICER)
    for client in (provider, finance):
        assert (
            post(
                client,
                "/api/v1/budgets/grid",
                {
                    "effective_from": TODAY.isoformat(),
                    "points": DEMO_POINTS,
                    "pence_per_point": 1,
                    "reason": "x",
                },
            ).status_code
            == 403
        )
        assert (
            post(
                client,
                "/api/v1/budgets/people",
                {
                    "council_ref": "X",
                    "name": "X",
                    "date_of_birth": "1970-01-01",
                    "nhs_number": "9434765919",
                    "has_capacity": True,
                },
            ).status_code
            == 403
        )
        assert (
            post(
                client,
                "/api/v1/budgets/people/X/plan/panel/decision",
                {"decision": "approved", "reasons": "x"},
            ).status_code
            == 403
        )
    assert post(Client(), "/api/v1/budgets/people", {}).status_code == 401
