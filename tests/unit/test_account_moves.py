"""``account_moves`` and ``AccountMove.passes`` (ledger/domain.py): the one-statement check on
PostgreSQL decides by them, so for drafts with no overdraft authorisation they must give
``take_entries``'s verdict on every account, and its balances, exactly."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.domain import (
    AccountClosedError,
    AccountState,
    AccountType,
    OverdraftError,
    account_moves,
    take_entries,
)
from tests.conftest import draft

CODES = ["A", "B", "C"]

states = st.builds(
    AccountState,
    code=st.sampled_from(CODES),
    type=st.sampled_from(list(AccountType)),
    no_overdraft=st.booleans(),
    is_closed=st.booleans(),
    balance=st.integers(-5000, 5000),
    pending_debits=st.integers(0, 3000),
    pending_credits=st.integers(0, 3000),
)


@st.composite
def entries(draw: Any) -> list[Any]:
    drafts = []
    for n in range(draw(st.integers(1, 4))):
        pence = draw(st.integers(1, 4000))
        debit, credit = draw(st.permutations(CODES))[:2]
        drafts.append(draft(f"k{n}", [(debit, "debit", pence), (credit, "credit", pence)]))
    return drafts


@settings(max_examples=400, deadline=None)
@given(st.lists(states, min_size=3, max_size=3, unique_by=lambda s: s.code), entries())
def test_passes_gives_take_entries_verdict_and_balances(rows: list[Any], drafts: list[Any]) -> None:
    accounts = {s.code: s for s in rows}
    moves = account_moves(drafts)
    assert moves is not None
    expected = {code: replace(state) for code, state in accounts.items()}
    try:
        take_entries(drafts, expected)
        allowed = True
    except (AccountClosedError, OverdraftError):
        allowed = False
    assert all(m.passes(accounts[m.code]) for m in moves) is allowed
    if allowed:
        for m in moves:
            assert accounts[m.code].balance + m.delta == expected[m.code].balance
    assert [m.code for m in moves] == sorted(m.code for m in moves)


def test_an_authorised_overdraft_is_left_to_take_entries() -> None:
    drafts = [
        draft("a", [("A", "debit", 1), ("B", "credit", 1)]),
        draft("b", [("A", "debit", 1), ("B", "credit", 1)], overdraft_authorisation="TM 12"),
    ]
    assert account_moves(drafts) is None


def test_a_leg_that_overdraws_before_a_later_one_refills_is_still_refused() -> None:
    """take_entries checks each leg as it goes, so a batch that dips below zero and comes back
    is refused: the lowest point counts, not the net."""
    budget = AccountState(code="A", type=AccountType.LIABILITY, no_overdraft=True, balance=-100)
    drafts = [
        draft("out", [("A", "debit", 150), ("B", "credit", 150)]),
        draft("in", [("B", "debit", 150), ("A", "credit", 150)]),
    ]
    moves = account_moves(drafts)
    assert moves is not None
    move = next(m for m in moves if m.code == "A")
    assert move.delta == 0
    assert not move.passes(budget)
