"""The API and the pages are two adapters on the marketplace's and the register's one door.

For each journey (choose, switch, accept, decline, end, feedback, moderate; apply, evidence,
assess, accredit, refuse, suspend, reinstate, withdraw, renew) both call the same application
command with the caller's ``Actor``; an actor the context's policy refuses is refused by both
for the same reason (403 with the policy's words, and the forbidden page with them); and an
engagement the actor may not see is a 404 from both, as one that does not exist.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from accreditation import payment_accounts
from accreditation.application import AccreditationApplication, Done
from accreditation.models import Evidence
from accreditation.services import accreditation_app
from accreditation.services import catch_up as catch_up_register
from config.actor import Actor
from config.roles import Role
from marketplace.application import MarketplaceApplication
from marketplace.models import EngagementRecord
from marketplace.services import catch_up, marketplace_app
from tests.integration.helpers import (
    accredited_provider,
    person,
    person_actor,
    provider_staff,
    signed_in,
    staff_of,
)
from tests.integration.test_budget_one_door import forbidden_reason

pytestmark = pytest.mark.django_db(transaction=True)
TODAY = date.today()
SAM = "DN-000123"
MARKET = "/api/v1/marketplace/engagements"
REGISTER = "/api/v1/register"
PDF = b"%PDF-1.4 insurance"


def api_post(client: Client, path: str, body: dict[str, Any]) -> Any:
    return client.post(path, data=json.dumps(body, default=str), content_type="application/json")


def date_input(name: str, day: date) -> dict[str, str]:
    return {
        f"{name}-day": str(day.day),
        f"{name}-month": str(day.month),
        f"{name}-year": str(day.year),
    }


Calls = list[tuple[object, Actor]]


def spy_on(monkeypatch: pytest.MonkeyPatch, app: type, name: str, returns: object) -> Calls:
    """Replace one command of the application with a recorder of who called it, on what."""
    calls: Calls = []

    def spy(self: Any, *args: Any, **kwargs: Any) -> Any:
        calls.append((args[0] if args else None, kwargs["actor"]))
        return returns

    monkeypatch.setattr(app, name, spy)
    return calls


@pytest.fixture
def world(council: Any, make_user: Any) -> dict[str, Any]:
    """Sam, his request to Connect Doncaster (and so Connect's accreditation), Connect's staff
    member Priya with one evidence document kept, and the register administrator."""
    planner = accredited_provider("1700001", name="Connect Doncaster")
    other = accredited_provider("1700002", name="Peer Planners")
    sam = person(make_user, "sam", SAM)
    engagement = marketplace_app().choose(
        actor=person_actor(SAM, "sam"),
        provider=planner,
        service="support_planning",
        today=TODAY,
        key="sam-1",
    )
    evidence = accreditation_app().add_evidence(
        planner,
        kind="insurance certificate",
        filename="c.pdf",
        content=PDF,
        expires_on=None,
        today=TODAY,
        actor=provider_staff(planner, "priya"),
    )
    catch_up()
    return {
        "planner": planner,
        "other": other,
        "engagement": engagement,
        "accreditation": accreditation_app().accreditation_of(planner, "support_planning").id,
        "evidence": evidence,
        "sam": sam,
        "priya": staff_of(make_user, "priya", planner),
        "admin": signed_in(make_user, "rae", Role.REGISTER_ADMIN),
    }


# journey: the application, its command, who takes it, what the spied command returns, then
# the API's request and the page's request (each a path and a body, from the world's ids)
Request = Callable[[dict[str, Any]], tuple[str, Any]]
Journey = tuple[type, str, str, Callable[[dict[str, Any]], object], Request, Request]
E = "engagement"
A = "accreditation"
YEAR = TODAY + timedelta(days=365)
JOURNEYS: dict[str, Journey] = {
    "choose": (
        MarketplaceApplication,
        "choose",
        "sam",
        lambda w: w[E],
        lambda w: (MARKET, {"provider": w["other"], "service": "support_planning"}),
        lambda w: (
            "/my-support/choose/",
            {"provider": w["other"], "service": "support_planning", "key": "k"},
        ),
    ),
    "switch": (
        MarketplaceApplication,
        "switch",
        "sam",
        lambda w: w[E],
        lambda w: (f"{MARKET}/{w[E]}/switch", {"provider": w["other"]}),
        lambda w: (
            "/my-support/choose/",
            {"provider": w["other"], "service": "support_planning", "switch": w[E]},
        ),
    ),
    "accept": (
        MarketplaceApplication,
        "accept",
        "priya",
        lambda w: None,
        lambda w: (f"{MARKET}/{w[E]}/accept", {}),
        lambda w: (f"/provider/requests/{w[E]}/accept/", {}),
    ),
    "decline": (
        MarketplaceApplication,
        "decline",
        "priya",
        lambda w: None,
        lambda w: (f"{MARKET}/{w[E]}/decline", {"reason": "Full"}),
        lambda w: (f"/provider/requests/{w[E]}/decline/", {"reason": "Full"}),
    ),
    "end": (
        MarketplaceApplication,
        "end",
        "sam",
        lambda w: None,
        lambda w: (f"{MARKET}/{w[E]}/end", {"reason": "Changed my mind"}),
        lambda w: (f"/my-support/{w[E]}/end/", {"reason": "Changed my mind"}),
    ),
    "feedback": (
        MarketplaceApplication,
        "give_feedback",
        "sam",
        lambda w: None,
        lambda w: (f"{MARKET}/{w[E]}/feedback", {"rating": 5, "comment": "Kind"}),
        lambda w: (f"/my-support/{w[E]}/feedback/", {"rating": "5", "comment": "Kind"}),
    ),
    "moderate": (
        MarketplaceApplication,
        "moderate_feedback",
        "admin",
        lambda w: None,
        lambda w: (f"{MARKET}/{w[E]}/feedback/moderation", {"publish": True}),
        lambda w: (f"/register/admin/feedback/{w[E]}/", {"publish": "yes"}),
    ),
    "apply": (
        AccreditationApplication,
        "apply",
        "priya",
        lambda w: Done(w[A], None),
        lambda w: (f"{REGISTER}/providers/{w['planner']}/applications", {"service": "x"}),
        lambda w: ("/provider/apply/", {"service": "x"}),
    ),
    "add evidence": (
        AccreditationApplication,
        "add_evidence",
        "priya",
        lambda w: w["evidence"],
        lambda w: (
            f"{REGISTER}/providers/{w['planner']}/evidence",
            {"kind": "insurance certificate", "file": SimpleUploadedFile("c.pdf", PDF)},
        ),
        lambda w: (
            "/provider/evidence/",
            {"kind": "insurance certificate", "file": SimpleUploadedFile("c.pdf", PDF)},
        ),
    ),
    "start the assessment": (
        AccreditationApplication,
        "start_assessment",
        "admin",
        lambda w: Done(w[A], None),
        lambda w: (f"{REGISTER}/accreditations/{w[A]}/assessment", {}),
        lambda w: (f"/register/admin/{w[A]}/start/", {}),
    ),
    "assess": (
        AccreditationApplication,
        "assess",
        "admin",
        lambda w: Done(w[A], None),
        lambda w: (
            f"{REGISTER}/accreditations/{w[A]}/criteria",
            {"criterion": "dbs", "met": True, "note": ""},
        ),
        lambda w: (f"/register/admin/{w[A]}/assess/", {"criterion": "dbs", "met": "yes"}),
    ),
    "accredit": (
        AccreditationApplication,
        "accredit",
        "admin",
        lambda w: Done(w[A], None),
        lambda w: (
            f"{REGISTER}/accreditations/{w[A]}/accredit",
            {"expires_on": YEAR, "reason": "Met"},
        ),
        lambda w: (
            f"/register/admin/{w[A]}/accredit/",
            {**date_input("expires_on", YEAR), "reason": "Met"},
        ),
    ),
    "refuse": (
        AccreditationApplication,
        "refuse",
        "admin",
        lambda w: Done(w[A], None),
        lambda w: (f"{REGISTER}/accreditations/{w[A]}/refuse", {"reasons": "No insurance"}),
        lambda w: (f"/register/admin/{w[A]}/refuse/", {"reason": "No insurance"}),
    ),
    **{
        step: (
            AccreditationApplication,
            step,
            "admin",
            lambda w: Done(w[A], None),
            lambda w, step=step: (f"{REGISTER}/accreditations/{w[A]}/{step}", {"reason": "r"}),  # type: ignore[misc]
            # The page's confirmation already given ("this affects N people").
            lambda w, step=step: (  # type: ignore[misc]
                f"/register/admin/{w[A]}/{step}/",
                {"reason": "r", "confirmed": "yes"},
            ),
        )
        for step in ("suspend", "reinstate", "withdraw")
    },
    "renew": (
        AccreditationApplication,
        "renew",
        "admin",
        lambda w: Done(w[A], None),
        lambda w: (
            f"{REGISTER}/accreditations/{w[A]}/renewal",
            {"expires_on": YEAR, "reason": "Renewed"},
        ),
        lambda w: (
            f"/register/admin/{w[A]}/renew/",
            {**date_input("expires_on", YEAR), "reason": "Renewed"},
        ),
    ),
}


@pytest.mark.parametrize("journey", list(JOURNEYS))
def test_the_api_and_the_page_call_the_same_command_with_the_callers_actor(
    journey: str, world: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    app, command, who, returns, api_request, page_request = JOURNEYS[journey]
    client = world[who]
    calls = spy_on(monkeypatch, app, command, returns(world))
    opened: list[Actor] = []  # accrediting asks a worker to open the payment account: not here
    monkeypatch.setattr(
        payment_accounts,
        "request_payment_account",
        lambda provider, *, actor: opened.append(actor),
    )

    path, body = api_request(world)
    if command == "add_evidence":
        through_api = client.post(path, body)  # a multipart form, as the API takes files
    else:
        through_api = api_post(client, path, body)
    assert through_api.status_code in (200, 201), through_api.content
    path, form = page_request(world)
    through_page = client.post(path, form)
    assert through_page.status_code == 302, through_page.content.decode()[:2000]

    assert len(calls) == 2  # one call each, of the same command, on the same thing
    (on_api, by_api), (on_page, by_page) = calls
    assert on_api == on_page
    assert isinstance(by_api, Actor) and by_api == by_page  # the same actor, built once each
    assert by_api.id == {"sam": "sam", "priya": "priya", "admin": "rae"}[who]
    if who == "priya":
        assert by_api.organisation == world["planner"]
    if who == "sam":
        assert by_api.on_behalf_of == ((SAM, "person"),)
    if command == "accredit":
        assert opened == [by_api, by_page]


def test_an_actor_the_policy_refuses_is_refused_by_both_for_the_same_reason(
    world: dict[str, Any], make_user: Any
) -> None:
    planner, engagement = world["planner"], world[E]
    lee = person(make_user, "lee", "DN-000456")  # someone else's choice
    unlinked = signed_in(make_user, "una", Role.PERSON)  # not linked to any person yet
    newcomer = signed_in(make_user, "nat", Role.PROVIDER_STAFF)  # no organisation yet
    choice = {"provider": str(world["other"]), "service": "support_planning", "person": SAM}
    for client, body, why in [
        (
            lee,
            choice,
            "you can only choose for yourself or someone you are nominee or advocate for",
        ),
        (
            unlinked,
            {**choice, "person": ""},
            "your account is not linked to a person yet: ask your social worker to link it",
        ),
    ]:
        refused = api_post(client, MARKET, body)
        assert refused.status_code == 403 and refused.json()["detail"] == why
        page = client.post("/my-support/choose/", {**body, "key": "k"})
        assert forbidden_reason(page) == why.capitalize() + "."
    registered_first = "register your organisation first"
    for api_path, page_path, body in [
        (f"{MARKET}/{engagement}/accept", f"/provider/requests/{engagement}/accept/", {}),
        (
            f"{REGISTER}/providers/{planner}/applications",
            "/provider/apply/",
            {"service": "money_management"},
        ),
    ]:
        refused = api_post(newcomer, api_path, body)
        assert refused.status_code == 403 and refused.json()["detail"] == registered_first
        assert (
            forbidden_reason(newcomer.post(page_path, body)) == "Register your organisation first."
        )
    catch_up()
    assert EngagementRecord.objects.count() == 1  # nothing was chosen by either
    assert EngagementRecord.objects.get(id=engagement).status == "requested"


def test_what_the_actor_may_not_see_is_a_404_from_both_as_if_it_did_not_exist(
    world: dict[str, Any], make_user: Any
) -> None:
    engagement, nowhere = world[E], uuid4()
    lee = person(make_user, "lee", "DN-000456")
    sol = staff_of(make_user, "sol", world["other"])
    unseen: list[tuple[Client, str, str, dict[str, Any]]] = [
        (lee, f"{MARKET}/{{}}/end", "/my-support/{}/end/", {"reason": "x"}),
        (lee, f"{MARKET}/{{}}/feedback", "/my-support/{}/feedback/", {"rating": 5}),
        (sol, f"{MARKET}/{{}}/accept", "/provider/requests/{}/accept/", {}),
        (sol, f"{MARKET}/{{}}/decline", "/provider/requests/{}/decline/", {"reason": "x"}),
    ]
    for client, api_path, page_path, body in unseen:
        for target in (engagement, nowhere):
            refused = api_post(client, api_path.format(target), body)
            assert refused.status_code == 404, (api_path, refused.content)
            assert refused.json()["errors"] == [
                {"field": "engagement", "message": f"no engagement {target}"}
            ]
            assert client.post(page_path.format(target), body).status_code == 404, page_path
    switching = {"provider": str(world["planner"]), "service": "support_planning"}
    assert lee.post("/my-support/choose/", {**switching, "switch": engagement}).status_code == 404
    assert api_post(lee, f"{MARKET}/{engagement}/switch", switching).status_code == 404
    assert lee.get(f"{MARKET}?person={SAM}").json()["items"] == []  # his own people only
    assert sol.get(MARKET).json()["items"] == []  # its own provider's only
    # Evidence: its own organisation's staff and the administrator read it; others, 404.
    catch_up_register()
    kept = Evidence.objects.get(id=world["evidence"])
    assert world["priya"].get(f"/evidence/{kept.id}/").content == PDF
    assert world["admin"].get(f"/evidence/{kept.id}/").content == PDF
    assert sol.get(f"/evidence/{kept.id}/").status_code == 404
    assert sol.get(f"/evidence/{uuid4()}/").status_code == 404
    catch_up()
    assert EngagementRecord.objects.get(id=engagement).status == "requested"


def test_reads_by_the_councils_staff_are_logged_as_before(
    world: dict[str, Any], make_user: Any
) -> None:
    from api.models import PersonalDataRead

    worker = signed_in(make_user, "alex", Role.SOCIAL_WORKER)
    assert [e["id"] for e in worker.get(MARKET).json()["items"]] == [str(world[E])]
    assert PersonalDataRead.objects.filter(user__username="alex", subject=SAM).count() == 1
    world["sam"].get(MARKET)  # a person reading their own: not logged
    assert not PersonalDataRead.objects.filter(user__username="sam").exists()
    assert isinstance(world[E], UUID)
