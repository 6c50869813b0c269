"""Payment runs (payments/application.py) on the real ledger, on both rails: Stripe Connect
through the official SDK against the local Stripe server, and a Bacs Standard 18 file parsed
back. A run pays each due direct payment once, posts its payable and its settlement as
docs/ledger.md says, and a run worked again (after a crash, or a failure put right) pays
nothing twice."""

from __future__ import annotations

import json
import uuid
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest

from budgets.budget import BudgetFigures
from config.actor import Actor
from config.roles import Role
from ledger.domain import Owner
from payments import stripe as pay
from payments.application import PaymentsApplication, payable, payments_app
from payments.bacs import Originator, parse
from payments.calendar import england_and_wales
from payments.direct_payments import BankAccount, Payee, earliest_start
from payments.rails import BacsRail, StripeRail
from payments.runs import PaymentStatus, settlement_key
from tests.conftest import draft

pytestmark = pytest.mark.django_db(transaction=True)

CAL = england_and_wales()
WORKER = Actor(id="a.khan", roles=frozenset({Role.SOCIAL_WORKER}))
FINANCE = Actor(id="l.brown", roles=frozenset({Role.FINANCE_OFFICER}))
# Runs a day ahead are the scheduled job's (payments/policies.py: check_run_day).
SYSTEM = Actor.system()
FIGURES = BudgetFigures(total_weekly=30000, contribution_weekly=4000, direct_payment_weekly=30000)
COUNCIL = Originator(
    sun="123456", name="Doncaster Council", sort_code="401234", account_number="12345678"
)


def budget(ledger: Any, ref: str, pence: int = 30000 * 52) -> None:
    """A budget's accounts and a year's allocation, as the budgets context leaves them."""
    journal = ledger.journal(Actor.system(), context=Owner.BUDGETS)
    for code, kind, no_overdraft in [
        (f"PB:{ref}:AVAILABLE", "liability", True),
        (f"CONTRIBUTION:{ref}:DUE", "asset", False),
    ]:
        journal.open_account(
            code=code,
            name=code,
            type=kind,
            owner_kind="budget",
            owner_id=ref,
            no_overdraft=no_overdraft,
        )
    journal.post_entry(
        draft(
            f"budget:{ref}:allocation",
            [("COUNCIL:CARE-FUND", "debit", pence), (f"PB:{ref}:AVAILABLE", "credit", pence)],
        )
    )


@pytest.fixture
def ledger(stores: Any) -> Any:
    ledger = stores.new()
    for code, kind in [
        ("COUNCIL:CARE-FUND", "equity"),
        ("COUNCIL:BANK", "asset"),
        ("STRIPE:CLEARING", "asset"),
    ]:
        ledger.open_account(code=code, name=code, type=kind, actor="t")
    return ledger


def agree(app: PaymentsApplication, ref: str, payee: Payee, start: date) -> None:
    app.agree_direct_payment(
        WORKER,
        budget_ref=ref,
        needs=["Managing and maintaining nutrition"],
        payee=payee,
        has_capacity=True,
        start=start,
        today=date(2026, 11, 30),
        figures=FIGURES,
    )


def journal(ledger: Any) -> Any:
    return ledger.journal(Actor.system(), context=Owner.PAYMENTS)


def test_a_bacs_run_writes_one_file_that_says_what_the_ledger_paid(
    ledger: Any, tmp_path: Path
) -> None:
    app = payments_app()
    refs = [f"DN-B{n}" for n in range(3)]
    for n, ref in enumerate(refs):
        budget(ledger, ref)
        bank = BankAccount.create(
            sort_code=f"20000{n}", account_number=f"3000000{n}", name=f"Person {n}"
        )
        agree(
            app, ref, Payee.create(kind="person", name=f"Person {n}", bank=bank), date(2026, 12, 28)
        )
    rail = BacsRail(originator=COUNCIL, folder=tmp_path)
    # Monday 28 December 2026 is the Boxing Day holiday: paid on Thursday 24th, so the file is
    # processed three working days before, on Monday 21 December, and made (the input day)
    # the working day before that, Friday 18th.
    assert rail.processing_day(date(2026, 12, 24), CAL) == date(2026, 12, 21)
    assert rail.run_day(date(2026, 12, 24), CAL) == date(2026, 12, 18)
    early = app.start_run(SYSTEM, rail=rail, run_on=date(2026, 12, 17), calendar=CAL)
    assert app.get_run(early).keys == ()
    run = app.start_run(SYSTEM, rail=rail, run_on=date(2026, 12, 18), calendar=CAL)
    report = app.work_run(FINANCE, run, rail=rail, journal=journal(ledger))
    assert (report.paid, report.failed, report.pending) == (3, [], 0)
    parsed = parse(rail.file_for(date(2026, 12, 18)).read_text())
    assert parsed.processing_day == date(2026, 12, 21)  # day 2 of the cycle
    assert sorted(c.reference for c in parsed.credits) == [f"DP {ref} P01" for ref in refs]
    assert parsed.total == report.total_paid == 3 * 104000
    for ref in refs:
        assert ledger.get_account(f"PB:{ref}:AVAILABLE").balance == -(30000 * 52 - 120000)
        assert ledger.get_account(payable(ref)).balance == 0
        assert ledger.get_account(f"CONTRIBUTION:{ref}:DUE").balance == -16000
    assert ledger.get_account("COUNCIL:BANK").balance == -parsed.total
    # Worked again (a crash after the file, or a re-run by hand): nothing more is paid.
    again = app.work_run(FINANCE, run, rail=rail, journal=journal(ledger))
    assert again.paid == 3
    assert parse(rail.file_for(date(2026, 12, 18)).read_text()).total == parsed.total
    assert len(rail.files_for(date(2026, 12, 18))) == 1  # nothing new: no new file
    assert ledger.get_account("COUNCIL:BANK").balance == -parsed.total
    # The next day's run finds them paid and carries nothing.
    next_day = app.start_run(SYSTEM, rail=rail, run_on=date(2026, 12, 21), calendar=CAL)
    assert app.get_run(next_day).keys == ()


def test_a_stripe_run_pays_each_once_and_a_failure_is_reported_then_retried(
    ledger: Any, stripe_server: Any
) -> None:
    app = payments_app()
    accounts = []
    for n in range(2):
        ref = f"DN-S{n}-{uuid.uuid4().hex[:6]}"
        budget(ledger, ref)
        account = pay.create_connected_account(provider_id=ref, email="dp@example.org", name=ref)
        stripe_server.post(f"/_config/accounts/{account}/complete_onboarding")
        accounts.append((ref, account))
        agree(
            app,
            ref,
            Payee.create(kind="person", name=ref, stripe_account=account),
            date(2026, 12, 7),
        )
    # One person's payee has no connected account: refused by the rail, reported, not retried.
    lost = f"DN-S9-{uuid.uuid4().hex[:6]}"
    budget(ledger, lost)
    agree(app, lost, Payee.create(kind="person", name="No Account"), date(2026, 12, 7))
    pay.top_up(amount_pence=10_000_000, idempotency_key=f"fund-{uuid.uuid4()}", description="funds")
    rail = StripeRail()
    run = app.start_run(SYSTEM, rail=rail, run_on=date(2026, 12, 7), calendar=CAL)
    report = app.work_run(FINANCE, run, rail=rail, journal=journal(ledger), batch_size=1)
    assert report.paid == 2
    assert [key for key, _ in report.failed] == [f"payments:dp:{lost}:P01"]
    assert "no Stripe connected account" in report.failed[0][1]
    for ref, account in accounts:
        key = f"payments:dp:{ref}:P01"
        transfers = pay.client().v1.transfers.list(params={"transfer_group": key}).data
        assert [(t.amount, t.destination) for t in transfers] == [(104000, account)]
        payment = app.get_payment(key)
        assert payment.status is PaymentStatus.PAID and payment.rail_ref == transfers[0].id
        entry = ledger.get_entry(payment.settlement)
        assert entry.idempotency_key == settlement_key(key)
    assert ledger.get_account("STRIPE:CLEARING").balance == -2 * 104000
    # The failed payment's payable stays in the ledger, owed: finance sees it and its reason.
    assert ledger.get_account(payable(lost)).balance == -104000
    # Run again: the two paid are found paid, nothing is sent twice.
    again = app.work_run(FINANCE, run, rail=rail, journal=journal(ledger))
    assert again.paid == 2
    for ref, _ in accounts:
        group = f"payments:dp:{ref}:P01"
        assert len(pay.client().v1.transfers.list(params={"transfer_group": group}).data) == 1
    assert ledger.get_account("STRIPE:CLEARING").balance == -2 * 104000


def test_only_finance_runs_payments_and_case_workers_agree_them(ledger: Any) -> None:
    app = payments_app()
    from payments.policies import NotPermittedError

    with pytest.raises(NotPermittedError):
        app.start_run(WORKER, rail=StripeRail(), run_on=date(2026, 12, 7), calendar=CAL)
    # Finance runs today's (or a past day's) payments, never a day ahead: that would pay early.
    ahead = date.today() + timedelta(days=7)
    with pytest.raises(NotPermittedError, match="not before"):
        app.start_run(FINANCE, rail=StripeRail(), run_on=ahead, calendar=CAL)
    with pytest.raises(NotPermittedError):
        app.agree_direct_payment(
            FINANCE,
            budget_ref="DN-X",
            needs=["x"],
            payee=Payee.create(kind="person", name="X"),
            has_capacity=True,
            start=date(2026, 12, 7),
            today=date(2026, 11, 30),
            figures=FIGURES,
        )


def test_the_api_shows_runs_to_finance_and_payments_to_their_person(
    ledger: Any, tmp_path: Path, make_user: Any
) -> None:
    from tests.integration.helpers import person, signed_in

    app = payments_app()
    for n, ref in enumerate(["DN-A0", "DN-A1"]):
        budget(ledger, ref)
        bank = BankAccount.create(sort_code=f"20000{n}", account_number=f"3000000{n}", name=ref)
        agree(app, ref, Payee.create(kind="person", name=ref, bank=bank), date(2026, 12, 7))
    rail = BacsRail(originator=COUNCIL, folder=tmp_path)
    run = app.start_run(SYSTEM, rail=rail, run_on=date(2026, 12, 2), calendar=CAL)
    app.work_run(FINANCE, run, rail=rail, journal=journal(ledger))

    finance = signed_in(make_user, "l.brown", Role.FINANCE_OFFICER)
    runs = finance.get("/api/v1/payments/runs").json()
    assert [(r["rail"], r["status"], r["total"], r["done"]) for r in runs["items"]] == [
        ("bacs", "finished", 2, 2)
    ]
    assert runs["items"][0]["report"]["paid"] == 2
    first = finance.get(f"/api/v1/payments/runs/{run}/payments?limit=1").json()
    assert [p["key"] for p in first["items"]] == ["payments:dp:DN-A0:P01"]
    assert first["next_cursor"] == "payments:dp:DN-A0:P01"
    rest = finance.get(f"/api/v1/payments/runs/{run}/payments?cursor={first['next_cursor']}")
    assert [p["key"] for p in rest.json()["items"]] == ["payments:dp:DN-A1:P01"]
    paid = rest.json()["items"][0]
    assert (paid["status"], paid["net"], paid["netted"]) == ("paid", "£1,040.00", "£160.00")

    own = person(make_user, "dn-a0", "DN-A0")
    mine = own.get("/api/v1/payments/budgets/DN-A0/payments").json()["items"]
    assert [(p["label"], p["net"], p["status"]) for p in mine] == [
        ("DP period 1 (7 Dec 2026–3 Jan 2027)", "£1,040.00", "paid")
    ]
    upcoming = own.get("/api/v1/payments/budgets/DN-A0/next-payment").json()
    assert (upcoming["pay_on"], upcoming["net"]) == ("2027-01-04", "£1,040.00")  # period 2
    assert own.get("/api/v1/payments/budgets/DN-A1/payments").status_code == 404
    assert own.get("/api/v1/payments/runs").status_code == 403
    worker = signed_in(make_user, "a.khan", Role.SOCIAL_WORKER)
    assert (
        worker.post("/api/v1/payments/runs", {}, content_type="application/json").status_code == 403
    )


def test_finance_pages_show_runs_progress_and_exceptions_and_a_person_their_remittance(
    ledger: Any, tmp_path: Path, make_user: Any
) -> None:
    from tests.integration.helpers import person, signed_in

    app = payments_app()
    budget(ledger, "DN-P0")
    bank = BankAccount.create(sort_code="200000", account_number="30000000", name="Pat Lee")
    agree(app, "DN-P0", Payee.create(kind="person", name="Pat Lee", bank=bank), date(2026, 12, 7))
    budget(ledger, "DN-P1")
    agree(app, "DN-P1", Payee.create(kind="person", name="No Bank"), date(2026, 12, 7))
    rail = BacsRail(originator=COUNCIL, folder=tmp_path)
    run = app.start_run(SYSTEM, rail=rail, run_on=date(2026, 12, 2), calendar=CAL)
    app.work_run(FINANCE, run, rail=rail, journal=journal(ledger))

    finance = signed_in(make_user, "l.brown", Role.FINANCE_OFFICER)
    runs = finance.get("/finance/payments/").content.decode()
    assert "2 December 2026" in runs and "2 of 2" in runs
    page = finance.get(f"/finance/payments/runs/{run}/").content.decode()
    assert "2 of 2 payments worked (100%)" in page
    assert "1 payment, £1,040.00" in page  # paid
    assert "No Bank&#x27;s bank details" in page or "No Bank's bank details" in page
    exceptions = finance.get("/finance/payments/exceptions/").content.decode()
    assert "payments:dp:DN-P1:P01" not in exceptions and "No Bank" in exceptions
    # A run is started in a worker: the page enqueues it and says so, waiting on nothing.
    worker = signed_in(make_user, "a.khan", Role.SOCIAL_WORKER)
    assert worker.post("/finance/payments/start/").status_code == 403

    own = person(make_user, "dn-p0", "DN-P0")
    remittance = own.get("/payments/payments:dp:DN-P0:P01/remittance/")
    assert remittance.status_code == 200
    text = remittance.content.decode()
    for words in ("7 December 2026 to 3 January 2027", "£1,200.00", "£160.00", "£1,040.00"):
        assert words in text
    assert own.get("/payments/payments:dp:DN-P1:P01/remittance/").status_code == 404


def test_direct_payment_reviews_are_listed_when_due_and_recorded_through_the_api(
    ledger: Any, make_user: Any
) -> None:
    import json

    from tests.integration.helpers import signed_in

    app = payments_app()
    budget(ledger, "DN-R0")
    agree(app, "DN-R0", Payee.create(kind="person", name="R"), date(2026, 12, 7))
    worker = signed_in(make_user, "a.khan", Role.SOCIAL_WORKER)
    soon = worker.get("/api/v1/payments/dp-reviews?within_days=366").json()["items"]
    assert [(r["budget"], r["due_on"], r["overdue"]) for r in soon] == [
        ("DN-R0", "2027-06-07", False)
    ]
    assert worker.get("/api/v1/payments/dp-reviews").json()["items"] == []  # not within 28 days
    trigger = worker.post(
        "/api/v1/payments/budgets/DN-R0/dp-review-triggers",
        data=json.dumps({"on": "2026-12-01", "kind": "concern", "note": "a neighbour called"}),
        content_type="application/json",
    )
    assert trigger.status_code == 201 and trigger.json()["due_on"] == "2026-12-01"
    assert [r["budget"] for r in worker.get("/api/v1/payments/dp-reviews").json()["items"]] == [
        "DN-R0"
    ]
    bad = worker.post(
        "/api/v1/payments/budgets/DN-R0/dp-reviews",
        data=json.dumps({"on": "2026-12-01", "outcome": "maybe", "reason": "x"}),
        content_type="application/json",
    )
    assert bad.status_code == 422 and "outcome" in bad.content.decode()
    done = worker.post(
        "/api/v1/payments/budgets/DN-R0/dp-reviews",
        data=json.dumps({"on": "2026-12-01", "outcome": "carry_on", "reason": "all fine"}),
        content_type="application/json",
    )
    assert done.status_code == 201 and done.json()["due_on"] == "2027-12-01"
    finance = signed_in(make_user, "l.brown", Role.FINANCE_OFFICER)
    refused = finance.post(
        "/api/v1/payments/budgets/DN-R0/dp-reviews",
        data=json.dumps({"on": "2026-12-01", "outcome": "stop", "reason": "x"}),
        content_type="application/json",
    )
    assert refused.status_code == 403


def test_a_bacs_file_once_written_is_never_rewritten_and_no_credit_is_in_two(
    ledger: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = payments_app()
    rail = BacsRail(originator=COUNCIL, folder=tmp_path)
    day = date(2026, 12, 21)
    budget(ledger, "DN-W0")
    bank = BankAccount.create(sort_code="200000", account_number="30000000", name="W0")
    agree(app, "DN-W0", Payee.create(kind="person", name="W0", bank=bank), date(2026, 12, 28))
    run = app.start_run(SYSTEM, rail=rail, run_on=day, calendar=CAL)
    app.work_run(FINANCE, run, rail=rail, journal=journal(ledger))
    first = rail.file_for(day).read_text()
    # Another person's payment falls due the same day and the run is started again: it goes
    # into a second file; the first, perhaps already with the bank, is as it was.
    budget(ledger, "DN-W1")
    bank = BankAccount.create(sort_code="200001", account_number="30000001", name="W1")
    agree(app, "DN-W1", Payee.create(kind="person", name="W1", bank=bank), date(2026, 12, 28))
    again = app.start_run(SYSTEM, rail=rail, run_on=day, calendar=CAL)
    assert again == run
    assert app.work_run(FINANCE, run, rail=rail, journal=journal(ledger)).paid == 2
    files = rail.files_for(day)
    assert [f.name for f in files] == ["bacs-2026-12-21-1.txt", "bacs-2026-12-21-2.txt"]
    assert files[0].read_text() == first
    references = [c.reference for f in files for c in parse(f.read_text()).credits]
    assert sorted(references) == ["DP DN-W0 P01", "DP DN-W1 P01"]
    # A crash after a file was written but before its payments were recorded sent: worked
    # again, the payment is found in that file and no third file is written.
    budget(ledger, "DN-W2")
    bank = BankAccount.create(sort_code="200002", account_number="30000002", name="W2")
    agree(app, "DN-W2", Payee.create(kind="person", name="W2", bank=bank), date(2026, 12, 28))
    app.start_run(SYSTEM, rail=rail, run_on=day, calendar=CAL)

    class Crash(Exception):
        pass

    real_send = app._send

    def send_then_crash(*args: Any, **kwargs: Any) -> None:
        rail, keys, now, run_on = args
        rail.send([now[k] for k in keys], run_on=run_on)  # the rail writes its file...
        raise Crash  # ...and the run dies before it records it

    monkeypatch.setattr(app, "_send", send_then_crash)
    with pytest.raises(Crash):
        app.work_run(FINANCE, run, rail=rail, journal=journal(ledger))
    monkeypatch.setattr(app, "_send", real_send)
    assert app.work_run(FINANCE, run, rail=rail, journal=journal(ledger)).paid == 3
    assert len(rail.files_for(day)) == 3
    everything = [c.reference for f in rail.files_for(day) for c in parse(f.read_text()).credits]
    assert sorted(everything) == ["DP DN-W0 P01", "DP DN-W1 P01", "DP DN-W2 P01"]


def test_a_payment_sent_but_not_settled_is_settled_later_and_never_sent_again(
    ledger: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = payments_app()
    rail = BacsRail(originator=COUNCIL, folder=tmp_path)
    budget(ledger, "DN-S0")
    bank = BankAccount.create(sort_code="200000", account_number="30000000", name="S0")
    agree(app, "DN-S0", Payee.create(kind="person", name="S0", bank=bank), date(2026, 12, 28))
    run = app.start_run(SYSTEM, rail=rail, run_on=date(2026, 12, 21), calendar=CAL)

    def settle_fails(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("the ledger went away")

    monkeypatch.setattr(app, "_settle", settle_fails)
    with pytest.raises(RuntimeError):
        app.work_run(FINANCE, run, rail=rail, journal=journal(ledger))
    monkeypatch.undo()
    assert app.get_payment("payments:dp:DN-S0:P01").status is PaymentStatus.SENT
    # The next day's run settles it, and writes no file of its own for it.
    next_day = app.start_run(SYSTEM, rail=rail, run_on=date(2026, 12, 21), calendar=CAL)
    app.work_run(FINANCE, next_day, rail=rail, journal=journal(ledger))
    payment = app.get_payment("payments:dp:DN-S0:P01")
    assert (payment.status, payment.run) == (PaymentStatus.PAID, run)
    assert rail.files_for(date(2026, 12, 22)) == []
    assert ledger.get_account(payable("DN-S0")).balance == 0


def test_a_transfer_webhook_recorded_while_the_batch_is_in_flight_does_not_stop_the_run(
    ledger: Any, stripe_server: Any
) -> None:
    """Stripe's transfer.created webhook can record a payment sent before the run that made
    the transfer saves its batch: the run loads that payment again and carries on."""
    app = payments_app()
    for n in range(3):
        ref = f"DN-H{n}-{uuid.uuid4().hex[:6]}"
        budget(ledger, ref)
        account = pay.create_connected_account(provider_id=ref, email="h@example.org", name=ref)
        stripe_server.post(f"/_config/accounts/{account}/complete_onboarding")
        agree(
            app,
            ref,
            Payee.create(kind="person", name=ref, stripe_account=account),
            date(2026, 12, 7),
        )
    pay.top_up(amount_pence=10_000_000, idempotency_key=f"fund-{uuid.uuid4()}", description="f")

    class WebhookFirst(StripeRail):
        def send(self, payments: Any, *, run_on: date) -> Any:
            outcomes = super().send(payments, run_on=run_on)
            for p, outcome in zip(payments, outcomes, strict=True):
                payments_app().confirm_transfer(p.key, outcome.ref)  # the webhook, first
            return outcomes

    rail = WebhookFirst()
    run = app.start_run(SYSTEM, rail=rail, run_on=date(2026, 12, 7), calendar=CAL)
    report = app.work_run(FINANCE, run, rail=rail, journal=journal(ledger))
    assert (report.paid, report.failed, report.pending) == (3, [], 0)
    assert ledger.get_account("STRIPE:CLEARING").balance == -3 * 104000


def test_a_case_worker_agrees_and_changes_a_direct_payment_through_the_api(
    council: Any, make_user: Any
) -> None:
    from budgets.services import allocate
    from tests.integration.helpers import ALEX, assessed_person, care_fund_and_grid, signed_in

    care_fund_and_grid()
    ref = assessed_person("DN-000970")
    start = earliest_start(date.today())
    allocate(
        ref,
        today=date.today(),
        actor=ALEX,
        weekly=None,
        adjustment_reason="",
        contribution_weekly=4000,
        split={"direct_payment": 20000, "council_managed": 12200},
        direct_payment_start=start,
    )
    worker = signed_in(make_user, "alex", Role.SOCIAL_WORKER)

    def post(path: str, body: dict[str, Any]) -> Any:
        return worker.post(path, data=json.dumps(body), content_type="application/json")

    base = f"/api/v1/payments/budgets/{ref}"
    body = {
        "needs": ["Maintaining personal hygiene"],
        "payee": {"kind": "authorised", "name": "Sam's daughter"},
        "has_capacity": True,
        "start": start.isoformat(),
    }
    refused = post(f"{base}/direct-payment", body)
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "payee_kind"
    made = post(f"{base}/direct-payment", body | {"payee": {"kind": "person", "name": "Sam"}})
    assert made.status_code == 201
    first = made.json()["next"][0]
    assert (first["gross"], first["netted"], first["net"]) == ("£800.00", "£160.00", "£640.00")
    again = post(f"{base}/direct-payment", body | {"payee": {"kind": "person", "name": "Sam"}})
    assert again.status_code == 422 and "already has" in again.content.decode()
    on = (start + timedelta(weeks=4)).isoformat()
    suspended = post(f"{base}/direct-payment/suspend", {"on": on, "reason": "in hospital"})
    assert suspended.status_code == 200 and suspended.json()["suspended"]
    assert "in hospital" in suspended.json()["skipped"][0][1]
    assert post(f"{base}/direct-payment/pause", {"on": on, "reason": "x"}).status_code == 404
    one_off = post(
        f"{base}/one-off-payments",
        {
            "pay_on": start.isoformat(),
            "amount_pence": 45000,
            "purpose": "equipment",
            "reason": "a hoist",
        },
    )
    assert one_off.status_code == 201
    assert any(d["key"].endswith(":X01") for d in one_off.json()["next"])
    finance = signed_in(make_user, "l.brown", Role.FINANCE_OFFICER)
    assert (
        finance.post(
            f"{base}/direct-payment/stop",
            data=json.dumps({"on": on, "reason": "x"}),
            content_type="application/json",
        ).status_code
        == 403
    )


def test_a_payment_failed_for_good_is_put_right_and_paid_by_the_next_run(
    ledger: Any, stripe_server: Any, make_user: Any
) -> None:
    from tests.integration.helpers import signed_in

    app = payments_app()
    ref = f"DN-PR-{uuid.uuid4().hex[:6]}"
    budget(ledger, ref)
    agree(app, ref, Payee.create(kind="person", name="Pat"), date(2026, 12, 7))
    pay.top_up(amount_pence=10_000_000, idempotency_key=f"fund-{uuid.uuid4()}", description="f")
    rail = StripeRail()
    run = app.start_run(SYSTEM, rail=rail, run_on=date(2026, 12, 7), calendar=CAL)
    assert len(app.work_run(SYSTEM, run, rail=rail, journal=journal(ledger)).failed) == 1
    key = f"payments:dp:{ref}:P01"
    # The payee's account is set up, and the agreement says so; finance puts the payment right.
    account = pay.create_connected_account(provider_id=ref, email="p@example.org", name="Pat")
    stripe_server.post(f"/_config/accounts/{account}/complete_onboarding")
    app.change_agreement(
        WORKER,
        ref,
        lambda a: a.change_payee(
            on=date(2026, 12, 7),
            payee=Payee.create(kind="person", name="Pat", stripe_account=account),
            reason="her account is open",
            actor=WORKER.id,
        ),
    )
    finance = signed_in(make_user, "l.brown", Role.FINANCE_OFFICER)
    route = f"/api/v1/payments/payments/{key}/put-right"
    no_reason = finance.post(
        route, data=json.dumps({"reason": ""}), content_type="application/json"
    )
    assert no_reason.status_code == 422
    fixed = finance.post(
        route, data=json.dumps({"reason": "account opened"}), content_type="application/json"
    )
    assert fixed.status_code == 200 and fixed.json()["status"] == "posted"
    again = app.start_run(SYSTEM, rail=rail, run_on=date(2026, 12, 8), calendar=CAL)
    assert app.work_run(SYSTEM, again, rail=rail, journal=journal(ledger)).paid == 1
    [transfer] = pay.client().v1.transfers.list(params={"transfer_group": key}).data
    assert (transfer.destination, transfer.amount) == (account, 104000)
    assert (
        finance.post(
            route, data=json.dumps({"reason": "x"}), content_type="application/json"
        ).status_code
        == 409
    )


def test_a_run_that_picks_a_period_while_the_budget_changes_moves_the_change_after_it(
    ledger: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = payments_app()
    ref = f"DN-RACE-{uuid.uuid4().hex[:6]}"
    budget(ledger, ref)
    bank = BankAccount.create(sort_code="200000", account_number="30000000", name="Pat")
    agree(app, ref, Payee.create(kind="person", name="Pat", bank=bank), date(2026, 12, 7))
    rail = BacsRail(originator=COUNCIL, folder=tmp_path)
    real = app.first_unpaid_period
    raced: list[UUID] = []

    def a_run_meanwhile(agreement: Any, on: date, *, today: date) -> date:
        """The budget's change has read what was paid; a run picks period 1 before it saves."""
        found = real(agreement, on, today=today)
        if not raced:
            raced.append(app.start_run(SYSTEM, rail=rail, run_on=date(2026, 12, 2), calendar=CAL))
        return found

    monkeypatch.setattr(app, "first_unpaid_period", a_run_meanwhile)
    revised = BudgetFigures(
        total_weekly=35000, contribution_weekly=4000, direct_payment_weekly=35000
    )
    assert app.follow_budget(
        ref,
        figures=revised,
        on=date(2026, 12, 1),
        reason="revised",
        actor="alex",
        source=f"budget:{ref}:v2",
        today=date(2026, 12, 1),
        tracking=None,
    )
    assert app.get_run(raced[0]).keys == (f"payments:dp:{ref}:P01",)
    first = app.get_payment(f"payments:dp:{ref}:P01")
    assert first.gross == 120000  # picked at the old amounts, as the run saw them
    # So the change starts after it, with period 1's 28 days at £50.00 a week more.
    agreement = app.agreement(ref)
    assert agreement.amount_changes[1][2] == date(2027, 1, 4)
    second = agreement.schedule(CAL, until=date(2027, 1, 4)).due[1]
    assert second.gross == 4 * 35000 + 4 * 5000
