"""Staff reads of a person's data are logged for auditors; people reading their own are not."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from api.models import PersonalDataRead
from config.roles import Role
from ledger.services import catch_up, ledger_app
from tests.conftest import draft
from tests.integration.helpers import accredited_provider, person, signed_in

pytestmark = pytest.mark.django_db(transaction=True)


def test_staff_reads_are_logged_and_only_auditors_see_the_log(council: Any, make_user: Any) -> None:
    app = ledger_app()  # on the council's event stores, where the tariff is
    app.open_account(code="FUND", name="Fund", type="equity", actor="t")
    app.open_account(
        code="PB:DN-000123:AVAILABLE",
        name="Sam",
        type="liability",
        actor="t",
        owner_kind="budget",
        owner_id="DN-000123",
    )
    entry = app.post_entry(
        draft(
            "a",
            [("FUND", "debit", 100), ("PB:DN-000123:AVAILABLE", "credit", 100)],
            budget="DN-000123",
        )
    )
    catch_up()
    finance = signed_in(make_user, "farah", Role.FINANCE_OFFICER)
    assert finance.get("/ledger/accounts/PB:DN-000123:AVAILABLE/").status_code == 200
    assert finance.get(f"/api/v1/ledger/entries/{entry.id}").status_code == 200
    assert (
        finance.get("/ledger/accounts/FUND/").status_code == 200
    )  # the council's own: not personal

    planner = accredited_provider("1700001")
    sam = person(make_user, "sam", "DN-000123")
    sam.post(
        "/my-support/choose/", {"provider": str(planner), "service": "support_planning", "key": "k"}
    )
    assert sam.get("/api/v1/marketplace/engagements").status_code == 200  # their own: not logged
    worker = signed_in(make_user, "alex", Role.SOCIAL_WORKER)
    assert worker.get("/api/v1/marketplace/engagements?person=DN-000123").status_code == 200

    reads = list(
        PersonalDataRead.objects.order_by("id").values_list("user__username", "subject", "what")
    )
    assert reads == [
        ("farah", "DN-000123", "/ledger/accounts/PB:DN-000123:AVAILABLE/"),
        ("farah", "DN-000123", f"/api/v1/ledger/entries/{entry.id}"),
        ("alex", "DN-000123", "/api/v1/marketplace/engagements?person=DN-000123"),
    ]
    auditor = signed_in(make_user, "ruth", Role.AUDITOR)
    log = auditor.get("/api/v1/audit/personal-data-reads?subject=DN-000123").json()["items"]
    assert [r["username"] for r in log] == ["alex", "farah", "farah"]
    assert finance.get("/api/v1/audit/personal-data-reads").status_code == 403
    assert Client().get("/api/v1/audit/personal-data-reads").status_code == 401


def test_staff_reads_of_budget_accounts_in_lists_and_details_are_logged(
    council: Any, make_user: Any
) -> None:
    """The ledger's account list and an account's detail show a budget's balance: personal
    money. Each staff read names the person and which of their accounts were shown; the
    council's own accounts are not personal and are not logged."""
    app = ledger_app()
    app.open_account(code="FUND", name="Fund", type="equity", actor="t")
    for ref, part in [
        ("DN-000123", "AVAILABLE"),
        ("DN-000123", "COMMITTED"),
        ("DN-000456", "AVAILABLE"),
    ]:
        app.open_account(
            code=f"PB:{ref}:{part}",
            name=f"{ref} {part}",
            type="liability",
            actor="t",
            owner_kind="budget",
            owner_id=ref,
        )
    catch_up()
    finance = signed_in(make_user, "farah", Role.FINANCE_OFFICER)
    auditor = signed_in(make_user, "ruth", Role.AUDITOR)
    for client, path in [
        (finance, "/api/v1/ledger/accounts"),
        (finance, "/api/v1/ledger/accounts?owner_id=DN-000456"),
        (finance, "/api/v1/ledger/accounts/PB:DN-000123:COMMITTED"),
        (finance, "/api/v1/ledger/accounts/FUND"),  # the council's own
        (finance, "/api/v1/ledger/accounts?owner_id=DN"),  # none of them a budget's
        (auditor, "/ledger/"),
        (auditor, "/ledger/?q=FUND"),
    ]:
        assert client.get(path).status_code == 200, path
    reads = list(
        PersonalDataRead.objects.order_by("id").values_list("user__username", "subject", "what")
    )
    assert reads == [
        (
            "farah",
            "DN-000123",
            "/api/v1/ledger/accounts (PB:DN-000123:AVAILABLE, PB:DN-000123:COMMITTED)",
        ),
        ("farah", "DN-000456", "/api/v1/ledger/accounts (PB:DN-000456:AVAILABLE)"),
        (
            "farah",
            "DN-000456",
            "/api/v1/ledger/accounts?owner_id=DN-000456 (PB:DN-000456:AVAILABLE)",
        ),
        ("farah", "DN-000123", "/api/v1/ledger/accounts/PB:DN-000123:COMMITTED"),
        ("ruth", "DN-000123", "/ledger/ (PB:DN-000123:AVAILABLE, PB:DN-000123:COMMITTED)"),
        ("ruth", "DN-000456", "/ledger/ (PB:DN-000456:AVAILABLE)"),
    ]
