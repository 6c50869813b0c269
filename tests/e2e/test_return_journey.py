"""In Chromium, with axe on every page: a person sees that their direct-payment return waits,
opens it, is asked only about the marked lines (an empty answer refused in the error summary),
and confirms it."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from playwright.sync_api import Page

from budgets.services import allocate, budget_app
from config.actor import Actor
from config.roles import Role
from marketplace.models import PersonAccount
from payments.application import payments_app
from payments.direct_payments import Payee, earliest_start
from payments.services import dp_returns
from tests.e2e.conftest import serious_violations
from tests.e2e.test_choosing_support import PASSWORD, sign_in
from tests.integration.helpers import ALEX, assessed_person, care_fund_and_grid
from tests.integration.test_reconciliation import mt940

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
REF = "DN-000998"


def test_a_person_confirms_their_return_answering_only_what_is_asked(
    live_server: Any, page: Page, council: Any, make_user: Any
) -> None:
    today = date.today()
    start = earliest_start(today)
    care_fund_and_grid()
    assessed_person(REF)
    allocate(
        REF,
        today=today,
        actor=ALEX,
        weekly=None,
        adjustment_reason="",
        contribution_weekly=0,
        split={"direct_payment": 20000, "council_managed": 12200},
        direct_payment_start=start,
    )
    payments_app().agree_direct_payment(
        ALEX,
        budget_ref=REF,
        needs=["Maintaining personal hygiene"],
        payee=Payee.create(kind="person", name="Lee Hart"),
        has_capacity=True,
        start=start,
        today=today,
        figures=budget_app().get_budget(REF).figures,
    )
    dp_returns().record(
        Actor(id="l.brown", roles=frozenset({Role.FINANCE_OFFICER})),
        budget=REF,
        kind="mt940",
        data=mt940(
            [
                ("261207", "C", "800,00", "DP DN-000998 P01|FROM THE COUNCIL"),
                ("261208", "D", "120,00", "HELPING HANDS|CARE VISITS"),
                ("261209", "D", "30,00", "CASH|ATM"),
            ]
        ),
        closing_balance=65000,
    )
    lee = make_user("lee", Role.PERSON.value, password=PASSWORD)
    PersonAccount.objects.create(user=lee, person=REF)
    sign_in(page, live_server.url, "lee")
    page.get_by_role("link", name="My budget").click()
    page.get_by_role("link", name="check your direct-payment return").click()
    assert "We ask about this" in page.content()
    assert serious_violations(page) == []
    page.get_by_role("button", name="Confirm my return").click()
    assert "There is a problem" in page.content()
    assert serious_violations(page) == []
    page.get_by_label("CASH ATM, −£30.00").fill("bus fares to the day centre")
    page.get_by_role("button", name="Confirm my return").click()
    assert "your return is confirmed" in page.content()
    assert page.get_by_test_id("confirmed").is_visible()
    assert serious_violations(page) == []
    [confirmed] = dp_returns().of_budget(REF)
    assert confirmed.confirmed_by == "lee" and confirmed.evidence == [
        (2, "bus fares to the day centre")
    ]
    # A surplus told to Lee: read from My budget, with its reasons, and asked about again.
    from payments.services import monitoring

    manager = Actor(id="t.manager", roles=frozenset({Role.TEAM_MANAGER}))
    monitoring().find(manager, budget=REF, on=date(2026, 12, 10), balance=400000, owed=[])
    monitoring().notice(manager, budget=REF, on=date(2026, 12, 10))
    page.get_by_role("navigation", name="Menu").get_by_role("link", name="My budget").click()
    page.get_by_role("link", name="see why, and what happens now").click()
    assert "Kept for what is coming" in page.content()
    assert serious_violations(page) == []
    page.get_by_role("button", name="Ask us to look at it again").click()
    assert "There is a problem" in page.content()
    assert serious_violations(page) == []
    page.get_by_label("Ask us to look at it again").fill("the agency's December bill is unpaid")
    page.get_by_role("button", name="Ask us to look at it again").click()
    assert "Nothing is taken back until we have" in page.content()
    assert serious_violations(page) == []
    [asked] = monitoring().of_budget(REF)
    assert asked.asked_again == "the agency's December bill is unpaid"
