"""The API and the pages are two adapters on the ledger's one door.

Each read calls the same ledger query with the caller's ``Actor`` and logs the staff read of a
budget's accounts; an actor the ledger's policy refuses is told the same words by the API's
403 and by the forbidden page, and nothing is read or logged; the API's commands go through
the caller's journal, which the policy gives; and the budgets context posts a budget's
entries through its own journal, as the system.
"""

from __future__ import annotations

import html
import json
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from api.models import PersonalDataRead
from config.actor import Actor
from config.roles import Role
from identity.actors import actor_from_user
from ledger import models, queries
from ledger.application import LedgerApplication
from ledger.domain import Owner
from ledger.services import catch_up
from tests.conftest import draft

pytestmark = pytest.mark.django_db(transaction=True)

REF = "DN-000123"
ACCOUNT = f"PB:{REF}:AVAILABLE"


@pytest.fixture
def budget_entry(app: Any) -> Any:
    """A budget's account holding an allocation, as the budgets context posts it."""
    journal = app.journal(Actor.system(), context=Owner.BUDGETS)
    journal.open_account(
        code=ACCOUNT,
        name="Sam Patel: budget available",
        type="liability",
        owner_kind="budget",
        owner_id=REF,
        no_overdraft=True,
    )
    entry = journal.post_entry(
        draft("allocation", [("FUND", "debit", 1000), (ACCOUNT, "credit", 1000)], budget=REF)
    )
    catch_up()
    return entry


def user_client(make_user: Any, username: str, role: Role) -> tuple[Client, Any]:
    user = make_user(username, role.value)
    client = Client()
    client.force_login(user)
    return client, user


# read: the query, the API's path and the page's path (given the entry's id)
READS: dict[str, tuple[str, Callable[[Any], str], Callable[[Any], str]]] = {
    "the statement": (
        "statement",
        lambda _e: f"/api/v1/ledger/accounts/{ACCOUNT}/statement",
        lambda _e: f"/ledger/accounts/{ACCOUNT}/",
    ),
    "an entry": (
        "entry",
        lambda e: f"/api/v1/ledger/entries/{e.id}",
        lambda e: f"/ledger/entries/{e.id}/",
    ),
    "the accounts": ("accounts", lambda _e: "/api/v1/ledger/accounts", lambda _e: "/ledger/"),
}


def spy_on(monkeypatch: pytest.MonkeyPatch, name: str) -> list[Actor]:
    """Wrap one ledger query with a recorder of the actor it was asked by."""
    real = getattr(queries, name)
    asked: list[Actor] = []

    def spy(actor: Actor, *args: Any, **kwargs: Any) -> Any:
        asked.append(actor)
        return real(actor, *args, **kwargs)

    monkeypatch.setattr(queries, name, spy)
    return asked


@pytest.mark.parametrize("role", [Role.FINANCE_OFFICER, Role.AUDITOR])
@pytest.mark.parametrize("read", list(READS))
def test_the_api_and_the_page_read_through_the_same_query_with_the_callers_actor(
    read: str, role: Role, budget_entry: Any, make_user: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    query, api_path, page_path = READS[read]
    client, user = user_client(make_user, "reader", role)
    asked = spy_on(monkeypatch, query)

    assert client.get(api_path(budget_entry)).status_code == 200
    assert client.get(page_path(budget_entry)).status_code == 200

    assert len(asked) == 2  # one call each, of the same query
    by_api, by_page = asked
    assert isinstance(by_api, Actor) and by_api == by_page == actor_from_user(user)
    # Each staff read of the budget's account is logged, by both.
    logged = PersonalDataRead.objects.filter(user=user, subject=REF).count()
    assert logged == 2


def forbidden_words(response: Any) -> str:
    page = response.content.decode()
    assert response.status_code == 403 and "You cannot use this page" in page
    start = page.index('data-testid="forbidden-reason">') + len('data-testid="forbidden-reason">')
    return html.unescape(page[start : page.index("</p>", start)])


@pytest.mark.parametrize("role", [Role.SOCIAL_WORKER, Role.PERSON, Role.REGISTER_ADMIN])
@pytest.mark.parametrize("read", list(READS))
def test_an_actor_the_ledger_refuses_is_told_the_same_by_the_api_and_the_page(
    read: str, role: Role, budget_entry: Any, make_user: Any
) -> None:
    _, api_path, page_path = READS[read]
    client, _ = user_client(make_user, "stranger", role)
    why = "the ledger is read by finance officers and auditors"
    refused = client.get(api_path(budget_entry))
    assert refused.status_code == 403 and refused.json()["detail"] == why
    assert forbidden_words(client.get(page_path(budget_entry))) == why[0].upper() + why[1:] + "."
    assert not PersonalDataRead.objects.exists()  # nothing was read, so nothing is logged


def post(client: Client, path: str, body: dict[str, Any], key: str = "") -> Any:
    headers: dict[str, Any] = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
    return client.post(path, data=json.dumps(body), content_type="application/json", **headers)


def test_the_apis_commands_go_through_the_callers_journal(
    app: Any, make_user: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = LedgerApplication.journal
    asked: list[tuple[Actor, Any]] = []

    def journal(self: LedgerApplication, actor: Actor, *, context: Any = None) -> Any:
        asked.append((actor, context))
        return real(self, actor, context=context)

    monkeypatch.setattr(LedgerApplication, "journal", journal)
    client, user = user_client(make_user, "farah", Role.FINANCE_OFFICER)
    body = {
        "kind": "adjustment",
        "reason": "Keyed from the bank statement",
        "legs": [
            {"account": "BANK", "side": "debit", "amount": "12.00"},
            {"account": "FUND", "side": "credit", "amount": "12.00"},
        ],
    }
    posted = post(client, "/api/v1/ledger/entries", body, key="manual-1")
    assert posted.status_code == 201, posted.content
    reversed_ = post(
        client, f"/api/v1/ledger/entries/{posted.json()['id']}/reverse", {"reason": "x"}
    )
    assert reversed_.status_code == 201
    assert asked == [(actor_from_user(user), None)] * 2  # finance's, as the policy gives it
    catch_up()
    entry = models.Entry.objects.get(id=posted.json()["id"])
    assert entry.actor == "farah" and entry.reversed_by is not None


def test_an_auditor_writes_nothing_and_finance_opens_no_budgets_account(
    app: Any, make_user: Any
) -> None:
    auditor, _ = user_client(make_user, "ruth", Role.AUDITOR)
    finance, _ = user_client(make_user, "farah", Role.FINANCE_OFFICER)
    before = app.recorder.max_notification_id()
    refused = post(auditor, "/api/v1/ledger/accounts", {"code": "X", "name": "X", "type": "asset"})
    assert refused.status_code == 403
    assert refused.json()["detail"] == "auditors read the ledger and change nothing"
    budgets_own = post(
        finance,
        "/api/v1/ledger/accounts",
        {
            "code": "PB:DN-000456:AVAILABLE",
            "name": "Lee: budget available",
            "type": "liability",
            "owner_kind": "budget",
            "owner_id": "DN-000456",
        },
    )
    assert budgets_own.status_code == 409
    assert budgets_own.json()["errors"][0]["field"] == "owner_kind"
    assert "the budgets context opens its own accounts" in budgets_own.json()["detail"]
    assert app.recorder.max_notification_id() == before  # nothing recorded by either


def test_the_budgets_context_posts_a_budgets_entries_through_its_own_journal(
    worker: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.integration.test_case_forms import allocated

    real = LedgerApplication.journal
    asked: list[tuple[Actor, Any]] = []

    def journal(self: LedgerApplication, actor: Actor, *, context: Any = None) -> Any:
        asked.append((actor, context))
        return real(self, actor, context=context)

    monkeypatch.setattr(LedgerApplication, "journal", journal)
    assert allocated(worker).status_code == 302
    assert asked and set(asked) == {(Actor.system(), Owner.BUDGETS)}
    catch_up()
    assert models.Entry.objects.filter(kind="allocation").exists()


def test_someone_signed_in_with_no_role_at_all_is_told_the_policys_words_too(
    budget_entry: Any, make_user: Any
) -> None:
    client = Client()
    client.force_login(make_user("nobody"))
    why = "the ledger is read by finance officers and auditors"
    assert client.get(f"/api/v1/ledger/accounts/{ACCOUNT}/statement").json()["detail"] == why
    assert forbidden_words(client.get(f"/ledger/accounts/{ACCOUNT}/")) == "The" + why[3:] + "."
    assert Client().get(f"/ledger/accounts/{ACCOUNT}/").status_code == 302  # to sign in
