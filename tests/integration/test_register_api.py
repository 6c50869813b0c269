"""The register and marketplace over HTTP: public reads, refusals that change nothing."""

from __future__ import annotations

import csv
import io
import json
from datetime import date, timedelta
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from jsonschema import Draft202012Validator

from accreditation.services import accreditation_app
from config.roles import Role
from marketplace.models import EngagementRecord
from tests.integration.helpers import (
    accredited_provider,
    engaged_planner,
    person,
    signed_in,
    staff_of,
)
from tests.unit.test_accreditation import DETAILS, NEWCOMER, PDF, staff_of_provider

pytestmark = pytest.mark.django_db(transaction=True)
TODAY = date.today()


def post(client: Client, path: str, body: dict[str, Any] | None = None, **headers: str) -> Any:
    return client.post(
        path, data=json.dumps(body or {}), content_type="application/json", **headers
    )


def test_the_public_register_needs_no_sign_in_and_validates_against_the_openapi_schema(
    council: Any,
) -> None:
    accredited_provider("1200001")
    anyone = Client()
    page = anyone.get("/api/v1/register/providers")
    assert page.status_code == 200
    spec = anyone.get("/api/v1/openapi.json").json()
    schema = {"$ref": "#/components/schemas/ProviderPage", "components": spec["components"]}
    Draft202012Validator(schema).validate(page.json())
    item = page.json()["items"][0]
    assert item["services"][0]["status"] == "accredited"
    assert [h["step"] for h in item["services"][0]["history"]] == [
        "Applied",
        "AssessmentStarted",
        "Accredited",
    ]
    rows = list(
        csv.reader(io.StringIO(anyone.get("/api/v1/register/register.csv").content.decode()))
    )
    assert rows[0][:4] == ["organisation", "registration", "service", "status"]
    assert rows[1][:4] == [
        "Connect Doncaster",
        "1200001",
        "Independent support planning",
        "accredited",
    ]
    tariff = anyone.get("/api/v1/marketplace/tariff").json()
    assert (
        tariff[0]["support_plan_fee"] == "£450.00" and tariff[0]["annual_review_fee"] == "£200.00"
    )


def test_a_suspension_shows_on_the_register_at_once(council: Any, make_user: Any) -> None:
    planner = accredited_provider("1200002")
    admin = signed_in(make_user, "admin", Role.REGISTER_ADMIN)
    service = Client().get(f"/api/v1/register/providers/{planner}").json()["services"][0]
    response = post(
        admin,
        f"/api/v1/register/accreditations/{service['id']}/suspend",
        {"reason": "Insurance lapsed"},
    )
    assert response.json()["status"] == "suspended"
    now = Client().get(f"/api/v1/register/providers/{planner}").json()["services"][0]
    assert now["status"] == "suspended" and now["history"][-1]["reason"] == "Insurance lapsed"
    assert Client().get("/api/v1/marketplace/search?service=support_planning").json() == []


def test_search_filters_by_area_language_access_and_room(council: Any) -> None:
    accredited_provider("1200003")
    accredited_provider(
        "1200004",
        name="Sheffield Circles",
        details={"areas": ["S1"], "languages": ["Urdu"], "access_needs": []},
        days=30,
    )
    search = lambda q: [m["name"] for m in Client().get(f"/api/v1/marketplace/search?{q}").json()]  # noqa: E731
    assert search("area=DN1 2AB") == ["Connect Doncaster"]
    assert search("area=S1") == ["Sheffield Circles"]
    assert search("language=urdu") == ["Sheffield Circles"]
    assert search("access_need=British Sign Language") == ["Connect Doncaster"]
    assert search("") == ["Connect Doncaster", "Sheffield Circles"]
    assert Client().get("/api/v1/marketplace/search").json()[0]["price"] == "£450.00"
    # Room: a provider whose places are all taken drops out of has_room=true.
    full = accredited_provider("1200006", capacity=1, name="Full Planners")
    engaged_planner("DN-000777", full)
    assert "Full Planners" in search("")
    assert "Full Planners" not in search("has_room=true")
    assert search("has_room=true") == ["Connect Doncaster", "Sheffield Circles"]


def test_choose_accept_and_the_refusals(council: Any, make_user: Any) -> None:
    planner = accredited_provider("1200005", capacity=1)
    sam = person(make_user, "sam", "DN-000123")
    lee = person(make_user, "lee", "DN-000456")
    ours = staff_of(make_user, "priya", planner)
    chosen = post(
        sam,
        "/api/v1/marketplace/engagements",
        {"provider": str(planner), "service": "support_planning"},
        HTTP_IDEMPOTENCY_KEY="c1",
    )
    assert chosen.status_code == 201 and chosen.json()["price"] == "£450.00"
    again = post(
        sam,
        "/api/v1/marketplace/engagements",
        {"provider": str(planner), "service": "support_planning"},
        HTTP_IDEMPOTENCY_KEY="c1",
    )
    assert again.status_code == 200, again.json()
    assert again.json()["id"] == chosen.json()["id"]
    engagement = chosen.json()["id"]
    full = post(
        lee,
        "/api/v1/marketplace/engagements",
        {"provider": str(planner), "service": "support_planning"},
    )
    assert full.status_code == 422 and full.json()["errors"][0]["field"] == "provider"
    assert "no room" in full.json()["detail"]
    # Lee cannot see Sam's engagement, nor choose for Sam.
    assert lee.get("/api/v1/marketplace/engagements").json() == {"items": [], "next_cursor": None}
    assert (
        post(lee, f"/api/v1/marketplace/engagements/{engagement}/end", {"reason": "x"}).status_code
        == 404
    )
    assert (
        post(
            lee,
            "/api/v1/marketplace/engagements",
            {"provider": str(planner), "service": "support_planning", "person": "DN-000123"},
        ).status_code
        == 403
    )
    # Another provider cannot decide it.
    other = accredited_provider("1200006")
    theirs = staff_of(make_user, "mallory", other)
    assert post(theirs, f"/api/v1/marketplace/engagements/{engagement}/accept").status_code == 404
    assert EngagementRecord.objects.get(id=engagement).status == "requested"
    accepted = post(ours, f"/api/v1/marketplace/engagements/{engagement}/accept")
    assert accepted.status_code == 200 and accepted.json()["status"] == "active"
    page = sam.get("/api/v1/marketplace/engagements").json()
    assert [e["status"] for e in page["items"]] == ["active"]


def test_evidence_uploads_are_checked(council: Any, make_user: Any) -> None:
    planner = accredited_provider("1200007")
    ours = staff_of(make_user, "priya", planner)
    url = f"/api/v1/register/providers/{planner}/evidence"
    good = ours.post(
        url,
        {
            "kind": "insurance certificate",
            "file": SimpleUploadedFile("cert.pdf", PDF),
            "expires_on": (TODAY + timedelta(days=90)).isoformat(),
        },
    )
    assert good.status_code == 201 and good.json()["content_type"] == "application/pdf"
    exe = ours.post(
        url,
        {"kind": "insurance certificate", "file": SimpleUploadedFile("cert.pdf", b"MZ\x90\x00")},
    )
    assert exe.status_code == 422 and exe.json()["errors"] == [
        {"field": "file", "message": "must be a PDF, PNG or JPEG"}
    ]
    big = ours.post(
        url,
        {
            "kind": "insurance certificate",
            "file": SimpleUploadedFile("big.pdf", b"%PDF-" + b"0" * (5 * 1024 * 1024)),
        },
    )
    assert big.status_code == 422 and "smaller than 5 MB" in big.json()["detail"]
    other = staff_of(make_user, "mallory", accredited_provider("1200008"))
    assert (
        other.post(
            url, {"kind": "insurance certificate", "file": SimpleUploadedFile("x.pdf", PDF)}
        ).status_code
        == 403
    )
    assert len(accreditation_app().get_provider(planner).evidence) == 1


def test_decisions_need_the_register_administrator(council: Any, make_user: Any) -> None:
    planner = accredited_provider("1200009")
    service = Client().get(f"/api/v1/register/providers/{planner}").json()["services"][0]["id"]
    for role in Role:
        if role is Role.REGISTER_ADMIN:
            continue
        client = signed_in(make_user, f"u-{role.name}", role)
        response = post(
            client, f"/api/v1/register/accreditations/{service}/suspend", {"reason": "r"}
        )
        assert response.status_code == 403, role
    assert (
        post(
            Client(), f"/api/v1/register/accreditations/{service}/suspend", {"reason": "r"}
        ).status_code
        == 401
    )
    assert (
        Client().get(f"/api/v1/register/providers/{planner}").json()["services"][0]["status"]
        == "accredited"
    )


def test_search_shows_an_offer_that_differs_from_the_tariff(council: Any) -> None:
    pid = accredited_provider(
        "1200010",
        service="money_management",
        details={"offers": {"money_management": "£22.50"}},
        days=30,
    )
    [match] = Client().get("/api/v1/marketplace/search?service=money_management").json()
    assert (match["price"], match["tariff_price"]) == ("£22.50", "£25.00")
    assert Client().get(f"/api/v1/register/providers/{pid}").json()["offers"] == {
        "money_management": "£22.50"
    }
    page = Client().get("/find-support/?service=money_management").content.decode()
    assert "Price: £22.50 (this organisation's own price; the council's tariff is £25.00)" in page


def test_a_person_cannot_record_themselves_as_a_worker(council: Any, make_user: Any) -> None:
    planner = accredited_provider("1200011")
    sam = person(make_user, "sam", "DN-000123")
    chosen = post(
        sam,
        "/api/v1/marketplace/engagements",
        {
            "provider": str(planner),
            "service": "support_planning",
            "on_behalf": "worker",
            "consent": "I say so",
        },
    )
    assert chosen.status_code == 201
    assert chosen.json()["on_behalf"] == "person"


def test_renewal_cursor_search_and_csv_inputs(council: Any, make_user: Any) -> None:
    planner = (
        accreditation_app()
        .register_provider(
            actor=NEWCOMER,
            **{**DETAILS, "name": '=HYPERLINK("x")', "registration_number": "1200012"},
        )
        .id
    )
    accredited = accredited_provider("1200013")
    admin = signed_in(make_user, "admin", Role.REGISTER_ADMIN)
    service = Client().get(f"/api/v1/register/providers/{accredited}").json()["services"][0]
    renewed = post(
        admin,
        f"/api/v1/register/accreditations/{service['id']}/renewal",
        {"expires_on": (TODAY + timedelta(days=700)).isoformat(), "reason": "Renewal assessed"},
    )
    assert renewed.status_code == 200 and renewed.json()["status"] == "accredited"
    assert (
        Client().get(f"/api/v1/register/providers/{accredited}").json()["services"][0]["expires_on"]
        == (TODAY + timedelta(days=700)).isoformat()
    )
    assert Client().get("/api/v1/register/providers?cursor=x").status_code == 422
    assert Client().get("/api/v1/marketplace/search?service=bogus").status_code == 422
    accreditation_app().apply(planner, service="support_planning", actor=staff_of_provider(planner))
    rows = list(
        csv.reader(io.StringIO(Client().get("/api/v1/register/register.csv").content.decode()))
    )
    assert [r[0] for r in rows if "HYPERLINK" in r[0]] == ['\'=HYPERLINK("x")']


def test_the_admin_publishes_a_new_checklist_and_assessments_begun_keep_theirs(
    council: Any, make_user: Any
) -> None:
    before = Client().get("/api/v1/register/checklist").json()
    assert before["version"] >= 1 and before["criteria"]
    criteria = [
        *before["criteria"],
        {
            "code": "co-production",
            "title": "Co-produced",
            "description": "Written with people who use services",
        },
    ]
    provider = signed_in(make_user, "priya", Role.PROVIDER_STAFF)
    refused = provider.post(
        "/api/v1/register/checklist", {"criteria": criteria}, content_type="application/json"
    )
    assert refused.status_code == 403
    admin = signed_in(make_user, "admin", Role.REGISTER_ADMIN)
    duplicate = admin.post(
        "/api/v1/register/checklist",
        {"criteria": [criteria[0], criteria[0]]},
        content_type="application/json",
    )
    assert duplicate.status_code == 422
    assert Client().get("/api/v1/register/checklist").json()["version"] == before["version"]
    published = admin.post(
        "/api/v1/register/checklist", {"criteria": criteria}, content_type="application/json"
    )
    assert published.status_code == 201
    assert published.json()["version"] == before["version"] + 1
    assert published.json()["criteria"][-1]["code"] == "co-production"
