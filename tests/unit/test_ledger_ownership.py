"""Who may move which entry, when an account may close, and when an entry may take effect.

Finance's generic journal (``by=Owner.FINANCE``, what the ledger API passes) keeps its own
kinds, an opening and a manual adjustment naming no budget, and is refused every entry and
account a context owns; the context itself still posts and reverses them. An account closes
only when empty, and effective dates stay within the council's bounds. Each refusal names its
error and field and records nothing. In-memory store: no database, no server.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from ledger.application import LedgerApplication
from ledger.domain import (
    CONTEXT_KINDS,
    Account,
    AccountClosedError,
    AccountNotEmptyError,
    EffectiveDateError,
    EffectiveDates,
    EntryDraft,
    EntryKind,
    InvalidEntryError,
    OwnedByContextError,
    Owner,
    owner_of,
)
from tests.conftest import draft

FINANCE = Owner.FINANCE
BUDGET_ACCOUNT = "PB:DN-000123:AVAILABLE"


@pytest.fixture
def app() -> LedgerApplication:
    ledger = LedgerApplication(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    for code, type_ in [("FUND", "equity"), ("BANK", "asset"), ("SUSPENSE", "liability")]:
        ledger.open_account(code=code, name=code, type=type_, actor="tester")
    ledger.open_account(
        code=BUDGET_ACCOUNT,
        name="Sam Patel: budget available",
        type="liability",
        owner_kind="budget",
        owner_id="DN-000123",
        actor="careledger",
        no_overdraft=True,
    )
    return ledger


def recorded(app: LedgerApplication) -> int:
    return app.recorder.max_notification_id() or 0


def allocation(key: str = "budget:DN-000123:allocation", pence: int = 1_196_000) -> Any:
    """What the budgets context posts when it allocates Sam's £230 a week."""
    return draft(
        key,
        [("FUND", "debit", pence), (BUDGET_ACCOUNT, "credit", pence)],
        kind="allocation",
        budget="DN-000123",
        source_document="budget:DN-000123:v1",
    )


# ---------------------------------------------------------------- whose entry is it


@pytest.mark.parametrize(
    ("kind", "budget", "owner"),
    [
        ("opening", "", Owner.FINANCE),
        ("adjustment", "", Owner.FINANCE),  # finance's manual adjustment
        ("adjustment", "DN-1", Owner.BUDGETS),  # a budget's revision
        ("allocation", "", Owner.BUDGETS),
        ("allocation", "DN-1", Owner.BUDGETS),
        ("contribution", "DN-1", Owner.BUDGETS),
        ("direct_payment", "DN-1", Owner.PAYMENTS),
        ("provider_fee", "DN-1", Owner.PAYMENTS),
        ("recovery", "", Owner.PAYMENTS),
        ("managed_spend", "DN-1", Owner.PAYMENTS),
        ("commitment", "DN-1", Owner.PAYMENTS),
        ("settlement", "", Owner.PAYMENTS),
    ],
)
def test_an_entry_belongs_to_the_context_its_kind_and_budget_say(
    kind: str, budget: str, owner: Owner
) -> None:
    assert owner_of(EntryKind(kind), budget) is owner


def test_finance_posts_its_own_journal_kinds(app: LedgerApplication) -> None:
    opening = draft(
        "fund", [("BANK", "debit", 100_000), ("FUND", "credit", 100_000)], kind="opening"
    )
    manual = draft(
        "suspense", [("FUND", "debit", 500), ("SUSPENSE", "credit", 500)], kind="adjustment"
    )
    assert all(r.created for r in app.post_entries([opening, manual], by=FINANCE))
    reversal = app.reverse_entry(
        entry=app.post_entry(manual).id, actor="farah", reason="cleared", by=FINANCE
    )
    assert app.get_entry(reversal.id).kind is EntryKind.REVERSAL


@pytest.mark.parametrize("kind", sorted(k.value for k in CONTEXT_KINDS))
def test_finance_cannot_post_a_contexts_kind_even_to_its_own_accounts(
    app: LedgerApplication, kind: str
) -> None:
    before = recorded(app)
    with pytest.raises(OwnedByContextError, match=f"this {kind.replace('_', ' ')}") as err:
        app.post_entry(
            draft("fake", [("FUND", "debit", 100), ("SUSPENSE", "credit", 100)], kind=kind),
            by=FINANCE,
        )
    assert (err.value.status, err.value.field) == (409, "kind")
    assert err.value.owner is CONTEXT_KINDS[EntryKind(kind)]
    assert recorded(app) == before


def test_finance_cannot_fake_an_allocation_into_a_budget(app: LedgerApplication) -> None:
    before = recorded(app)
    with pytest.raises(OwnedByContextError, match="belongs to the budgets context") as err:
        app.post_entry(allocation(), by=FINANCE)
    assert (err.value.owner, err.value.budget, err.value.field) == (
        Owner.BUDGETS,
        "DN-000123",
        "kind",
    )
    assert "allocate or revise the budget" in err.value.message
    assert recorded(app) == before


def test_finance_cannot_adjust_a_budget_by_naming_it(app: LedgerApplication) -> None:
    before = recorded(app)
    with pytest.raises(OwnedByContextError) as err:
        app.post_entry(
            draft(
                "named",
                [("FUND", "debit", 100), ("SUSPENSE", "credit", 100)],
                kind="adjustment",
                budget="DN-000123",
            ),
            by=FINANCE,
        )
    assert (err.value.field, err.value.budget) == ("budget", "DN-000123")
    assert recorded(app) == before


def test_finance_cannot_touch_a_budgets_account_even_with_its_own_kind(
    app: LedgerApplication,
) -> None:
    app.post_entry(allocation())  # the budgets context's own entry
    before = recorded(app)
    with pytest.raises(OwnedByContextError, match=f"account {BUDGET_ACCOUNT} holds money") as err:
        app.post_entry(
            draft(
                "skim",
                [(BUDGET_ACCOUNT, "debit", 100), ("SUSPENSE", "credit", 100)],
                kind="adjustment",
            ),
            by=FINANCE,
        )
    assert (err.value.field, err.value.owner) == ("legs[0].account", Owner.BUDGETS)
    assert recorded(app) == before
    assert app.get_account(BUDGET_ACCOUNT).balance == -1_196_000


def test_finance_cannot_reverse_a_contexts_entry_but_the_context_can(
    app: LedgerApplication,
) -> None:
    entry = app.post_entry(allocation()).id
    before = recorded(app)
    with pytest.raises(OwnedByContextError, match="allocation of the budget DN-000123") as err:
        app.reverse_entry(entry=entry, actor="farah", reason="wrong person", by=FINANCE)
    assert (err.value.status, err.value.field) == (409, "entry_id")
    assert recorded(app) == before
    assert app.get_entry(entry).reversed_by is None
    # The budgets context corrects its own entry (no ``by``: it is the owner).
    app.reverse_entry(entry=entry, actor="careledger", reason="budget withdrawn")
    assert app.get_account(BUDGET_ACCOUNT).balance == 0


def test_finance_cannot_take_first_a_key_a_context_will_derive(app: LedgerApplication) -> None:
    """Finance keying an adjustment "budget:DN-000123:allocation" would make the budget's own
    allocation, posted later under that key, a conflict: the key is refused, nothing recorded."""
    before = recorded(app)
    for key in ["budget:DN-000123:allocation", "payments:run-1:item-1"]:
        taken = draft(key, [("BANK", "debit", 100), ("FUND", "credit", 100)], kind="adjustment")
        with pytest.raises(InvalidEntryError) as refused:
            app.post_entry(taken, by=FINANCE)
        assert refused.value.field == "idempotency_key"
        assert "context's" in str(refused.value)
    assert recorded(app) == before
    # The context itself posts under its key, and finance keeps every other key.
    assert app.post_entry(allocation(), by=Owner.BUDGETS).created
    mine = draft("budgets-review-2026", [("BANK", "debit", 100), ("FUND", "credit", 100)])
    assert app.post_entry(
        EntryDraft(**{**mine.__dict__, "kind": EntryKind.ADJUSTMENT}), by=FINANCE
    ).created


def test_one_context_cannot_post_anothers_kind(app: LedgerApplication) -> None:
    with pytest.raises(OwnedByContextError, match="payments context"):
        app.post_entry(
            draft(
                "dp",
                [(BUDGET_ACCOUNT, "debit", 1), ("SUSPENSE", "credit", 1)],
                kind="direct_payment",
                budget="DN-000123",
            ),
            by=Owner.BUDGETS,
        )


# ---------------------------------------------------------------- closing


def test_every_account_keeps_its_balance_and_closes_only_when_empty(
    app: LedgerApplication,
) -> None:
    app.post_entry(draft("in", [("FUND", "debit", 700), ("SUSPENSE", "credit", 700)]))
    assert app.get_account("SUSPENSE").balance == -700  # not a no-overdraft account
    assert app.get_account("FUND").balance == 700
    before = recorded(app)
    with pytest.raises(AccountNotEmptyError, match="SUSPENSE still holds £7.00") as err:
        app.close_account(code="SUSPENSE", actor="farah", reason="not needed")
    assert err.value.field == "code"
    assert recorded(app) == before
    assert not app.get_account("SUSPENSE").is_closed
    app.post_entry(draft("out", [("SUSPENSE", "debit", 700), ("FUND", "credit", 700)]))
    app.close_account(code="SUSPENSE", actor="farah", reason="not needed", by=FINANCE)
    assert app.get_account("SUSPENSE").is_closed
    with pytest.raises(AccountClosedError):
        app.post_entry(draft("late", [("FUND", "debit", 1), ("SUSPENSE", "credit", 1)]))


def test_finance_cannot_close_a_budgets_account_even_empty(app: LedgerApplication) -> None:
    before = recorded(app)
    with pytest.raises(OwnedByContextError, match="only the budgets context moves") as err:
        app.close_account(code=BUDGET_ACCOUNT, actor="farah", reason="tidy up", by=FINANCE)
    assert err.value.field == "code"
    assert recorded(app) == before


def test_an_account_from_before_balances_were_kept_cannot_be_shown_empty(
    app: LedgerApplication,
) -> None:
    # As opened before every account kept its balance: no keeps_balance on its event.
    legacy = Account("OLD", "Old", "asset", "", "", "tester", False)
    app.save(legacy)
    with pytest.raises(AccountNotEmptyError, match="opened before accounts kept their balance"):
        app.close_account(code="OLD", actor="farah", reason="tidy up")


# ---------------------------------------------------------------- effective dates

BOUNDS = EffectiveDates(date(2026, 4, 1), 90)
NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def test_effective_dates_inside_the_bounds_are_accepted() -> None:
    BOUNDS.check(datetime(2026, 4, 1, tzinfo=UTC), now=NOW)
    BOUNDS.check(NOW + timedelta(days=90), now=NOW)


@pytest.mark.parametrize(
    ("when", "message"),
    [
        (datetime(1970, 1, 1, tzinfo=UTC), "before the ledger's opening date, 1 April 2026"),
        (datetime(2026, 3, 31, 23, 59, tzinfo=UTC), "before the ledger's opening date"),
        (NOW + timedelta(days=90, seconds=1), "at most 90 days ahead, so no later than 1 March"),
        (datetime(9999, 12, 31, tzinfo=UTC), "at most 90 days ahead"),
    ],
)
def test_effective_dates_outside_the_bounds_are_refused(when: datetime, message: str) -> None:
    with pytest.raises(EffectiveDateError, match=message) as err:
        BOUNDS.check(when, now=NOW)
    assert (err.value.field, err.value.status) == ("effective_at", 422)


@pytest.mark.parametrize(
    ("opening", "days", "field"),
    [("1 April", "90", "LEDGER_OPENING_DATE"), ("2026-04-01", "-1", "LEDGER_MAX_DAYS_AHEAD")],
)
def test_bad_bounds_are_named(opening: str, days: str, field: str) -> None:
    with pytest.raises(InvalidEntryError) as err:
        EffectiveDates.create(opening=opening, max_days_ahead=days)
    assert err.value.field == field


@pytest.mark.parametrize(
    "when", [datetime(1970, 1, 1, tzinfo=UTC), datetime(9999, 12, 31, tzinfo=UTC)]
)
def test_posts_and_reversals_outside_the_bounds_record_nothing(
    app: LedgerApplication, when: datetime
) -> None:
    before = recorded(app)
    with pytest.raises(EffectiveDateError):
        app.post_entry(
            draft("odd", [("FUND", "debit", 1), ("SUSPENSE", "credit", 1)], effective_at=when)
        )
    assert recorded(app) == before
    entry = app.post_entry(allocation()).id
    before = recorded(app)
    with pytest.raises(EffectiveDateError) as err:
        app.reverse_entry(entry=entry, actor="careledger", reason="x", effective_at=when)
    assert err.value.field == "effective_at"
    assert recorded(app) == before
    assert app.get_entry(entry).reversed_by is None


def test_the_council_sets_the_bounds() -> None:
    app = LedgerApplication(
        env={
            "PERSISTENCE_MODULE": "eventsourcing.popo",
            "LEDGER_OPENING_DATE": "2027-04-01",
            "LEDGER_MAX_DAYS_AHEAD": "0",
        }
    )
    assert app.effective_dates == EffectiveDates(date(2027, 4, 1), 0)
    app.open_account(code="FUND", name="FUND", type="equity", actor="t")
    app.open_account(code="BANK", name="BANK", type="asset", actor="t")
    with pytest.raises(EffectiveDateError, match="1 April 2027"):
        app.post_entry(
            draft("a", [("BANK", "debit", 1), ("FUND", "credit", 1)], kind="opening"),
        )
