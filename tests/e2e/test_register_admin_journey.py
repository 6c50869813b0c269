"""The register administrator changes an accreditation on one form with one reason box, is
told whom a suspension affects before it is made, and every page has no axe violation of any
impact (the error summary, the confirmation)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from accreditation.services import accreditation_app
from config.roles import Role
from marketplace.services import marketplace_app
from tests.e2e.test_choosing_support import PASSWORD, sign_in
from tests.e2e.test_every_page_accessible import violations
from tests.integration.helpers import accredited_provider, person_actor

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_suspension_is_confirmed_with_the_people_it_affects(
    live_server: Any, page: Page, council: Any, make_user: Any
) -> None:
    planner = accredited_provider("1400001", name="Connect Doncaster")
    for ref in ("DN-000401", "DN-000402"):
        marketplace_app().choose(
            actor=person_actor(ref),
            person=ref,
            provider=planner,
            service="support_planning",
            today=date.today(),
            key=f"k-{ref}",
        )
    make_user("mo", Role.REGISTER_ADMIN.value, password=PASSWORD)
    aid = accreditation_app().accreditation_of(planner, "support_planning").id
    base = live_server.url
    sign_in(page, base, "mo")
    page.goto(f"{base}/register/admin/{aid}/")
    assert violations(page) == []
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("link", name="Select what you want to do")).to_be_visible()
    assert violations(page) == []
    expect(page.get_by_role("group", name="Accredited until")).to_be_visible()  # to renew
    page.get_by_label("Suspend").check()
    page.get_by_label("Why (shown on the public register)").fill("Safeguarding concern")
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Suspend Connect Doncaster's accreditation?"
    )
    expect(page.get_by_test_id("affected")).to_contain_text("This affects 2 people")
    expect(page.get_by_label("Why (shown on the public register)")).to_have_value(
        "Safeguarding concern"
    )
    assert violations(page) == []
    page.get_by_role("button", name="Yes, suspend").click()
    expect(page.get_by_test_id("status")).to_have_text("Suspended")
    assert violations(page) == []
