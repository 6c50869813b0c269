"""Direct-payment reviews (regulation 7) for case workers: reminded once per due date by the
daily job, listed with why on their page and in the API, and recorded on a page whose refusals
show the GOV.UK error summary with nothing recorded."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from budgets.budget import BudgetFigures
from config.actor import Actor
from config.roles import Role
from payments.application import payments_app
from payments.direct_payments import Payee
from payments.policies import NotPermittedError
from tests.integration.helpers import signed_in

pytestmark = pytest.mark.django_db(transaction=True)

WORKER = Actor(id="alex", roles=frozenset({Role.SOCIAL_WORKER}))
FIGURES = BudgetFigures(total_weekly=30000, contribution_weekly=0, direct_payment_weekly=30000)
REF = "DN-000980"
START = date(2026, 12, 7)
DUE = date(2027, 6, 7)  # within 6 months of the first payment


def agreed() -> None:
    payments_app().agree_direct_payment(
        WORKER,
        budget_ref=REF,
        needs=["Managing and maintaining nutrition"],
        payee=Payee.create(kind="person", name="Sam"),
        has_capacity=True,
        start=START,
        today=date(2026, 12, 1),
        figures=FIGURES,
    )


def test_the_worker_is_reminded_once_four_weeks_before_a_review_is_due(stores: Any) -> None:
    stores.new()
    agreed()
    app = payments_app()
    with pytest.raises(NotPermittedError):
        app.remind_dp_reviews(WORKER, today=DUE)  # the scheduled job's, not a person's
    assert app.remind_dp_reviews(Actor.system(), today=DUE - timedelta(days=29)) == 0
    assert app.remind_dp_reviews(Actor.system(), today=DUE - timedelta(days=28)) == 1
    assert app.remind_dp_reviews(Actor.system(), today=DUE - timedelta(days=27)) == 0
    [due] = app.dp_reviews_due(WORKER, today=DUE - timedelta(days=27))
    assert (due.budget, due.due_on, due.reminded, due.overdue) == (REF, DUE, True, False)
    # A concern brings the review forward: due at once, and reminded of at once.
    app.change_agreement(
        WORKER,
        REF,
        lambda a: a.record_trigger(
            on=date(2027, 1, 20), kind="concern", note="bills unpaid", actor=WORKER.id
        ),
    )
    [sooner] = app.dp_reviews_due(WORKER, today=date(2027, 1, 21))
    assert (sooner.due_on, sooner.reminded, sooner.overdue) == (date(2027, 1, 20), False, True)
    assert app.remind_dp_reviews(Actor.system(), today=date(2027, 1, 21)) == 1


def test_a_worker_records_a_review_on_its_page(stores: Any, make_user: Any) -> None:
    stores.new()
    agreed()
    worker = signed_in(make_user, "alex", Role.SOCIAL_WORKER)
    listed = worker.get("/cases/direct-payment-reviews/?within=year")
    assert listed.status_code == 200
    page = listed.content.decode()
    assert REF in page and "7 June 2027" in page and "Not yet" in page
    assert "the first review, within 6 months of the first payment".capitalize() in page
    route = f"/cases/{REF}/direct-payment-review/"
    today = date.today()
    when = {"on-day": today.day, "on-month": today.month, "on-year": today.year}
    refused = worker.post(route, {**when, "reason": "all well"})
    assert refused.status_code == 400
    assert "There is a problem" in refused.content.decode()
    assert payments_app().agreement(REF).dp_reviews == []  # nothing recorded
    no_date = worker.post(route, {"outcome": "carry_on", "reason": "all well"})
    assert (
        no_date.status_code == 400 and "Date of the review is required" in no_date.content.decode()
    )
    done = worker.post(route, {**when, "outcome": "carry_on", "reason": "all well"})
    assert done.status_code == 302
    [(on, outcome, _, by)] = payments_app().agreement(REF).dp_reviews
    assert (on, outcome, by) == (today, "carry_on", "alex")
    finance = signed_in(make_user, "l.brown", Role.FINANCE_OFFICER)
    assert finance.get(route).status_code == 403  # finance reads reviews, workers record them
    assert finance.get("/cases/direct-payment-reviews/").status_code == 200
