"""A direct payment follows its budget (payments/processes.py, BudgetChanges): a revision and a
financial reassessment's new contribution change the amounts from the first period not yet
paid, with the difference for the days already paid at the old amounts; once, however often
the manager runs; recorded against the ledger's payments, on both stores."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from budgets.services import allocate, budget_app, revise
from config.actor import Actor
from config.roles import Role
from ledger.domain import Owner, entry_id
from ledger.services import ledger_app
from payments.application import payments_app
from payments.bacs import Originator
from payments.calendar import england_and_wales
from payments.direct_payments import BankAccount, Payee, earliest_start
from payments.processes import budget_changes
from payments.rails import BacsRail
from tests.integration.helpers import ALEX, assessed_person, care_fund_and_grid, signed_in

pytestmark = pytest.mark.django_db(transaction=True)

CAL = england_and_wales()
TODAY = date.today()
START = earliest_start(TODAY)
REF = "DN-000971"
COUNCIL = Originator(sun="123456", name="Doncaster", sort_code="401234", account_number="12345678")


def run_period(n: int, folder: Path) -> Any:
    """The Bacs run that pays period ``n`` (the scheduled job may run a day ahead)."""
    app = payments_app()
    rail = BacsRail(originator=COUNCIL, folder=folder)
    pay_on = CAL.on_or_before(START + timedelta(weeks=4 * (n - 1)))
    run = app.start_run(Actor.system(), rail=rail, run_on=rail.run_day(pay_on, CAL), calendar=CAL)
    app.work_run(
        Actor.system(),
        run,
        rail=rail,
        journal=ledger_app().journal(Actor.system(), context=Owner.PAYMENTS),
    )
    return app.get_payment(f"payments:dp:{REF}:P{n:02d}")


def test_a_revision_and_a_new_contribution_follow_into_the_first_unpaid_period(
    council: Any, make_user: Any, tmp_path: Path
) -> None:
    care_fund_and_grid()
    ledger_app().open_account(code="COUNCIL:BANK", name="Bank", type="asset", actor="t")
    assessed_person(REF)
    allocate(
        REF,
        today=TODAY,
        actor=ALEX,
        weekly=None,
        adjustment_reason="",
        contribution_weekly=4000,
        split={"direct_payment": 20000, "council_managed": 12200},
        direct_payment_start=START,
    )
    bank = BankAccount.create(sort_code="200000", account_number="30000000", name="Sam")
    app = payments_app()
    app.agree_direct_payment(
        ALEX,
        budget_ref=REF,
        needs=["Maintaining personal hygiene"],
        payee=Payee.create(kind="person", name="Sam", bank=bank),
        has_capacity=True,
        start=START,
        today=TODAY,
        figures=budget_app().get_budget(REF).figures,
    )
    first = run_period(1, tmp_path)
    assert (first.gross, first.netted) == (80000, 16000)

    # Revised today (before the first period, which is paid already): £250.00 a week paid
    # from period 2, with period 1's 28 days at £50.00 a week more.
    revise(
        REF,
        today=TODAY,
        actor=ALEX,
        weekly=37200,
        split={"direct_payment": 25000, "council_managed": 12200},
        reason="more personal care after a fall",
    )
    manager = budget_changes()
    manager.catch_up()
    # The step run again from its event (a parked step retried, another runner without the
    # position): the change is recorded once.
    revised = [
        manager.upstream.mapper.to_domain_event(n)
        for n in manager.upstream.recorder.select_notifications(start=1, limit=1000)
        if n.topic.endswith("PersonalBudget.Revised")
    ]
    assert len(revised) == 1
    assert manager.handle(revised[0], None) is False
    agreement = app.agreement(REF)
    assert len(agreement.amount_changes) == 2
    assert agreement.amount_changes[1][2] == START + timedelta(weeks=4)
    second = run_period(2, tmp_path)
    assert (second.gross, second.netted) == (4 * 25000 + 20000, 16000)
    assert "Includes 28 days" in second.reason

    # The financial reassessment, by API: £60.00 a week from today, before the payments
    # started; periods 1 and 2 are paid already, so from period 3, with their 56 days at
    # £20.00 a week more netted off.
    worker = signed_in(make_user, "alex", Role.SOCIAL_WORKER)
    route = f"/api/v1/budgets/people/{REF}/budget/contribution"
    since = TODAY

    def post(body: dict[str, Any]) -> Any:
        return worker.post(route, data=json.dumps(body), content_type="application/json")

    too_much = post(
        {"contribution_weekly_pence": 50000, "effective_from": str(since), "reason": "x"}
    )
    assert too_much.status_code == 422
    assert too_much.json()["errors"][0]["field"] == "contribution_weekly_pence"
    too_far = post(
        {
            "contribution_weekly_pence": 6000,
            "effective_from": str(TODAY + timedelta(days=91)),
            "reason": "x",
        }
    )
    assert too_far.json()["errors"][0]["field"] == "effective_from"
    assert budget_app().get_budget(REF).contribution_weekly == 4000  # nothing recorded
    made = post(
        {
            "contribution_weekly_pence": 6000,
            "effective_from": str(since),
            "reason": "pension rose",
        }
    )
    assert made.status_code == 200, made.content
    # The ledger: a year of the £20.00 a week more moved from the council's part to what the
    # person owes.
    moved = ledger_app().get_entry(entry_id(f"budget:{REF}:contribution:2"))
    assert {(leg.account, leg.side.value, leg.amount) for leg in moved.legs} == {
        (f"CONTRIBUTION:{REF}:DUE", "debit", 2000 * 52),
        ("COUNCIL:CARE-FUND", "credit", 2000 * 52),
    }
    budget_changes().catch_up()
    third = run_period(3, tmp_path)
    # 4 × £60.00, plus 56 days (8 weeks) at £20.00 a week more: £240.00 + £160.00.
    assert (third.gross, third.netted) == (100000, 4 * 6000 + 8 * 2000)
    assert "Includes 56 days" in third.reason
    fourth = run_period(4, tmp_path)
    assert (fourth.gross, fourth.netted) == (100000, 24000)
    # Only finance and case workers set budgets: a person's own change is refused.
    person = signed_in(make_user, "sam", Role.PERSON)
    assert (
        person.post(
            route,
            data=json.dumps(
                {"contribution_weekly_pence": 0, "effective_from": str(since), "reason": "x"}
            ),
            content_type="application/json",
        ).status_code
        == 403
    )


def test_a_worker_changes_the_contribution_on_the_case_page(council: Any, make_user: Any) -> None:
    care_fund_and_grid()
    assessed_person(REF)
    allocate(
        REF,
        today=TODAY,
        actor=ALEX,
        weekly=None,
        adjustment_reason="",
        contribution_weekly=4000,
        split={"council_managed": 32200},
        direct_payment_start=None,
    )
    worker = signed_in(make_user, "alex", Role.SOCIAL_WORKER)
    assert "Change the contribution" in worker.get(f"/cases/{REF}/").content.decode()
    route = f"/cases/{REF}/contribution/"
    shown = worker.get(route)
    assert shown.status_code == 200 and "£40.00 a week" in shown.content.decode()
    when = {"effective_from-day": TODAY.day, "effective_from-month": TODAY.month}
    when["effective_from-year"] = TODAY.year
    no_date = worker.post(route, {"contribution": "50.00", "reason": "pension rose"})
    assert no_date.status_code == 400
    assert "Date it applies from is required" in no_date.content.decode()
    too_much = worker.post(route, {**when, "contribution": "500.00", "reason": "pension rose"})
    assert too_much.status_code == 400
    assert (
        "New contribution a week cannot be more than the budget itself" in too_much.content.decode()
    )
    assert budget_app().get_budget(REF).contribution_weekly == 4000  # nothing recorded
    done = worker.post(route, {**when, "contribution": "50.00", "reason": "pension rose"})
    assert done.status_code == 302
    assert budget_app().get_budget(REF).contribution_weekly == 5000
    person = signed_in(make_user, "sam", Role.PERSON)
    assert person.get(route).status_code == 403
