"""The page a browser gets for a form over the size limit: GOV.UK, naming the limit, accessible."""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings
from playwright.sync_api import Page, expect

from tests.e2e.conftest import serious_violations

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_form_over_the_size_limit_gets_an_accessible_page_naming_it(
    live_server: Any, page: Page
) -> None:
    base = live_server.url
    page.goto(f"{base}/sign-in/")
    too_long = settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1
    page.locator("#username").evaluate(f"el => el.value = 'x'.repeat({too_long})")
    with page.expect_response(f"{base}/sign-in/") as reply:
        page.get_by_role("button", name="Sign in").click()
    assert reply.value.status == 413
    expect(page.get_by_role("heading", level=1)).to_have_text("What you sent was too large")
    expect(page.get_by_text("This page can send at most 2.5 MB at once.")).to_be_visible()
    assert serious_violations(page) == []
    page.get_by_role("link", name="Go back to the page you were on").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
