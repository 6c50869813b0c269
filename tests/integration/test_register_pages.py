"""The register's and marketplace's pages through Django's client: roles and error summaries."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from accreditation.services import accreditation_app
from config.roles import Role
from marketplace.models import EngagementRecord, PersonAccount
from marketplace.services import catch_up
from tests.integration.helpers import accredited_provider, person, signed_in, staff_of

pytestmark = pytest.mark.django_db(transaction=True)


def test_public_pages_need_no_sign_in(council: Any) -> None:
    planner = accredited_provider("1300001")
    anyone = Client()
    for path in [
        "/register/",
        f"/register/providers/{planner}/",
        "/find-support/?area=DN1",
        "/prices/",
    ]:
        response = anyone.get(path)
        assert response.status_code == 200, path
    assert b"Connect Doncaster" in anyone.get("/find-support/?area=DN1+2AB").content
    assert b"No accredited organisation matches" in anyone.get("/find-support/?area=S99").content
    assert b"\xc2\xa3450.00" in anyone.get("/prices/").content


def test_search_and_compare_errors_use_the_error_summary(council: Any) -> None:
    bad = Client().get("/find-support/?area=nowhere!")
    assert bad.status_code == 400 and b"govuk-error-summary" in bad.content
    one = Client().get("/find-support/compare/?provider=" + str(accredited_provider("1300002")))
    assert one.status_code == 400 and b"Select two or three providers to compare" in one.content


def test_signed_in_pages_declare_their_roles(council: Any, make_user: Any) -> None:
    pages = {
        "/my-support/": Role.PERSON,
        "/provider/": Role.PROVIDER_STAFF,
        "/register/admin/": Role.REGISTER_ADMIN,
    }
    for path in pages:
        assert Client().get(path).status_code == 302
    for role in Role:
        client = signed_in(make_user, f"u-{role.name}", role)
        for path, needed in pages.items():
            assert client.get(path).status_code == (200 if role is needed else 403), (path, role)


def test_a_person_chooses_and_the_provider_accepts(council: Any, make_user: Any) -> None:
    planner = accredited_provider("1300003")
    sam = person(make_user, "sam", "DN-000123")
    response = sam.post(
        "/my-support/choose/",
        {"provider": str(planner), "service": "support_planning", "key": "form-1"},
    )
    assert response.status_code == 302
    again = sam.post(
        "/my-support/choose/",
        {"provider": str(planner), "service": "support_planning", "key": "form-1"},
    )
    assert again.status_code == 302
    catch_up()
    engagement = EngagementRecord.objects.get(person="DN-000123")  # one, not two
    priya = staff_of(make_user, "priya", planner)
    mallory = staff_of(make_user, "mallory", accredited_provider("1300004"))
    assert mallory.post(f"/provider/requests/{engagement.id}/accept/").status_code == 404
    assert priya.post(f"/provider/requests/{engagement.id}/acept/").status_code == 404
    assert EngagementRecord.objects.get(id=engagement.id).status == "requested"
    assert priya.post(f"/provider/requests/{engagement.id}/accept/").status_code == 302
    page = sam.get("/my-support/").content.decode()
    assert "Active" in page and "accepted your request" in page
    lee = person(make_user, "lee", "DN-000456")
    assert lee.post(f"/my-support/{engagement.id}/end/", {"reason": "x"}).status_code == 404
    ended = sam.post(f"/my-support/{engagement.id}/end/", {"reason": ""})
    assert ended.status_code == 400 and b"Enter the reason" in ended.content
    assert EngagementRecord.objects.get(id=engagement.id).status == "active"


def test_provider_uploads_and_the_admin_suspends_from_the_pages(
    council: Any, make_user: Any
) -> None:
    planner = accredited_provider("1300005")
    priya = staff_of(make_user, "priya", planner)
    bad = priya.post(
        "/provider/evidence/",
        {"kind": "insurance certificate", "file": SimpleUploadedFile("x.exe", b"MZ")},
    )
    assert bad.status_code == 400 and b"must be a PDF, PNG or JPEG" in bad.content
    big = SimpleUploadedFile("big.pdf", b"%PDF-1.4 " + b"x" * (5 * 1024 * 1024))
    too_big = priya.post("/provider/evidence/", {"kind": "insurance certificate", "file": big})
    assert too_big.status_code == 400 and b"must be smaller than 5 MB" in too_big.content
    from accreditation.models import Evidence

    catch_up()
    assert not Evidence.objects.filter(provider_id=planner).exists()  # neither was kept
    good = priya.post(
        "/provider/evidence/",
        {"kind": "insurance certificate", "file": SimpleUploadedFile("c.pdf", b"%PDF-1.4 x")},
    )
    assert good.status_code == 302
    admin = signed_in(make_user, "admin", Role.REGISTER_ADMIN)
    aid = accreditation_app().accreditation_of(planner, "support_planning").id
    # One form, one reason box: the action chosen, then who a suspension affects.
    unchosen = admin.post(f"/register/admin/{aid}/decide/", {"reason": "x"})
    assert unchosen.status_code == 400 and b"Select what you want to do" in unchosen.content
    asked = admin.post(f"/register/admin/{aid}/decide/", {"action": "suspend", "reason": "x"})
    assert asked.status_code == 200
    assert b"This affects 0 people." in asked.content  # nothing suspended yet
    assert accreditation_app().accreditation_of(planner, "support_planning").status.value == (
        "accredited"
    )
    refused = admin.post(f"/register/admin/{aid}/suspend/", {"reason": "", "confirmed": "yes"})
    assert refused.status_code == 400 and b"govuk-error-summary" in refused.content
    assert b"Yes, suspend" in refused.content  # the same question again, with why
    done = admin.post(
        f"/register/admin/{aid}/suspend/", {"reason": "Insurance lapsed", "confirmed": "yes"}
    )
    assert done.status_code == 302
    register = Client().get("/register/").content.decode()
    assert 'data-testid="status-1300005-support_planning">Suspended<' in register


def test_changing_provider_keeps_support_until_the_new_one_accepts(
    council: Any, make_user: Any
) -> None:
    first, second = accredited_provider("1300006"), accredited_provider("1300007")
    sam = person(make_user, "sam", "DN-000123")
    sam.post("/my-support/choose/", {"provider": str(first), "service": "support_planning"})
    catch_up()
    old = EngagementRecord.objects.get(provider_id=first)
    staff_of(make_user, "priya", first).post(f"/provider/requests/{old.id}/accept/")
    page = sam.get("/my-support/").content.decode()
    assert f"switch={old.id}" in page
    changed = sam.post(
        "/my-support/choose/",
        {"provider": str(second), "service": "support_planning", "switch": str(old.id)},
    )
    assert changed.status_code == 302
    catch_up()
    new = EngagementRecord.objects.get(provider_id=second)
    assert (new.status, new.replaces) == ("requested", old.id)
    assert EngagementRecord.objects.get(id=old.id).status == "active"  # no gap while waiting
    staff_of(make_user, "omar", second).post(f"/provider/requests/{new.id}/accept/")
    catch_up()
    ended, started = (
        EngagementRecord.objects.get(id=old.id),
        EngagementRecord.objects.get(id=new.id),
    )
    assert ended.status == "ended" and started.status == "active"
    assert ended.ended_on == started.started_on
    lee = person(make_user, "lee", "DN-000456")
    assert (
        lee.post(
            "/my-support/choose/",
            {"provider": str(first), "service": "support_planning", "switch": str(new.id)},
        ).status_code
        == 404
    )


def test_a_second_request_to_the_same_provider_is_refused_while_one_is_open(
    council: Any, make_user: Any
) -> None:
    planner = accredited_provider("1300008")
    sam = person(make_user, "sam", "DN-000123")
    assert (
        sam.post(
            "/my-support/choose/",
            {"provider": str(planner), "service": "support_planning", "key": "a"},
        ).status_code
        == 302
    )
    again = sam.post(
        "/my-support/choose/", {"provider": str(planner), "service": "support_planning", "key": "b"}
    )
    assert again.status_code == 400
    assert b"already have a request or support with this provider" in again.content
    catch_up()
    assert EngagementRecord.objects.filter(person="DN-000123").count() == 1


def test_a_person_chooses_from_a_provider_profile_when_only_one_matches(
    council: Any, make_user: Any
) -> None:
    only = accredited_provider("1300020", service="money_management", name="Only Money Ltd")
    sam = person(make_user, "sam", "DN-000123")
    profile = sam.get(f"/register/providers/{only}/").content.decode()
    assert "Choose Only Money Ltd for money management" in profile
    assert (
        "Choose Only Money Ltd" not in Client().get(f"/register/providers/{only}/").content.decode()
    )
    key = re.search(r'name="key" value="([^"]+)"', profile)
    assert key is not None
    chosen = sam.post(
        "/my-support/choose/",
        {"provider": str(only), "service": "money_management", "key": key.group(1)},
    )
    assert chosen.status_code == 302
    catch_up()
    assert EngagementRecord.objects.get(person="DN-000123").service == "money_management"


def test_the_admin_reaches_accredited_services_from_the_queue_and_withdraws_one(
    council: Any, make_user: Any
) -> None:
    planner = accredited_provider("1300030", name="Thorne Planners")
    sam = person(make_user, "sam", "DN-000123")
    assert (
        sam.post(
            "/my-support/choose/",
            {"provider": str(planner), "service": "support_planning", "key": "k-1"},
        ).status_code
        == 302
    )
    admin = signed_in(make_user, "admin", Role.REGISTER_ADMIN)
    aid = accreditation_app().accreditation_of(planner, "support_planning").id
    page = admin.get("/register/admin/").content.decode()
    assert f'href="/register/admin/{aid}/">Thorne Planners' in page

    for step, status in (("suspend", "suspended"), ("reinstate", "accredited")):
        sent = {"reason": f"{step} for a reason", "confirmed": "yes"}
        done = admin.post(f"/register/admin/{aid}/{step}/", sent)
        assert done.status_code == 302
        catch_up()
        assert EngagementRecord.objects.get(person="DN-000123").status == "requested"
        register = Client().get("/register/").content.decode()
        assert f'data-testid="status-1300030-support_planning">{status.capitalize()}<' in register
    asked = admin.post(f"/register/admin/{aid}/withdraw/", {"reason": "Left Doncaster"})
    assert "This affects 1 person" in asked.content.decode()  # Sam's request is open
    assert "Left Doncaster" in asked.content.decode()  # the reason carried to the one box
    confirmed = {"reason": "Left Doncaster", "confirmed": "yes"}
    assert admin.post(f"/register/admin/{aid}/withdraw/", confirmed).status_code == 302
    register = Client().get("/register/").content.decode()
    assert 'data-testid="status-1300030-support_planning">Withdrawn<' in register
    notices = sam.get("/my-support/").content.decode()
    assert "Thorne Planners can no longer take new work" in notices


def test_evidence_opens_for_the_admin_and_its_own_organisation_only(
    council: Any, make_user: Any
) -> None:
    planner = accredited_provider("1300040")
    priya = staff_of(make_user, "priya", planner)
    content = b"%PDF-1.4 insurance"
    assert (
        priya.post(
            "/provider/evidence/",
            {"kind": "insurance certificate", "file": SimpleUploadedFile("c.pdf", content)},
        ).status_code
        == 302
    )
    from accreditation.models import Evidence

    catch_up()
    kept = Evidence.objects.get(provider_id=planner)
    admin = signed_in(make_user, "admin", Role.REGISTER_ADMIN)
    opened = admin.get(f"/evidence/{kept.id}/")
    assert opened.status_code == 200 and opened.content == content
    assert opened["Content-Type"] == "application/pdf"
    assert opened["Content-Disposition"] == 'attachment; filename="c.pdf"'
    assert priya.get(f"/evidence/{kept.id}/").content == content
    other = staff_of(make_user, "mallory", accredited_provider("1300041"))
    assert other.get(f"/evidence/{kept.id}/").status_code == 404
    assert person(make_user, "sam", "DN-000123").get(f"/evidence/{kept.id}/").status_code == 403
    # A stored file changed behind the register's back is not served.
    path = accreditation_app().evidence_dir / kept.sha256  # type: ignore[operator]
    path.write_bytes(b"%PDF-1.4 forged")
    assert admin.get(f"/evidence/{kept.id}/").status_code == 404


def test_feedback_is_published_only_once_moderated_and_a_decline_says_why(
    council: Any, make_user: Any
) -> None:
    planner = accredited_provider("1300050", name="Peer Planners")
    sam = person(make_user, "sam", "DN-000123")
    lee = person(make_user, "lee", "DN-000456")
    for who, key in ((sam, "s-1"), (lee, "l-1")):
        chosen = who.post(
            "/my-support/choose/",
            {"provider": str(planner), "service": "support_planning", "key": key},
        )
        assert chosen.status_code == 302
    catch_up()
    priya = staff_of(make_user, "priya", planner)
    sams = EngagementRecord.objects.get(person="DN-000123")
    lees = EngagementRecord.objects.get(person="DN-000456")
    assert priya.post(f"/provider/requests/{sams.id}/accept/").status_code == 302
    no_reason = priya.post(f"/provider/requests/{lees.id}/decline/", {"reason": ""})
    assert no_reason.status_code == 400
    assert EngagementRecord.objects.get(id=lees.id).status == "requested"
    declined = priya.post(f"/provider/requests/{lees.id}/decline/", {"reason": "No room in May"})
    assert declined.status_code == 302
    assert "No room in May" in lee.get("/my-support/").content.decode()

    bad = sam.post(f"/my-support/{sams.id}/feedback/", {"rating": "6", "comment": "x"})
    assert bad.status_code == 400 and b"Rating must be a whole number from 1 to 5" in bad.content
    given = sam.post(f"/my-support/{sams.id}/feedback/", {"rating": "5", "comment": "Listened."})
    assert given.status_code == 302
    profile = f"/register/providers/{planner}/"
    assert "Listened." not in Client().get(profile).content.decode()  # not before moderation
    admin = signed_in(make_user, "admin", Role.REGISTER_ADMIN)
    assert "5 out of 5: Listened." in admin.get("/register/admin/").content.decode()
    assert admin.post(f"/register/admin/feedback/{sams.id}/", {"publish": "yes"}).status_code == 302
    published = Client().get(profile).content.decode()
    assert "Listened." in published and "5 out of 5" in published


def test_a_nominee_for_two_people_says_whom_the_support_is_for(
    council: Any, make_user: Any
) -> None:
    planner = accredited_provider("1300060", name="Both Planners")
    nominee = person(make_user, "nina", "DN-000123")
    PersonAccount.objects.create(
        user=get_user_model().objects.get(username="nina"),
        person="DN-000456",
        relationship="nominee",
    )
    profile = nominee.get(f"/register/providers/{planner}/").content.decode()
    assert "Who is it for?" in profile
    unsaid = {"provider": str(planner), "service": "support_planning", "key": "n-1"}
    refused = nominee.post("/my-support/choose/", unsaid)
    assert refused.status_code == 400
    page = refused.content.decode()
    assert 'href="#choice"' in page and 'id="choice"' in page
    assert nominee.post("/my-support/choose/", {**unsaid, "person": "DN-000456"}).status_code == 302
    catch_up()
    chosen = EngagementRecord.objects.get(provider_id=planner)
    assert (chosen.person, chosen.on_behalf) == ("DN-000456", "nominee")


def test_the_assessor_sees_which_evidence_has_expired(council: Any, make_user: Any) -> None:
    from datetime import date, timedelta

    from tests.unit.test_accreditation import ADMIN, DETAILS, NEWCOMER, staff_of_provider

    app = accreditation_app()
    planner = app.register_provider(
        actor=NEWCOMER, **{**DETAILS, "registration_number": "1300070"}
    ).id
    aid = app.apply(planner, service="support_planning", actor=staff_of_provider(planner)).id
    app.start_assessment(aid, actor=ADMIN)
    long_ago = date.today() - timedelta(days=400)
    app.add_evidence(
        planner,
        kind="insurance certificate",
        filename="old.pdf",
        content=b"%PDF-1.4 old",
        expires_on=date.today() - timedelta(days=35),
        today=long_ago,
        actor=staff_of_provider(planner, "priya"),
    )
    admin = signed_in(make_user, "admin", Role.REGISTER_ADMIN)
    page = admin.get(f"/register/admin/{aid}/").content.decode()
    assert "old.pdf" in page and 'govuk-tag--red">Expired' in page
