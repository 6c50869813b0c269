"""The whole budget journey in Chromium, with axe on every form.

A worker registers and assesses a person, gets an explained indicative budget and allocates it
with a direct payment from next week; the engaged planner writes the plan; the worker signs it,
records the 6-week review, and the team manager signs it off; the person sees all of it on
"my budget".
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from accreditation.models import Membership
from budgets.plan import DIRECT_PAYMENT_PARTS, REQUIRED_PARTS
from budgets.services import budget_app
from config.roles import Role
from ledger.money import format_pence
from marketplace.models import PersonAccount
from tests.e2e.conftest import serious_violations
from tests.e2e.test_choosing_support import PASSWORD, sign_in
from tests.integration.helpers import accredited_provider, care_fund_and_grid, engaged_planner

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
REF = "DN-000950"


def fill_date(page: Page, name: str, on: date) -> None:
    page.locator(f"#{name}").fill(str(on.day))  # the day input carries the field's id
    for part in ("month", "year"):
        page.locator(f"#{name}-{part}").fill(str(getattr(on, part)))


def test_assess_allocate_plan_sign_off_and_the_person_sees_it(
    live_server: Any, page: Page, council: Any, make_user: Any
) -> None:
    today = date.today()
    care_fund_and_grid()
    planner = accredited_provider("1700001", name="Connect Doncaster")
    Membership.objects.create(
        user=make_user("priya", Role.PROVIDER_STAFF.value, password=PASSWORD), provider_id=planner
    )
    for username, first, last, role in [
        ("alex", "Alex", "Morgan", Role.SOCIAL_WORKER),
        ("jo", "Jo", "Fletcher", Role.TEAM_MANAGER),
    ]:
        named = make_user(username, role.value, password=PASSWORD)
        named.first_name, named.last_name = first, last
        named.save()
    lee = make_user("lee", Role.PERSON.value, password=PASSWORD)
    PersonAccount.objects.create(user=lee, person=REF)
    base = live_server.url

    # The worker registers Lee and assesses them.
    sign_in(page, base, "alex")
    page.get_by_role("link", name="Cases", exact=True).click()
    page.get_by_role("button", name="Register a person").click()
    page.get_by_label("Council reference").fill(REF)
    page.get_by_label("Full name").fill("Lee Hart")
    fill_date(page, "date_of_birth", date(1955, 6, 1))
    page.get_by_label("NHS number").fill("943 476 5919")
    page.get_by_label("Yes").check()
    assert serious_violations(page) == []
    page.get_by_role("button", name="Register and start the assessment").click()
    page.wait_for_url(f"**/cases/{REF}/assessment/")
    page.get_by_label("A day in my life").fill("Up at seven; mornings are hard since the fall.")
    page.locator("#hygiene-need").fill("Cannot get in or out of the bath")
    page.locator("#hygiene-strengths").fill("Daughter helps at weekends")
    page.select_option("#hygiene-severity", "substantial")
    page.select_option("#hygiene-risk", "high")
    page.locator("#nutrition-need").fill("Cannot stand long enough to cook")
    page.select_option("#nutrition-severity", "moderate")
    page.select_option("#nutrition-risk", "medium")
    page.get_by_label("The needs arise from a physical or mental impairment").check()
    page.get_by_label("As a result there is, or is likely to be, a significant impact").check()
    assert serious_violations(page) == []
    page.get_by_role("button", name="Record the assessment").click()

    # The indicative budget, explained line by line; a direct payment from next Monday.
    page.wait_for_url(f"**/cases/{REF}/allocation/")
    assert "Assessment recorded: eligible." in page.get_by_test_id("banner").inner_text()
    indicative = budget_app().indicative(REF, today=today)
    assert (
        page.get_by_test_id("indicative")
        .inner_text()
        .startswith(f"The indicative budget is {format_pence(indicative.weekly)} a week")
    )
    assert page.get_by_test_id("explanation").locator("li").all_inner_texts() == list(
        indicative.explanation
    )
    next_monday = today + timedelta(days=7 - today.weekday())
    assert page.locator("#direct_payment_start").input_value() == str(next_monday.day)
    page.get_by_label("The person's contribution a week").fill("20.00")
    page.get_by_label("As a direct payment").fill("100.00")
    page.get_by_label("Managed by the council").fill(format_pence(indicative.weekly - 10000))
    assert serious_violations(page) == []
    page.get_by_role("button", name="Allocate the budget").click()
    page.wait_for_url(f"**/cases/{REF}/")
    assert "recorded in the ledger" in page.get_by_test_id("banner").inner_text()
    page.get_by_role("button", name="Sign out").click()

    # Lee chose Connect Doncaster to write the plan (the marketplace's own test drives that).
    engaged_planner(REF, planner)

    # The planner writes the plan, with every part the Care Act asks for.
    sign_in(page, base, "priya")
    page.get_by_role("link", name="Your organisation").click()
    page.get_by_role("link", name="write the plan for Lee Hart").click()
    page.wait_for_url(f"**/cases/{REF}/plan/")
    page.get_by_role("button", name="Save the plan").click()  # empty: refused, part by part
    expect(page.locator(".govuk-error-summary")).to_be_visible()  # waits for the reply
    assert serious_violations(page) == []
    for label in {**REQUIRED_PARTS, **DIRECT_PAYMENT_PARTS}.values():
        page.get_by_label(label).fill(f"{label}: as Lee put it.")
    page.get_by_role("button", name="Save the plan").click()
    page.wait_for_url("**/provider/")
    assert f"Plan for {REF} saved" in page.get_by_test_id("banner").inner_text()
    page.get_by_role("button", name="Sign out").click()

    # The worker signs; the team manager signs off at the 6-week review.
    sign_in(page, base, "alex")
    page.goto(f"{base}/cases/{REF}/")
    page.get_by_role("button", name="Sign the plan").click()
    expect(page.get_by_test_id("banner")).to_have_text("Recorded.")  # same address: wait for it
    # At the 6-week review: has life got better? Recorded, then the plan is signed off.
    page.get_by_role("link", name="Record a review").click()
    page.wait_for_url(f"**/cases/{REF}/review/")
    page.get_by_role("group", name="Maintaining personal hygiene").get_by_label(
        "Much better"
    ).check()
    page.get_by_role("group", name="Managing and maintaining nutrition").get_by_label(
        "A little better"
    ).check()
    page.get_by_label("In their words").first.fill("I can have a bath again")
    assert serious_violations(page) == []
    page.get_by_role("button", name="Record the review").click()
    page.wait_for_url(f"**/cases/{REF}/")
    assert "Review recorded" in page.get_by_test_id("banner").inner_text()
    page.get_by_role("button", name="Sign out").click()
    sign_in(page, base, "jo")
    page.goto(f"{base}/cases/?queue=sign-off")
    page.get_by_role("link", name="Lee Hart").click()
    page.wait_for_url(f"**/cases/{REF}/")
    assert serious_violations(page) == []
    page.get_by_role("button", name="Sign off").click()
    expect(page.get_by_test_id("banner")).to_have_text("Recorded.")
    # People by their names and roles, not their account names.
    named = "signed off by Alex Morgan, social worker, and Jo Fletcher, team manager"
    assert named in page.content()
    page.get_by_role("button", name="Sign out").click()

    # Lee sees all of it.
    sign_in(page, base, "lee")
    page.get_by_role("link", name="My budget").click()
    page.wait_for_url("**/my-budget/")
    content = page.content()
    assert f"{format_pence(indicative.weekly)} a week" in content
    assert page.get_by_test_id("explanation").locator("li").all_inner_texts() == list(
        indicative.explanation
    )
    assert "the council pays £80.00 a week into your direct-payment account" in content
    assert "You contribute £20.00 a week" in content
    assert "Signed off by Alex Morgan, social worker, and Jo Fletcher, team manager." in content
    assert "Your next review is due by" in content
    assert "as Lee put it." in content
    assert serious_violations(page) == []
    with page.expect_download() as download:
        page.get_by_role("link", name="download your plan as a PDF").click()
    assert download.value.suggested_filename == f"care-plan-{REF}.pdf"
