"""Finance's ledger API cannot move a budget's money behind the budget's back.

Sam's budget is allocated through the budgets API, which posts its entry into his account.
Each move a finance officer might try through the generic ledger API (reverse the allocation,
fake one, adjust his account, close it, or date an entry in 1970 or 9999) is a clear 4xx
problem naming the field, and the command to use where there is one; nothing is recorded, and
the budget and its ledger still agree. The budget's own revision still moves the money.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from budgets.budget import WEEKS_A_YEAR
from budgets.services import budget_app
from config.roles import Role
from ledger import models, queries
from ledger.services import catch_up, ledger_app
from tests.conftest import draft
from tests.integration.helpers import assessed_person, care_fund_and_grid, signed_in

pytestmark = pytest.mark.django_db(transaction=True)

REF = "DN-000123"
AVAILABLE = f"PB:{REF}:AVAILABLE"
REVISE = f"revise it with POST /api/v1/budgets/people/{REF}/budget/revision"


def post(client: Client, path: str, body: dict[str, Any], key: str = "") -> Any:
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
    return client.post(path, data=json.dumps(body), content_type="application/json", **headers)


def recorded() -> int:
    return ledger_app().recorder.max_notification_id() or 0


def assert_budget_and_ledger_agree() -> None:
    """The person's account holds a year of the weekly budget, in the aggregate and the read
    model alike."""
    catch_up()
    expected = budget_app().get_budget(REF).weekly * WEEKS_A_YEAR
    account = ledger_app().get_account(AVAILABLE)
    assert account.on_normal_side(account.balance) == expected
    assert queries.account_by_code(AVAILABLE).normal_balance == expected


@pytest.fixture
def sam(council: Any, make_user: Any) -> dict[str, Client]:
    care_fund_and_grid()
    ledger = ledger_app()
    ledger.open_account(code="COUNCIL:BANK", name="Bank", type="asset", actor="t")
    ledger.post_entry(
        draft(
            "fund",
            [("COUNCIL:BANK", "debit", 100_000_000), ("COUNCIL:CARE-FUND", "credit", 100_000_000)],
            kind="opening",
        )
    )
    assessed_person(REF)
    worker = signed_in(make_user, "alex", Role.SOCIAL_WORKER)
    allocated = post(
        worker, f"/api/v1/budgets/people/{REF}/budget", {"split": {"council_managed": 32200}}
    )
    assert allocated.status_code == 201, allocated.content
    assert_budget_and_ledger_agree()
    return {"worker": worker, "finance": signed_in(make_user, "farah", Role.FINANCE_OFFICER)}


def allocation_id() -> str:
    catch_up()
    return str(models.Entry.objects.get(budget=REF, kind="allocation").id)


def leg(account: str, side: str, amount: str = "10.00") -> dict[str, str]:
    return {"account": account, "side": side, "amount": amount}


# (what finance tries, status, field at fault, words the problem must carry)
MOVES: list[tuple[str, int, str, list[str]]] = [
    ("reverse the allocation", 409, "entry_id", ["allocation of the budget DN-000123", REVISE]),
    ("fake an allocation", 409, "kind", ["belongs to the budgets context", REVISE]),
    ("adjust the account", 409, "legs[1].account", [f"account {AVAILABLE} holds money", REVISE]),
    ("adjust naming the budget", 409, "budget", ["adjustment of the budget DN-000123", REVISE]),
    ("pay from the budget", 409, "kind", ["payments context"]),
    ("close the account", 409, "code", ["only the budgets context moves", REVISE]),
    ("post in 1970", 422, "effective_at", ["before the ledger's opening date, 1 April 2026"]),
    ("post in 9999", 422, "effective_at", ["at most 90 days ahead"]),
    ("reverse into 1970", 422, "effective_at", ["before the ledger's opening date"]),
    ("reverse into 9999", 422, "effective_at", ["at most 90 days ahead"]),
    ("close a council account holding money", 422, "code", ["COUNCIL:BANK still holds"]),
]


def attempt(finance: Client, move: str) -> Any:
    base = "/api/v1/ledger"
    adjustment = {"kind": "adjustment", "reason": "correction"}
    council = [leg("COUNCIL:CARE-FUND", "debit"), leg("COUNCIL:BANK", "credit")]
    if move == "reverse the allocation":
        return post(finance, f"{base}/entries/{allocation_id()}/reverse", {"reason": "wrong"})
    if move == "fake an allocation":
        body = {
            "kind": "allocation",
            "reason": "top-up",
            "budget": REF,
            "legs": [leg("COUNCIL:CARE-FUND", "debit"), leg(AVAILABLE, "credit")],
        }
        return post(finance, f"{base}/entries", body, key="fake")
    if move == "adjust the account":
        body = {**adjustment, "legs": [leg("COUNCIL:CARE-FUND", "debit"), leg(AVAILABLE, "credit")]}
        return post(finance, f"{base}/entries", body, key="adjust")
    if move == "adjust naming the budget":
        return post(finance, f"{base}/entries", {**adjustment, "budget": REF, "legs": council}, "n")
    if move == "pay from the budget":
        body = {
            "kind": "direct_payment",
            "reason": "paid",
            "budget": REF,
            "legs": [leg(AVAILABLE, "debit"), leg("COUNCIL:BANK", "credit")],
        }
        return post(finance, f"{base}/entries", body, key="pay")
    if move == "close the account":
        return post(finance, f"{base}/accounts/{AVAILABLE}/close", {"reason": "tidy up"})
    if move.startswith("post in"):
        when = "1970-01-01T00:00:00Z" if "1970" in move else "9999-12-31T00:00:00Z"
        body = {**adjustment, "legs": council, "effective_at": when}
        return post(finance, f"{base}/entries", body, key=move)
    if move.startswith("reverse into"):
        own = post(finance, f"{base}/entries", {**adjustment, "legs": council}, key="own")
        assert own.status_code == 201
        when = "1970-01-01T00:00:00Z" if "1970" in move else "9999-12-31T23:59:59Z"
        return post(
            finance,
            f"{base}/entries/{own.json()['id']}/reverse",
            {"reason": "wrong", "effective_at": when},
        )
    assert move == "close a council account holding money"
    return post(finance, f"{base}/accounts/COUNCIL:BANK/close", {"reason": "new bank"})


@pytest.mark.parametrize(
    ("move", "status", "field", "words"), MOVES, ids=[m[0].replace(" ", "-") for m in MOVES]
)
def test_each_move_behind_the_budgets_back_is_refused_and_records_nothing(
    sam: dict[str, Client], move: str, status: int, field: str, words: list[str]
) -> None:
    finance = sam["finance"]
    before = recorded()
    response = attempt(finance, move)
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    problem = response.json()
    assert problem["errors"][0]["field"] == field
    for text in words:
        assert text in problem["detail"]
    if move.startswith("reverse into"):
        before += 1  # finance's own entry, posted first (its legs move guard rows, not events)
    assert recorded() == before
    catch_up()
    assert models.Entry.objects.filter(kind="reversal").count() == 0
    assert not queries.account_by_code(AVAILABLE).is_closed
    assert_budget_and_ledger_agree()


def test_the_budgets_own_revision_still_moves_its_money(sam: dict[str, Client]) -> None:
    revised = post(
        sam["worker"],
        f"/api/v1/budgets/people/{REF}/budget/revision",
        {"weekly_pence": 35000, "split": {"council_managed": 35000}, "reason": "More care"},
    )
    assert revised.status_code == 200, revised.content
    assert_budget_and_ledger_agree()
    catch_up()
    revision = models.Entry.objects.get(budget=REF, kind="adjustment")
    assert revision.amount == (35000 - 32200) * WEEKS_A_YEAR
    # The revision is the budget's too: finance's journal cannot reverse it either.
    refused = post(sam["finance"], f"/api/v1/ledger/entries/{revision.id}/reverse", {"reason": "x"})
    assert refused.status_code == 409 and REVISE in refused.json()["detail"]
    assert_budget_and_ledger_agree()
