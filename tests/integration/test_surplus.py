"""A direct payment's surplus (payments/surplus.py, monitoring.py): found from the account's
balance and what is still to pay from it under the council's policy, each reason a line;
noticed; reconsidered when the person shows an invoice; recovered from the next payment, which
the next run pays that much less, its ledger entry saying why; and an unknown step refused."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from config.roles import Role
from payments.application import payments_app
from payments.direct_payments import BankAccount, Payee
from payments.rails import BacsRail
from tests.integration.helpers import signed_in
from tests.integration.test_payment_runs import CAL, COUNCIL, SYSTEM, agree, budget, journal, ledger

pytestmark = pytest.mark.django_db(transaction=True)
__all__ = ["ledger"]
REF = "DN-SURP"
WAGES = {"what": "PA wages", "amount": 20000}


def test_a_surplus_is_found_noticed_reconsidered_and_recovered_from_the_next_payment(
    ledger: Any, tmp_path: Path, make_user: Any
) -> None:
    app = payments_app()
    budget(ledger, REF)
    bank = BankAccount.create(sort_code="200000", account_number="70000000", name="Sam")
    start = date(2026, 12, 28)
    agree(app, REF, Payee.create(kind="person", name="Sam", bank=bank), start)
    rail = BacsRail(originator=COUNCIL, folder=tmp_path)

    def run(n: int) -> Any:
        pay_on = CAL.on_or_before(start + timedelta(weeks=4 * (n - 1)))
        started = app.start_run(SYSTEM, rail=rail, run_on=rail.run_day(pay_on, CAL), calendar=CAL)
        app.work_run(SYSTEM, started, rail=rail, journal=journal(ledger))
        return app.get_payment(f"payments:dp:{REF}:P{n:02d}")

    assert run(1).net == 104000  # 4 × (£300.00 less £40.00)
    finance = signed_in(make_user, "l.brown", Role.FINANCE_OFFICER)
    base = f"/api/v1/payments/budgets/{REF}/surpluses"
    on = date(2026, 12, 1)

    def post(path: str, body: dict[str, Any]) -> Any:
        return finance.post(path, data=body, content_type="application/json")

    worker = signed_in(make_user, "alex", Role.SOCIAL_WORKER)
    assert worker.post(base, {}, content_type="application/json").status_code == 403
    # £3,000.00 in the account; 8 weeks of £260.00 are kept (£2,080.00), and £200.00 of
    # wages are still to pay: £720.00 surplus.
    found = post(
        base,
        {
            "on": on.isoformat(),
            "balance_pence": 300000,
            "owed": [{"what": "PA wages", "amount": 20000}],
        },
    )
    assert found.status_code == 201, found.content
    body = found.json()
    assert (body["amount_pence"], body["status"]) == (72000, "found")
    assert (
        body["lines"][1]
        == "Kept for what is coming: 8 weeks of payments at £260.00 a week, £2,080.00"
    )
    assert "Still to pay from the account: PA wages, £200.00" in body["lines"]
    again = post(base, {"on": on.isoformat(), "balance_pence": 1})
    assert again.status_code == 422 and again.json()["errors"][0]["field"] == "on"
    step = f"{base}/{on.isoformat()}"
    assert post(f"{step}/recover", {"reason": "x"}).status_code == 409  # not told yet
    assert post(f"{step}/notice", {"reason": ""}).json()["status"] == "noticed"
    # The person shows a care agency's invoice of £120.00 still to pay: £600.00.
    reconsidered = post(
        f"{step}/reconsider",
        {
            "owed": [
                {"what": "PA wages", "amount": 20000},
                {"what": "agency invoice", "amount": 12000},
            ],
            "reason": "an invoice not counted",
        },
    )
    assert reconsidered.json()["amount_pence"] == 60000
    recovered = post(f"{step}/recover", {"reason": "from the next payment, as agreed"})
    assert recovered.json()["status"] == "recovering"
    assert post(f"{step}/pause", {"reason": "x"}).status_code == 404
    # The next payment is £600.00 less, and its entry says why; the one after is whole.
    second = run(2)
    assert (second.gross, second.net) == (120000 - 60000, 104000 - 60000)
    assert "surplus recovered" in second.reason
    assert run(3).net == 104000
    assert ledger.get_account(f"PB:{REF}:AVAILABLE").balance == -(30000 * 52 - 3 * 120000 + 60000)


def test_a_return_is_prefilled_and_asks_evidence_for_the_exceptions_only(
    ledger: Any, make_user: Any
) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from marketplace.models import PersonAccount

    app = payments_app()
    budget(ledger, REF)
    agree(app, REF, Payee.create(kind="person", name="Sam"), date(2026, 12, 28))
    statement = (
        b"Date,Reference,Amount\n"
        b"24/12/2026,DP DN-SURP P01,1040.00\n"
        b"28/12/2026,HELPING HANDS CARE,-180.00\n"
        b"29/12/2026,CASH ATM HIGH ST,-40.00\n"
        b"30/12/2026,JANE PA WAGES DEC,-640.00\n"
    )
    finance = signed_in(make_user, "l.brown", Role.FINANCE_OFFICER)
    route = f"/api/v1/payments/budgets/{REF}/dp-returns"
    mapping_free = finance.post(
        route,
        {"kind": "mt940", "closing_balance_pence": 18000, "file": SimpleUploadedFile("s", b"x")},
    )
    assert mapping_free.status_code == 422 and mapping_free.json()["errors"][0]["field"] == "file"
    made = finance.post(
        route,
        {
            "kind": "csv",
            "closing_balance_pence": 18000,
            "file": SimpleUploadedFile("dp.csv", statement),
        },
    )
    assert made.status_code == 422  # a CSV needs its bank's or card provider's saved columns
    # A prepaid card provider's feed, read with the columns saved for it.
    columns = {"date": "Date", "reference": "Reference", "amount": "Amount"}
    saved = finance.put(
        "/api/v1/payments/reconciliation/csv-mappings/Allpay card",
        columns,
        content_type="application/json",
    )
    assert saved.status_code == 200, saved.content
    fed = finance.post(
        route,
        {
            "kind": "csv",
            "bank": "Allpay card",
            "closing_balance_pence": 18000,
            "file": SimpleUploadedFile("card.csv", statement),
        },
    )
    assert fed.status_code == 201, fed.content
    assert fed.json()["exceptions"] == [2, 3]  # the cash and the payment over £500
    # Recorded from the council's copy (MT940): cash and one payment over £500 ask for evidence.
    from tests.integration.test_reconciliation import mt940

    made = finance.post(
        route,
        {
            "kind": "mt940",
            "closing_balance_pence": 18000,
            "file": SimpleUploadedFile(
                "dp.sta",
                mt940(
                    [
                        ("261224", "C", "1040,00", "DP DN-SURP P01|FROM THE COUNCIL"),
                        ("261228", "D", "180,00", "HELPING HANDS|CARE VISITS"),
                        ("261229", "D", "40,00", "CASH|ATM HIGH ST"),
                        ("261230", "D", "640,00", "JANE PA|WAGES DECEMBER"),
                    ]
                ),
            ),
        },
    )
    assert made.status_code == 201, made.content
    found = made.json()
    assert found["exceptions"] == [2, 3] and found["balance_pence"] == 18000
    assert found["lines"][1]["evidence_needed"] == ""  # everyday care: taken as it is
    sam = make_user("sam", Role.PERSON.value)
    PersonAccount.objects.create(user=sam, person=REF)
    person = signed_in(make_user, "x", Role.PERSON)  # someone else
    confirm = f"{route}/{found['id']}/confirm"
    answers = {"evidence": {"2": "bus fares and a meal out", "3": "Jane's December wages"}}
    assert person.post(confirm, answers, content_type="application/json").status_code == 403
    from django.test import Client

    own = Client()
    own.force_login(sam)
    missing = own.post(confirm, {"evidence": {"2": "fares"}}, content_type="application/json")
    assert missing.status_code == 422 and missing.json()["errors"][0]["field"] == "evidence[3]"
    extra = own.post(
        confirm, {"evidence": {**answers["evidence"], "1": "x"}}, content_type="application/json"
    )
    assert extra.status_code == 422
    done = own.post(confirm, answers, content_type="application/json")
    assert done.status_code == 200 and done.json()["confirmed_by"] == "sam"


def test_finance_decides_a_surplus_on_its_page_and_the_person_asks_for_it_again(
    ledger: Any, make_user: Any
) -> None:
    """On the pages: a team manager works out a surplus (a wrong amount gets the GOV.UK error
    summary), sends the notice; the person reads it on My budget with each reason and asks
    for it to be looked at again, which stops its recovery until it is reconsidered; the
    direct-payment review shows the monitoring."""
    from django.test import Client

    from marketplace.models import PersonAccount

    app = payments_app()
    budget(ledger, REF)
    agree(app, REF, Payee.create(kind="person", name="Sam"), date(2026, 12, 28))
    manager = signed_in(make_user, "t.manager", Role.TEAM_MANAGER)
    page = f"/cases/{REF}/direct-payment-monitoring/"
    act = page + "act/"
    worker = signed_in(make_user, "alex", Role.SOCIAL_WORKER)
    assert worker.get(page).status_code == 403
    assert manager.get(page).status_code == 200
    day = {"on-day": "1", "on-month": "12", "on-year": "2026"}
    wrong = manager.post(act, {"step": "find", **day, "balance": "3,000.5", "owed": ""})
    body = wrong.content.decode()
    assert wrong.status_code == 400 and "govuk-error-summary" in body and 'href="#balance"' in body
    bad_owed = manager.post(act, {"step": "find", **day, "balance": "3000", "owed": "wages 200"})
    assert bad_owed.status_code == 400 and 'href="#owed"' in bad_owed.content.decode()
    made = manager.post(
        act, {"step": "find", **day, "balance": "3,000.00", "owed": "PA wages, 200.00"}
    )
    assert made.status_code == 302
    shown = manager.get(page).content.decode()
    assert "£720.00" in shown and "Still to pay from the account: PA wages, £200.00" in shown
    sam = make_user("sam", Role.PERSON.value)
    PersonAccount.objects.create(user=sam, person=REF)
    own = Client()
    own.force_login(sam)
    notice = f"/my-budget/{REF}/surplus/2026-12-01/"
    assert own.get(notice).status_code == 404  # only worked out: not told yet
    surplus = {"surplus": "2026-12-01"}
    assert manager.post(act, {**surplus, "step": "notice"}).status_code == 302
    told = own.get(notice).content.decode()
    assert "£720.00" in told and "8 weeks of payments" in told
    empty = own.post(notice, {"reason": ""})
    assert empty.status_code == 400 and 'href="#reason"' in empty.content.decode()
    asked = own.post(notice, {"reason": "the care agency's December bill, £120, is unpaid"})
    assert asked.status_code == 302
    assert "Nothing is taken back until we have" in own.get(notice).content.decode()
    refused = manager.post(act, {**surplus, "step": "recover", "reason": "policy"})
    body = refused.content.decode()
    assert refused.status_code == 400 and "reconsider it first" in body
    # The summary links to this surplus's own field, which shows the error and keeps the text.
    assert 'href="#reason-2026-12-01"' in body and 'id="reason-2026-12-01-error"' in body
    assert 'value="policy"' in body
    again = {**surplus, "step": "reconsider", "owed": "PA wages, 200.00\nCare agency, 120.00"}
    assert manager.post(act, {**again, "reason": "the bill she showed"}).status_code == 302
    assert manager.post(act, {**surplus, "step": "recover", "reason": "policy"}).status_code == 302
    assert "comes off your payments" in own.get(notice).content.decode()
    [found] = manager.get(f"/api/v1/payments/budgets/{REF}/surpluses").json()
    assert (found["amount_pence"], found["status"]) == (60000, "recovering")
    assert [h[0] for h in found["history"]] == [
        "noticed",
        "asked again",
        "reconsidered",
        "recovered from payments",
    ]
    from audit.trace import timeline

    traced = [(s.what, s.actor) for s in timeline(REF).steps if s.subject.startswith("surplus")]
    assert ("Surplus.AskedAgain", "sam") in traced and traced[0] == ("Surplus.Found", "t.manager")
    review = signed_in(make_user, "b.worker", Role.SOCIAL_WORKER).get(
        f"/cases/{REF}/direct-payment-review/"
    )
    assert "£600.00, recovering" in review.content.decode()
