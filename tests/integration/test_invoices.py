"""Provider invoices (payments/invoices.py, payments/application.py) against the real register,
marketplace, plan and ledger: every rule, the £450 plan fee from submission to the provider's
payable, and ten concurrent submissions of one fee of which exactly one is accepted."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest
from django.db import connections

from accreditation.models import Membership
from budgets.plan import REQUIRED_PARTS
from budgets.services import budget_app
from config.actor import Actor
from config.roles import Role
from ledger.domain import HoldStatus, Owner, hold_id
from ledger.services import ledger_app
from marketplace.services import marketplace_app
from payments.application import payments_app, provider_payable
from payments.invoices import (
    DuplicateClaimError,
    FeeKind,
    InvoiceError,
    InvoiceNumberReusedError,
    InvoiceStatus,
)
from payments.processes import keep_commitments, review_fee_key, review_fee_postings
from payments.services import invoice_facts
from tests.integration.helpers import (
    ALEX,
    JO,
    accredited_provider,
    engaged_planner,
    provider_staff,
    six_week_review,
)
from tests.integration.test_commitments import REF, allocated, run_managers

pytestmark = pytest.mark.django_db(transaction=True)
TODAY = date.today()
FINANCE = Actor(id="l.brown", roles=frozenset({Role.FINANCE_OFFICER}))
SECOND = Actor(id="m.patel", roles=frozenset({Role.FINANCE_OFFICER}))
SYSTEM = Actor.system()
__all__ = ["allocated"]


def planner_staff(provider: UUID, username: str = "priya") -> Actor:
    return Actor(id=username, roles=frozenset({Role.PROVIDER_STAFF}), organisation=provider)


def signed_off(planner: UUID) -> UUID:
    """The planner engaged (its fee held), the plan written and signed off (the fee committed)."""
    engagement = engaged_planner(REF, planner)
    run_managers()
    app = budget_app()
    parts = {key: f"About {key}" for key in REQUIRED_PARTS}
    app.write_plan(
        REF, parts=parts, actor=provider_staff(planner), as_author="planner", today=TODAY
    )
    app.sign_plan(REF, actor=ALEX)
    six_week_review(REF)
    app.sign_plan(REF, actor=JO)
    run_managers()
    return engagement


def submit(provider: UUID, engagement: UUID, number: str = "INV-0102", **changes: Any) -> UUID:
    fields: dict[str, Any] = {
        "engagement": engagement,
        "number": number,
        "kind": "support_plan",
        "service_date": TODAY,
        "amount": 45000,
        "today": TODAY,
        "facts_of": invoice_facts,
    }
    fields.update(changes)
    return payments_app().submit_invoice(planner_staff(provider), **fields)


def journal() -> Any:
    return ledger_app().journal(Actor.system(), context=Owner.PAYMENTS)


def test_a_plan_fee_invoice_approved_becomes_the_providers_payable_once(allocated: str) -> None:
    planner = accredited_provider("1800001", name="Connect Doncaster")
    engagement = signed_off(planner)
    invoice = submit(planner, engagement)
    app = payments_app()
    assert app.get_invoice(invoice).status is InvoiceStatus.SUBMITTED
    # Where the council asks for two people, one approval is not enough.
    app.approve_invoice(FINANCE, invoice, journal=journal(), approvals_needed=2)
    assert app.get_invoice(invoice).status is InvoiceStatus.SUBMITTED
    with pytest.raises(InvoiceError, match="someone else"):
        app.approve_invoice(FINANCE, invoice, journal=journal(), approvals_needed=2)
    approved = app.approve_invoice(SECOND, invoice, journal=journal(), approvals_needed=2)
    assert approved.status is InvoiceStatus.APPROVED
    ledger = ledger_app()
    assert ledger.get_account(provider_payable(planner)).balance == -45000
    assert ledger.get_account(f"PB:{REF}:COMMITTED").balance == 0  # the commitment, spent
    entry = ledger.get_entry(approved.entry)
    assert (entry.kind.value, entry.budget) == ("provider_fee", REF)
    # The same fee again, under another number: refused, and nothing moves.
    with pytest.raises(DuplicateClaimError) as again:
        submit(planner, engagement, number="INV-0103")
    assert again.value.field == "fee"
    # The same number again: refused as reused.
    with pytest.raises(InvoiceNumberReusedError) as reused:
        submit(planner, engagement, number="inv-0102")
    assert reused.value.field == "number"
    assert ledger.get_account(provider_payable(planner)).balance == -45000


def test_every_rule_of_an_invoice_names_its_field(allocated: str) -> None:
    planner = accredited_provider("1800002", name="Connect Doncaster")
    engagement = engaged_planner(REF, planner)
    run_managers()
    other = accredited_provider("1800003", name="Elsewhere Planning")
    cases: list[tuple[dict[str, Any], str, str]] = [
        ({}, "fee", "once the plan is signed off"),
        ({"amount": 44999}, "amount", "£450.00"),
        ({"service_date": TODAY + timedelta(days=1)}, "service_date", "future"),
        # Recorded today: the register did not say it was accredited three days ago.
        ({"service_date": TODAY - timedelta(days=3)}, "service_date", "not accredited"),
        ({"kind": "tea"}, "kind", "choose the fee"),
        ({"number": ""}, "number", "required"),
    ]
    for changes, field, words in cases:
        with pytest.raises(InvoiceError, match=words) as refused:
            submit(planner, engagement, **changes)
        assert refused.value.field == field, changes
    with pytest.raises(InvoiceError) as not_theirs:
        submit(other, engagement)
    assert not_theirs.value.field == "engagement"
    with pytest.raises(Exception, match="provider's staff"):
        payments_app().submit_invoice(
            FINANCE,
            engagement=engagement,
            number="X-1",
            kind="support_plan",
            service_date=TODAY,
            amount=45000,
            today=TODAY,
            facts_of=invoice_facts,
        )


def test_a_service_suspended_on_the_service_date_is_not_invoiced(allocated: str) -> None:
    from accreditation.services import accreditation_app
    from tests.integration.helpers import REGISTRAR

    planner = accredited_provider("1800004", name="Connect Doncaster")
    engagement = signed_off(planner)
    register = accreditation_app()
    accreditation = register.accreditation_of(planner, "support_planning").id
    register.suspend(accreditation, actor=REGISTRAR, reason="complaint under review", today=TODAY)
    with pytest.raises(InvoiceError, match="not accredited") as refused:
        submit(planner, engagement)
    assert refused.value.field == "service_date"


def test_ten_concurrent_invoices_for_one_fee_accept_exactly_one(allocated: str) -> None:
    planner = accredited_provider("1800005", name="Connect Doncaster")
    engagement = signed_off(planner)

    def attempt(n: int) -> str:
        try:
            submit(planner, engagement, number=f"RACE-{n}")
            return "accepted"
        except DuplicateClaimError:
            return "duplicate"
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=10) as pool:
        outcomes = list(pool.map(attempt, range(10)))
    assert sorted(outcomes) == ["accepted"] + ["duplicate"] * 9


def test_a_rejected_invoice_gives_its_fee_back_for_a_corrected_one(allocated: str) -> None:
    planner = accredited_provider("1800006", name="Connect Doncaster")
    engagement = signed_off(planner)
    first = submit(planner, engagement, number="INV-1", note="wrong reference")
    app = payments_app()
    with pytest.raises(InvoiceError) as no_reason:
        app.reject_invoice(FINANCE, first, reason="")
    assert no_reason.value.field == "reason"
    app.reject_invoice(FINANCE, first, reason="our reference is missing")
    assert app.get_invoice(first).status is InvoiceStatus.REJECTED
    second = submit(planner, engagement, number="INV-2")
    assert app.approve_invoice(FINANCE, second, journal=journal()).status is InvoiceStatus.APPROVED
    with pytest.raises(Exception, match="rejected"):
        app.approve_invoice(FINANCE, first, journal=journal())
    assert marketplace_app().get_engagement(engagement).price == 45000


def test_an_approved_invoice_is_paid_once_to_the_providers_connected_account(
    allocated: str, stripe_server: Any
) -> None:
    import uuid

    from accreditation.services import accreditation_app
    from payments import stripe as pay
    from payments.rails import StripeRail
    from payments.services import run_payments

    ledger_app().open_account(code="STRIPE:CLEARING", name="Clearing", type="asset", actor="t")
    planner = accredited_provider("1800007", name="Connect Doncaster")
    account = pay.create_connected_account(
        provider_id=str(planner), email="care@example.org", name="Connect Doncaster"
    )
    stripe_server.post(f"/_config/accounts/{account}/complete_onboarding")
    accreditation_app().link_payment_account(planner, account=account)
    pay.top_up(amount_pence=1_000_000, idempotency_key=f"f-{uuid.uuid4()}", description="funds")
    invoice = submit(planner, signed_off(planner))
    payments_app().approve_invoice(FINANCE, invoice, journal=journal())
    report = run_payments(TODAY, rail=StripeRail())
    assert (report.paid, report.failed) == (1, [])
    again = run_payments(TODAY, rail=StripeRail())
    assert again.paid == 1
    group = f"payments:invoice:{invoice}"
    transfers = pay.client().v1.transfers.list(params={"transfer_group": group}).data
    assert [(t.amount, t.destination) for t in transfers] == [(45000, account)]
    assert payments_app().get_invoice(invoice).status is InvoiceStatus.PAID
    assert ledger_app().get_account(provider_payable(planner)).balance == 0
    assert ledger_app().get_account("STRIPE:CLEARING").balance == -45000


def test_a_provider_invoices_on_a_page_and_finance_approves_it_there(
    allocated: str, make_user: Any, stripe_server: Any
) -> None:
    import uuid

    from accreditation.services import accreditation_app
    from payments import stripe as pay
    from payments.rails import StripeRail
    from payments.services import run_payments
    from tests.integration.helpers import signed_in, staff_of

    ledger_app().open_account(code="STRIPE:CLEARING", name="Clearing", type="asset", actor="t")
    planner = accredited_provider("1800008", name="Connect Doncaster")
    engagement = signed_off(planner)
    priya = staff_of(make_user, "priya", planner)
    form = {
        "engagement": str(engagement),
        "kind": "support_plan",
        "number": "inv-77",
        "service_date-day": str(TODAY.day),
        "service_date-month": str(TODAY.month),
        "service_date-year": str(TODAY.year),
        "amount": "£400.00",
    }
    wrong = priya.post("/provider/invoices/", form)
    assert wrong.status_code == 400
    page = wrong.content.decode()
    assert "There is a problem" in page and 'href="#amount"' in page and "£450.00" in page
    sent = priya.post("/provider/invoices/", form | {"amount": "450"})
    assert (sent.status_code, sent["Location"]) == (302, "/provider/invoices/?submitted=INV-77")
    again = priya.post("/provider/invoices/", form | {"amount": "450", "number": "INV-78"})
    assert again.status_code == 400 and "paid once" in again.content.decode()

    finance = signed_in(make_user, "l.brown", Role.FINANCE_OFFICER)
    waiting = finance.get("/finance/invoices/").content.decode()
    assert "Invoice INV-77: Support-plan fee, £450.00" in waiting
    assert list(payments_app().approved_invoices()) == []  # not approved yet
    from payments.models import InvoiceRecord

    record = InvoiceRecord.objects.get(number="INV-77")
    no_reason = finance.post(f"/finance/invoices/{record.id}/reject/", {"reason": ""})
    assert no_reason.status_code == 400 and "There is a problem" in no_reason.content.decode()
    approved = finance.post(f"/finance/invoices/{record.id}/approve/")
    assert approved.status_code == 302
    assert ledger_app().get_account(provider_payable(planner)).balance == -45000

    account = pay.create_connected_account(
        provider_id=str(planner), email="c@example.org", name="C"
    )
    stripe_server.post(f"/_config/accounts/{account}/complete_onboarding")
    accreditation_app().link_payment_account(planner, account=account)
    pay.top_up(amount_pence=1_000_000, idempotency_key=f"f-{uuid.uuid4()}", description="funds")
    assert run_payments(TODAY, rail=StripeRail()).paid == 1
    mine = priya.get("/provider/invoices/").content.decode()
    assert "Paid" in mine and "Remittance advice" in mine
    key = f"payments:invoice:{record.id}"
    remittance = priya.get(f"/payments/{key}/remittance/")
    assert remittance.status_code == 200 and "£450.00" in remittance.content.decode()
    other = staff_of(make_user, "sol", accredited_provider("1800009", name="Elsewhere"))
    assert other.get(f"/payments/{key}/remittance/").status_code == 404
    as_csv = priya.get(f"/payments/{key}/remittance/?format=csv")
    assert as_csv["Content-Type"].startswith("text/csv")
    assert "paid_pence,45000" in as_csv.content.decode().replace("\r", "")
    as_pdf = priya.get(f"/payments/{key}/remittance/?format=pdf")
    assert as_pdf["Content-Type"] == "application/pdf" and as_pdf.content.startswith(b"%PDF")
    assert other.get(f"/payments/{key}/remittance/?format=pdf").status_code == 404
    speed = finance.get("/api/v1/payments/invoices/approval-to-paid").json()
    assert (speed["paid"], speed["median"], speed["missed"], speed["target"]) == (1, 0, 0, 5)
    assert (
        "1 approved invoice was paid, in a median of 0 working days"
        in finance.get("/finance/invoices/").content.decode()
    )


def test_a_csv_batch_answers_every_line_and_accepts_the_good_ones(
    allocated: str, make_user: Any
) -> None:
    from tests.integration.helpers import staff_of

    planner = accredited_provider("1800010", name="Connect Doncaster")
    engagement = signed_off(planner)
    priya = staff_of(make_user, "priya", planner)
    day = TODAY.isoformat()
    csv_text = "\n".join(
        [
            "engagement,fee,number,service_date,amount",
            f"{engagement},support_plan,B-1,{day},£400.00",  # not the tariff
            f"not-an-id,support_plan,B-2,{day},450",
            f"{engagement},support_plan,B-3,{TODAY:%d/%m/%Y},450.00",  # good
            f"{engagement},support_plan,B-4,{day},450",  # the same fee again
            f"{engagement},support_plan,B-5,31/02/2027,450",
        ]
    )
    response = priya.post("/api/v1/payments/invoices/batch", data=csv_text, content_type="text/csv")
    assert response.status_code == 200
    body = response.json()
    assert (body["accepted"], body["refused"]) == (1, 4)
    lines = {line["line"]: line for line in body["lines"]}
    assert (lines[2]["field"], lines[3]["field"], lines[6]["field"]) == (
        "amount",
        "engagement",
        "service_date",
    )
    assert lines[4]["accepted"] and lines[4]["number"] == "B-3"
    assert lines[5]["field"] == "fee" and "paid once" in lines[5]["message"]
    listed = priya.get("/api/v1/payments/invoices").json()["items"]
    assert [(i["number"], i["status"]) for i in listed] == [("B-3", "submitted")]
    no_header = priya.post(
        "/api/v1/payments/invoices/batch", data="a,b\n1,2", content_type="text/csv"
    )
    assert no_header.status_code == 422 and "header" in no_header.content.decode()


def test_an_approval_that_crashed_after_posting_is_finished_once_or_taken_back(
    allocated: str,
) -> None:
    from payments.application import _fee_draft

    planner = accredited_provider("1800011", name="Connect Doncaster")
    engagement = signed_off(planner)
    app = payments_app()
    first = submit(planner, engagement, number="C-1")
    # The approval posted the fee, then died before it saved the invoice.
    invoice = app.get_invoice(first)
    invoice.approve(actor=FINANCE.id, approvals_needed=1)
    app._open_provider_payable(planner, journal())
    journal().post_entry(_fee_draft(invoice, FINANCE, committed=45000))
    assert ledger_app().get_account(provider_payable(planner)).balance == -45000
    # Approved again (a minute later: its entry's body is not the same): finished, not twice.
    approved = app.approve_invoice(FINANCE, first, journal=journal())
    assert approved.status is InvoiceStatus.APPROVED
    assert ledger_app().get_account(provider_payable(planner)).balance == -45000

    # The same crash, then a rejection instead: the orphan fee is taken back.
    other = accredited_provider("1800012", name="Elsewhere Planning")
    from tests.integration.helpers import engaged_planner as engage

    second_engagement = engage(REF, other)
    run_managers()
    second = submit(other, second_engagement, number="C-2")
    invoice = app.get_invoice(second)
    invoice.approve(actor=FINANCE.id, approvals_needed=1)
    app._open_provider_payable(other, journal())
    journal().post_entry(_fee_draft(invoice, FINANCE, committed=45000))
    app.reject_invoice(FINANCE, second, reason="the plan was not theirs", journal=journal())
    assert ledger_app().get_account(provider_payable(other)).balance == 0


def test_a_credit_note_takes_back_an_approved_fee_and_frees_it_for_a_corrected_invoice(
    allocated: str, make_user: Any
) -> None:
    import json

    from tests.integration.helpers import signed_in

    planner = accredited_provider("1800013", name="Connect Doncaster")
    engagement = signed_off(planner)
    first = submit(planner, engagement, number="CR-1")
    payments_app().approve_invoice(FINANCE, first, journal=journal())
    assert ledger_app().get_account(provider_payable(planner)).balance == -45000
    finance = signed_in(make_user, "l.brown", Role.FINANCE_OFFICER)
    route = f"/api/v1/payments/invoices/{first}/credit"
    no_reason = finance.post(
        route, data=json.dumps({"reason": ""}), content_type="application/json"
    )
    assert no_reason.status_code == 422
    credited = finance.post(
        route, data=json.dumps({"reason": "wrong person"}), content_type="application/json"
    )
    assert credited.status_code == 200 and credited.json()["status"] == "credited"
    assert ledger_app().get_account(provider_payable(planner)).balance == 0
    assert ledger_app().get_account(f"PB:{REF}:COMMITTED").balance == -45000  # committed again
    again = finance.post(route, data=json.dumps({"reason": "x"}), content_type="application/json")
    assert again.status_code == 409
    second = submit(planner, engagement, number="CR-2")  # the fee is free again
    assert (
        payments_app().approve_invoice(FINANCE, second, journal=journal()).status
        is InvoiceStatus.APPROVED
    )
    assert [i.id for i in payments_app().approved_invoices()] == [second]


def annual_review(actor: Actor) -> None:
    budget_app().record_review(
        REF,
        actor=actor,
        on=TODAY,
        outcomes={"Get out more": {"scale": 5}},
        changes="",
        today=TODAY,
    )


def test_the_review_fee_is_held_before_the_annual_review_and_paid_from_it(
    allocated: str, make_user: Any
) -> None:
    planner = accredited_provider("1800010", name="Connect Doncaster")
    engagement = signed_off(planner)
    Membership.objects.create(
        user=make_user("priya", Role.PROVIDER_STAFF.value), provider_id=planner
    )
    ledger = ledger_app()
    available = ledger.get_account(f"PB:{REF}:AVAILABLE")
    committed = ledger.get_account(f"PB:{REF}:COMMITTED").balance  # the plan fee's
    due = budget_app().reviews(REF).due_on  # a year after the 6-week review
    # Not yet within two months of the review: nothing held.
    assert keep_commitments(datetime.now(UTC)) == {}
    held = keep_commitments(datetime.now(UTC), review_ahead=timedelta(days=400))
    assert held == {"held": 1}
    hold = ledger.get_hold(hold_id(review_fee_key(engagement, due)))
    assert (hold.status, hold.amount) == (HoldStatus.PENDING, 20000)
    assert ledger.get_account(f"PB:{REF}:AVAILABLE").available == available.available - 20000
    # The planner's staff record the annual review: the fee is committed, once.
    annual_review(planner_staff(planner))
    manager = review_fee_postings()
    manager.catch_up()
    recorded = [
        manager.upstream.mapper.to_domain_event(n)
        for n in manager.upstream.recorder.select_notifications(start=1, limit=1000)
        if n.topic.endswith("Reviews.Recorded")
    ]
    manager.handle(recorded[-1], None)  # the step run again from its event: posted once
    assert ledger.get_hold(hold.id).status is HoldStatus.POSTED
    assert ledger.get_account(f"PB:{REF}:COMMITTED").balance == committed - 20000
    invoice = submit(planner, engagement, number="REV-1", kind="annual_review", amount=20000)
    approved = payments_app().approve_invoice(FINANCE, invoice, journal=journal())
    entry = ledger.get_entry(approved.entry)
    assert {(leg.account, leg.side.value) for leg in entry.legs} == {
        (f"PB:{REF}:COMMITTED", "debit"),
        (provider_payable(planner), "credit"),
    }
    assert ledger.get_account(f"PB:{REF}:COMMITTED").balance == committed
    after = ledger.get_account(f"PB:{REF}:AVAILABLE")
    assert (after.pending_debits, after.available) == (0, available.available - 20000)


def test_a_review_fee_held_is_released_when_the_council_does_the_review(allocated: str) -> None:
    planner = accredited_provider("1800012", name="Connect Doncaster")
    engagement = signed_off(planner)
    due = budget_app().reviews(REF).due_on
    keep_commitments(datetime.now(UTC), review_ahead=timedelta(days=400))
    annual_review(ALEX)  # the worker, not the planner
    review_fee_postings().catch_up()
    hold = ledger_app().get_hold(hold_id(review_fee_key(engagement, due)))
    assert hold.status is HoldStatus.VOIDED
    assert ledger_app().get_account(f"PB:{REF}:AVAILABLE").pending_debits == 0


def test_a_bacs_council_pays_a_provider_to_bank_details_two_officers_confirmed(
    allocated: str, make_user: Any, tmp_path: Any
) -> None:
    import json

    from payments.application import invoice_payment_key
    from payments.bacs import Originator, parse
    from payments.calendar import england_and_wales
    from payments.rails import BacsRail
    from payments.services import current_destination, provider_destination
    from tests.integration.helpers import signed_in

    planner = accredited_provider("1800020", name="Connect Doncaster")
    engagement = signed_off(planner)
    invoice = submit(planner, engagement, number="B-1")
    app = payments_app()
    app.approve_invoice(FINANCE, invoice, journal=journal())
    council = Originator(
        sun="123456", name="Doncaster", sort_code="401234", account_number="12345678"
    )
    rail, cal, system = (
        BacsRail(originator=council, folder=tmp_path),
        england_and_wales(),
        Actor.system(),
    )

    def run() -> Any:
        started = app.start_run(
            system, rail=rail, run_on=TODAY, calendar=cal, provider_of=provider_destination
        )
        return app.work_run(system, started, rail=rail, journal=journal())

    # No bank details yet: failed for good, with why, for finance's exceptions.
    [(key, why)] = run().failed
    assert key == invoice_payment_key(invoice) and "bank details" in why
    officer = signed_in(make_user, "l.brown", Role.FINANCE_OFFICER)
    second = signed_in(make_user, "m.patel", Role.FINANCE_OFFICER)
    route = f"/api/v1/payments/providers/{planner}/bank-account"

    def post(client: Any, path: str, body: dict[str, Any] | None = None) -> Any:
        return client.post(path, data=json.dumps(body or {}), content_type="application/json")

    details = {
        "sort_code": "20-00-00",
        "account_number": "55779911",
        "account_name": "Connect Doncaster",
        "verified_how": "called back on the number in the register",
    }
    bad = post(officer, route, details | {"sort_code": "20-00"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "sort_code"
    unchecked = post(officer, route, details | {"verified_how": ""})
    assert unchecked.json()["errors"][0]["field"] == "verified_how"
    made = post(officer, route, details)
    assert made.status_code == 201, made.content
    assert (made.json()["awaiting"], made.json()["in_force"]) == ("20-00-00 ····9911", "")
    assert provider_destination(planner).sort_code == ""  # not yet: one officer only
    own = post(officer, f"{route}/confirm")
    assert own.status_code == 422 and own.json()["errors"][0]["field"] == "approver"
    confirmed = post(second, f"{route}/confirm")
    assert confirmed.status_code == 200
    assert (confirmed.json()["in_force"], confirmed.json()["confirmed_by"]) == (
        "20-00-00 ····9911",
        "m.patel",
    )
    provider = signed_in(make_user, "priya", Role.PROVIDER_STAFF)
    assert provider.get(route).status_code == 403
    assert post(provider, route, details).status_code == 403
    assert officer.get(f"/api/v1/payments/providers/{uuid4()}/bank-account").status_code == 404
    # Put right, the next run pays it to the confirmed account: in the file, once.
    app.put_right(FINANCE, key, destination=current_destination(key), reason="bank confirmed")
    report = run()
    assert report.failed == []
    credits = [c for path in rail.files_for(TODAY) for c in parse(path.read_text()).credits]
    assert [(c.sort_code, c.account_number, c.amount) for c in credits] == [
        ("200000", "55779911", 45000)
    ]
    assert ledger_app().get_account(provider_payable(planner)).balance == 0


def test_a_review_fee_approved_before_its_hold_was_posted_is_taken_once(
    allocated: str, make_user: Any
) -> None:
    planner = accredited_provider("1800013", name="Connect Doncaster")
    engagement = signed_off(planner)
    priya = make_user("priya", Role.PROVIDER_STAFF.value)
    Membership.objects.create(user=priya, provider_id=planner)
    ledger = ledger_app()
    keep_commitments(datetime.now(UTC), review_ahead=timedelta(days=400))
    held = ledger.get_account(f"PB:{REF}:AVAILABLE")
    committed = ledger.get_account(f"PB:{REF}:COMMITTED").balance
    annual_review(planner_staff(planner))
    # Finance approves the invoice before the review's manager has run.
    invoice = submit(planner, engagement, number="REV-2", kind="annual_review", amount=20000)
    approved = payments_app().approve_invoice(FINANCE, invoice, journal=journal())
    review_fee_postings().catch_up()  # then it runs: nothing left to post
    entry = ledger.get_entry(approved.entry)
    assert {leg.account for leg in entry.legs} == {
        f"PB:{REF}:COMMITTED",
        provider_payable(planner),
    }
    after = ledger.get_account(f"PB:{REF}:AVAILABLE")
    # Held once, spent once: £200 off what is available, nothing pending, nothing committed.
    assert (after.available, after.pending_debits) == (held.available, 0)
    assert ledger.get_account(f"PB:{REF}:COMMITTED").balance == committed


def test_an_approved_variance_lets_the_invoice_differ_from_the_agreed_price(
    allocated: str, make_user: Any
) -> None:
    import json

    from tests.integration.helpers import signed_in

    planner = accredited_provider("1800030", name="Connect Doncaster")
    engagement = signed_off(planner)
    ledger = ledger_app()
    available = ledger.get_account(f"PB:{REF}:AVAILABLE").available
    with pytest.raises(InvoiceError, match="£450.00") as refused:
        submit(planner, engagement, number="V-1", amount=60000)
    assert refused.value.field == "amount"
    manager = signed_in(make_user, "jo", Role.TEAM_MANAGER)
    provider = signed_in(make_user, "priya", Role.PROVIDER_STAFF)
    route = f"/api/v1/payments/engagements/{engagement}/variances"
    body = {"kind": "support_plan", "amount_pence": 60000, "reason": "complex needs, 3 visits"}

    def post(client: Any, path: str, data: dict[str, Any]) -> Any:
        return client.post(path, data=json.dumps(data), content_type="application/json")

    assert post(provider, route, body).status_code == 403  # not the provider's to decide
    bad = post(manager, route, body | {"amount_pence": 0})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "amount_pence"
    unknown = post(manager, f"/api/v1/payments/engagements/{uuid4()}/variances", body)
    assert unknown.status_code == 404
    made = post(manager, route, body)
    assert made.status_code == 201 and made.json()["amount"] == "£600.00"
    # The invoice may now be for the variance; approved, the £450 committed and £150 more.
    invoice = submit(planner, engagement, number="V-1", amount=60000)
    approved = payments_app().approve_invoice(FINANCE, invoice, journal=journal())
    entry = ledger.get_entry(approved.entry)
    assert {(leg.account, leg.side.value, leg.amount) for leg in entry.legs} == {
        (f"PB:{REF}:COMMITTED", "debit", 45000),
        (f"PB:{REF}:AVAILABLE", "debit", 15000),
        (provider_payable(planner), "credit", 60000),
    }
    assert ledger.get_account(f"PB:{REF}:COMMITTED").balance == 0
    assert ledger.get_account(f"PB:{REF}:AVAILABLE").available == available - 15000


def test_a_team_manager_approves_a_variance_on_its_page(allocated: str, make_user: Any) -> None:
    from tests.integration.helpers import signed_in

    planner = accredited_provider("1800031", name="Connect Doncaster")
    engagement = engaged_planner(REF, planner)
    manager = signed_in(make_user, "jo", Role.TEAM_MANAGER)
    page = manager.get("/finance/variances/")
    assert page.status_code == 200 and f"{REF}: Connect Doncaster" in page.content.decode()
    form = {"kind": "support_plan", "amount": "600.00", "reason": "complex needs"}
    missing = manager.post("/finance/variances/", form)
    assert missing.status_code == 400 and "Choose the engagement" in missing.content.decode()
    no_reason = manager.post("/finance/variances/", form | {"engagement": engagement, "reason": ""})
    assert no_reason.status_code == 400 and "There is a problem" in no_reason.content.decode()
    assert payments_app().variance_of(engagement, FeeKind.SUPPORT_PLAN) is None
    done = manager.post("/finance/variances/", form | {"engagement": engagement})
    assert done.status_code == 302
    assert payments_app().variance_of(engagement, FeeKind.SUPPORT_PLAN) == 60000
    worker = signed_in(make_user, "alex", Role.SOCIAL_WORKER)
    assert worker.get("/finance/variances/").status_code == 403
