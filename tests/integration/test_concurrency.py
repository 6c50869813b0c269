"""Many writers at once, on PostgreSQL: nothing lost, nothing recorded twice."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from django.db import connections

from ledger import models, queries
from ledger.integrity import verify_balances, verify_chain
from ledger.services import catch_up
from tests.conftest import draft

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_eight_threads_posting_two_hundred_entries_each_lose_no_update(app: Any) -> None:
    def worker(thread: int) -> int:
        for i in range(200):
            amount = 100 + thread
            app.post_entry(
                draft(f"t{thread}-{i}", [("FUND", "debit", amount), ("PB-1", "credit", amount)])
            )
            if i % 50 == 0:
                catch_up()  # projection runners compete with the writers, as web nodes do
        connections.close_all()
        return thread

    with ThreadPoolExecutor(max_workers=8) as pool:
        assert sorted(pool.map(worker, range(8))) == list(range(8))
    catch_up()
    expected = sum(200 * (100 + t) for t in range(8))
    assert models.Entry.objects.count() == 1600
    assert queries.account_by_code("FUND").balance == expected
    assert queries.account_by_code("PB-1").balance == -expected
    assert queries.account_by_code("FUND").leg_count == 1600
    assert verify_balances(app) == []
    assert verify_chain(app).ok


def test_twenty_concurrent_posts_with_one_key_record_one_entry(app: Any) -> None:
    body = draft("same-key", [("FUND", "debit", 45000), ("PB-1", "credit", 45000)])

    def attempt(_: int) -> Any:
        return app.post_entry(body)

    with ThreadPoolExecutor(max_workers=20) as pool:
        results = list(pool.map(attempt, range(20)))
    assert len({r.id for r in results}) == 1
    assert sum(r.created for r in results) == 1
    catch_up()
    assert models.Entry.objects.filter(idempotency_key="same-key").count() == 1
    assert queries.account_by_code("PB-1").balance == -45000


def test_concurrent_reversals_of_one_entry_reverse_it_once(app: Any) -> None:
    original = app.post_entry(draft("k", [("FUND", "debit", 100), ("PB-1", "credit", 100)])).id

    def attempt(i: int) -> str:
        try:
            app.reverse_entry(entry=original, actor=f"fo{i}", reason="duplicate")
            return "reversed"
        except Exception as exc:  # noqa: BLE001 - the refusal is what is counted
            return type(exc).__name__

    with ThreadPoolExecutor(max_workers=10) as pool:
        outcomes = list(pool.map(attempt, range(10)))
    assert outcomes.count("reversed") == 1
    assert set(outcomes) == {"reversed", "AlreadyReversedError"}
    catch_up()
    assert models.Entry.objects.filter(kind="reversal").count() == 1


def test_writers_racing_for_the_last_pounds_of_a_budget_never_overdraw_it(app: Any) -> None:
    app.open_account(code="PB-G", name="Guarded", type="liability", actor="t", no_overdraft=True)
    app.post_entry(draft("alloc", [("FUND", "debit", 50000), ("PB-G", "credit", 50000)]))

    def spend(i: int) -> str:
        try:
            app.post_entry(
                draft(f"spend-{i}", [("PB-G", "debit", 10000), ("PB-1", "credit", 10000)])
            )
            return "paid"
        except Exception as exc:  # noqa: BLE001 - the refusal is what is counted
            return type(exc).__name__

    with ThreadPoolExecutor(max_workers=10) as pool:
        outcomes = list(pool.map(spend, range(10)))
    assert outcomes.count("paid") == 5
    assert set(outcomes) == {"paid", "OverdraftError"}
    catch_up()
    assert queries.account_by_code("PB-G").balance == 0


def test_eight_threads_crediting_one_guarded_budget_lose_no_update_on_the_account(
    app: Any,
) -> None:
    """Every post moves the account's guard row, so the writers really queue on it."""
    app.open_account(code="PB-G", name="Guarded", type="liability", actor="t", no_overdraft=True)

    def worker(thread: int) -> int:
        for i in range(25):
            app.post_entry(
                draft(f"g{thread}-{i}", [("FUND", "debit", 100), ("PB-G", "credit", 100)])
            )
        connections.close_all()
        return thread

    with ThreadPoolExecutor(max_workers=8) as pool:
        assert sorted(pool.map(worker, range(8))) == list(range(8))
    guarded = app.get_account("PB-G")
    assert guarded.balance == -8 * 25 * 100  # the aggregate itself: every leg taken, none lost
    catch_up()
    assert queries.account_by_code("PB-G").balance == -8 * 25 * 100
    assert queries.account_by_code("PB-G").leg_count == 200
    assert verify_balances(app) == []
