"""The command side's guard table (ledger/guard.py), on SQLite and PostgreSQL: a post checks its
accounts on their guard rows and appends its entry in one transaction; a refusal records nothing
(no event, no row moved) and names the leg; writers racing for a budget's last pounds never
overdraw it; the rows agree with a replay of the events (verify_balances says when not); and an
application that never saw the posts (a new process) loads every account right."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import pytest
from django.db import connections

from config.applications import reset_applications
from ledger import queries
from ledger.application import LedgerApplication
from ledger.domain import (
    Account,
    AccountClosedError,
    ConflictError,
    HoldDraft,
    JournalEntry,
    OverdraftError,
    UnknownAccountError,
    account_id,
)
from ledger.integrity import verify_balances, verify_chain
from ledger.services import catch_up, ledger_app
from tests.conftest import NOW, draft, is_postgres, pg_connect
from tests.integration.child import run_child

pytestmark = pytest.mark.django_db(transaction=True)


def recorded(app: Any) -> int:
    return app.recorder.max_notification_id() or 0


def budget(app: Any, code: str = "PB-G", pence: int = 45000) -> None:
    app.open_account(code=code, name="Budget", type="liability", actor="t", no_overdraft=True)
    app.post_entry(draft(f"alloc-{code}", [("FUND", "debit", pence), (code, "credit", pence)]))


def hold_draft(key: str, pence: int, code: str = "PB-G") -> HoldDraft:
    return HoldDraft.create(
        idempotency_key=key,
        kind="commitment",
        legs=[
            {"account": code, "side": "debit", "amount": pence},
            {"account": "PROVIDER-1", "side": "credit", "amount": pence},
        ],
        effective_at=NOW,
        expires_at=NOW + timedelta(days=30),
        actor="t",
        reason="an agreed engagement",
    )


@pytest.mark.parametrize(
    ("legs", "error", "field", "words"),
    [
        (
            [("FUND", "debit", 100), ("SHUT", "credit", 100)],
            AccountClosedError,
            "legs[1].account",
            "account SHUT is closed",
        ),
        (
            [("FUND", "debit", 100), ("NOWHERE", "credit", 100)],
            UnknownAccountError,
            "legs[1].account",
            "account NOWHERE does not exist",
        ),
        (
            [("PB-G", "debit", 45001), ("PB-1", "credit", 45001)],
            OverdraftError,
            "legs[0].amount",
            "would leave it at -£0.01",
        ),
    ],
    ids=["closed", "unknown", "overdraft"],
)
def test_a_refused_leg_records_nothing_and_is_named(
    app: Any, legs: list[Any], error: type[Exception], field: str, words: str
) -> None:
    budget(app)
    app.open_account(code="SHUT", name="Shut", type="liability", actor="t")
    app.close_account(code="SHUT", actor="t", reason="not needed")
    before, rows = recorded(app), app.guard.all()
    with pytest.raises(error, match=words) as refused:
        app.post_entry(draft("refused", legs))
    assert getattr(refused.value, "field", None) == field
    assert recorded(app) == before
    assert app.guard.all() == rows
    # In a batch, one refused entry refuses the batch: the good entries before it are not kept.
    good = [draft(f"good-{i}", [("FUND", "debit", 1), ("PB-1", "credit", 1)]) for i in range(3)]
    with pytest.raises(error) as refused:
        app.post_entries([*good, draft("refused", legs)])
    assert getattr(refused.value, "field", None) == field
    assert recorded(app) == before
    assert app.guard.all() == rows


def test_the_same_key_with_another_body_is_a_conflict_and_moves_nothing(app: Any) -> None:
    first = app.post_entry(draft("k", [("FUND", "debit", 100), ("PB-1", "credit", 100)]))
    before, rows = recorded(app), app.guard.all()
    again = app.post_entry(draft("k", [("FUND", "debit", 100), ("PB-1", "credit", 100)]))
    assert (again.id, again.created) == (first.id, False)
    with pytest.raises(ConflictError) as conflict:
        app.post_entry(draft("k", [("FUND", "debit", 101), ("PB-1", "credit", 101)]))
    assert conflict.value.field == "idempotency_key"
    assert recorded(app) == before
    assert app.guard.all() == rows
    assert app.get_account("PB-1").balance == -100


def test_writers_racing_for_a_budgets_last_pounds_spend_it_once(app: Any) -> None:
    """£450.00 left, twelve writers each spending £100.00 or holding £50.00 at once: what
    succeeds never takes the budget below zero, and the guard row ends where the events say."""
    budget(app)

    def spend(i: int) -> str:
        try:
            if i % 3 == 2:
                app.hold(hold_draft(f"hold-{i}", 5000))
            else:
                app.post_entry(
                    draft(f"spend-{i}", [("PB-G", "debit", 10000), ("PB-1", "credit", 10000)])
                )
            return "done"
        except OverdraftError:
            return "refused"
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=12) as pool:
        outcomes = list(pool.map(spend, range(12)))
    account = app.get_account("PB-G")
    assert account.available >= 0
    assert outcomes.count("refused") >= 1
    spent = 45000 - account.on_normal_side(account.balance)
    assert spent + account.held == 45000 - account.available
    assert spent % 10000 == 0 and account.held % 5000 == 0
    # Each refused writer was refused for good: what it asked for no longer fits.
    for i, outcome in enumerate(outcomes):
        if outcome == "refused":
            assert account.available < (5000 if i % 3 == 2 else 10000)
    catch_up()
    assert queries.account_by_code("PB-G").balance == account.balance
    assert verify_balances(app) == []
    assert verify_chain(app).ok


def test_the_guard_table_agrees_with_a_replay_and_a_changed_row_is_found(app: Any) -> None:
    budget(app)
    posted = app.post_entry(draft("pay", [("PB-G", "debit", 2500), ("PB-1", "credit", 2500)]))
    app.reverse_entry(entry=posted.id, actor="t", reason="a mistake")
    kept = app.hold(hold_draft("h1", 10000))
    app.post_hold(hold=kept.id, actor="t", amount=4000)
    app.void_hold(hold=app.hold(hold_draft("h2", 3000)).id, actor="t", reason="ended")
    app.hold(hold_draft("h3", 2000))
    app.open_account(code="SHUT", name="Shut", type="asset", actor="t")
    app.close_account(code="SHUT", actor="t", reason="not needed")
    catch_up()
    assert verify_balances(app) == []
    rows = app.guard.all()
    assert (rows["PB-G"].balance, rows["PB-G"].pending_debits) == (-41000, 2000)
    assert rows["SHUT"].is_closed
    change_row("PB-G", "balance = balance - 1")
    assert verify_balances(app) == [
        "account PB-G has -41001p in the guard table but its entries sum to -41000p"
    ]


def change_row(code: str, assignment: str) -> None:
    """Change a guard row behind the application's back."""
    from django.conf import settings

    from config.eventstore import app_env

    env = app_env(settings.EVENTSTORE, "ledger")
    if is_postgres():
        with pg_connect() as conn:
            conn.execute(
                f'UPDATE "{env["POSTGRES_SCHEMA"]}".ledger_guard SET {assignment} WHERE code = %s',
                (code,),
            )
    else:
        import sqlite3

        with sqlite3.connect(env["SQLITE_DBNAME"]) as conn:
            conn.execute(f"UPDATE ledger_guard SET {assignment} WHERE code = ?", (code,))


def test_a_fresh_process_after_posts_loads_every_account_right(app: Any) -> None:
    budget(app)
    for i in range(30):
        app.post_entry(draft(f"e{i}", [("PB-G", "debit", 100), ("PB-1", "credit", 100)]))
    app.hold(hold_draft("h", 1000))
    reset_applications()  # a new application: nothing cached, nothing seen
    fresh = ledger_app()
    assert fresh is not app
    account = fresh.get_account("PB-G")
    assert (account.balance, account.held, account.available) == (-42000, 1000, 41000)
    assert fresh.get_account("PB-1").balance == -3000
    assert fresh.get_account("FUND").balance == 45000
    out = run_child(
        """
        from ledger.services import ledger_app
        app = ledger_app()
        a = app.get_account("PB-G")
        print(a.balance, a.held, a.available, app.get_account("FUND").balance)
        """
    )
    assert out.split() == ["-42000", "1000", "41000", "45000"]
    with pytest.raises(OverdraftError):
        fresh.post_entry(draft("too-much", [("PB-G", "debit", 41001), ("PB-1", "credit", 41001)]))


def test_an_account_from_before_the_guard_table_gets_its_row_from_its_events(app: Any) -> None:
    """An account whose events kept its balance (before the guard table) and has no row: the
    first command that needs it seeds the row from its events, and carries on from there."""
    old = Account("OLD-PB", "Old budget", "liability", "", "", "t", True, True)
    old.take_leg(entry=account_id("x"), signed=-7000, authorisation="")
    app.save(old)
    assert "OLD-PB" not in app.guard.all()
    with pytest.raises(OverdraftError):
        app.post_entry(draft("over", [("OLD-PB", "debit", 7001), ("PB-1", "credit", 7001)]))
    app.post_entry(draft("spend", [("OLD-PB", "debit", 2000), ("PB-1", "credit", 2000)]))
    assert app.guard.all()["OLD-PB"].balance == -5000
    assert app.get_account("OLD-PB").balance == -5000


def test_a_store_from_before_the_guard_table_gets_every_row_when_the_ledger_starts(
    tmp_path: Any,
) -> None:
    env = {"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": str(tmp_path / "e.db")}
    old = LedgerApplication(env=env)
    # A post as the ledger recorded it before the guard table: the entry, and a balance event
    # on each account it moved, saved together without a guard row.
    fund = Account("FUND", "Fund", "equity", "", "", "t", False, True)
    budget_ = Account("PB-OLD", "Budget", "liability", "", "", "t", True, True)
    entry = JournalEntry.post(draft("old", [("FUND", "debit", 700), ("PB-OLD", "credit", 700)]))
    fund.take_leg(entry=entry.id, signed=700, authorisation="")
    budget_.take_leg(entry=entry.id, signed=-700, authorisation="")
    old.save(fund, budget_, entry)
    assert old.guard.all() == {}
    old.close()
    started = LedgerApplication(env=env)
    rows = started.guard.all()
    assert {code: row.balance for code, row in rows.items()} == {"FUND": 700, "PB-OLD": -700}
    assert rows["PB-OLD"].no_overdraft
    with pytest.raises(OverdraftError):
        started.post_entry(draft("over", [("PB-OLD", "debit", 701), ("FUND", "credit", 701)]))
    started.post_entry(draft("ok", [("PB-OLD", "debit", 700), ("FUND", "credit", 700)]))
    assert started.get_account("PB-OLD").balance == 0
    started.close_account(code="PB-OLD", actor="t", reason="spent")
    assert started.guard.all()["PB-OLD"].is_closed
    started.close()
