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
