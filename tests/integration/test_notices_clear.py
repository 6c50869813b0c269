"""Notices on a person's and a provider's pages clear once acted on: a provider's "new
request" when it is answered, an expiry reminder when the accreditation is renewed; and the
recipient may dismiss one once read (nobody else may: they are told it does not exist)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from marketplace.models import Notice
from marketplace.services import catch_up, marketplace_app
from notifications.application import notifications_app
from tests.integration.helpers import (
    ALEX,
    accredited_provider,
    assessed_person,
    person,
    person_actor,
    provider_staff,
    staff_of,
)

pytestmark = pytest.mark.django_db(transaction=True)
REF = "DN-000321"


def test_a_request_notice_clears_when_answered_and_a_person_dismisses_theirs(
    council: Any, make_user: Any
) -> None:
    planner = accredited_provider("1200001", name="Connect Doncaster")
    provider = staff_of(make_user, "priya", planner)
    sam = person(make_user, "sam", REF)
    assessed_person(REF)
    notifications_app().state_contact(ALEX, person=REF, preferred="email", email="sam@example.org")
    market = marketplace_app()
    engagement = market.choose(
        actor=person_actor(REF),
        person=REF,
        provider=planner,
        service="support_planning",
        today=date.today(),
        key="k1",
    )
    catch_up()
    page = provider.get("/provider/").content.decode()
    assert "A new request for independent support planning" in page
    # The provider sees who asked and how to reach them (their own requests only).
    assert "Sam Patel: Independent support planning" in page and "sam@example.org" in page
    # The notifications context's rule, for the page and the API alike: a provider the
    # person chose reads how to reach them; any other is told there is no such person.
    contact = f"/api/v1/notifications/contacts/{REF}"
    assert provider.get(contact).json()["email"] == "sam@example.org"
    other_provider = staff_of(make_user, "sol", accredited_provider("1200002"))
    assert other_provider.get(contact).status_code == 404
    market.accept(engagement, actor=provider_staff(planner), today=date.today())
    catch_up()
    assert "A new request for" not in provider.get("/provider/").content.decode()
    cleared = Notice.objects.get(recipient=str(planner))
    assert cleared.cleared_by == "accepted" and cleared.cleared_at is not None

    page = sam.get("/my-support/").content.decode()
    assert "Connect Doncaster accepted your request" in page
    notice = Notice.objects.get(recipient=REF)
    # Another person (or the provider) may not dismiss Sam's notice: no such notice.
    other = person(make_user, "ade", "DN-000322")
    assert other.post(f"/notices/{notice.id}/dismiss/", {"next": "/my-support/"}).status_code == 404
    assert provider.post(f"/notices/{notice.id}/dismiss/").status_code == 404
    done = sam.post(f"/notices/{notice.id}/dismiss/", {"next": "/my-support/"})
    assert done.status_code == 302 and done["Location"] == "/my-support/"
    assert "accepted your request" not in sam.get("/my-support/").content.decode()
    assert Notice.objects.get(id=notice.id).cleared_by == "sam"
    # A next that leaves the site goes home instead.
    again = sam.post(f"/notices/{notice.id}/dismiss/", {"next": "https://evil.example/"})
    assert again["Location"] == "/"


def test_a_suspension_notice_clears_when_the_provider_is_reinstated(
    council: Any, make_user: Any
) -> None:
    from accreditation.domain import Service, accreditation_id
    from accreditation.services import accreditation_app
    from accreditation.services import catch_up as catch_up_register
    from tests.integration.helpers import REGISTRAR

    planner = accredited_provider("1200003", name="Thorne Planners")
    sam = person(make_user, "sam", REF)
    marketplace_app().choose(
        actor=person_actor(REF),
        person=REF,
        provider=planner,
        service="support_planning",
        today=date.today(),
        key="k3",
    )
    catch_up()
    aid = accreditation_id(planner, Service.SUPPORT_PLANNING)
    register = accreditation_app()
    register.suspend(aid, actor=REGISTRAR, reason="Insurance lapsed", today=date.today())
    catch_up_register()
    assert "Thorne Planners can no longer take new work" in sam.get("/my-support/").content.decode()
    register.reinstate(aid, actor=REGISTRAR, reason="Insurance renewed", today=date.today())
    catch_up_register()
    assert "can no longer take new work" not in sam.get("/my-support/").content.decode()
    assert Notice.objects.get(about__startswith="flag:").cleared_by == "reinstated"


def test_a_person_says_how_they_want_to_be_told_from_my_budget(
    council: Any, make_user: Any
) -> None:
    assessed_person(REF)
    sam = person(make_user, "sam", REF)
    assert "We have no way to tell you things yet" in sam.get("/my-budget/").content.decode()
    page = f"/my-budget/{REF}/contact/"
    assert "How do you want to be told?" in sam.get(page).content.decode()
    refused = sam.post(page, {"preferred": "letter", "address": "1 High Street"})
    assert refused.status_code == 400
    assert "Enter the address on 3 to 7 lines" in refused.content.decode()
    saved = sam.post(page, {"preferred": "letter", "address": "1 High Street\nDoncaster\nDN1 1AA"})
    assert saved.status_code == 302 and saved["Location"] == "/my-budget/"
    mine = sam.get("/my-budget/").content.decode()
    assert "We tell you by letter, at 1 High Street, Doncaster, DN1 1AA" in mine
    other = person(make_user, "ade", "DN-000322")
    assert other.get(page).status_code == 404  # not theirs: no such person
    assert other.post(page, {"preferred": "email", "email": "x@example.org"}).status_code == 404
    assert notifications_app().reach(f"person:{REF}").preferred == "letter"  # unchanged
