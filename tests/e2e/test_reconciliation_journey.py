"""In Chromium, with axe on every page: finance imports the bank's statement, confirms the
suggested match, proposes a write-off for a bank charge, a second officer approves it, and the
month closes at zero difference."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page

from config.roles import Role
from payments.application import payments_app
from payments.direct_payments import BankAccount, Payee
from payments.rails import BacsRail
from tests.e2e.conftest import serious_violations
from tests.e2e.test_choosing_support import PASSWORD, sign_in
from tests.integration.test_payment_runs import CAL, COUNCIL, SYSTEM, agree, budget, journal, ledger
from tests.integration.test_reconciliation import mt940

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
__all__ = ["ledger"]


def test_finance_clears_the_exceptions_and_closes_the_month(
    live_server: Any,
    page: Page,
    ledger: Any,
    make_user: Any,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("payments.services.today", lambda: date(2027, 1, 4))  # December ended
    app = payments_app()
    for n, ref in enumerate(["DN-EA", "DN-EB"]):
        budget(ledger, ref)
        bank = BankAccount.create(sort_code=f"20000{n}", account_number=f"5000000{n}", name=ref)
        agree(app, ref, Payee.create(kind="person", name=ref, bank=bank), date(2026, 12, 28))
    rail = BacsRail(originator=COUNCIL, folder=tmp_path / "bacs")
    run = app.start_run(SYSTEM, rail=rail, run_on=date(2026, 12, 18), calendar=CAL)
    assert app.work_run(SYSTEM, run, rail=rail, journal=journal(ledger)).paid == 2
    statement = tmp_path / "december.sta"
    statement.write_bytes(
        mt940(
            [
                ("261224", "D", "1040,00", "DP DN-EA P01|DP DN-EA P01"),
                ("261224", "D", "1040,00", "BACS|NO REFERENCE GIVEN"),
                ("261231", "D", "12,50", "CHARGES|BANK CHARGES"),
            ]
        )
    )
    for name in ("lbrown", "mpatel"):
        make_user(name, Role.FINANCE_OFFICER.value, password=PASSWORD)
    base = live_server.url

    sign_in(page, base, "lbrown")
    page.get_by_role("link", name="Payments", exact=True).click()
    page.get_by_role("link", name="Bank reconciliation").click()
    assert serious_violations(page) == []
    page.get_by_role("button", name="Import and match").click()  # no file chosen
    assert "Choose the bank's statement file" in page.locator(".govuk-error-summary").inner_text()
    assert serious_violations(page) == []
    page.set_input_files("#file", str(statement))
    page.get_by_role("button", name="Import and match").click()
    assert "3 lines are imported" in page.content()
    page.get_by_role("button", name="Confirm the match of payments:dp:DN-EB:P01").click()
    assert "The match is confirmed." in page.content()
    page.get_by_label("Correction").select_option("write_off")
    page.get_by_label("Reason").fill("December's bank charges")
    page.get_by_role("button", name="Propose the correction").first.click()
    assert "a second finance officer approves it" in page.content()
    assert serious_violations(page) == []
    page.get_by_role("button", name="Sign out").click()

    sign_in(page, base, "mpatel")
    page.goto(f"{base}/finance/reconciliation/")
    page.get_by_role("button", name="Approve the correction").first.click()
    assert "approved and in the ledger" in page.content()
    page.get_by_role("button", name="Close 2026-12").click()
    assert "closed at zero difference" in page.content()
    assert "by mpatel" in page.get_by_test_id("report").inner_text()
    assert serious_violations(page) == []
    assert ledger.get_account("COUNCIL:BANK").balance == -(2 * 104000) - 1250
    # Stripe's balance, on the same page: its top-up form's errors, with axe.
    page.get_by_role("link", name="Stripe's balance").click()
    assert serious_violations(page) == []
    page.get_by_label("Amount").fill("ten pounds")
    page.get_by_role("button", name="Top up").click()
    assert "is not an amount of money" in page.locator(".govuk-error-summary").inner_text()
    assert serious_violations(page) == []
    # A person's direct-payment monitoring, with the form's errors.
    page.goto(f"{base}/cases/DN-EA/direct-payment-monitoring/")
    assert serious_violations(page) == []
    page.get_by_role("button", name="Work out the surplus").click()
    assert "Enter the date of the balance" in page.locator(".govuk-error-summary").inner_text()
    assert serious_violations(page) == []
