"""The budget pages in Chromium with axe: a person's budget, the caseload and a case."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page

from config.roles import Role
from marketplace.models import PersonAccount
from tests.e2e.conftest import serious_violations
from tests.e2e.test_choosing_support import PASSWORD, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_budget_pages_are_accessible(
    live_server: Any, page: Page, stores: Any, make_user: Any, monkeypatch: Any
) -> None:
    from budgets import services as budget_services
    from demo.budgets import CONNECT, load_budgets, load_plans
    from ledger.services import ledger_app

    stores.new()
    ledger_app().open_account(code="COUNCIL:CARE-FUND", name="Fund", type="equity", actor="t")
    load_budgets()  # the demo's people at each stage
    # The demo's marketplace would have Connect Doncaster engaged as Sam's planner, who writes
    # his plan: its answer, given here without loading the register and the marketplace.
    monkeypatch.setattr(
        budget_services, "_engaged_planner_of", lambda p, ref: (p, ref) == (CONNECT, "DN-000123")
    )
    load_plans()
    sam = make_user("sam", Role.PERSON.value, password=PASSWORD)
    PersonAccount.objects.create(user=sam, person="DN-000123")
    make_user("jo", Role.TEAM_MANAGER.value, password=PASSWORD)

    sign_in(page, live_server.url, "sam")
    page.get_by_role("link", name="My budget").click()
    page.wait_for_url("**/my-budget/")
    assert "£322.00 a week" in page.content()
    assert "scores 9 points" in page.get_by_test_id("explanation").inner_text()
    assert serious_violations(page) == []
    page.get_by_role("button", name="Sign out").click()

    sign_in(page, live_server.url, "jo")
    page.get_by_role("link", name="Cases", exact=True).click()
    page.wait_for_url("**/cases/")
    assert page.get_by_test_id("stage-DN-000791").inner_text() == "With the panel"
    assert serious_violations(page) == []
    page.get_by_role("link", name="Tom Green").click()
    page.wait_for_url("**/cases/DN-000791/")
    assert "waiting for the panel" in page.get_by_test_id("panel").inner_text()
    assert serious_violations(page) == []
