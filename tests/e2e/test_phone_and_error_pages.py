"""In Chromium with axe (every impact, not only serious ones): the error pages and the footer's
pages, and at a phone's width the header's menu folds behind a Menu button that opens it."""

from __future__ import annotations

from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def violations(page: Page) -> list[str]:
    return [f"{v['id']}: {v['help']}" for v in Axe().run(page).response["violations"]]


def test_error_and_footer_pages_have_no_violation_of_any_impact(
    live_server: Any, page: Page
) -> None:
    for path in ["/no/such/page/", "/sign-out/", "/accessibility/", "/privacy/", "/cookies/"]:
        page.goto(f"{live_server.url}{path}")
        assert violations(page) == [], path
    page.goto(f"{live_server.url}/sign-in/")
    page.context.clear_cookies()  # the form's CSRF cookie gone: it is refused
    page.get_by_role("button", name="Sign in").click()
    assert "Your form could not be sent" in page.content()
    assert violations(page) == []


def test_on_a_phone_the_menu_folds_and_opens(live_server: Any, page: Page) -> None:
    page.set_viewport_size({"width": 375, "height": 740})
    page.goto(f"{live_server.url}/register/")
    menu = page.get_by_role("button", name="Menu")
    assert menu.is_visible()
    assert not page.get_by_role("link", name="Find support").is_visible()
    menu.click()
    assert page.get_by_role("link", name="Find support").is_visible()
    assert menu.get_attribute("aria-expanded") == "true"
    assert violations(page) == []
