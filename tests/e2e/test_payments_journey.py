"""Payments in Chromium, with axe on every page: a provider sends its £450 support-plan
invoice, finance approves it, a payment run pays it and the provider sees the remittance; the
person sees their next direct payment, the one paid with its remittance, and the figures agree
with the ledger."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any

import pytest
from playwright.sync_api import Page

from accreditation.models import Membership
from accreditation.services import accreditation_app
from budgets.budget import BudgetFigures
from budgets.plan import DIRECT_PAYMENT_PARTS, REQUIRED_PARTS
from budgets.services import allocate, budget_app
from config.roles import Role
from ledger.money import format_pence
from ledger.services import ledger_app
from marketplace.models import PersonAccount
from payments import stripe as pay
from payments.application import payments_app
from payments.calendar import england_and_wales
from payments.direct_payments import Payee, earliest_start
from payments.processes import engagement_commitments, plan_fee_postings
from payments.rails import StripeRail
from payments.services import run_payments
from tests.e2e.conftest import serious_violations
from tests.e2e.test_choosing_support import PASSWORD, sign_in
from tests.integration.conftest import stripe_server
from tests.integration.helpers import (
    ALEX,
    JO,
    accredited_provider,
    assessed_person,
    care_fund_and_grid,
    engaged_planner,
    provider_staff,
    six_week_review,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
__all__ = ["stripe_server"]
REF = "DN-000960"


def test_an_invoice_is_sent_approved_and_paid_and_the_person_sees_their_payments(
    live_server: Any, page: Page, council: Any, make_user: Any, stripe_server: Any
) -> None:
    today = date.today()
    start = earliest_start(today)
    care_fund_and_grid()
    ledger = ledger_app()
    ledger.open_account(code="STRIPE:CLEARING", name="Clearing", type="asset", actor="t")
    assessed_person(REF)
    weekly = budget_app().indicative(REF, today=today).weekly
    allocate(
        REF,
        today=today,
        actor=ALEX,
        weekly=None,
        adjustment_reason="",
        contribution_weekly=4000,
        split={"direct_payment": 20000, "council_managed": weekly - 20000},
        direct_payment_start=start,
    )
    planner = accredited_provider("1900001", name="Connect Doncaster")
    engagement = engaged_planner(REF, planner)
    engagement_commitments().catch_up()
    parts = {key: f"About {key}" for key in [*REQUIRED_PARTS, *DIRECT_PAYMENT_PARTS]}
    app = budget_app()
    app.write_plan(
        REF, parts=parts, actor=provider_staff(planner), as_author="planner", today=today
    )
    app.sign_plan(REF, actor=ALEX)
    six_week_review(REF)
    app.sign_plan(REF, actor=JO)
    plan_fee_postings().catch_up()
    # Stripe: the provider's account and the person's, both onboarded; the platform funded.
    provider_account = pay.create_connected_account(
        provider_id=str(planner), email="c@example.org", name="Connect"
    )
    person_account = pay.create_connected_account(
        provider_id=REF, email="lee@example.org", name="Lee"
    )
    for account in (provider_account, person_account):
        stripe_server.post(f"/_config/accounts/{account}/complete_onboarding")
    accreditation_app().link_payment_account(planner, account=provider_account)
    pay.top_up(amount_pence=10_000_000, idempotency_key=f"f-{uuid.uuid4()}", description="f")
    payments_app().agree_direct_payment(
        ALEX,
        budget_ref=REF,
        needs=["Maintaining personal hygiene"],
        payee=Payee.create(kind="person", name="Lee Hart", stripe_account=person_account),
        has_capacity=True,
        start=start,
        today=today,
        figures=app.get_budget(REF).figures,
    )
    Membership.objects.create(
        user=make_user("priya", Role.PROVIDER_STAFF.value, password=PASSWORD), provider_id=planner
    )
    make_user("lbrown", Role.FINANCE_OFFICER.value, password=PASSWORD)
    lee = make_user("lee", Role.PERSON.value, password=PASSWORD)
    PersonAccount.objects.create(user=lee, person=REF)
    base = live_server.url

    # The provider sends its invoice: first with the wrong amount, then right.
    sign_in(page, base, "priya")
    page.get_by_role("link", name="Invoices", exact=True).click()
    page.select_option("#engagement", str(engagement))
    page.get_by_label("Your invoice number").fill("INV-0102")
    page.locator("#service_date").fill(str(today.day))
    page.locator("#service_date-month").fill(str(today.month))
    page.locator("#service_date-year").fill(str(today.year))
    page.get_by_label("Amount").fill("400.00")
    assert serious_violations(page) == []
    page.get_by_role("button", name="Send invoice").click()
    assert "There is a problem" in page.content()
    assert "£450.00" in page.locator(".govuk-error-summary").inner_text()
    assert serious_violations(page) == []
    page.get_by_label("Amount").fill("450.00")
    page.get_by_role("button", name="Send invoice").click()
    page.wait_for_url("**/provider/invoices/?submitted=INV-0102")
    assert "Invoice INV-0102 was sent" in page.content()
    page.get_by_role("button", name="Sign out").click()

    # Finance approves it.
    sign_in(page, base, "lbrown")
    page.get_by_role("link", name="Payments", exact=True).click()
    assert serious_violations(page) == []
    page.get_by_role("link", name="Invoices to approve").click()
    assert serious_violations(page) == []
    page.get_by_role("button", name="Approve invoice INV-0102").click()
    page.wait_for_url("**/finance/invoices/?done=approve")
    page.get_by_role("button", name="Sign out").click()

    # The run on the first pay date pays the invoice and the first direct payment.
    report = run_payments(start, rail=StripeRail())
    assert (report.paid, report.failed) == (2, [])

    sign_in(page, base, "priya")
    page.get_by_role("link", name="Invoices", exact=True).click()
    page.get_by_role("link", name="Remittance advice for invoice INV-0102").click()
    assert "£450.00" in page.content()
    assert serious_violations(page) == []
    page.get_by_role("button", name="Sign out").click()

    # The person sees their next payment and the one paid, as the ledger has them.
    sign_in(page, base, "lee")
    page.get_by_role("link", name="My budget").click()
    assert serious_violations(page) == []
    upcoming = page.get_by_test_id("next-payment").inner_text()
    second = payments_app().schedule(REF, england_and_wales(), until=start + timedelta(weeks=5))
    assert f"{second.due[1].pay_on:%A %-d %B %Y}" in upcoming
    assert "£800.00" in upcoming and "£160.00" in upcoming and "£640.00" in upcoming
    first = payments_app().get_payment(f"payments:dp:{REF}:P01")
    entry = ledger.get_entry(first.entry)
    legs = {leg.account: leg.amount for leg in entry.legs}
    assert legs[f"DP:{REF}:PAYABLE"] == 64000 and legs[f"CONTRIBUTION:{REF}:DUE"] == 16000
    assert format_pence(legs[f"DP:{REF}:PAYABLE"]) in page.content()
    page.get_by_role("link", name=f"DP period 1 ({first.label.split('(')[1]}").click()
    assert "Remittance advice" in page.content() and "£640.00" in page.content()
    assert serious_violations(page) == []


def test_a_worker_sees_direct_payment_reviews_due_and_records_one(
    live_server: Any, page: Page, council: Any, make_user: Any
) -> None:
    today = date.today()
    payments_app().agree_direct_payment(
        ALEX,
        budget_ref=REF,
        needs=["Maintaining personal hygiene"],
        payee=Payee.create(kind="person", name="Lee Hart"),
        has_capacity=True,
        start=earliest_start(today),
        today=today,
        figures=BudgetFigures(
            total_weekly=30000, contribution_weekly=0, direct_payment_weekly=20000
        ),
    )
    make_user("alex", Role.SOCIAL_WORKER.value, password=PASSWORD)
    sign_in(page, live_server.url, "alex")
    page.goto(f"{live_server.url}/cases/")
    page.get_by_role("link", name="Direct-payment reviews").click()
    assert "No direct-payment reviews are due" in page.content()  # none within 4 weeks
    page.get_by_role("link", name="Show those due in the next year").click()
    assert REF in page.content() and "Not yet" in page.content()
    assert serious_violations(page) == []
    page.get_by_role("link", name=f"Record the review of {REF}").click()
    page.locator("#on").fill(str(today.day))
    page.locator("#on-month").fill(str(today.month))
    page.locator("#on-year").fill(str(today.year))
    page.get_by_label("What the review found, and why it decided this").fill("All going well")
    page.get_by_role("button", name="Record the review").click()
    assert "There is a problem" in page.content()  # no outcome chosen
    assert serious_violations(page) == []
    page.get_by_label("Carry on").check()
    page.get_by_role("button", name="Record the review").click()
    page.wait_for_url("**/cases/direct-payment-reviews/")
    assert f"The direct-payment review of {REF} is recorded." in page.content()
    assert serious_violations(page) == []
    assert payments_app().agreement(REF).dp_reviews[0][1] == "carry_on"


def test_two_finance_officers_set_a_providers_bank_account(
    live_server: Any, page: Page, council: Any, make_user: Any
) -> None:
    planner = accredited_provider("1900002", name="Connect Doncaster")
    make_user("lbrown", Role.FINANCE_OFFICER.value, password=PASSWORD)
    make_user("mpatel", Role.FINANCE_OFFICER.value, password=PASSWORD)
    base = live_server.url
    sign_in(page, base, "lbrown")
    page.get_by_role("link", name="Payments", exact=True).click()
    page.get_by_role("link", name="Providers' bank accounts").click()
    assert serious_violations(page) == []
    page.get_by_role("link", name="Connect Doncaster").click()
    assert "No bank account yet" in page.content()
    page.get_by_label("Sort code").fill("20-00")
    page.get_by_label("Account number").fill("55779911")
    page.get_by_label("Name on the account").fill("Connect Doncaster")
    page.get_by_label("How you checked them").fill("called back on the register's number")
    page.get_by_role("button", name="Record the new details").click()
    assert "Enter a sort code of 6 digits" in page.locator(".govuk-error-summary").inner_text()
    assert serious_violations(page) == []
    page.get_by_label("Sort code").fill("20-00-00")
    page.get_by_role("button", name="Record the new details").click()
    assert "20-00-00 ····9911" in page.get_by_test_id("awaiting").inner_text()
    page.get_by_role("button", name="Confirm the new details").click()  # the same officer
    assert "second finance officer" in page.locator(".govuk-error-summary").inner_text()
    assert serious_violations(page) == []
    page.get_by_role("button", name="Sign out").click()
    sign_in(page, base, "mpatel")
    page.goto(f"{base}/finance/providers/{planner}/bank-account/")
    page.get_by_role("button", name="Confirm the new details").click()
    assert "confirmed: payment runs pay to them" in page.content()
    assert "confirmed by mpatel" in page.get_by_test_id("in-force").inner_text()
    assert serious_violations(page) == []
