"""A finance officer uses the ledger explorer in a real headless Chromium, checked with axe."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from playwright.sync_api import Page

from config.roles import Role
from ledger.services import catch_up
from tests.conftest import NOW, draft
from tests.e2e.conftest import serious_violations

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_finance_officer_opens_a_statement_as_at_a_date_and_an_entry(
    live_server: Any, page: Page, app: Any, make_user: Any
) -> None:
    first = app.post_entry(
        draft(
            "alloc",
            [("FUND", "debit", 45000), ("PB-1", "credit", 45000)],
            effective_at=NOW - timedelta(days=30),
        )
    )
    app.post_entry(
        draft(
            "fee",
            [("PB-1", "debit", 20000), ("PROVIDER-1", "credit", 20000)],
            effective_at=NOW,
            kind="provider_fee",
            reason="Annual review fee",
        )
    )
    catch_up()
    make_user("farah", Role.FINANCE_OFFICER.value, password="a long demo password")

    page.goto(f"{live_server.url}/ledger/")
    assert "/sign-in/" in page.url
    assert serious_violations(page) == []
    page.get_by_label("Username").fill("farah")
    page.get_by_label("Password").fill("a long demo password")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/ledger/")
    assert "Signed in as farah" in page.get_by_test_id("signed-in-as").inner_text()
    assert serious_violations(page) == []

    page.get_by_role("link", name="PB-1").click()
    page.wait_for_url("**/ledger/accounts/PB-1/")
    assert page.get_by_test_id("as-at-balance").inner_text() == "£250.00"
    assert serious_violations(page) == []

    page.get_by_label("Day").fill("1")
    page.get_by_label("Month").fill("11")
    page.get_by_label("Year").fill("2026")
    page.get_by_role("button", name="Show statement").click()
    page.wait_for_url("**year=2026**")
    assert page.get_by_test_id("as-at-balance").inner_text() == "£450.00"
    assert "Annual review fee" not in page.content()

    page.get_by_role("link", name="Allocation").first.click()
    page.wait_for_url(f"**/ledger/entries/{first.id}/")
    assert page.get_by_test_id("actor").inner_text() == "tester"
    assert page.get_by_role("heading", name="Journal entry").is_visible()
    assert serious_violations(page) == []
