"""A person finds, compares and chooses support in Chromium; a suspension shows at once."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page

from accreditation.models import Membership
from accreditation.services import accreditation_app
from config.roles import Role
from marketplace.models import PersonAccount
from tests.e2e.conftest import serious_violations
from tests.integration.helpers import REGISTRAR, accredited_provider

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "a long demo password"


def sign_in(page: Page, base: str, username: str) -> None:
    page.goto(f"{base}/sign-in/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    # Each role lands on its own start page (frontend/start_pages.py).
    page.wait_for_url(lambda url: "/sign-in/" not in url)


def test_a_person_finds_compares_and_chooses_and_the_register_shows_a_suspension(
    live_server: Any,
    page: Page,
    council: Any,
    make_user: Any,
) -> None:
    chosen = accredited_provider("1400001", name="Connect Doncaster")
    accredited_provider("1400002", name="Doncaster Peer Planners")
    accredited_provider("1400003", name="Thorne Community Circle")
    sam = make_user("sam", Role.PERSON.value, password=PASSWORD)
    PersonAccount.objects.create(user=sam, person="DN-000123")
    priya = make_user("priya", Role.PROVIDER_STAFF.value, password=PASSWORD)
    Membership.objects.create(user=priya, provider_id=chosen)
    base = live_server.url

    sign_in(page, base, "sam")
    page.get_by_role("link", name="Find support").click()
    page.get_by_label("Your postcode").fill("DN1 2AB")
    page.get_by_role("button", name="Search").click()
    page.wait_for_url("**area=DN1**")
    assert page.locator("#results").inner_text() == "3 organisations"
    assert serious_violations(page) == []
    for name in ("Connect Doncaster", "Doncaster Peer Planners", "Thorne Community Circle"):
        page.get_by_label(f"Compare {name}").check()
    page.get_by_role("button", name="Compare selected").click()
    page.wait_for_url("**/find-support/compare/**")
    assert page.locator("thead th").all_inner_texts() == [
        "Connect Doncaster",
        "Doncaster Peer Planners",
        "Thorne Community Circle",
    ]
    assert serious_violations(page) == []
    page.get_by_role("button", name="Choose Connect Doncaster").click()
    page.wait_for_url("**/my-support/")
    assert "Your request has been sent" in page.get_by_test_id("banner").inner_text()
    assert page.get_by_test_id("engagement-status").inner_text() == "Requested"
    assert serious_violations(page) == []

    # The provider accepts in their own area.
    page.get_by_role("button", name="Sign out").click()
    sign_in(page, base, "priya")
    page.get_by_role("link", name="Your organisation").click()
    page.get_by_role("button", name="Accept request from DN-000123").click()
    page.wait_for_url("**/provider/")
    assert "Request accepted" in page.get_by_test_id("banner").inner_text()
    assert serious_violations(page) == []
    page.get_by_role("button", name="Sign out").click()

    sign_in(page, base, "sam")
    page.goto(f"{base}/my-support/")
    assert page.get_by_test_id("engagement-status").inner_text() == "Active"

    # The register administrator suspends; the public register shows it at once.
    service = accreditation_app().accreditation_of(chosen, "support_planning")
    accreditation_app().suspend(
        service.id, actor=REGISTRAR, reason="Insurance lapsed", today=service.accredited_since
    )
    page.goto(f"{base}/register/")
    assert page.get_by_test_id("status-1400001-support_planning").inner_text() == "Suspended"
    assert serious_violations(page) == []
    page.goto(f"{base}/my-support/")
    assert "was suspended on" in page.locator(".govuk-warning-text").inner_text()
    assert "Insurance lapsed" in page.locator(".govuk-warning-text").inner_text()
