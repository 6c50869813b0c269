"""PostgreSQL's one-statement post (ledger/guard.py: ``PostgresGuard.post``): a post checks its
accounts and appends its events in one statement, a long batch in one check and a binary COPY;
the SQL check gives ``AccountMove.passes``'s verdict (which tests/unit/test_account_moves.py
holds to ``take_entries``'s); a refusal falls back to the step, which names the leg; and what
either path records is what a fresh process reads."""

from __future__ import annotations

from typing import Any

import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from config.actor import Actor
from config.applications import reset_applications
from config.roles import Role
from ledger import guard
from ledger.domain import (
    AccountMove,
    AccountState,
    AccountType,
    OverdraftError,
    Owner,
    Side,
    account_moves,
)
from ledger.integrity import verify_balances
from ledger.services import ledger_app
from tests.conftest import draft, is_postgres, pg_connect

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _postgres_only() -> None:
    # The PostgreSQL pass of scripts/test.sh runs these; on SQLite they would test nothing.
    if not is_postgres():
        pytest.fail("run with DATABASE_URL naming PostgreSQL (scripts/test.sh does)")


class Spy:
    """Counts what PostgresGuard.post did, around the real one."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.posted = self.refused = 0
        real = guard.PostgresGuard.post

        def post(store: Any, stored_events: Any, moves: Any) -> list[int]:
            try:
                ids = real(store, stored_events, moves)
            except guard.GuardRefused:
                self.refused += 1
                raise
            self.posted += 1
            return ids

        monkeypatch.setattr(guard.PostgresGuard, "post", post)


def recorded(app: Any) -> int:
    return app.recorder.max_notification_id() or 0


def test_a_post_goes_in_one_statement_and_a_fresh_process_reads_it(
    app: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    spy = Spy(monkeypatch)
    app.open_account(code="PB-S", name="Budget", type="liability", actor="t", no_overdraft=True)
    first = app.post_entry(draft("alloc", [("FUND", "debit", 45000), ("PB-S", "credit", 45000)]))
    spend = app.post_entry(draft("spend", [("PB-S", "debit", 20000), ("PB-1", "credit", 20000)]))
    assert (spy.posted, spy.refused) == (2, 0)
    assert spend.position == first.position + 1
    # The retry of a key recorded before is told apart from a conflict, as on the usual path.
    again = app.post_entry(draft("spend", [("PB-S", "debit", 20000), ("PB-1", "credit", 20000)]))
    assert (again.id, again.created) == (spend.id, False)
    reset_applications()
    fresh = ledger_app()
    assert fresh is not app
    assert fresh.get_account("PB-S").balance == -25000
    assert fresh.guard.read(["PB-S"])["PB-S"].balance == -25000
    assert verify_balances(fresh) == []


def test_a_contexts_journal_posts_in_one_statement_and_finances_takes_the_step(
    app: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    spy = Spy(monkeypatch)
    budgets = app.journal(Actor.system(), context=Owner.BUDGETS)
    budgets.post_entry(
        draft("budget:DN-1:allocation", [("FUND", "debit", 100), ("PB-1", "credit", 100)])
    )
    assert spy.posted == 1
    finance = app.journal(Actor(id="f.officer", roles=frozenset({Role.FINANCE_OFFICER})))
    finance.post_entry(
        draft("f-1", [("FUND", "debit", 5), ("BANK", "credit", 5)], kind="adjustment")
    )
    assert spy.posted == 1
    assert app.get_account("BANK").balance == -5


def test_a_refusal_falls_back_to_the_step_which_names_the_leg(
    app: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    spy = Spy(monkeypatch)
    app.open_account(code="PB-S", name="Budget", type="liability", actor="t", no_overdraft=True)
    app.post_entry(draft("alloc", [("FUND", "debit", 100), ("PB-S", "credit", 100)]))
    before, rows = recorded(app), app.guard.all()
    with pytest.raises(OverdraftError) as refused:
        app.post_entry(draft("over", [("PB-S", "debit", 101), ("PB-1", "credit", 101)]))
    assert refused.value.field == "legs[0].amount"
    assert spy.refused == 1
    assert recorded(app) == before
    assert app.guard.all() == rows


def test_a_long_batch_is_copied_in_after_one_check(
    app: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    spy = Spy(monkeypatch)
    n = guard.COPY_FROM * 3
    before = recorded(app)
    batch = [
        draft(f"b-{i}", [("FUND", "debit", 1 + i), ("PB-1", "credit", 1 + i)]) for i in range(n)
    ]
    done = app.post_entries(batch)
    assert spy.posted == 1
    assert [r.position for r in done] == list(range(before + 1, before + n + 1))
    reset_applications()
    fresh = ledger_app()
    assert fresh.get_account("PB-1").balance == -sum(1 + i for i in range(n))
    assert [fresh.get_entry(r.id).idempotency_key for r in done[:3]] == ["b-0", "b-1", "b-2"]
    assert verify_balances(fresh) == []


def test_a_long_batch_refused_at_its_last_entry_records_nothing(app: Any) -> None:
    app.open_account(code="PB-S", name="Budget", type="liability", actor="t", no_overdraft=True)
    app.post_entry(draft("alloc", [("FUND", "debit", 1000), ("PB-S", "credit", 1000)]))
    batch = [draft(f"b-{i}", [("FUND", "debit", 1), ("PB-1", "credit", 1)]) for i in range(500)]
    batch.append(draft("over", [("PB-S", "debit", 1001), ("PB-1", "credit", 1001)]))
    before, rows = recorded(app), app.guard.all()
    with pytest.raises(OverdraftError) as refused:
        app.post_entries(batch)
    assert refused.value.field == "legs[0].amount"
    assert recorded(app) == before
    assert app.guard.all() == rows


# The SQL check against AccountMove.passes, on rows of every shape, in a transaction rolled back.
# Most rows are open no-overdraft accounts whose balance is within a few pence of what the
# move needs, where a wrong side, sign or hold in the SQL changes the verdict.
rows = st.builds(
    AccountState,
    code=st.just("X"),
    type=st.sampled_from(list(AccountType)),
    no_overdraft=st.integers(0, 4).map(bool),
    is_closed=st.integers(0, 6).map(lambda n: n == 0),
    pending_debits=st.integers(0, 3000),
    pending_credits=st.integers(0, 3000),
)
legs = st.lists(
    st.tuples(st.sampled_from(["debit", "credit"]), st.integers(1, 4000)), min_size=1, max_size=4
)


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(row=rows, sides=legs, margin=st.integers(-3, 3))
def test_the_sql_check_gives_the_domains_verdict(
    app: Any, row: AccountState, sides: Any, margin: int
) -> None:
    drafts = [
        draft(f"k{i}", [("X", side, p), ("PB-1", "credit" if side == "debit" else "debit", p)])
        for i, (side, p) in enumerate(sides)
    ]
    moves = account_moves(drafts)
    assert moves is not None
    move: AccountMove = next(m for m in moves if m.code == "X")
    debit_normal = row.type.normal_side is Side.DEBIT
    lowest = move.lowest_debit if debit_normal else move.lowest_credit
    # The balance (on the account's normal side) at which the move just passes, give or take.
    edge = row.held - lowest + margin
    row.balance = edge if debit_normal else -edge
    store = app.guard
    with pg_connect() as conn, conn.transaction(force_rollback=True):
        conn.execute(f"DELETE FROM {store.table} WHERE code = 'X'")
        conn.execute(
            f"INSERT INTO {store.table} VALUES (%s, %s, '', '', %s, true, %s, %s, %s, %s)",
            (
                "X",
                row.type.value,
                row.no_overdraft,
                row.is_closed,
                row.balance,
                row.pending_debits,
                row.pending_credits,
            ),
        )
        try:
            with conn.transaction():
                conn.execute(
                    f"SELECT {store.take_function}(%s, %s, %s, %s)",
                    (["X"], [move.delta], [move.lowest_debit], [move.lowest_credit]),
                )
                passed = True
                (after,) = conn.execute(
                    f"SELECT balance FROM {store.table} WHERE code = 'X'"
                ).fetchone()
        except psycopg.Error as error:
            assert error.sqlstate == guard.REFUSED
            assert error.diag.message_primary == "X"
            passed = False
    assert passed is move.passes(row)
    if passed:
        assert after == row.balance + move.delta
