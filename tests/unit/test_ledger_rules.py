"""Every ledger rule, on eventsourcing's in-memory store: no database, no server.

Each refusal asserts the exact error, the field it names, and that nothing was recorded.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from ledger.application import LedgerApplication
from ledger.domain import (
    AccountClosedError,
    AlreadyReversedError,
    ConflictError,
    EntryKind,
    InvalidEntryError,
    LedgerError,
    OverdraftError,
    UnknownAccountError,
    entry_id,
)
from tests.conftest import draft


@pytest.fixture
def app() -> LedgerApplication:
    ledger = LedgerApplication(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    for code, type_ in [("FUND", "equity"), ("PB-1", "liability"), ("PB-2", "liability")]:
        ledger.open_account(code=code, name=code, type=type_, actor="tester")
    return ledger


def recorded(app: LedgerApplication) -> int:
    return app.recorder.max_notification_id() or 0


ALLOC = [("FUND", "debit", 45000), ("PB-1", "credit", 45000)]


def test_posting_a_balanced_entry_records_it_once(app: LedgerApplication) -> None:
    first = app.post_entry(draft("k1", ALLOC))
    again = app.post_entry(draft("k1", ALLOC))
    assert first.created and not again.created
    assert first.id == again.id == entry_id("k1")
    entry = app.get_entry(first.id)
    assert entry.kind is EntryKind.ALLOCATION
    assert [leg.signed for leg in entry.legs] == [45000, -45000]
    assert entry.actor == "tester"


def test_a_retry_without_an_effective_date_is_the_same_request(app: LedgerApplication) -> None:
    first = app.post_entry(draft("k1", ALLOC, effective_at=None))
    again = app.post_entry(draft("k1", ALLOC, effective_at=None))
    assert (first.created, again.created) == (True, False)


def test_same_key_with_a_different_body_is_a_conflict(app: LedgerApplication) -> None:
    app.post_entry(draft("k1", ALLOC))
    before = recorded(app)
    with pytest.raises(ConflictError, match="already used for a different entry") as err:
        app.post_entry(draft("k1", [("FUND", "debit", 1), ("PB-1", "credit", 1)]))
    assert err.value.field == "idempotency_key"
    assert err.value.status == 409
    assert recorded(app) == before


BAD_ENTRIES: list[tuple[str, dict[str, Any], str, str]] = [
    (
        "unbalanced",
        {"legs": [("FUND", "debit", 100), ("PB-1", "credit", 99)]},
        "legs",
        "debits (100p) do not equal credits (99p)",
    ),
    ("one leg", {"legs": [("FUND", "debit", 100)]}, "legs", "an entry needs at least two legs"),
    ("no legs", {"legs": []}, "legs", "an entry needs at least two legs"),
    (
        "two debits",
        {"legs": [("FUND", "debit", 100), ("PB-1", "debit", 100)]},
        "legs",
        "an entry needs at least one debit and one credit",
    ),
    (
        "zero leg",
        {"legs": [("FUND", "debit", 0), ("PB-1", "credit", 0)]},
        "legs[0].amount",
        "must be more than zero pence",
    ),
    (
        "negative leg",
        {"legs": [("FUND", "debit", -5), ("PB-1", "credit", -5)]},
        "legs[0].amount",
        "must be more than zero pence",
    ),
    (
        "float amount",
        {"legs": [("FUND", "debit", 1.5), ("PB-1", "credit", 1.5)]},
        "legs[0].amount",
        "must be a whole number of pence",
    ),
    (
        "three decimals",
        {"legs": [("FUND", "debit", "12.345"), ("PB-1", "credit", "12.345")]},
        "legs[0].amount",
        "'12.345' is not an amount of money",
    ),
    (
        "negative text",
        {"legs": [("FUND", "debit", "£-5"), ("PB-1", "credit", "£5")]},
        "legs[0].amount",
        "'£-5' is not an amount of money",
    ),
    (
        "exponent",
        {"legs": [("FUND", "debit", "1e3"), ("PB-1", "credit", "1e3")]},
        "legs[0].amount",
        "'1e3' is not an amount of money",
    ),
    (
        "NaN",
        {"legs": [("FUND", "debit", "NaN"), ("PB-1", "credit", "NaN")]},
        "legs[0].amount",
        "'NaN' is not an amount of money",
    ),
    (
        "beyond the cap",
        {"legs": [("FUND", "debit", 1_000_000_001), ("PB-1", "credit", 1_000_000_001)]},
        "legs[0].amount",
        "must be at most £10,000,000.00",
    ),
    (
        "bad side",
        {"legs": [("FUND", "left", 5), ("PB-1", "credit", 5)]},
        "legs[0].side",
        "must be debit or credit",
    ),
    ("empty reason", {"reason": "   "}, "reason", "is required"),
    ("long reason", {"reason": "x" * 501}, "reason", "must be at most 500 characters"),
    (
        "control characters",
        {"reason": "paid\x00 twice"},
        "reason",
        "must not contain control characters",
    ),
    ("bidi override", {"actor": "sw\u202e"}, "actor", "must not contain control characters"),
    ("long key", {"idempotency_key": "k" * 151}, "idempotency_key", "at most 150 characters"),
    ("unknown kind", {"kind": "gift"}, "kind", "must be one of"),
    ("client reversal", {"kind": "reversal"}, "kind", "use the reverse command"),
    (
        "naive date",
        {"effective_at": datetime(2026, 1, 1)},
        "effective_at",
        "must include a time zone",
    ),
]


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [case[1:] for case in BAD_ENTRIES],
    ids=[case[0] for case in BAD_ENTRIES],
)
def test_bad_entries_are_refused_and_nothing_is_recorded(
    app: LedgerApplication, overrides: dict[str, Any], field: str, message: str
) -> None:
    before = recorded(app)
    legs = overrides.pop("legs", ALLOC)
    with pytest.raises(
        InvalidEntryError, match=message.replace("(", r"\(").replace(")", r"\)")
    ) as err:
        app.post_entry(draft("bad", legs, **overrides))
    assert err.value.field == field
    assert recorded(app) == before


def test_unknown_account_is_refused(app: LedgerApplication) -> None:
    before = recorded(app)
    with pytest.raises(UnknownAccountError, match="account NOPE does not exist") as err:
        app.post_entry(draft("k", [("FUND", "debit", 5), ("NOPE", "credit", 5)]))
    assert err.value.field == "legs[1].account"
    assert recorded(app) == before


def test_closed_account_is_refused_but_an_earlier_post_can_be_retried(
    app: LedgerApplication,
) -> None:
    app.post_entry(draft("before-close", [("PB-2", "debit", 5), ("FUND", "credit", 5)]))
    app.post_entry(draft("emptied", [("FUND", "debit", 5), ("PB-2", "credit", 5)]))
    app.close_account(code="PB-2", actor="tester", reason="person moved away")
    before = recorded(app)
    with pytest.raises(AccountClosedError, match="account PB-2 is closed") as err:
        app.post_entry(draft("after-close", [("FUND", "debit", 5), ("PB-2", "credit", 5)]))
    assert err.value.field == "legs[1].account"
    assert recorded(app) == before
    retry = app.post_entry(draft("before-close", [("PB-2", "debit", 5), ("FUND", "credit", 5)]))
    assert not retry.created


def test_closing_twice_is_refused(app: LedgerApplication) -> None:
    app.close_account(code="PB-2", actor="tester", reason="moved")
    with pytest.raises(AccountClosedError):
        app.close_account(code="PB-2", actor="tester", reason="again")


def test_reopening_an_account_with_other_details_is_a_conflict(app: LedgerApplication) -> None:
    same = app.open_account(code="FUND", name="FUND", type="equity", actor="other")
    assert not same.created
    with pytest.raises(ConflictError, match="already open with other details"):
        app.open_account(code="FUND", name="Another fund", type="asset", actor="tester")


@pytest.mark.parametrize(
    ("fields", "field"),
    [({"code": "bad code!"}, "code"), ({"type": "cash"}, "type"), ({"name": ""}, "name")],
)
def test_bad_accounts_are_refused(
    app: LedgerApplication, fields: dict[str, str], field: str
) -> None:
    before = recorded(app)
    values = {"code": "NEW", "name": "New", "type": "asset", "actor": "tester", **fields}
    with pytest.raises(InvalidEntryError) as err:
        app.open_account(**values)
    assert err.value.field == field
    assert recorded(app) == before


def test_reversal_swaps_every_leg_and_points_both_ways(app: LedgerApplication) -> None:
    original = app.post_entry(draft("k1", ALLOC)).id
    later = datetime(2026, 11, 3, tzinfo=UTC)
    reversal = app.reverse_entry(
        entry=original, actor="finance", reason="wrong budget", effective_at=later
    )
    undone = app.get_entry(reversal.id)
    assert undone.kind is EntryKind.REVERSAL
    assert undone.reverses == original
    assert undone.actor == "finance" and undone.reason == "wrong budget"
    assert [leg.signed for leg in undone.legs] == [-45000, 45000]
    assert app.get_entry(original).reversed_by == reversal.id


def test_an_entry_is_reversed_once_only(app: LedgerApplication) -> None:
    original = app.post_entry(draft("k1", ALLOC)).id
    app.reverse_entry(entry=original, actor="finance", reason="mistake")
    before = recorded(app)
    with pytest.raises(AlreadyReversedError, match="was already reversed") as err:
        app.reverse_entry(entry=original, actor="finance", reason="again")
    assert err.value.status == 409
    assert recorded(app) == before


def test_a_reversal_cannot_be_reversed(app: LedgerApplication) -> None:
    original = app.post_entry(draft("k1", ALLOC)).id
    reversal = app.reverse_entry(entry=original, actor="finance", reason="mistake").id
    with pytest.raises(InvalidEntryError, match="a reversal cannot itself be reversed"):
        app.reverse_entry(entry=reversal, actor="finance", reason="undo the undo")


def test_reversing_needs_a_reason(app: LedgerApplication) -> None:
    original = app.post_entry(draft("k1", ALLOC)).id
    before = recorded(app)
    with pytest.raises(InvalidEntryError) as err:
        app.reverse_entry(entry=original, actor="finance", reason="")
    assert err.value.field == "reason"
    assert recorded(app) == before


def test_a_batch_is_recorded_whole_or_not_at_all(app: LedgerApplication) -> None:
    good = [draft(f"b{i}", ALLOC) for i in range(3)]
    bad = draft("b-bad", [("FUND", "debit", 5), ("GONE", "credit", 5)])
    before = recorded(app)
    with pytest.raises(LedgerError):
        app.post_entries([*good, bad])
    assert recorded(app) == before
    results = app.post_entries(good)
    assert all(r.created for r in results)
    again = app.post_entries([*good, draft("b3", ALLOC)])
    assert [r.created for r in again] == [False, False, False, True]


def test_effective_time_is_kept_apart_from_recorded_time(app: LedgerApplication) -> None:
    backdated = datetime.now(UTC) - timedelta(days=30)
    entry = app.get_entry(app.post_entry(draft("k1", ALLOC, effective_at=backdated)).id)
    assert entry.effective_at == backdated
    assert entry.created_on > backdated + timedelta(days=29)


@pytest.fixture
def budget(app: LedgerApplication) -> LedgerApplication:
    app.open_account(
        code="PB-G", name="Guarded budget", type="liability", actor="t", no_overdraft=True
    )
    app.post_entry(draft("alloc-g", [("FUND", "debit", 45000), ("PB-G", "credit", 45000)]))
    return app


def test_a_budget_can_be_spent_to_zero_but_not_below(budget: LedgerApplication) -> None:
    budget.post_entry(draft("spend", [("PB-G", "debit", 45000), ("PB-1", "credit", 45000)]))
    before = recorded(budget)
    with pytest.raises(
        OverdraftError, match=r"account PB-G holds £0.00 and this would leave it at -£0.01"
    ) as err:
        budget.post_entry(draft("one-more", [("PB-G", "debit", 1), ("PB-1", "credit", 1)]))
    assert err.value.field == "legs[0].amount"
    assert recorded(budget) == before


def test_an_overdraft_with_a_recorded_authorisation_is_allowed(budget: LedgerApplication) -> None:
    note = "Jo Fletcher (team manager): equipment needed before the review"
    result = budget.post_entry(
        draft(
            "over",
            [("PB-G", "debit", 50000), ("PB-1", "credit", 50000)],
            overdraft_authorisation=note,
        )
    )
    assert budget.get_entry(result.id).overdraft_authorisation == note
    assert budget.get_account("PB-G").balance == 5000


def test_reversing_an_allocation_that_was_spent_needs_an_authorisation(
    budget: LedgerApplication,
) -> None:
    budget.post_entry(draft("spend", [("PB-G", "debit", 40000), ("PB-1", "credit", 40000)]))
    allocation = entry_id("alloc-g")
    before = recorded(budget)
    with pytest.raises(OverdraftError):
        budget.reverse_entry(entry=allocation, actor="fo", reason="wrong person")
    assert recorded(budget) == before
    budget.reverse_entry(
        entry=allocation,
        actor="fo",
        reason="wrong person",
        overdraft_authorisation="recovery agreed",
    )
    assert budget.get_account("PB-G").balance == 40000


def test_a_batch_that_would_overdraw_a_budget_records_nothing(budget: LedgerApplication) -> None:
    before = recorded(budget)
    spends = [
        draft(f"s{i}", [("PB-G", "debit", 20000), ("PB-1", "credit", 20000)]) for i in range(3)
    ]
    with pytest.raises(OverdraftError):
        budget.post_entries(spends)
    assert recorded(budget) == before
    assert budget.get_account("PB-G").balance == -45000


def test_a_client_cannot_take_a_reversals_key(app: LedgerApplication) -> None:
    original = app.post_entry(draft("k1", ALLOC)).id
    reversal = app.reverse_entry(entry=original, actor="fo", reason="mistake").id
    assert app.get_entry(reversal).idempotency_key == f"reversal:{original}"
    before = recorded(app)
    with pytest.raises(InvalidEntryError, match="must not begin with 'reversal:'") as err:
        app.post_entry(draft(f"reversal:{original}", ALLOC))
    assert err.value.field == "idempotency_key"
    assert recorded(app) == before


def test_a_retry_of_the_post_that_emptied_a_budget_finds_it(budget: LedgerApplication) -> None:
    spend = draft("spend-all", [("PB-G", "debit", 45000), ("PB-1", "credit", 45000)])
    first = budget.post_entry(spend)
    again = budget.post_entry(spend)
    assert (first.created, again.created, again.id) == (True, False, first.id)
    other_body = draft("spend-all", [("PB-G", "debit", 45001), ("PB-1", "credit", 45001)])
    with pytest.raises(ConflictError):  # the same key with another body: 409, not 422
        budget.post_entry(other_body)
