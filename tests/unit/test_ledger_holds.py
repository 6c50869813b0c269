"""Holds (two-phase transfers), on eventsourcing's in-memory store: no database, no server.

The story of one hold: the £450 support-plan fee is held against a person's budget when an
engagement is accepted; it is posted when the plan is signed off (all of it, or part, and the
rest released), voided if the engagement ends first, or expires. Each happens once. While it is
pending it counts against the no-overdraft rule. Each refusal asserts its error, its field and
that nothing was recorded. Then a model-based property: any sequence of holds, posts, voids,
expiries and spends keeps every budget's available balance at zero or above, all balances
summing to zero and the holds balanced.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

import ledger.application
from config.actor import Actor
from config.roles import Role
from ledger.application import LedgerApplication
from ledger.domain import (
    AccountNotEmptyError,
    ConflictError,
    EffectiveDateError,
    EntryKind,
    HoldAlreadyPostedError,
    HoldAlreadyVoidedError,
    HoldDraft,
    HoldExpiredError,
    HoldNotExpiredError,
    HoldNotPendingError,
    HoldStatus,
    InvalidEntryError,
    InvalidHoldError,
    LedgerError,
    OverdraftError,
    OwnedByContextError,
    Owner,
    entry_id,
    hold_entry_key,
    hold_id,
)
from ledger.policies import NotPermittedError
from tests.conftest import draft

FEE = [("PB", "debit", 45000), ("PB:COMMITTED", "credit", 45000)]


def hold_draft(key: str, legs: list[tuple[str, str, Any]] = FEE, **overrides: Any) -> HoldDraft:
    fields: dict[str, Any] = {
        "idempotency_key": key,
        "kind": "commitment",
        "legs": [{"account": a, "side": s, "amount": p} for a, s, p in legs],
        "expires_at": datetime.now(UTC) + timedelta(days=30),
        "actor": "payments",
        "reason": "Engagement EN-1 accepted: support plan £450.00",
        "budget": "DN-1",
        "source_document": "engagement:EN-1",
    }
    fields.update(overrides)
    return HoldDraft.create(**fields)


@pytest.fixture
def app() -> LedgerApplication:
    """A budget of £500.00 (no overdraft), its committed account and a provider's payable."""
    ledger = LedgerApplication(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    for code, type_, guarded in [
        ("FUND", "equity", False),
        ("PB", "liability", True),
        ("PB:COMMITTED", "liability", False),
        ("PROVIDER", "liability", False),
    ]:
        ledger.open_account(code=code, name=code, type=type_, actor="t", no_overdraft=guarded)
    ledger.post_entry(draft("alloc", [("FUND", "debit", 50000), ("PB", "credit", 50000)]))
    return ledger


def recorded(app: LedgerApplication) -> int:
    return app.recorder.max_notification_id() or 0


def figures(app: LedgerApplication, code: str) -> tuple[int, int, int]:
    account = app.get_account(code)
    return account.on_normal_side(account.balance), account.held, account.available


class Clock:
    """The application's clock, moved on by the test (expiry is a matter of time)."""

    def __init__(self) -> None:
        self.offset = timedelta()

    def advance(self, by: timedelta) -> None:
        self.offset += by


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Iterator[Clock]:
    moved = Clock()

    class Moved(datetime):
        @classmethod
        def now(cls, tz: Any = None) -> Any:
            return datetime.now(tz) + moved.offset

    monkeypatch.setattr(ledger.application, "datetime", Moved)
    yield moved


# -- placing a hold
def test_a_hold_reserves_the_amount_and_leaves_the_balance_alone(app: LedgerApplication) -> None:
    placed = app.hold(hold_draft("fee:EN-1"))
    assert placed.created and placed.id == hold_id("fee:EN-1")
    assert figures(app, "PB") == (50000, 45000, 5000)
    committed = app.get_account("PB:COMMITTED")
    # What a hold brings in is not there until it is posted: nothing held, nothing available.
    assert (committed.balance, committed.pending_credits, committed.available) == (0, 45000, 0)
    hold = app.get_hold(placed.id)
    assert (hold.status, hold.amount, hold.kind) == (HoldStatus.PENDING, 45000, "commitment")
    assert (hold.budget, hold.source_document, hold.entry) == ("DN-1", "engagement:EN-1", None)


def test_a_retry_finds_the_hold_and_another_body_is_a_conflict(app: LedgerApplication) -> None:
    body = hold_draft("fee:EN-1")
    first, again = app.hold(body), app.hold(body)
    assert (first.created, again.created, again.id) == (True, False, first.id)
    before = recorded(app)
    with pytest.raises(ConflictError, match="already used for a different hold") as err:
        app.hold(hold_draft("fee:EN-1", [("PB", "debit", 1), ("PB:COMMITTED", "credit", 1)]))
    assert (err.value.field, err.value.status) == ("idempotency_key", 409)
    assert recorded(app) == before
    assert figures(app, "PB") == (50000, 45000, 5000)


def test_a_retry_finds_the_hold_even_once_the_budget_is_spent(app: LedgerApplication) -> None:
    body = hold_draft("fee:EN-1")
    app.hold(body)
    app.post_entry(draft("spend", [("PB", "debit", 5000), ("PROVIDER", "credit", 5000)]))
    assert app.hold(body).created is False  # the overdraft check would refuse a new one


def test_a_hold_is_counted_by_the_no_overdraft_rule(app: LedgerApplication) -> None:
    app.hold(hold_draft("fee:EN-1"))
    before = recorded(app)
    with pytest.raises(OverdraftError, match="this hold would leave -£0.01 available") as err:
        app.hold(hold_draft("more", [("PB", "debit", 5001), ("PB:COMMITTED", "credit", 5001)]))
    assert err.value.field == "legs[0].amount"
    with pytest.raises(OverdraftError, match="of which £450.00 is held") as err:
        app.post_entry(draft("spend", [("PB", "debit", 5001), ("PROVIDER", "credit", 5001)]))
    assert err.value.field == "legs[0].amount"
    assert recorded(app) == before
    # What is left can still be spent, to zero.
    app.post_entry(draft("spend", [("PB", "debit", 5000), ("PROVIDER", "credit", 5000)]))
    assert figures(app, "PB") == (45000, 45000, 0)


def test_an_overdraft_authorisation_does_not_let_a_spend_take_held_money_unrecorded(
    app: LedgerApplication,
) -> None:
    app.hold(hold_draft("fee:EN-1"))
    note = "Jo Fletcher (team manager): equipment needed at once"
    app.post_entry(
        draft(
            "over",
            [("PB", "debit", 10000), ("PROVIDER", "credit", 10000)],
            overdraft_authorisation=note,
        )
    )
    assert figures(app, "PB") == (40000, 45000, -5000)  # below zero, and recorded why
    # Posting the hold spends what it held: it is not refused, and leaves no less available.
    app.post_hold(hold=hold_id("fee:EN-1"), actor="payments")
    assert figures(app, "PB") == (-5000, 0, -5000)


BAD_HOLDS: list[tuple[str, dict[str, Any], type[LedgerError], str, str]] = [
    ("already expired", {"effective_at": datetime.now(UTC) - timedelta(days=10),
     "expires_at": datetime.now(UTC) - timedelta(days=1)}, InvalidHoldError, "expires_at",
     "must be in the future"),
    ("too far ahead", {"expires_at": datetime.now(UTC) + timedelta(days=91)}, EffectiveDateError,
     "expires_at", "must be at most 90 days ahead"),
    ("no time zone", {"expires_at": datetime(2027, 1, 1)}, InvalidHoldError, "expires_at",
     "must include a time zone"),
    ("not a time", {"expires_at": "soon"}, InvalidHoldError, "expires_at",
     "must be a date and time"),
    ("expires as it starts", {"effective_at": datetime.now(UTC) + timedelta(days=3),
     "expires_at": datetime.now(UTC) + timedelta(days=2)}, InvalidHoldError, "expires_at",
     "must be after the hold takes effect"),
    ("before the ledger opened", {"effective_at": datetime(2020, 1, 1, tzinfo=UTC)},
     EffectiveDateError, "effective_at", "opening date"),
    ("unbalanced", {"legs": [("PB", "debit", 100), ("PB:COMMITTED", "credit", 99)]},
     InvalidEntryError, "legs", "do not equal"),
    ("a reversal", {"kind": "reversal"}, InvalidEntryError, "kind", "use the reverse command"),
    ("a posted hold's key", {"idempotency_key": "hold:abc"}, InvalidEntryError,
     "idempotency_key", "must not begin with 'hold:'"),
    ("no reason", {"reason": " "}, InvalidEntryError, "reason", "."),
    ("an unknown account", {"legs": [("NOPE", "debit", 100), ("PB:COMMITTED", "credit", 100)]},
     LedgerError, "legs[0].account", "does not exist"),
]  # fmt: skip


@pytest.mark.parametrize(("why", "change", "error", "field", "words"), BAD_HOLDS)
def test_bad_holds_are_refused_and_nothing_is_recorded(
    app: LedgerApplication,
    why: str,
    change: dict[str, Any],
    error: type[LedgerError],
    field: str,
    words: str,
) -> None:
    before = recorded(app)
    with pytest.raises(error, match=words) as err:
        app.hold(hold_draft(f"bad:{why}", **change))
    assert err.value.field == field, why
    assert recorded(app) == before


def test_a_client_cannot_post_an_entry_under_a_holds_key(app: LedgerApplication) -> None:
    with pytest.raises(InvalidEntryError, match="must not begin with 'hold:'"):
        app.post_entry(draft("hold:x", [("FUND", "debit", 1), ("PB", "credit", 1)]))


def test_an_account_with_a_pending_hold_does_not_close(app: LedgerApplication) -> None:
    app.hold(hold_draft("fee:EN-1", [("FUND", "debit", 100), ("PROVIDER", "credit", 100)]))
    with pytest.raises(AccountNotEmptyError, match="PROVIDER has pending holds") as err:
        app.close_account(code="PROVIDER", actor="fo", reason="no longer used")
    assert err.value.field == "code"
    app.void_hold(hold=hold_id("fee:EN-1"), actor="payments", reason="ended")
    app.close_account(code="PROVIDER", actor="fo", reason="no longer used")


# -- posting
def test_posting_a_hold_makes_one_entry_of_its_kind_and_releases_it(
    app: LedgerApplication,
) -> None:
    held = app.hold(hold_draft("fee:EN-1")).id
    posted = app.post_hold(hold=held, actor="payments", reason="Plan signed off")
    assert posted.created and posted.id == entry_id(hold_entry_key(held))
    entry = app.get_entry(posted.id)
    assert entry.kind is EntryKind.COMMITMENT and entry.hold == held
    assert [(leg.account, leg.signed) for leg in entry.legs] == [
        ("PB", 45000),
        ("PB:COMMITTED", -45000),
    ]
    assert (entry.budget, entry.source_document, entry.reason) == (
        "DN-1",
        "engagement:EN-1",
        "Plan signed off",
    )
    assert entry.causation_id == str(held)
    assert figures(app, "PB") == (5000, 0, 5000)
    assert figures(app, "PB:COMMITTED") == (45000, 0, 45000)
    hold = app.get_hold(held)
    assert (hold.status, hold.entry, hold.posted_amount) == (HoldStatus.POSTED, posted.id, 45000)


def test_a_post_without_a_reason_takes_the_holds(app: LedgerApplication) -> None:
    held = app.hold(hold_draft("fee:EN-1")).id
    entry = app.get_entry(app.post_hold(hold=held, actor="payments").id)
    assert entry.reason == "Engagement EN-1 accepted: support plan £450.00"


def test_a_hold_is_posted_once(app: LedgerApplication) -> None:
    held = app.hold(hold_draft("fee:EN-1")).id
    first = app.post_hold(hold=held, actor="payments")
    again = app.post_hold(hold=held, actor="payments")
    assert (again.created, again.id) == (False, first.id)  # a retry finds the first result
    before = recorded(app)
    with pytest.raises(HoldAlreadyPostedError, match=r"already posted: £450.00 by entry") as err:
        app.post_hold(hold=held, actor="payments", amount=100)
    assert (err.value.field, err.value.status) == ("hold_id", 409)
    with pytest.raises(HoldAlreadyPostedError):
        app.void_hold(hold=held, actor="payments", reason="ended")
    with pytest.raises(HoldAlreadyPostedError):
        app.expire_hold(hold=held, now=datetime.now(UTC) + timedelta(days=60), actor="careledger")
    assert recorded(app) == before
    assert figures(app, "PB") == (5000, 0, 5000)


def test_posting_part_releases_the_rest(app: LedgerApplication) -> None:
    held = app.hold(hold_draft("fee:EN-1")).id
    posted = app.post_hold(hold=held, actor="payments", amount="£300.00")
    assert [leg.amount for leg in app.get_entry(posted.id).legs] == [30000, 30000]
    assert figures(app, "PB") == (20000, 0, 20000)
    assert figures(app, "PB:COMMITTED") == (30000, 0, 30000)
    assert app.get_hold(held).posted_amount == 30000
    # The same part again is a retry; the whole is another request.
    assert app.post_hold(hold=held, actor="payments", amount=30000).created is False
    with pytest.raises(HoldAlreadyPostedError):
        app.post_hold(hold=held, actor="payments")


@pytest.mark.parametrize(
    ("amount", "words"),
    [
        (45001, "at most the £450.00 held"),
        (0, "more than zero"),
        ("£1.234", "not an amount of money"),
    ],
)
def test_a_part_is_more_than_nothing_and_no_more_than_held(
    app: LedgerApplication, amount: object, words: str
) -> None:
    held = app.hold(hold_draft("fee:EN-1")).id
    before = recorded(app)
    with pytest.raises(InvalidHoldError, match=words) as err:
        app.post_hold(hold=held, actor="payments", amount=amount)
    assert err.value.field == "amount"
    assert recorded(app) == before


def test_part_of_a_hold_of_several_legs_is_not_posted(app: LedgerApplication) -> None:
    legs = [("PB", "debit", 45000), ("PB:COMMITTED", "credit", 40000), ("PROVIDER", "credit", 5000)]
    held = app.hold(hold_draft("split", legs)).id
    with pytest.raises(InvalidHoldError, match="only when it moves one account to another"):
        app.post_hold(hold=held, actor="payments", amount=100)
    app.post_hold(hold=held, actor="payments")  # the whole of it posts
    assert figures(app, "PROVIDER") == (5000, 0, 5000)


def test_a_post_takes_effect_no_earlier_than_the_hold(app: LedgerApplication) -> None:
    start = datetime.now(UTC) + timedelta(days=2)
    held = app.hold(hold_draft("ahead", effective_at=start)).id
    with pytest.raises(InvalidHoldError, match="must not be before the hold took effect") as err:
        app.post_hold(hold=held, actor="payments", effective_at=start - timedelta(seconds=1))
    assert err.value.field == "effective_at"
    # Asked for no date, a post of a hold placed ahead takes effect when the hold does.
    posted = app.post_hold(hold=held, actor="payments")
    assert app.get_entry(posted.id).effective_at == start


# -- voiding
def test_voiding_releases_the_hold_once(app: LedgerApplication) -> None:
    held = app.hold(hold_draft("fee:EN-1")).id
    voided = app.void_hold(hold=held, actor="payments", reason="Engagement ended first")
    assert (voided.created, voided.id) == (True, held)
    assert figures(app, "PB") == (50000, 0, 50000)
    assert app.get_hold(held).status is HoldStatus.VOIDED
    assert app.void_hold(hold=held, actor="payments", reason="again").created is False
    before = recorded(app)
    with pytest.raises(HoldAlreadyVoidedError, match="was voided") as err:
        app.post_hold(hold=held, actor="payments")
    assert err.value.status == 409
    assert recorded(app) == before


def test_voiding_needs_a_reason(app: LedgerApplication) -> None:
    held = app.hold(hold_draft("fee:EN-1")).id
    with pytest.raises(InvalidEntryError) as err:
        app.void_hold(hold=held, actor="payments", reason="")
    assert err.value.field == "reason"


def test_an_unknown_hold_is_not_found(app: LedgerApplication) -> None:
    with pytest.raises(LedgerError, match="does not exist") as err:
        app.post_hold(hold=hold_id("never"), actor="payments")
    assert (err.value.status, err.value.field) == (404, "hold_id")
    with pytest.raises(LedgerError, match="does not exist"):  # an entry's id is not a hold's
        app.void_hold(hold=entry_id("alloc"), actor="payments", reason="x")


# -- expiry
def test_an_expired_hold_cannot_be_posted_and_is_released_once(
    app: LedgerApplication, clock: Clock
) -> None:
    held = app.hold(hold_draft("fee:EN-1", expires_at=datetime.now(UTC) + timedelta(days=1))).id
    clock.advance(timedelta(days=1, seconds=1))
    before = recorded(app)
    with pytest.raises(HoldExpiredError, match="it can no longer be posted") as err:
        app.post_hold(hold=held, actor="payments")
    assert err.value.status == 409
    assert recorded(app) == before
    # Until the expiry job releases it, it still counts: never less held than promised.
    assert figures(app, "PB") == (50000, 45000, 5000)
    now = datetime.now(UTC) + clock.offset
    done = app.expire_holds(Actor.system(), now=now, holds=[held])
    assert [r.created for r in done] == [True]
    assert figures(app, "PB") == (50000, 0, 50000)
    hold = app.get_hold(held)
    assert (hold.status, hold.released_at) == (HoldStatus.EXPIRED, hold.expires_at)
    assert [r.created for r in app.expire_holds(Actor.system(), now=now, holds=[held])] == [False]
    with pytest.raises(HoldExpiredError, match="was released"):
        app.post_hold(hold=held, actor="payments")
    with pytest.raises(HoldExpiredError):
        app.void_hold(hold=held, actor="payments", reason="ended")


def test_expiry_passes_over_holds_not_yet_expired_or_no_longer_pending(
    app: LedgerApplication,
) -> None:
    soon = datetime.now(UTC) + timedelta(days=1)
    later = app.hold(hold_draft("later")).id
    posted = app.hold(hold_draft("posted", [("FUND", "debit", 1), ("PROVIDER", "credit", 1)]))
    app.post_hold(hold=posted.id, actor="payments")
    due = app.hold(
        hold_draft("due", [("FUND", "debit", 2), ("PROVIDER", "credit", 2)], expires_at=soon)
    ).id
    done = app.expire_holds(
        Actor.system(), now=soon, holds=[later, posted.id, due, hold_id("never")]
    )
    assert [r.id for r in done] == [due]
    assert app.get_hold(later).status is HoldStatus.PENDING
    with pytest.raises(HoldNotExpiredError, match="not yet"):
        app.expire_hold(hold=later, now=soon, actor="careledger")
    assert issubclass(HoldAlreadyPostedError, HoldNotPendingError)


@pytest.mark.parametrize(
    "who",
    [
        Actor(id="farah", roles=frozenset({Role.FINANCE_OFFICER})),
        Actor(id="careledger", roles=frozenset({Role.FINANCE_OFFICER})),
        Actor(id="someone"),
    ],
)
def test_only_the_ledgers_own_job_expires_holds(app: LedgerApplication, who: Actor) -> None:
    held = app.hold(hold_draft("fee:EN-1", expires_at=datetime.now(UTC) + timedelta(days=1))).id
    with pytest.raises(NotPermittedError, match="released at their expiry by the ledger's own"):
        app.expire_holds(who, now=datetime.now(UTC) + timedelta(days=2), holds=[held])
    assert app.get_hold(held).status is HoldStatus.PENDING


# -- the door: whose journal holds
FARAH = Actor(id="farah", roles=frozenset({Role.FINANCE_OFFICER}))


def test_finances_journal_holds_nothing(app: LedgerApplication) -> None:
    held = app.hold(hold_draft("fee:EN-1")).id
    journal = app.journal(FARAH)
    before = recorded(app)
    for attempt in (
        lambda: journal.hold(hold_draft("other")),
        lambda: journal.post_hold(hold=held),
        lambda: journal.void_hold(hold=held, reason="no"),
    ):
        with pytest.raises(NotPermittedError, match="not through finance's journal") as err:
            attempt()
        assert err.value.status == 403
    assert recorded(app) == before


def test_the_context_that_owns_the_commitment_holds_posts_and_voids_it(
    app: LedgerApplication,
) -> None:
    payments = app.journal(Actor.system(), context=Owner.PAYMENTS)
    held = payments.hold(hold_draft("fee:EN-1", actor="careledger")).id
    assert app.get_hold(held).actor == "careledger"
    posted = payments.post_hold(hold=held, amount=20000)
    assert app.get_entry(posted.id).actor == "careledger"
    small = [("PB", "debit", 10000), ("PB:COMMITTED", "credit", 10000)]
    other = payments.hold(hold_draft("fee:EN-2", small)).id
    assert payments.void_hold(hold=other, reason="ended").created
    # The budgets context does not hold (nor post, nor void) a commitment: payments' kind.
    budgets = app.journal(Actor.system(), context=Owner.BUDGETS)
    third = payments.hold(hold_draft("fee:EN-3", small)).id
    before = recorded(app)
    with pytest.raises(OwnedByContextError, match="belongs to the payments context") as err:
        budgets.hold(hold_draft("fee:EN-4", small))
    assert err.value.field == "kind"
    with pytest.raises(OwnedByContextError) as err:
        budgets.post_hold(hold=third)
    assert err.value.field == "hold_id"
    with pytest.raises(OwnedByContextError):
        budgets.void_hold(hold=third, reason="no")
    assert recorded(app) == before


# -- the model: any sequence keeps the invariants
ACCOUNTS = ("FUND", "PB", "PB:COMMITTED", "PROVIDER")
GUARDED = ("PB",)
ROUTES = [("PB", "PB:COMMITTED"), ("PB", "PROVIDER"), ("PB:COMMITTED", "PROVIDER")]


class HoldsMachine(RuleBasedStateMachine):
    """Holds, posts (whole or part), voids, expiries, spends and allocations in any order,
    against a model of what each account and hold should be."""

    @initialize()
    def open_ledger(self) -> None:
        self.app = LedgerApplication(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
        for code in ACCOUNTS:
            self.app.open_account(
                code=code,
                name=code,
                type="equity" if code == "FUND" else "liability",
                actor="t",
                no_overdraft=code in GUARDED,
            )
        self.now = self.started = datetime.now(UTC)
        self.keys = 0
        self.balance = dict.fromkeys(ACCOUNTS, 0)  # on the normal side (all credit-normal)
        self.held = dict.fromkeys(ACCOUNTS, 0)
        # hold id -> (debited, credited, amount, expires_at, status, posted entry)
        self.holds: dict[UUID, list[Any]] = {}

    def key(self) -> str:
        self.keys += 1
        return f"k{self.keys}"

    def available(self, code: str) -> int:
        return self.balance[code] - self.held[code]

    @rule(amount=st.integers(min_value=1, max_value=60_000))
    def allocate(self, amount: int) -> None:
        self.app.post_entry(
            draft(
                self.key(), [("FUND", "debit", amount), ("PB", "credit", amount)], effective_at=None
            )
        )
        self.balance["PB"] += amount
        self.balance["FUND"] -= amount

    @rule(route=st.sampled_from(ROUTES), amount=st.integers(min_value=1, max_value=60_000))
    def spend(self, route: tuple[str, str], amount: int) -> None:
        debit, credit = route
        legs = [(debit, "debit", amount), (credit, "credit", amount)]
        if debit in GUARDED and self.available(debit) < amount:
            with pytest.raises(OverdraftError):
                self.app.post_entry(draft(self.key(), legs, effective_at=None))
            return
        self.app.post_entry(draft(self.key(), legs, effective_at=None))
        self.balance[debit] -= amount
        self.balance[credit] += amount

    @rule(route=st.sampled_from(ROUTES[:2]), more=st.sampled_from([0, 1]), hold=st.booleans())
    def take_what_is_left(self, route: tuple[str, str], more: int, hold: bool) -> None:
        """Spend or hold exactly what the budget has left, or a penny more: the edge."""
        amount = self.available("PB") + more
        if amount > 0:
            (self.hold if hold else self.spend)(route, amount, *([3] if hold else []))

    @rule(
        route=st.sampled_from(ROUTES),
        amount=st.integers(min_value=1, max_value=60_000),
        days=st.integers(min_value=1, max_value=10),
    )
    def hold(self, route: tuple[str, str], amount: int, days: int) -> None:
        debit, credit = route
        body = hold_draft(
            self.key(),
            [(debit, "debit", amount), (credit, "credit", amount)],
            expires_at=self.now + timedelta(days=days),
        )
        if debit in GUARDED and self.available(debit) < amount:
            with pytest.raises(OverdraftError):
                self.app.hold(body)
            return
        made = self.app.hold(body).id
        self.held[debit] += amount
        self.holds[made] = [debit, credit, amount, body.expires_at, "pending", None]

    def pending(self) -> list[UUID]:
        return sorted(h for h, state in self.holds.items() if state[4] == "pending")

    def release(self, hold: UUID, status: str) -> None:
        state = self.holds[hold]
        self.held[state[0]] -= state[2]
        state[4] = status

    @precondition(lambda self: bool(self.holds))
    @rule(data=st.data(), whole=st.booleans())
    def post(self, data: st.DataObject, whole: bool) -> None:
        hold = data.draw(st.sampled_from(sorted(self.holds)))
        debit, credit, amount, _, status, entry = self.holds[hold]
        part = amount if whole else data.draw(st.integers(min_value=1, max_value=amount))
        if status != "pending":
            if status == "posted":
                # A retry of the same post finds its entry; any other amount is refused.
                try:
                    again = self.app.post_hold(hold=hold, actor="p", amount=part)
                    assert (again.created, again.id) == (False, entry)
                except HoldAlreadyPostedError:
                    assert self.app.get_hold(hold).posted_amount != part
                return
            with pytest.raises(HoldNotPendingError):
                self.app.post_hold(hold=hold, actor="p", amount=part)
            return
        posted = self.app.post_hold(hold=hold, actor="p", amount=part)
        assert posted.created
        self.release(hold, "posted")
        self.holds[hold][5] = posted.id
        self.balance[debit] -= part
        self.balance[credit] += part

    @precondition(lambda self: bool(self.holds))
    @rule(data=st.data())
    def void(self, data: st.DataObject) -> None:
        hold = data.draw(st.sampled_from(sorted(self.holds)))
        status = self.holds[hold][4]
        if status in ("posted", "expired"):
            with pytest.raises(HoldNotPendingError):
                self.app.void_hold(hold=hold, actor="p", reason="ended")
            return
        done = self.app.void_hold(hold=hold, actor="p", reason="ended")
        assert done.created is (status == "pending")
        if status == "pending":
            self.release(hold, "voided")

    # Simulated time stays within the ledger's real bound on how far ahead a hold may expire
    # (90 days from the wall clock): a hold placed "now" in the model expires up to 10 days on.
    @precondition(lambda self: self.now < self.started + timedelta(days=60))
    @rule(days=st.integers(min_value=1, max_value=12))
    def time_passes_and_holds_expire(self, days: int) -> None:
        self.now += timedelta(days=days)
        due = [h for h in self.pending() if self.holds[h][3] <= self.now]
        done = self.app.expire_holds(Actor.system(), now=self.now, holds=sorted(self.holds))
        assert sorted(r.id for r in done if r.created) == due
        for hold in due:
            self.release(hold, "expired")

    @invariant()
    def no_budget_is_overdrawn_and_everything_balances(self) -> None:
        if not hasattr(self, "app"):
            return
        accounts = {code: self.app.get_account(code) for code in ACCOUNTS}
        for code in GUARDED:
            assert accounts[code].available >= 0
        assert sum(a.balance for a in accounts.values()) == 0
        assert sum(a.pending_debits for a in accounts.values()) == sum(
            a.pending_credits for a in accounts.values()
        )
        for code, account in accounts.items():
            assert account.on_normal_side(account.balance) == self.balance[code], code
            assert account.held == self.held[code], code

    @invariant()
    def each_hold_is_where_the_model_says_and_posted_once(self) -> None:
        for hold, (_, _, _, _, status, entry) in self.holds.items():
            found = self.app.get_hold(hold)
            assert found.status.value == status
            assert found.entry == entry


HoldsMachine.TestCase.settings = settings(
    max_examples=100,
    stateful_step_count=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
test_any_sequence_of_holds_keeps_every_invariant = HoldsMachine.TestCase
