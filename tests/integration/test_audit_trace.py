"""The auditor's trace (audit/trace.py) of one budget from its assessment to its payment: the
timeline of every context's events in order, filtered by kind and date; the chain from the
payment back to the assessment; balances as at three past dates equal to sums worked out
independently from the entries' lines; a sample drawn again from its seed; and an auditor
refused on every write route of the API and the pages, with nothing recorded anywhere."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest
from django.test import Client

from audit.trace import as_at, chain, sample, timeline
from budgets.plan import DIRECT_PAYMENT_PARTS, REQUIRED_PARTS
from budgets.services import allocate, budget_app
from config.actor import Actor
from config.roles import Role
from ledger import models as ledger_models
from ledger.domain import Owner
from ledger.services import ledger_app
from payments.application import payments_app
from payments.calendar import england_and_wales
from payments.direct_payments import BankAccount, Payee, earliest_start
from payments.rails import BacsRail
from tests.integration.helpers import (
    ALEX,
    JO,
    accredited_provider,
    assessed_person,
    care_fund_and_grid,
    engaged_planner,
    provider_staff,
    signed_in,
    six_week_review,
)
from tests.integration.test_payment_runs import COUNCIL

pytestmark = pytest.mark.django_db(transaction=True)
REF = "DN-000997"
TODAY = date.today()
START = earliest_start(TODAY)
KEY = f"payments:dp:{REF}:P01"


@pytest.fixture
def journey(council: Any, tmp_path: Path) -> None:
    """Assessed, allocated, a planner engaged, the plan signed off, a direct payment agreed
    and its first period paid by Bacs."""
    from payments.processes import run_commitments

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
    planner = accredited_provider("2200001", name="Connect Doncaster")
    engaged_planner(REF, planner)
    run_commitments()
    app = budget_app()
    parts = {key: f"About {key}" for key in [*REQUIRED_PARTS, *DIRECT_PAYMENT_PARTS]}
    app.write_plan(
        REF, parts=parts, actor=provider_staff(planner), as_author="planner", today=TODAY
    )
    app.sign_plan(REF, actor=ALEX)
    six_week_review(REF)
    app.sign_plan(REF, actor=JO)
    bank = BankAccount.create(sort_code="200000", account_number="60000000", name="Sam")
    pays = payments_app()
    pays.agree_direct_payment(
        ALEX,
        budget_ref=REF,
        needs=["Maintaining personal hygiene"],
        payee=Payee.create(kind="person", name="Sam", bank=bank),
        has_capacity=True,
        start=START,
        today=TODAY,
        figures=app.get_budget(REF).figures,
    )
    cal, rail = england_and_wales(), BacsRail(originator=COUNCIL, folder=tmp_path)
    system = Actor.system()
    run = pays.start_run(system, rail=rail, run_on=rail.run_day(START, cal), calendar=cal)
    journal = ledger_app().journal(system, context=Owner.PAYMENTS)
    assert pays.work_run(system, run, rail=rail, journal=journal).paid == 1


def test_the_timeline_runs_from_assessment_to_payment_in_order(
    journey: None, make_user: Any
) -> None:
    make_user("alex", Role.SOCIAL_WORKER.value)
    steps = timeline(REF).steps
    whats = [s.what for s in steps]
    order = [
        "Assessment.VersionRecorded",
        "PersonalBudget.Allocated",
        "Engagement.Accepted",
        "Plan.Signed",
        "DirectPaymentAgreement.Agreed",
        "Payment.Scheduled",
        "Payment.Paid",
    ]
    found = [whats.index(w) for w in order]
    assert found == sorted(found), whats
    assert [s.at for s in steps] == sorted(s.at for s in steps)
    allocated = steps[whats.index("PersonalBudget.Allocated")]
    assert allocated.actor == "alex" and "grid version 1" in allocated.rule
    assert allocated.role == "social worker"
    assert any(s.role == "system" for s in steps)  # the scheduled job's own steps
    assert any(s.context == "ledger" and s.what.startswith("JournalEntry.Posted") for s in steps)
    only = timeline(REF, kinds=["Plan.Signed"]).steps
    assert {s.what for s in only} == {"Plan.Signed"} and len(only) == 2
    assert timeline(REF, since=TODAY + timedelta(days=1)).steps == []


def test_a_payment_is_followed_back_to_its_assessment(journey: None) -> None:
    links = chain(KEY)
    assert [link.what for link in links] == [
        "payment",
        "ledger entry",
        "direct-payment agreement",
        "plan signed off",
        "budget allocated",
        "assessment",
    ]
    assert "RAS grid version 1" in links[4].detail and links[4].actor == "alex"


def test_balances_as_at_three_dates_equal_the_entries_summed_independently(journey: None) -> None:
    code = f"PB:{REF}:AVAILABLE"
    lines = list(ledger_models.Line.objects.filter(account__code=code))
    for day in (TODAY - timedelta(days=1), TODAY, START):
        end = datetime.combine(day, time.max, tzinfo=UTC)
        summed = sum(
            x.amount if x.side == "credit" else -x.amount for x in lines if x.effective_at <= end
        )
        assert as_at(REF, day)[code] == summed, day
    assert as_at(REF, TODAY - timedelta(days=1))[code] == 0  # before the allocation


def test_a_sample_is_drawn_again_from_its_seed(journey: None) -> None:
    from payments.models import PaymentRecord
    from payments.services import catch_up

    catch_up()
    # Forty more payments in the read model, to draw from.
    made = PaymentRecord.objects.get(key=KEY)
    for n in range(2, 42):
        made.pk, made.key = uuid4(), f"payments:dp:DN-S{n:03d}:P01"
        made.save(force_insert=True)
    first = sample(10)
    assert first.population == 41 and len(first.keys) == 10 and len(first.seed) == 16
    assert sample(10, first.seed) == first  # the same seed: the same sample
    others = [sample(10, f"seed-{n}").keys for n in range(5)]
    assert any(keys != first.keys for keys in others)  # another seed: another sample


def test_an_auditor_is_refused_on_every_write_route_and_nothing_is_recorded(
    journey: None, make_user: Any
) -> None:
    from api.main import api
    from frontend.urls import urlpatterns

    auditor = signed_in(make_user, "a.audit", Role.AUDITOR)
    # Reads are fine.
    assert auditor.get(f"/api/v1/audit/budgets/{REF}/timeline").status_code == 200
    assert auditor.get(f"/api/v1/audit/payments/{KEY}/chain").status_code == 200
    assert auditor.get(f"/audit/budgets/{REF}/").status_code == 200
    before = stores_positions()
    refused = []
    for prefix, router in api._routers:
        for path, view in router.path_operations.items():
            for op in view.operations:
                if not set(op.methods) & {"POST", "PUT", "PATCH", "DELETE"}:
                    continue
                url = "/api/v1" + prefix + re.sub(r"\{[^}]+\}", _param, path)
                for method in set(op.methods) & {"POST", "PUT", "PATCH", "DELETE"}:
                    answer = auditor.generic(method, url, "{}", content_type="application/json")
                    assert answer.status_code >= 400, (method, url, answer.status_code)
                    refused.append(answer.status_code)
    assert refused.count(403) >= 40  # most are refused by their policy before anything else
    for pattern in urlpatterns:
        if pattern.name == "sign-out":
            continue  # the one POST an auditor may make: it changes no record
        url = "/" + re.sub(r"<[^>]+>", lambda m: _param(m, page=True), str(pattern.pattern))
        answer = auditor.post(url, {})
        assert answer.status_code not in (301, 302) or "/sign-in/" in answer.get("Location", ""), (
            url
        )
    assert stores_positions() == before  # no event recorded in any context


def _param(match: Any, page: bool = False) -> str:
    name = match.group(0).strip("{}<>").split(":")[-1]
    if any(w in name for w in ("id", "engagement", "invoice", "line", "provider", "run")):
        return "00000000-0000-0000-0000-000000000000"
    if name == "council_ref":
        return REF
    if name == "key":
        return KEY
    return "x"


def stores_positions() -> dict[str, int]:
    from accreditation.services import accreditation_app
    from marketplace.services import marketplace_app

    apps = {
        "budgets": budget_app(),
        "ledger": ledger_app(),
        "payments": payments_app(),
        "marketplace": marketplace_app(),
        "register": accreditation_app(),
    }
    return {name: app.recorder.max_notification_id() or 0 for name, app in apps.items()}


def test_nobody_but_auditors_opens_the_trace(journey: None, make_user: Any) -> None:
    worker = signed_in(make_user, "alex", Role.SOCIAL_WORKER)
    assert worker.get(f"/api/v1/audit/budgets/{REF}/timeline").status_code == 403
    assert worker.get("/audit/").status_code == 403
    assert Client().get("/audit/").status_code == 302
