"""In Chromium: a signed-in page warns before the session ends (the GOV.UK timeout warning, a
modal dialog that axe checks), "Stay signed in" keeps the session, and when the time runs out
the page goes to "You have been signed out" and the session has ended."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page

from config.roles import Role
from tests.e2e.conftest import serious_violations
from tests.e2e.test_choosing_support import PASSWORD, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_session_warns_before_it_ends_and_stays_when_asked(
    live_server: Any, page: Page, make_user: Any, settings: Any
) -> None:
    settings.SESSION_COOKIE_AGE = 8  # seconds: the warning 4 before the end
    import time

    make_user("asha", Role.SOCIAL_WORKER.value, password=PASSWORD)
    sign_in(page, live_server.url, "asha")
    signed_in_at = time.monotonic()
    dialog = page.locator("#timeout-warning")
    dialog.wait_for(state="visible", timeout=10_000)
    assert "You're about to be signed out" in dialog.inner_text()
    assert serious_violations(page) == []
    page.get_by_role("button", name="Stay signed in").click()
    dialog.wait_for(state="hidden", timeout=5_000)
    # Kept: past the first 8 seconds, which would have ended it, the session still answers.
    time.sleep(max(0.0, signed_in_at + 9 - time.monotonic()))
    assert "/sign-in/" not in page.evaluate("fetch('/cases/').then(r => r.url)")
    page.wait_for_url(f"{live_server.url}/signed-out/", timeout=20_000)
    assert "You have been signed out" in page.content()
    assert serious_violations(page) == []
    page.goto(f"{live_server.url}/cases/")
    assert "/sign-in/" in page.url
