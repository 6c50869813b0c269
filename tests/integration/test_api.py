"""The ledger API across HTTP: who may call each route, problem details, idempotency, pages."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from api.models import ApiToken
from config.roles import Role
from ledger import models
from ledger.services import catch_up, ledger_app
from tests.conftest import NOW, draft

pytestmark = pytest.mark.django_db(transaction=True)

ALL_ROLES = [r.value for r in Role]


@pytest.fixture
def ledger(app: Any) -> Any:
    """Finance's own manual adjustment, which its journal may reverse (the test accounts
    belong to no context: tests/integration/test_ledger_ownership.py has a budget's)."""
    entry = app.post_entry(
        draft("seed", [("FUND", "debit", 45000), ("PB-1", "credit", 45000)], kind="adjustment")
    )
    catch_up()
    return entry


def client_for(make_user: Any, role: str | None) -> Client:
    client = Client()
    if role is not None:
        user = make_user(f"user-{role.replace(' ', '-')}", role)
        client.force_login(user)
    return client


def entry_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "kind": "adjustment",  # finance's manual adjustment: a budget's kinds are refused
        "reason": "annual budget",
        "effective_at": NOW.isoformat(),
        "legs": [
            {"account": "FUND", "side": "debit", "amount": "£1,234.50"},
            {"account": "PB-1", "side": "credit", "amount": "1234.50"},
        ],
    }
    body.update(overrides)
    return body


def post(client: Client, path: str, body: dict[str, Any], key: str | None = None) -> Any:
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
    return client.post(path, data=json.dumps(body), content_type="application/json", **headers)


def routes(entry_id: Any) -> list[tuple[str, str, dict[str, Any] | None, tuple[Role, ...]]]:
    base = "/api/v1/ledger"
    readers = (Role.FINANCE_OFFICER, Role.AUDITOR)
    writers = (Role.FINANCE_OFFICER,)
    return [
        ("get", f"{base}/accounts", None, readers),
        ("get", f"{base}/accounts/PB-1", None, readers),
        ("get", f"{base}/accounts/PB-1/balance", None, readers),
        ("get", f"{base}/accounts/PB-1/statement", None, readers),
        ("get", f"{base}/entries", None, readers),
        ("get", f"{base}/entries/{entry_id}", None, readers),
        ("post", f"{base}/entries", entry_body(), writers),
        ("post", f"{base}/entries/{entry_id}/reverse", {"reason": "r"}, writers),
        ("post", f"{base}/accounts", {"code": "X", "name": "X", "type": "asset"}, writers),
        ("post", f"{base}/accounts/PB-2/close", {"reason": "r"}, writers),
    ]


def call(client: Client, method: str, path: str, body: dict[str, Any] | None) -> Any:
    if method == "get":
        return client.get(path)
    return post(client, path, body or {}, key="role-check")


def test_every_route_refuses_anyone_without_its_roles(ledger: Any, make_user: Any) -> None:
    before = models.Entry.objects.count(), models.Account.objects.count()
    anonymous = Client()
    clients = {role: client_for(make_user, role) for role in ALL_ROLES}
    for method, path, body, allowed in routes(ledger.id):
        response = call(anonymous, method, path, body)
        assert response.status_code == 401, path
        assert response["Content-Type"] == "application/problem+json"
        for role in ALL_ROLES:
            if role in {r.value for r in allowed}:
                continue
            response = call(clients[role], method, path, body)
            assert response.status_code == 403, (path, role)
            # In the words of the ledger's policy (ledger/policies.py), as the pages say them.
            if method == "get":
                why = "the ledger is read by finance officers and auditors"
            elif role == Role.AUDITOR.value:
                why = "auditors read the ledger and change nothing"
            else:
                why = "only a finance officer writes in the ledger's journal"
            assert response.json()["detail"] == why, (path, role)
    catch_up()
    assert (models.Entry.objects.count(), models.Account.objects.count()) == before


def test_readers_may_read(ledger: Any, make_user: Any) -> None:
    for role in (Role.FINANCE_OFFICER, Role.AUDITOR):
        client = client_for(make_user, role.value)
        for method, path, _, _ in routes(ledger.id):
            if method == "get":
                assert client.get(path).status_code == 200, (path, role)


def test_a_machine_client_posts_with_a_token_and_a_retry_pays_once(
    ledger: Any, make_user: Any
) -> None:
    user = make_user("finance-system", Role.FINANCE_OFFICER.value)
    _, token = ApiToken.issue(user, "finance system")
    client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    first = post(client, "/api/v1/ledger/entries", entry_body(), key="run-42:line-1")
    again = post(client, "/api/v1/ledger/entries", entry_body(), key="run-42:line-1")
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"]
    entry = client.get(f"/api/v1/ledger/entries/{first.json()['id']}").json()
    assert entry["actor"] == "finance-system"
    assert entry["amount_pence"] == 123450 and entry["amount"] == "£1,234.50"
    assert len(entry["hash"]) == 64
    conflict = post(
        client, "/api/v1/ledger/entries", entry_body(reason="other"), key="run-42:line-1"
    )
    assert conflict.status_code == 409
    assert conflict.json()["errors"] == [
        {
            "field": "idempotency_key",
            "message": "this idempotency key was already used for a different entry",
        }
    ]
    assert models.Entry.objects.filter(idempotency_key="run-42:line-1").count() == 1
    bad = Client(HTTP_AUTHORIZATION="Bearer nonsense")
    assert bad.get("/api/v1/ledger/accounts").status_code == 401


BAD_BODIES = [
    (
        {
            "legs": [
                {"account": "FUND", "side": "debit", "amount": "12.345"},
                {"account": "PB-1", "side": "credit", "amount": "12.34"},
            ]
        },
        "legs[0].amount",
        "'12.345' is not an amount of money",
    ),
    (
        {
            "legs": [
                {"account": "FUND", "side": "debit", "amount": "£-5"},
                {"account": "PB-1", "side": "credit", "amount": "5"},
            ]
        },
        "legs[0].amount",
        "'£-5' is not an amount of money",
    ),
    (
        {
            "legs": [
                {"account": "FUND", "side": "debit", "amount": "1e3"},
                {"account": "PB-1", "side": "credit", "amount": "1000"},
            ]
        },
        "legs[0].amount",
        "'1e3' is not an amount of money",
    ),
    (
        {
            "legs": [
                {"account": "FUND", "side": "debit", "amount": "NaN"},
                {"account": "PB-1", "side": "credit", "amount": "1"},
            ]
        },
        "legs[0].amount",
        "'NaN' is not an amount of money",
    ),
    (
        {
            "legs": [
                {"account": "FUND", "side": "debit", "amount": 1000},
                {"account": "PB-1", "side": "credit", "amount": "10"},
            ]
        },
        "legs[0].amount",
        "Input should be a valid string",
    ),
    (
        {
            "legs": [
                {"account": "FUND", "side": "debit", "amount": "10,000,000.01"},
                {"account": "PB-1", "side": "credit", "amount": "10,000,000.01"},
            ]
        },
        "legs[0].amount",
        "must be at most £10,000,000.00",
    ),
    (
        {
            "legs": [
                {"account": "FUND", "side": "debit", "amount": "5"},
                {"account": "PB-1", "side": "credit", "amount": "4.99"},
            ]
        },
        "legs",
        "debits (500p) do not equal credits (499p)",
    ),
    (
        {"legs": [{"account": "FUND", "side": "debit", "amount": "5"}]},
        "legs",
        "an entry needs at least two legs",
    ),
    (
        {
            "legs": [
                {"account": "FUND", "side": "debit", "amount": "0"},
                {"account": "PB-1", "side": "credit", "amount": "0"},
            ]
        },
        "legs[0].amount",
        "must be more than zero pence",
    ),
    (
        {
            "legs": [
                {"account": "FUND", "side": "debit", "amount": "5"},
                {"account": "NOPE", "side": "credit", "amount": "5"},
            ]
        },
        "legs[1].account",
        "account NOPE does not exist",
    ),
    ({"reason": "x" * 501}, "reason", "must be at most 500 characters"),
    ({"reason": "line\u0007bell"}, "reason", "must not contain control characters"),
    ({"kind": "gift"}, "kind", "must be one of"),
    ({"effective_at": "yesterday"}, "effective_at", "Input should be a valid datetime"),
]


@pytest.mark.parametrize(("overrides", "field", "message"), BAD_BODIES)
def test_bad_input_gets_a_problem_naming_the_field_and_records_nothing(
    ledger: Any, make_user: Any, overrides: dict[str, Any], field: str, message: str
) -> None:
    client = client_for(make_user, Role.FINANCE_OFFICER.value)
    response = post(client, "/api/v1/ledger/entries", entry_body(**overrides), key="bad-1")
    assert response.status_code == 422
    assert response["Content-Type"] == "application/problem+json"
    problem = response.json()
    assert problem["status"] == 422 and problem["title"] == "Invalid input"
    assert problem["errors"][0]["field"] == field
    assert message in problem["errors"][0]["message"]
    catch_up()
    assert models.Entry.objects.count() == 1


def test_a_missing_idempotency_key_is_named(ledger: Any, make_user: Any) -> None:
    client = client_for(make_user, Role.FINANCE_OFFICER.value)
    response = post(client, "/api/v1/ledger/entries", entry_body())
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "Idempotency-Key"


def test_reverse_balance_statement_and_pagination(ledger: Any, make_user: Any) -> None:
    client = client_for(make_user, Role.FINANCE_OFFICER.value)
    reversed_ = post(
        client, f"/api/v1/ledger/entries/{ledger.id}/reverse", {"reason": "wrong person"}
    )
    assert reversed_.status_code == 201
    twice = post(client, f"/api/v1/ledger/entries/{ledger.id}/reverse", {"reason": "again"})
    assert twice.status_code == 409
    balance = client.get("/api/v1/ledger/accounts/PB-1/balance").json()
    assert balance["balance_pence"] == 0
    for i in range(5):
        assert post(client, "/api/v1/ledger/entries", entry_body(), key=f"p{i}").status_code == 201
    page = client.get("/api/v1/ledger/entries?limit=3&account=PB-1").json()
    assert len(page["items"]) == 3 and page["next_cursor"] is not None
    rest = client.get(
        f"/api/v1/ledger/entries?limit=3&account=PB-1&cursor={page['next_cursor']}"
    ).json()
    assert len(rest["items"]) == 3 and rest["next_cursor"] is not None
    last = client.get(f"/api/v1/ledger/entries?limit=3&account=PB-1&cursor={rest['next_cursor']}")
    assert len(last.json()["items"]) == 1 and last.json()["next_cursor"] is None
    seen = [e["id"] for e in page["items"] + rest["items"] + last.json()["items"]]
    assert len(set(seen)) == 7  # the seed, its reversal and five more
    only_reversals = client.get("/api/v1/ledger/entries?kind=reversal").json()["items"]
    assert [e["reverses"] for e in only_reversals] == [str(ledger.id)]
    statement = client.get("/api/v1/ledger/accounts/PB-1/statement?limit=2").json()
    # Effective-date order: the seed, then the first of the five; the reversal comes last.
    assert [line["running_balance_pence"] for line in statement["lines"]] == [-45000, -168450]
    as_at = client.get("/api/v1/ledger/accounts/PB-1/balance", {"as_at": NOW.isoformat()}).json()
    # At NOW: the seed and five entries; the reversal is effective later (when it was made).
    assert as_at["balance_pence"] == -45000 - 5 * 123450
    assert as_at["balance"] == "£6,622.50"
    closing = post(client, "/api/v1/ledger/accounts/PB-1/close", {"reason": "done"})
    assert closing.status_code == 422
    assert "still holds" in closing.json()["detail"]


def test_openapi_schema_is_published(db: Any) -> None:
    schema = Client().get("/api/v1/openapi.json").json()
    assert "/api/v1/ledger/entries" in schema["paths"]


def test_statement_pages_follow_effective_date_order_with_backdated_lines(
    app: Any, make_user: Any
) -> None:
    from datetime import timedelta

    for key, days in [("jan10", 0), ("jan20", 10), ("jan05", -5)]:  # the last is backdated
        app.post_entry(
            draft(
                key,
                [("FUND", "debit", 100), ("PB-2", "credit", 100)],
                effective_at=NOW + timedelta(days=days),
            )
        )
    catch_up()
    client = client_for(make_user, Role.AUDITOR.value)
    seen, cursor = [], None
    for _ in range(5):
        query = {"limit": 1, **({"cursor": cursor} if cursor else {})}
        page = client.get("/api/v1/ledger/accounts/PB-2/statement", query).json()
        seen += [line["running_balance_pence"] for line in page["lines"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [-100, -200, -300]
    bad = client.get("/api/v1/ledger/accounts/PB-2/statement", {"cursor": "nonsense"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "cursor"


def test_query_times_must_say_their_zone(ledger: Any, make_user: Any) -> None:
    client = client_for(make_user, Role.AUDITOR.value)
    for path, field in [
        ("/api/v1/ledger/accounts/PB-1/balance?as_at=2026-09-10T00:00:00", "as_at"),
        ("/api/v1/ledger/entries?effective_from=2026-09-10T00:00:00", "effective_from"),
        ("/api/v1/ledger/accounts/PB-1/statement?start=2026-09-10T00:00:00", "start"),
    ]:
        response = client.get(path)
        assert response.status_code == 422, path
        assert response.json()["errors"][0]["field"] == field


def test_entries_filter_by_budget_source_document_and_effective_dates(
    ledger: Any, make_user: Any
) -> None:
    from datetime import timedelta

    client = client_for(make_user, Role.FINANCE_OFFICER.value)
    legs = [("FUND", "debit", 100), ("PB-1", "credit", 100)]
    # Entries naming a budget are the budgets context's (finance's journal names none).
    drafts = {
        "early": draft(
            "early",
            legs,
            budget="DN-1",
            source_document="plan:DN-1:v1",
            effective_at=NOW - timedelta(days=10),
        ),
        "late": draft(
            "late",
            legs,
            budget="DN-1",
            source_document="invoice:7",
            effective_at=NOW + timedelta(days=10),
        ),
        "other": draft("other", legs, budget="DN-2", source_document="plan:DN-2:v1"),
    }
    ids = {k: str(ledger_app().post_entry(d).id) for k, d in drafts.items()}
    catch_up()

    def found(query: str) -> set[str]:
        return {e["id"] for e in client.get(f"/api/v1/ledger/entries?{query}").json()["items"]}

    assert found("budget=DN-1") == {ids["early"], ids["late"]}
    assert found("source_document=invoice:7") == {ids["late"]}
    since = (NOW - timedelta(days=1)).isoformat().replace("+", "%2B")
    until = (NOW + timedelta(days=1)).isoformat().replace("+", "%2B")
    assert found(f"budget=DN-1&effective_from={since}") == {ids["late"]}
    assert found(f"budget=DN-1&effective_to={until}") == {ids["early"]}
    assert ids["other"] in found(f"effective_from={since}&effective_to={until}")
    assert ids["early"] not in found(f"effective_from={since}&effective_to={until}")


def test_a_token_from_the_command_lets_a_machine_client_in(ledger: Any, make_user: Any) -> None:
    from io import StringIO

    from django.core.management import call_command

    make_user("farah", Role.FINANCE_OFFICER.value)
    out = StringIO()
    call_command("create_api_token", "farah", stdout=out)
    token = out.getvalue().strip()
    machine = Client(headers={"Authorization": f"Bearer {token}"})
    assert machine.get("/api/v1/ledger/accounts/PB-1/balance").status_code == 200
    wrong = Client(headers={"Authorization": f"Bearer {token}x"})
    assert wrong.get("/api/v1/ledger/accounts/PB-1/balance").status_code == 401
    assert Client().get("/api/docs").status_code in (301, 302)  # the docs live under /api/v1/


# What a person is told by the routes whose gate is the context's own policy.
POLICY_WORDS = {
    "/api/v1/ledger/entries": "only a finance officer writes in the ledger's journal",
    "/api/v1/ledger/accounts": "only a finance officer writes in the ledger's journal",
    "/api/v1/budgets/people": "a person is registered by a social worker or team manager",
    "/api/v1/budgets/grid": "only a team manager tries or publishes a new RAS grid",
}


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/ledger/entries",
        "/api/v1/ledger/accounts",
        "/api/v1/budgets/people",
        "/api/v1/budgets/grid",
        "/api/v1/register/checklist",
        "/api/v1/marketplace/tariff",
    ],
)
def test_the_role_is_checked_before_the_body_is_read(db: Any, make_user: Any, path: str) -> None:
    """Someone without the role is told 403 even for a malformed body, and learns nothing
    from the validation of a body they may not send; someone not signed in is told 401."""
    person = client_for(make_user, Role.PERSON.value)
    refused = person.post(path, "{not json", content_type="application/json")
    assert refused.status_code == 403, refused.content
    # The route's gate: the context's policy in its own words, or the roles it needs.
    if path in POLICY_WORDS:
        assert refused.json()["detail"] == POLICY_WORDS[path]
    else:
        assert refused.json()["detail"].startswith("this needs the role of")
    assert Client().post(path, "{}", content_type="application/json").status_code == 401
