"""Managed-budget spend (payments/managed.py): a case worker records a commissioned service
line, finance approves it (posted as managed spend against the right budget; refused, with
nothing recorded, when the budget cannot cover it), the next run pays the provider once, and
the person sees it on "My budget"."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta
from typing import Any

import pytest

from accreditation.services import accreditation_app
from config.roles import Role
from ledger.domain import hold_id
from ledger.services import ledger_app
from payments import stripe as pay
from payments.application import line_hold_key, payments_app, provider_payable
from payments.managed import service_line_id
from payments.rails import StripeRail
from payments.services import run_payments
from tests.integration.helpers import accredited_provider, person, signed_in
from tests.integration.test_commitments import REF, TODAY, allocated

pytestmark = pytest.mark.django_db(transaction=True)
__all__ = ["allocated"]


def line(**changes: Any) -> dict[str, Any]:
    return {
        "reference": "SB-2026-07",
        "description": "Short break, two nights",
        "period_start": (TODAY - timedelta(days=7)).isoformat(),
        "period_end": (TODAY - timedelta(days=6)).isoformat(),
        "units": "2",
        "rate_pence": 39000,
        **changes,
    }


def test_a_service_line_is_recorded_approved_posted_paid_once_and_shown_to_the_person(
    allocated: str, make_user: Any, stripe_server: Any
) -> None:
    ledger_app().open_account(code="STRIPE:CLEARING", name="Clearing", type="asset", actor="t")
    provider = accredited_provider("2000001", name="Respite Care Doncaster")
    account = pay.create_connected_account(
        provider_id=str(provider), email="r@example.org", name="R"
    )
    stripe_server.post(f"/_config/accounts/{account}/complete_onboarding")
    accreditation_app().link_payment_account(provider, account=account)
    pay.top_up(amount_pence=1_000_000, idempotency_key=f"f-{uuid.uuid4()}", description="f")
    worker = signed_in(make_user, "alex", Role.SOCIAL_WORKER)
    route = f"/api/v1/payments/budgets/{REF}/service-lines"

    def post(client: Any, path: str, body: dict[str, Any]) -> Any:
        return client.post(path, data=json.dumps(body), content_type="application/json")

    wrong = post(worker, route, line(provider=str(provider), amount_pence=70000))
    assert wrong.status_code == 422
    assert wrong.json()["errors"] == [
        {"field": "amount_pence", "message": "2 at £390.00 is £780.00, not £700.00"}
    ]
    made = post(worker, route, line(provider=str(provider), amount_pence=78000))
    assert made.status_code == 201
    recorded = made.json()
    assert (recorded["amount"], recorded["status"], recorded["units"]) == (
        "£780.00",
        "recorded",
        "2",
    )
    again = post(worker, route, line(provider=str(provider)))
    assert again.status_code == 409 and "reference" in again.content.decode()
    decide = f"/api/v1/payments/service-lines/{recorded['id']}"
    assert post(worker, f"{decide}/approve", {}).status_code == 403  # finance approves
    before = ledger_app().get_account(f"PB:{REF}:AVAILABLE").balance
    finance = signed_in(make_user, "l.brown", Role.FINANCE_OFFICER)
    approved = post(finance, f"{decide}/approve", {})
    assert approved.status_code == 200 and approved.json()["status"] == "approved"
    assert ledger_app().get_account(f"PB:{REF}:AVAILABLE").balance == before + 78000
    entry = ledger_app().get_entry(uuid.UUID(approved.json()["ledger_entry"]))
    assert (entry.kind.value, entry.budget) == ("managed_spend", REF)

    hold = ledger_app().get_hold(hold_id(line_hold_key(uuid.UUID(recorded["id"]))))
    assert (hold.status.value, hold.entry) == ("posted", entry.id)  # the order, as held

    # A line the budget cannot cover is refused when it is recorded, and nothing is kept.
    available = ledger_app().get_account(f"PB:{REF}:AVAILABLE").available
    big = post(
        worker,
        route,
        line(provider=str(provider), reference="BIG-1", units="100", rate_pence=1_000_000),
    )
    assert (
        big.status_code == 422 and big.json()["errors"][0]["field"] == "amount"
    )  # worked out: none sent
    assert "cannot cover £1,000,000.00" in big.json()["errors"][0]["message"]
    assert ledger_app().get_account(f"PB:{REF}:AVAILABLE").available == available
    assert post(worker, route, line(provider=str(provider), reference="BIG-1")).status_code == 201
    # Recorded, the order is held against the budget; rejected, the hold is released.
    held = ledger_app().get_account(f"PB:{REF}:AVAILABLE")
    assert held.available == available - 78000
    small = payments_app().get_service_line(service_line_id(REF, "BIG-1"))
    rejected = post(finance, f"/api/v1/payments/service-lines/{small.id}/reject", {"reason": "x"})
    assert rejected.status_code == 200
    assert ledger_app().get_account(f"PB:{REF}:AVAILABLE").available == available
    assert ledger_app().get_account(f"PB:{REF}:AVAILABLE").balance == before + 78000

    assert run_payments(TODAY, rail=StripeRail()).paid == 1
    assert run_payments(TODAY, rail=StripeRail()).paid == 1
    group = f"payments:managed:{recorded['id']}"
    assert [
        t.amount for t in pay.client().v1.transfers.list(params={"transfer_group": group}).data
    ] == [78000]
    assert ledger_app().get_account(provider_payable(provider)).balance == 0
    mine = person(make_user, "dn-000777", REF).get("/my-budget/").content.decode()
    assert "Service line SB-2026-07 approved: Short break, two nights" in mine
    assert "£780.00" in mine


def test_an_approval_retried_after_a_crash_spends_the_order_once(
    allocated: str, make_user: Any
) -> None:
    from config.actor import Actor
    from ledger.domain import Owner
    from payments.services import line_facts

    provider = accredited_provider("2000002", name="Respite Care Doncaster")
    app = payments_app()
    journal = ledger_app().journal(Actor.system(), context=Owner.PAYMENTS)
    worker = Actor(id="alex", roles=frozenset({Role.SOCIAL_WORKER}))
    finance = Actor(id="l.brown", roles=frozenset({Role.FINANCE_OFFICER}))
    before = ledger_app().get_account(f"PB:{REF}:AVAILABLE").balance

    def record(reference: str) -> uuid.UUID:
        return app.record_service_line(
            worker,
            budget=REF,
            reference=reference,
            provider=provider,
            description="Short break",
            period_start=TODAY - timedelta(days=7),
            period_end=TODAY - timedelta(days=6),
            units="2",
            rate=39000,
            amount=None,
            facts_of=line_facts,
            journal=journal,
        )

    # The approval posted the order's hold, then died before it saved the line.
    first = record("SB-1")
    journal.post_hold(hold=hold_id(line_hold_key(first)), reason="approved")
    approved = app.approve_service_line(finance, first, journal=journal)
    assert approved.entry == ledger_app().get_hold(hold_id(line_hold_key(first))).entry
    assert ledger_app().get_account(f"PB:{REF}:AVAILABLE").balance == before + 78000  # once
    # The same crash, then a rejection: what the lost approval posted is taken back.
    second = record("SB-2")
    journal.post_hold(hold=hold_id(line_hold_key(second)), reason="approved")
    app.reject_service_line(finance, second, reason="not delivered", journal=journal)
    posted = ledger_app().get_entry(ledger_app().get_hold(hold_id(line_hold_key(second))).entry)
    assert posted.reversed_by is not None
    after = ledger_app().get_account(f"PB:{REF}:AVAILABLE")
    assert (after.balance, after.pending_debits) == (before + 78000, 0)
