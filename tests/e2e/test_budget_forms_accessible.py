"""Axe over the budget forms not walked by the journey test, in their error states too."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page, expect

from budgets.services import budget_app
from config.roles import Role
from ledger.services import ledger_app
from tests.e2e.conftest import serious_violations
from tests.e2e.test_choosing_support import PASSWORD, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_grid_review_and_revision_pages_are_accessible_with_their_errors(
    live_server: Any, page: Page, stores: Any, make_user: Any, monkeypatch: Any
) -> None:
    from budgets import services as budget_services
    from demo.budgets import CONNECT, load_budgets, load_plans

    stores.new()
    ledger_app().open_account(code="COUNCIL:CARE-FUND", name="Fund", type="equity", actor="t")
    load_budgets()  # Sam (DN-000123) signed off, with a review due
    # The demo's marketplace would have Connect Doncaster engaged as Sam's planner, who writes
    # his plan: its answer, given here without loading the register and the marketplace.
    monkeypatch.setattr(
        budget_services, "_engaged_planner_of", lambda p, ref: (p, ref) == (CONNECT, "DN-000123")
    )
    load_plans()
    make_user("jo", Role.TEAM_MANAGER.value, password=PASSWORD)
    base = live_server.url

    page.goto(f"{base}/budgets/grid/")
    expect(page.get_by_test_id("grid-1")).to_be_visible()
    assert serious_violations(page) == []

    sign_in(page, base, "jo")
    page.goto(f"{base}/budgets/grid/change/")
    page.get_by_label("Price per point, a week").fill("25.00")
    page.get_by_role("button", name="See what it would change").click()
    assert "would go up" in page.get_by_test_id("simulation-summary").inner_text()
    assert serious_violations(page) == []
    page.get_by_label("Substantial need, high risk").fill("1")
    page.get_by_role("button", name="See what it would change").click()
    page.locator(".govuk-error-summary a").first.click()  # the link lands on the cell
    assert page.evaluate("document.activeElement.id") == "substantial-high"
    assert serious_violations(page) == []

    page.goto(f"{base}/budgets/sign-off/")
    page.get_by_label("Percentage above the indicative figure").fill("500")
    page.get_by_role("button", name="Set these parameters").click()
    expect(page.locator(".govuk-error-summary")).to_be_visible()
    assert serious_violations(page) == []

    reviews_before = len(budget_app().reviews("DN-000123").reviews)
    page.goto(f"{base}/cases/DN-000123/review/")
    page.get_by_role("button", name="Record the review").click()  # no answers: refused
    expect(page.locator(".govuk-error-summary")).to_be_visible()  # waits for the reply
    assert serious_violations(page) == []
    assert len(budget_app().reviews("DN-000123").reviews) == reviews_before  # none recorded

    page.goto(f"{base}/cases/DN-000123/revision/")
    page.get_by_label("New budget a week").fill("100.00")
    page.get_by_role("button", name="Revise the budget").click()
    expect(page.locator(".govuk-error-summary")).to_be_visible()  # waits for the reply
    assert serious_violations(page) == []
