"""The ledger's closed books (ledger/domain.py ``Books``): an entry dated on or before the
day an account's books are closed through is refused, for that account only; closing again
through an earlier day changes nothing."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from ledger.domain import Books, BooksClosedError, Leg, Side


def legs(*codes: str) -> list[Leg]:
    return [Leg(code, Side.DEBIT if n == 0 else Side.CREDIT, 100) for n, code in enumerate(codes)]


def test_an_entry_dated_in_closed_books_is_refused_and_a_later_one_taken() -> None:
    books = Books()
    assert books.close(code="COUNCIL:BANK", through=date(2026, 12, 31), actor="m", reason="x")
    assert not books.close(code="COUNCIL:BANK", through=date(2026, 11, 30), actor="m", reason="x")
    assert books.closed_through == {"COUNCIL:BANK": date(2026, 12, 31)}
    with pytest.raises(BooksClosedError) as refused:
        books.check(legs("X", "COUNCIL:BANK"), datetime(2026, 12, 31, 23, 59, tzinfo=UTC))
    assert refused.value.field == "effective_at"
    books.check(legs("X", "COUNCIL:BANK"), datetime(2027, 1, 1, tzinfo=UTC))
    books.check(legs("X", "STRIPE:CLEARING"), datetime(2026, 12, 1, tzinfo=UTC))  # still open


def test_the_books_close_on_the_councils_day_not_utcs() -> None:
    """A pay date's entry is its London midnight: 1 July's is 30 June 23:00 UTC. June closed
    must not refuse it."""
    books = Books()
    books.close(code="COUNCIL:BANK", through=date(2027, 6, 30), actor="m", reason="June")
    books.check(legs("X", "COUNCIL:BANK"), datetime(2027, 6, 30, 23, 0, tzinfo=UTC))
    with pytest.raises(BooksClosedError):
        books.check(legs("X", "COUNCIL:BANK"), datetime(2027, 6, 30, 22, 59, tzinfo=UTC))
