"""The ledger explorer's pages: who may see them, the as-at form and its errors."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client

from config.roles import Role
from ledger import models
from ledger.services import catch_up
from tests.conftest import NOW, draft

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def entry(app: Any) -> Any:
    first = app.post_entry(draft("a", [("FUND", "debit", 45000), ("PB-1", "credit", 45000)]))
    app.post_entry(
        draft(
            "b",
            [("PB-1", "debit", 20000), ("PROVIDER-1", "credit", 20000)],
            effective_at=NOW + timedelta(days=40),
        )
    )
    catch_up()
    return first


def pages(entry: Any) -> list[str]:
    return ["/ledger/", "/ledger/accounts/PB-1/", f"/ledger/entries/{entry.id}/"]


def test_pages_need_sign_in_and_a_ledger_role(entry: Any, make_user: Any) -> None:
    for path in pages(entry):
        response = Client().get(path)
        assert response.status_code == 302 and response["Location"].startswith("/sign-in/")
    for role in Role:
        client = Client()
        client.force_login(make_user(f"u-{role.name}", role.value))
        allowed = role in (Role.FINANCE_OFFICER, Role.AUDITOR)
        for path in pages(entry):
            response = client.get(path)
            assert response.status_code == (200 if allowed else 403), (path, role)
            if not allowed:
                assert b"You cannot use this page" in response.content


def test_statement_as_at_a_past_date(entry: Any, make_user: Any) -> None:
    client = Client()
    client.force_login(make_user("auditor", Role.AUDITOR.value))
    today = client.get("/ledger/accounts/PB-1/")
    assert b"\xc2\xa3250.00" in today.content  # £450 allocated less the £200 fee
    past = client.get("/ledger/accounts/PB-1/", {"day": "2", "month": "11", "year": "2026"})
    assert past.status_code == 200
    assert b'data-testid="as-at-balance">\xc2\xa3450.00' in past.content
    assert b"2 November 2026" in past.content


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"day": "31", "month": "2", "year": "2026"}, "must be a real date"),
        ({"day": "3", "month": "", "year": "2026"}, "must include a month"),
        ({"day": "x", "month": "1", "year": "2026"}, "must be a real date"),
    ],
)
def test_a_bad_as_at_date_shows_the_error_summary(
    entry: Any, make_user: Any, form: dict[str, str], message: str
) -> None:
    client = Client()
    client.force_login(make_user("finance", Role.FINANCE_OFFICER.value))
    response = client.get("/ledger/accounts/PB-1/", form)
    assert response.status_code == 400
    assert b"govuk-error-summary" in response.content
    assert message.encode() in response.content
    assert b"<title>Error:" in response.content


def test_entry_page_links_an_entry_and_its_reversal(app: Any, entry: Any, make_user: Any) -> None:
    reversal = app.reverse_entry(
        entry=entry.id, actor="finance", reason="keyed against the wrong budget"
    )
    catch_up()
    client = Client()
    client.force_login(make_user("finance", Role.FINANCE_OFFICER.value))
    original = client.get(f"/ledger/entries/{entry.id}/").content.decode()
    assert f"/ledger/entries/{reversal.id}/" in original
    assert "keyed against the wrong budget" in original
    undo = client.get(f"/ledger/entries/{reversal.id}/").content.decode()
    assert f"/ledger/entries/{entry.id}/" in undo and "Reverses" in undo
    # The legs, who recorded it, and its link in the hash chain, as stored.
    db_entry = models.Entry.objects.get(id=entry.id)
    link = models.ChainLink.objects.get(position=db_entry.position)
    assert f'<code class="app-break-all">{link.hash}</code>' in original
    assert 'data-testid="actor">tester<' in original
    for line in db_entry.lines.select_related("account"):
        assert line.account.code in original


def test_sign_in_errors_use_the_error_summary(make_user: Any) -> None:
    make_user("finance", Role.FINANCE_OFFICER.value, password="right password")
    response = Client().post("/sign-in/", {"username": "finance", "password": "wrong"})
    assert response.status_code == 400
    assert b"Enter a username and password that match an account" in response.content
    ok = Client().post("/sign-in/", {"username": "finance", "password": "right password"})
    assert ok.status_code == 302


def test_odd_addresses_and_dates_are_not_server_errors(entry: Any, make_user: Any) -> None:
    client = Client()
    client.force_login(make_user("auditor", Role.AUDITOR.value))
    assert client.get("/ledger/accounts/bad%20code/").status_code == 404
    far = client.get("/ledger/accounts/PB-1/", {"day": "31", "month": "12", "year": "9999"})
    assert far.status_code == 400 and b"must be a real date" in far.content
