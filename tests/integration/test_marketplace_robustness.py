"""Input that would stop a read model is refused or made to fit, never stored to break later."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from accreditation.services import accreditation_app
from config.roles import Role
from marketplace.models import EngagementRecord, Notice
from marketplace.services import catch_up
from tests.integration.helpers import REGISTRAR, accredited_provider, engaged_planner, signed_in

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize(
    ("person", "consent"),
    [("DN-" + "1" * 500, "Agreed at the visit"), ("DN\x00-1", "Agreed"), ("DN-1", "x" * 1001)],
)
def test_a_worker_cannot_choose_for_a_malformed_person_or_with_endless_consent(
    council: Any, make_user: Any, person: str, consent: str
) -> None:
    provider = accredited_provider("1900001")
    worker = signed_in(make_user, "alex", Role.SOCIAL_WORKER)
    response = worker.post(
        "/api/v1/marketplace/engagements",
        {
            "provider": str(provider),
            "service": "support_planning",
            "person": person,
            "on_behalf": "worker",
            "consent": consent,
        },
        content_type="application/json",
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] in ("person", "consent")
    catch_up()
    assert not EngagementRecord.objects.exists()


def test_a_suspension_notice_about_a_long_named_provider_fits_and_the_projection_goes_on(
    council: Any,
) -> None:
    provider = accredited_provider("1900002", name="A" * 150)
    engaged_planner("DN-000123", provider)
    app = accreditation_app()
    aid = app.accreditation_of(provider, "support_planning").id
    app.suspend(aid, actor=REGISTRAR, reason="Insurance lapsed", today=date.today())
    catch_up()
    notice = Notice.objects.get(recipient="DN-000123", position__startswith="accreditation:")
    assert len(notice.subject) == 200 and notice.subject.endswith("…")
    assert EngagementRecord.objects.get(person="DN-000123").status == "active"


def test_the_search_api_refuses_an_area_it_cannot_read_rather_than_ignore_it(
    council: Any,
) -> None:
    from django.test import Client

    accredited_provider("1900003")
    anyone = Client()
    refused = anyone.get("/api/v1/marketplace/search?area=nowhere!")
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "area"
    assert len(anyone.get("/api/v1/marketplace/search?area=DN1").json()) == 1


def test_engagements_come_a_page_at_a_time_and_the_cursor_reaches_every_one(
    council: Any, make_user: Any
) -> None:
    providers = [accredited_provider(f"19001{i:02d}") for i in range(7)]
    for i, provider in enumerate(providers):
        engaged_planner(f"DN-00{i}", provider)
    worker = signed_in(make_user, "alex", Role.SOCIAL_WORKER)
    seen: list[str] = []
    url = "/api/v1/marketplace/engagements?limit=3"
    while True:
        page = worker.get(url).json()
        assert len(page["items"]) <= 3
        seen += [e["id"] for e in page["items"]]
        if page["next_cursor"] is None:
            break
        url = f"/api/v1/marketplace/engagements?limit=3&cursor={page['next_cursor']}".replace(
            "+", "%2B"
        )
    assert len(seen) == len(set(seen)) == 7
    assert worker.get("/api/v1/marketplace/engagements?cursor=nonsense").status_code == 422
    assert worker.get("/api/v1/marketplace/engagements?limit=0").status_code == 422
    assert worker.get("/api/v1/marketplace/engagements?person=DN%00-1").status_code == 400


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/ledger/entries?budget=DN%00",
        "/api/v1/marketplace/search?language=Eng%00lish",
        "/register/?service=support%00",
        "/find-support/?area=DN1%00",
    ],
)
def test_a_nul_anywhere_in_a_request_is_a_clear_refusal_not_a_server_error(
    council: Any, make_user: Any, path: str
) -> None:
    client = signed_in(make_user, "farah", Role.FINANCE_OFFICER)
    response = client.get(path)
    assert response.status_code == 400
    assert "must not contain control characters" in response.content.decode()


def test_a_nul_in_a_posted_form_field_is_refused_before_the_view(
    council: Any, make_user: Any
) -> None:
    from tests.integration.helpers import person

    sam = person(make_user, "sam", "DN-000123")
    provider = accredited_provider("1900004")
    # Only the one-off key carries the NUL: the view would otherwise accept this choice.
    response = sam.post(
        "/my-support/choose/",
        {"provider": str(provider), "service": "support_planning", "key": "k\x00"},
    )
    assert response.status_code == 400
    catch_up()
    assert not EngagementRecord.objects.exists()
