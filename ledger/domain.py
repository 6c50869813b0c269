"""The double-entry ledger's aggregates, events and rules: pure Python, no Django, no I/O.

Every ledger rule of DESIGN.md is checked here, before anything is recorded:
two or more legs, each a positive amount within the cap, debits equal to credits,
valid text, and an entry reversed at most once; an effective date within the council's
bounds; an account closed only when it holds nothing; and each context's entries (a
budget's allocation, a direct payment, a provider's fee) posted and corrected only by that
context, so finance's generic journal cannot move them behind its back. Ids are chosen by
the caller (uuid5 of an account code or of an idempotency key) so a retry finds the first
result instead of acting twice.

Holds are two-phase transfers (TigerBeetle's pending transfers): a ``Hold`` reserves its legs'
amounts on their accounts (``Account.pending_debits`` and ``pending_credits``), which the
no-overdraft rule counts at once, and is later posted (all or part, as a real
``JournalEntry``; the rest is released), voided, or expired, exactly once.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from typing import Any
from uuid import UUID, uuid5
from zoneinfo import ZoneInfo

from eventsourcing.domain import Aggregate, event

from config.errors import Conflict, DomainError, NotFound
from config.validation import clean_text
from ledger.money import MoneyError, Pence, check_pence, format_pence, parse_pounds

NAMESPACE = UUID("0d7f6a52-7d39-4a0e-9d3c-1c1f6e0c7a11")

MAX_TEXT = 500
RESERVED_KEY_PREFIX = "reversal:"
# The key of the entry that posts a hold: "hold:<hold id>", one per hold.
HOLD_KEY_PREFIX = "hold:"
RESERVED_KEY_PREFIXES = (RESERVED_KEY_PREFIX, HOLD_KEY_PREFIX)
MAX_SHORT_TEXT = 150


class LedgerError(DomainError):
    """A command the ledger refuses. ``field`` names the input at fault, when one is."""


class InvalidEntryError(LedgerError):
    """An entry or account that breaks a ledger rule."""


class UnknownAccountError(LedgerError):
    """A leg names an account that was never opened."""


class AccountClosedError(LedgerError):
    """A leg names an account that is closed."""


class OverdraftError(LedgerError):
    """An entry would take a no-overdraft account (a personal budget) below zero."""


class NotFoundError(LedgerError, NotFound):
    pass


class ConflictError(LedgerError, Conflict):
    """The same idempotency key or account code with a different body, or a second reversal."""


class AlreadyReversedError(ConflictError):
    pass


class EffectiveDateError(InvalidEntryError):
    """An effective date before the ledger opened, or further ahead than the council allows."""


class BooksClosedError(EffectiveDateError):
    """An entry dated in a period whose books are closed for one of its accounts."""


class AccountNotEmptyError(LedgerError):
    """An account asked to close while it still holds money."""


class InvalidHoldError(InvalidEntryError):
    """A hold, or a step of one (the part to post, its date), that breaks a ledger rule."""


class HoldNotPendingError(ConflictError):
    """The hold was already posted, voided or expired: each happens once, and only one."""


class HoldAlreadyPostedError(HoldNotPendingError):
    pass


class HoldAlreadyVoidedError(HoldNotPendingError):
    pass


class HoldExpiredError(HoldNotPendingError):
    """The hold's expiry has passed: it can no longer be posted, and is (or will be) released."""


class HoldNotExpiredError(LedgerError):
    """A hold asked to expire before its expiry."""


class OwnedByContextError(ConflictError):
    """A move of another context's entry or account through finance's generic journal.

    ``owner`` is the context whose command must be used instead; ``budget`` the budget the
    entry or account belongs to, when there is one (so an adapter can name the route).
    """

    def __init__(
        self, message: str, *, owner: Owner, budget: str = "", field: str | None = None
    ) -> None:
        super().__init__(message, field=field)
        self.owner = owner
        self.budget = budget


class Side(StrEnum):
    DEBIT = "debit"
    CREDIT = "credit"


class AccountType(StrEnum):
    ASSET = "asset"
    LIABILITY = "liability"
    EQUITY = "equity"
    INCOME = "income"
    EXPENSE = "expense"

    @property
    def normal_side(self) -> Side:
        """Assets and expenses grow by debits; the others grow by credits."""
        return Side.DEBIT if self in (AccountType.ASSET, AccountType.EXPENSE) else Side.CREDIT


class EntryKind(StrEnum):
    OPENING = "opening"
    ALLOCATION = "allocation"
    ADJUSTMENT = "adjustment"
    COMMITMENT = "commitment"
    RELEASE = "release"
    DIRECT_PAYMENT = "direct_payment"
    MANAGED_SPEND = "managed_spend"
    PROVIDER_FEE = "provider_fee"
    CONTRIBUTION = "contribution"
    RECOVERY = "recovery"
    SETTLEMENT = "settlement"
    REVERSAL = "reversal"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ")


class Owner(StrEnum):
    """Who posts and corrects an entry: finance's own journal, or the context it belongs to."""

    FINANCE = "finance"  # through the ledger's generic API: openings and manual adjustments
    BUDGETS = "budgets"  # a personal budget's allocation, its revisions and contribution
    PAYMENTS = "payments"  # commitments, payments, fees, recoveries and their settlement


# The idempotency keys each context derives from its own events (budgets/application.py):
# nobody else may use them first.
CONTEXT_KEY_PREFIXES: Mapping[str, Owner] = {"budget:": Owner.BUDGETS, "payments:": Owner.PAYMENTS}


def check_key_of(key: str, *, by: Owner) -> None:
    for prefix, owner in CONTEXT_KEY_PREFIXES.items():
        if key.startswith(prefix) and owner is not by:
            raise InvalidEntryError(
                f"keys beginning '{prefix}' are the {owner.value} context's",
                field="idempotency_key",
            )


# The kinds a context posts, whoever asks: the context keeps its own state in step with them.
CONTEXT_KINDS: Mapping[EntryKind, Owner] = {
    EntryKind.ALLOCATION: Owner.BUDGETS,
    EntryKind.CONTRIBUTION: Owner.BUDGETS,
    EntryKind.COMMITMENT: Owner.PAYMENTS,
    EntryKind.RELEASE: Owner.PAYMENTS,
    EntryKind.DIRECT_PAYMENT: Owner.PAYMENTS,
    EntryKind.MANAGED_SPEND: Owner.PAYMENTS,
    EntryKind.PROVIDER_FEE: Owner.PAYMENTS,
    EntryKind.RECOVERY: Owner.PAYMENTS,
    EntryKind.SETTLEMENT: Owner.PAYMENTS,
}
# Finance's own journal: the fund's opening, and a manual adjustment that names no budget.
FINANCE_KINDS = frozenset({EntryKind.OPENING, EntryKind.ADJUSTMENT})
# Accounts a context opened for what it owns (owner_kind): only that side moves their money.
CONTEXT_ACCOUNTS: Mapping[str, Owner] = {"budget": Owner.BUDGETS}


def owner_of(kind: EntryKind, budget: str) -> Owner:
    """The context an entry belongs to, from what it records: its kind, and for an adjustment
    whether it names a budget (a budget's revision) or not (finance's manual adjustment)."""
    if kind in CONTEXT_KINDS:
        return CONTEXT_KINDS[kind]
    if kind is EntryKind.ADJUSTMENT and budget:
        return Owner.BUDGETS
    return Owner.FINANCE


def what_to_use(owner: Owner) -> str:
    """The command that posts and corrects an owner's entries, in the domain's words."""
    return {
        Owner.BUDGETS: "allocate or revise the budget instead",
        Owner.PAYMENTS: "correct it through that context's own command",
        Owner.FINANCE: "use the ledger's journal",
    }[owner]


def check_owner(owner: Owner, *, by: Owner, kind: EntryKind, budget: str, field: str) -> None:
    """Refuse a move of an entry by anyone but the context it belongs to."""
    if owner is by:
        return
    of = f" of the budget {budget}" if budget else ""
    raise OwnedByContextError(
        f"this {kind.label}{of} belongs to the {owner.value} context, which keeps its own"
        f" records in step with the ledger: {what_to_use(owner)}",
        owner=owner,
        budget=budget,
        field=field,
    )


@dataclass(frozen=True)
class EffectiveDates:
    """The council's bounds on when an entry may take effect (settings LEDGER_OPENING_DATE and
    LEDGER_MAX_DAYS_AHEAD): not before the ledger opened (midnight UTC of its opening date),
    and not more than ``max_days_ahead`` days after the moment it is recorded. A date outside
    them is a keying error that would move past or future balances (1970, 9999)."""

    opening: date
    max_days_ahead: int

    @classmethod
    def create(cls, *, opening: object, max_days_ahead: object) -> EffectiveDates:
        try:
            day = opening if isinstance(opening, date) else date.fromisoformat(str(opening))
        except ValueError:
            raise InvalidEntryError(
                f"the ledger's opening date {opening!r} is not a date (YYYY-MM-DD)",
                field="LEDGER_OPENING_DATE",
            ) from None
        try:
            days = int(str(max_days_ahead))
        except ValueError:
            days = -1
        if days < 0:
            raise InvalidEntryError(
                f"{max_days_ahead!r} is not a whole number of days", field="LEDGER_MAX_DAYS_AHEAD"
            )
        return cls(day, days)

    @property
    def earliest(self) -> datetime:
        return datetime.combine(self.opening, time(), tzinfo=UTC)

    def latest(self, now: datetime) -> datetime:
        return now + timedelta(days=self.max_days_ahead)

    def check(self, effective_at: datetime, *, now: datetime, field: str = "effective_at") -> None:
        if effective_at < self.earliest:
            raise EffectiveDateError(
                f"must not be before the ledger's opening date, "
                f"{self.opening.strftime('%-d %B %Y')}",
                field=field,
            )
        latest = self.latest(now)
        if effective_at > latest:
            raise EffectiveDateError(
                f"must be at most {self.max_days_ahead} days ahead, so no later than "
                f"{latest.astimezone(UTC).strftime('%-d %B %Y %H:%M')} UTC",
                field=field,
            )


@dataclass(frozen=True)
class Leg:
    account: str  # account code
    side: Side
    amount: Pence

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Leg:
        return cls(data["account"], Side(data["side"]), data["amount"])

    def as_dict(self) -> dict[str, Any]:
        return {"account": self.account, "side": self.side.value, "amount": self.amount}

    @property
    def signed(self) -> int:
        """Debits positive, credits negative: the sum over all legs of the ledger is zero."""
        return self.amount if self.side is Side.DEBIT else -self.amount


def account_id(code: str) -> UUID:
    return uuid5(NAMESPACE, f"account:{code}")


def entry_id(idempotency_key: str) -> UUID:
    return uuid5(NAMESPACE, f"entry:{idempotency_key}")


def reversal_id(original_id: UUID) -> UUID:
    # One reversal per entry: a second attempt derives the same id and conflicts.
    return uuid5(NAMESPACE, f"reversal:{original_id}")


def check_text(value: object, *, field: str, limit: int, required: bool = True) -> str:
    return clean_text(value, field=field, limit=limit, required=required, error=InvalidEntryError)


def check_code(value: object, *, field: str = "code") -> str:
    code = check_text(value, field=field, limit=64)
    if not all(ch.isalnum() or ch in "-_:./" for ch in code):
        raise InvalidEntryError("may contain only letters, digits and - _ : . /", field=field)
    return code


def parse_legs(raw: Iterable[Mapping[str, Any]]) -> tuple[Leg, ...]:
    legs = []
    for i, item in enumerate(raw):
        where = f"legs[{i}]"
        code = check_code(item.get("account"), field=f"{where}.account")
        try:
            side = Side(str(item.get("side")))
        except ValueError:
            raise InvalidEntryError("must be debit or credit", field=f"{where}.side") from None
        raw_amount = item.get("amount")
        try:
            # Whole pence from other code; text in pounds ("£1,234.50") from people.
            amount = (
                parse_pounds(raw_amount) if isinstance(raw_amount, str) else check_pence(raw_amount)
            )
        except MoneyError as exc:
            raise InvalidEntryError(str(exc), field=f"{where}.amount") from None
        legs.append(Leg(code, side, amount))
    return tuple(legs)


def check_balanced(legs: Sequence[Leg]) -> None:
    if len(legs) < 2:
        raise InvalidEntryError("an entry needs at least two legs", field="legs")
    debits = sum(leg.amount for leg in legs if leg.side is Side.DEBIT)
    credits = sum(leg.amount for leg in legs if leg.side is Side.CREDIT)
    if debits == 0 or credits == 0:
        raise InvalidEntryError("an entry needs at least one debit and one credit", field="legs")
    if debits != credits:
        raise InvalidEntryError(
            f"debits ({debits}p) do not equal credits ({credits}p)", field="legs"
        )


@dataclass(frozen=True)
class EntryDraft:
    """A validated request to post an entry: what a client asked for, before it is recorded."""

    idempotency_key: str
    kind: EntryKind
    legs: tuple[Leg, ...]
    effective_at: datetime
    actor: str
    reason: str
    budget: str = ""
    source_document: str = ""
    correlation_id: str = ""
    causation_id: str = ""
    # What the client asked for ("" when it let the ledger choose now): the body hash covers
    # this, so a retry a second later is still the same request.
    requested_effective_at: str = ""
    # Who allowed a no-overdraft account (a personal budget) to go below zero, and why.
    overdraft_authorisation: str = ""

    @classmethod
    def create(
        cls,
        *,
        idempotency_key: object,
        kind: object,
        legs: Iterable[Mapping[str, Any]],
        effective_at: datetime | None,
        actor: object,
        reason: object,
        budget: object = "",
        source_document: object = "",
        correlation_id: object = "",
        causation_id: object = "",
        overdraft_authorisation: object = "",
    ) -> EntryDraft:
        try:
            entry_kind = EntryKind(str(kind))
        except ValueError:
            raise InvalidEntryError(
                "must be one of " + ", ".join(k.value for k in EntryKind), field="kind"
            ) from None
        if entry_kind is EntryKind.REVERSAL:
            raise InvalidEntryError("use the reverse command to reverse an entry", field="kind")
        if isinstance(idempotency_key, str):
            for prefix in RESERVED_KEY_PREFIXES:
                if idempotency_key.strip().startswith(prefix):
                    # Reversals and posted holds take these keys; a client's would collide
                    # with them in the read model.
                    raise InvalidEntryError(
                        f"must not begin with '{prefix}'", field="idempotency_key"
                    )
        requested = effective_at.isoformat() if effective_at is not None else ""
        if effective_at is None:
            effective_at = datetime.now(UTC)
        elif effective_at.tzinfo is None:
            raise InvalidEntryError("must include a time zone", field="effective_at")
        parsed_legs = parse_legs(legs)
        check_balanced(parsed_legs)
        return cls(
            idempotency_key=check_text(
                idempotency_key, field="idempotency_key", limit=MAX_SHORT_TEXT
            ),
            kind=entry_kind,
            legs=parsed_legs,
            effective_at=effective_at,
            actor=check_text(actor, field="actor", limit=MAX_SHORT_TEXT),
            reason=check_text(reason, field="reason", limit=MAX_TEXT),
            budget=check_text(budget, field="budget", limit=64, required=False),
            source_document=check_text(
                source_document, field="source_document", limit=MAX_SHORT_TEXT, required=False
            ),
            correlation_id=check_text(
                correlation_id, field="correlation_id", limit=64, required=False
            ),
            causation_id=check_text(causation_id, field="causation_id", limit=64, required=False),
            requested_effective_at=requested,
            overdraft_authorisation=check_text(
                overdraft_authorisation,
                field="overdraft_authorisation",
                limit=MAX_TEXT,
                required=False,
            ),
        )

    @property
    def owner(self) -> Owner:
        return owner_of(self.kind, self.budget)

    def check_owned_by(self, by: Owner) -> None:
        """Only the context an entry belongs to posts it (finance's journal, its own kinds),
        under a key of its own: a key a context will derive from its events is not finance's
        to take first, or the context's own post would later meet a conflict."""
        check_owner(
            self.owner,
            by=by,
            kind=self.kind,
            budget=self.budget,
            field="budget" if self.kind in FINANCE_KINDS else "kind",
        )
        check_key_of(self.idempotency_key, by=by)

    @property
    def body_hash(self) -> str:
        """A digest of everything but the key: the same key with another body is a conflict."""
        body = {
            "kind": self.kind.value,
            "legs": [leg.as_dict() for leg in self.legs],
            "effective_at": self.requested_effective_at,
            "actor": self.actor,
            "reason": self.reason,
            "budget": self.budget,
            "source_document": self.source_document,
            "overdraft_authorisation": self.overdraft_authorisation,
        }
        return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()


def hold_id(idempotency_key: str) -> UUID:
    return uuid5(NAMESPACE, f"hold:{idempotency_key}")


def hold_entry_key(hold: UUID) -> str:
    """The key of the one entry that posts a hold: a second post derives the same entry."""
    return f"{HOLD_KEY_PREFIX}{hold}"


@dataclass(frozen=True)
class HoldDraft:
    """A validated request to hold an amount: legs like an entry's, pending until the hold is
    posted (as an entry of its ``kind``), voided, or expires at ``expires_at``."""

    idempotency_key: str
    kind: EntryKind
    legs: tuple[Leg, ...]
    effective_at: datetime  # from when the hold counts
    expires_at: datetime  # after which it can no longer be posted, and is released
    actor: str
    reason: str
    budget: str = ""
    source_document: str = ""
    correlation_id: str = ""
    causation_id: str = ""
    requested_effective_at: str = ""

    @classmethod
    def create(
        cls,
        *,
        idempotency_key: object,
        kind: object,
        legs: Iterable[Mapping[str, Any]],
        expires_at: object,
        actor: object,
        reason: object,
        effective_at: datetime | None = None,
        budget: object = "",
        source_document: object = "",
        correlation_id: object = "",
        causation_id: object = "",
    ) -> HoldDraft:
        # The same rules as an entry's: the entry a hold posts must be one the ledger takes.
        base = EntryDraft.create(
            idempotency_key=idempotency_key,
            kind=kind,
            legs=legs,
            effective_at=effective_at,
            actor=actor,
            reason=reason,
            budget=budget,
            source_document=source_document,
            correlation_id=correlation_id,
            causation_id=causation_id,
        )
        if not isinstance(expires_at, datetime):
            raise InvalidHoldError("must be a date and time", field="expires_at")
        if expires_at.tzinfo is None:
            raise InvalidHoldError("must include a time zone", field="expires_at")
        draft = cls(
            idempotency_key=base.idempotency_key,
            kind=base.kind,
            legs=base.legs,
            effective_at=base.effective_at,
            expires_at=expires_at,
            actor=base.actor,
            reason=base.reason,
            budget=base.budget,
            source_document=base.source_document,
            correlation_id=base.correlation_id,
            causation_id=base.causation_id,
            requested_effective_at=base.requested_effective_at,
        )
        draft.check_expires_after_it_starts()
        return draft

    @property
    def amount(self) -> Pence:
        return sum(leg.amount for leg in self.legs if leg.side is Side.DEBIT)

    def check_expires_after_it_starts(self) -> None:
        if self.expires_at <= self.effective_at:
            raise InvalidHoldError("must be after the hold takes effect", field="expires_at")

    def check_expiry(self, dates: EffectiveDates, *, now: datetime) -> None:
        """A hold expires in the future, and no further ahead than an entry may take effect."""
        if self.expires_at <= now:
            raise InvalidHoldError(
                "must be in the future: a hold that has expired holds nothing", field="expires_at"
            )
        dates.check(self.expires_at, now=now, field="expires_at")

    @property
    def owner(self) -> Owner:
        return owner_of(self.kind, self.budget)

    def check_owned_by(self, by: Owner) -> None:
        """Only the context whose entry the hold will post places it."""
        check_owner(
            self.owner,
            by=by,
            kind=self.kind,
            budget=self.budget,
            field="budget" if self.kind in FINANCE_KINDS else "kind",
        )

    @property
    def body_hash(self) -> str:
        body = {
            "kind": self.kind.value,
            "legs": [leg.as_dict() for leg in self.legs],
            "effective_at": self.requested_effective_at,
            "expires_at": self.expires_at.isoformat(),
            "actor": self.actor,
            "reason": self.reason,
            "budget": self.budget,
            "source_document": self.source_document,
        }
        return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()


class AccountRules:
    """The rules an account answers to, whatever holds its state: the ``Account`` aggregate
    (its events), or the command side's guard row (``AccountState``), which a post checks in
    the same transaction as it appends its entry. One set of rules, so the two never differ."""

    code: str
    type: AccountType
    owner_kind: str
    owner_id: str
    no_overdraft: bool
    keeps_balance: bool
    is_closed: bool
    balance: int
    pending_debits: int
    pending_credits: int

    def on_normal_side(self, value: int) -> int:
        return value if self.type.normal_side is Side.DEBIT else -value

    @property
    def held(self) -> int:
        """Pence that pending holds take from the account's normal side (never negative)."""
        return self.pending_debits if self.type.normal_side is Side.CREDIT else self.pending_credits

    @property
    def available(self) -> int:
        """The balance on the normal side less what is held: what can still be spent."""
        return self.on_normal_side(self.balance) - self.held

    def _holding(self) -> str:
        if not self.held:
            return f"holds {format_pence(self.on_normal_side(self.balance))}"
        return (
            f"holds {format_pence(self.on_normal_side(self.balance))}, of which"
            f" {format_pence(self.held)} is held, so {format_pence(self.available)} is available,"
        )

    def check_can_take(self, signed: int, *, authorisation: str, field: str) -> None:
        """Refuse a leg that would leave a no-overdraft account below zero, unless authorised.
        What pending holds reserve is not there to spend: the rule counts it."""
        after = self.on_normal_side(self.balance + signed) - self.held
        if self.no_overdraft and after < 0 and not authorisation:
            raise OverdraftError(
                f"account {self.code} {self._holding()} and this would leave it at"
                f" {format_pence(after)}: going below zero needs an overdraft authorisation",
                field=field,
            )

    def check_can_hold(self, leg: Leg, *, field: str) -> None:
        """Refuse a hold leg that would take a no-overdraft account's available balance below
        zero. A hold is a promise of money that is there: no authorisation lets it overdraw."""
        if not self.no_overdraft or leg.side is self.type.normal_side:
            return
        after = self.available - leg.amount
        if after < 0:
            raise OverdraftError(
                f"account {self.code} {self._holding()} and this hold would leave"
                f" {format_pence(after)} available: a hold cannot take it below zero",
                field=field,
            )

    def check_open(self, field: str) -> None:
        if self.is_closed:
            raise AccountClosedError(f"account {self.code} is closed", field=field)

    @property
    def owner(self) -> Owner:
        """Finance's, or the context's that opened it for what it owns (a person's budget)."""
        return CONTEXT_ACCOUNTS.get(self.owner_kind, Owner.FINANCE)

    def check_open_to(self, by: Owner, *, field: str) -> None:
        """Refuse finance's journal a leg on (or the closing of) a context's account: a budget's
        money moves only with the budget, so the two never disagree."""
        if by is not Owner.FINANCE or self.owner is Owner.FINANCE:
            return
        owner = self.owner
        raise OwnedByContextError(
            f"account {self.code} holds money of the budget {self.owner_id}, which only the"
            f" {owner.value} context moves, in step with its own records: {what_to_use(owner)}",
            owner=owner,
            budget=self.owner_id,
            field=field,
        )

    def check_opened_by(self, by: Owner) -> None:
        """Refuse finance's journal the opening of a context's account: the budgets context
        opens a person's budget accounts itself, with its own details, when it allocates."""
        if by is not Owner.FINANCE or self.owner is Owner.FINANCE:
            return
        raise OwnedByContextError(
            f"account {self.code} would hold money of the budget {self.owner_id}: the"
            f" {self.owner.value} context opens its own accounts, when it first moves money"
            " into them",
            owner=self.owner,
            budget=self.owner_id,
            field="owner_kind",
        )

    def check_empty(self) -> None:
        """An account is closed only when it holds nothing, so no money is left stranded."""
        if not self.keeps_balance:
            raise AccountNotEmptyError(
                f"account {self.code} was opened before accounts kept their balance, so the"
                " ledger cannot show it is empty: it cannot be closed",
                field="code",
            )
        if self.balance != 0:
            raise AccountNotEmptyError(
                f"account {self.code} still holds {format_pence(self.on_normal_side(self.balance))}"
                ": move the balance before closing it",
                field="code",
            )
        if self.pending_debits or self.pending_credits:
            raise AccountNotEmptyError(
                f"account {self.code} has pending holds"
                f" ({format_pence(self.pending_debits)} of debits,"
                f" {format_pence(self.pending_credits)} of credits): post or void them before"
                " closing it",
                field="code",
            )


class Account(AccountRules, Aggregate):
    """A ledger account, identified by its code. Closed accounts take no new legs.

    Its events are its opening and closure; its balance and holds are kept on its guard row
    (``AccountState``, ledger/guard.py) by the commands that move them, and served from there
    when it is loaded. Accounts from before the guard table kept them by ``LegTaken``,
    ``HoldTaken`` and ``HoldReleased`` events, which still replay.

    Beside its balance it keeps what pending holds reserve on it (``pending_debits``,
    ``pending_credits``): ``held`` is what they take from its normal side, and ``available``
    (the normal balance less ``held``) is what the no-overdraft rule and people see as left.
    What a hold would bring in counts only once it is posted."""

    # 2: accounts keep their holds (pending_debits, pending_credits); older snapshots had none.
    class_version = 2

    @staticmethod
    def upcast_v1_v2(state: dict[str, Any]) -> None:
        state["pending_debits"] = 0
        state["pending_credits"] = 0

    @event("Opened")
    def __init__(
        self,
        code: str,
        name: str,
        type: str,  # noqa: A002 - the accounting term
        owner_kind: str,
        owner_id: str,
        actor: str,
        no_overdraft: bool = False,
        keeps_balance: bool = False,
    ) -> None:
        self.code = code
        self.name = name
        self.type = AccountType(type)
        self.owner_kind = owner_kind
        self.owner_id = owner_id
        self.opened_by = actor
        self.no_overdraft = no_overdraft
        self.is_closed = False
        self.closed_reason = ""
        # Debits minus credits of every leg so far. Accounts opened before every account kept
        # its balance (``keeps_balance`` false) kept it only when they were no-overdraft.
        self.balance = 0
        self.keeps_balance = keeps_balance or no_overdraft
        # What pending holds reserve: pence of their debit legs and of their credit legs.
        self.pending_debits = 0
        self.pending_credits = 0

    @classmethod
    def open(
        cls,
        *,
        code: object,
        name: object,
        type: object,  # noqa: A002
        owner_kind: object = "",
        owner_id: object = "",
        actor: object,
        no_overdraft: bool = False,
    ) -> Account:
        valid_code = check_code(code)
        try:
            account_type = AccountType(str(type))
        except ValueError:
            raise InvalidEntryError(
                "must be one of " + ", ".join(t.value for t in AccountType), field="type"
            ) from None
        return cls(
            valid_code,
            check_text(name, field="name", limit=MAX_SHORT_TEXT),
            account_type.value,
            check_text(owner_kind, field="owner_kind", limit=32, required=False),
            check_text(owner_id, field="owner_id", limit=64, required=False),
            check_text(actor, field="actor", limit=MAX_SHORT_TEXT),
            bool(no_overdraft),
            True,
        )

    @staticmethod
    def create_id(code: str) -> UUID:  # type: ignore[override]
        return account_id(code)

    def same_as(self, other: Account) -> bool:
        def details(a: Account) -> tuple[object, ...]:
            return (a.code, a.name, a.type, a.owner_kind, a.owner_id, a.no_overdraft)

        return details(self) == details(other)

    def take_leg(self, *, entry: UUID, signed: int, authorisation: str) -> None:
        self._leg_taken(entry=entry, signed=signed, authorisation=authorisation)

    @event("LegTaken")
    def _leg_taken(self, entry: UUID, signed: int, authorisation: str) -> None:
        self.balance += signed

    def take_hold(self, *, hold: UUID, leg: Leg) -> None:
        self._hold_taken(hold=hold, side=leg.side.value, amount=leg.amount)

    @event("HoldTaken")
    def _hold_taken(self, hold: UUID, side: str, amount: int) -> None:
        if side == Side.DEBIT:
            self.pending_debits += amount
        else:
            self.pending_credits += amount

    def release_hold(self, *, hold: UUID, leg: Leg) -> None:
        """Give back what a hold reserved (it was posted, voided or expired)."""
        self._hold_released(hold=hold, side=leg.side.value, amount=leg.amount)

    @event("HoldReleased")
    def _hold_released(self, hold: UUID, side: str, amount: int) -> None:
        if side == Side.DEBIT:
            self.pending_debits -= amount
        else:
            self.pending_credits -= amount

    def close(self, *, actor: str, reason: str, by: Owner | None = None) -> None:
        self.check_open(field="code")
        if by is not None:
            self.check_open_to(by, field="code")
        self.check_empty()
        self._closed(
            actor=check_text(actor, field="actor", limit=MAX_SHORT_TEXT),
            reason=check_text(reason, field="reason", limit=MAX_TEXT),
        )

    @event("Closed")
    def _closed(self, actor: str, reason: str) -> None:
        self.is_closed = True
        self.closed_reason = reason


@dataclass
class AccountState(AccountRules):
    """An account as the command side's guard table keeps it (ledger/guard.py): what the rules
    need to decide a leg (open or closed, no-overdraft, balance, what holds reserve), kept in
    the same transaction as the events that move it, so a post checks its accounts and appends
    its entry without loading an ``Account`` aggregate. The events remain the record: the read
    models come from them, and ``verify_balances`` checks every guard row against a replay."""

    code: str
    type: AccountType
    owner_kind: str = ""
    owner_id: str = ""
    no_overdraft: bool = False
    keeps_balance: bool = True
    is_closed: bool = False
    balance: int = 0
    pending_debits: int = 0
    pending_credits: int = 0

    @classmethod
    def of(cls, account: Account) -> AccountState:
        """The guard row of an account as its events leave it (a new account, or one from
        before the guard table, whose balance its own events kept)."""
        return cls(
            code=account.code,
            type=account.type,
            owner_kind=account.owner_kind,
            owner_id=account.owner_id,
            no_overdraft=account.no_overdraft,
            keeps_balance=account.keeps_balance,
            is_closed=account.is_closed,
            balance=account.balance,
            pending_debits=account.pending_debits,
            pending_credits=account.pending_credits,
        )

    def take(self, signed: int) -> None:
        self.balance += signed

    def reserve(self, leg: Leg) -> None:
        if leg.side is Side.DEBIT:
            self.pending_debits += leg.amount
        else:
            self.pending_credits += leg.amount

    def release(self, leg: Leg) -> None:
        if leg.side is Side.DEBIT:
            self.pending_debits -= leg.amount
        else:
            self.pending_credits -= leg.amount


def check_accounts_open(
    drafts: Iterable[EntryDraft | HoldDraft],
    accounts: Mapping[str, AccountRules],
    *,
    by: Owner | None = None,
) -> None:
    """Refuse a leg naming an account never opened, or closed, and for finance's journal
    (``by``) a context's own: each refusal names the leg (``legs[i].account``)."""
    for draft in drafts:
        for i, leg in enumerate(draft.legs):
            field = f"legs[{i}].account"
            account = accounts.get(leg.account)
            if account is None:
                raise UnknownAccountError(f"account {leg.account} does not exist", field=field)
            account.check_open(field=field)
            if by is not None:
                account.check_open_to(by, field=field)


def take_entries(
    drafts: Sequence[EntryDraft],
    accounts: Mapping[str, AccountState],
    *,
    by: Owner | None = None,
) -> None:
    """Move the accounts by every leg of ``drafts``, in order, refusing (before anything is
    recorded) a leg on an unknown or closed account, or one that would overdraw a
    no-overdraft account without an authorisation (``legs[i].amount``)."""
    check_accounts_open(drafts, accounts, by=by)
    for draft in drafts:
        for i, leg in enumerate(draft.legs):
            account = accounts[leg.account]
            account.check_can_take(
                leg.signed, authorisation=draft.overdraft_authorisation, field=f"legs[{i}].amount"
            )
            account.take(leg.signed)


@dataclass(frozen=True)
class AccountMove:
    """What a set of entries does to one account, in the terms the guard's one-statement check
    needs (ledger/guard.py, ``PostgresGuard.post``): the net change to its balance, and the
    lowest its balance falls below the start after any of its legs, seen from each normal
    side. ``take_entries`` checks every leg as it goes; an account passes it exactly when the
    lowest point on its normal side, less what is held, is not below zero."""

    code: str
    delta: int
    lowest_debit: int  # the lowest running sum of signed legs (a debit-normal account's view)
    lowest_credit: int  # the same for a credit-normal account (credits positive)

    def passes(self, account: AccountRules) -> bool:
        """``take_entries``'s verdict on this account, for drafts with no authorisation."""
        if account.is_closed:
            return False
        if not account.no_overdraft:
            return True
        lowest = self.lowest_debit if account.type.normal_side is Side.DEBIT else self.lowest_credit
        return account.on_normal_side(account.balance) + lowest - account.held >= 0


def account_moves(drafts: Iterable[EntryDraft]) -> list[AccountMove] | None:
    """Each account's move by ``drafts``, in the order of their codes (the order in which
    writers lock them); ``None`` when a draft carries an overdraft authorisation, which only
    ``take_entries`` weighs."""
    running: dict[str, tuple[int, int, int]] = {}  # code: sum, lowest of each side's view
    for draft in drafts:
        if draft.overdraft_authorisation:
            return None
        for leg in draft.legs:
            total, lowest_debit, lowest_credit = running.get(
                leg.account, (0, leg.signed, -leg.signed)
            )
            total += leg.signed
            running[leg.account] = (total, min(lowest_debit, total), min(lowest_credit, -total))
    return [
        AccountMove(code, delta, lowest_debit, lowest_credit)
        for code, (delta, lowest_debit, lowest_credit) in sorted(running.items())
    ]


def take_hold(
    draft: HoldDraft, accounts: Mapping[str, AccountState], *, by: Owner | None = None
) -> None:
    """Reserve every leg of a hold on its account, refusing one that would take a
    no-overdraft account's available balance below zero."""
    check_accounts_open([draft], accounts, by=by)
    for i, leg in enumerate(draft.legs):
        account = accounts[leg.account]
        account.check_can_hold(leg, field=f"legs[{i}].amount")
        account.reserve(leg)


def release_hold(legs: Iterable[Leg], accounts: Mapping[str, AccountState]) -> None:
    """Give back what a hold reserved (it was posted, voided or expired)."""
    for leg in legs:
        accounts[leg.account].release(leg)


def post_held(
    draft: EntryDraft,
    held: Iterable[Leg],
    accounts: Mapping[str, AccountState],
    *,
    by: Owner | None = None,
) -> None:
    """Release a hold and move its accounts by the entry that posts it. Not checked against
    the no-overdraft rule again: what is posted was held, so it leaves no less available than
    the hold did."""
    check_accounts_open([draft], accounts, by=by)
    release_hold(held, accounts)
    for leg in draft.legs:
        accounts[leg.account].take(leg.signed)


def close_guarded(account: AccountState) -> None:
    """The closure's rules again, on the guard row under its lock: a post landing between the
    aggregate's check and the closure is seen."""
    account.check_open(field="code")
    account.check_empty()
    account.is_closed = True


class JournalEntry(Aggregate):
    """A balanced, immutable journal entry. It can be reversed once, by a new entry."""

    @event("Posted")
    def __init__(
        self,
        idempotency_key: str,
        body_hash: str,
        kind: str,
        legs: list[dict[str, Any]],
        effective_at: datetime,
        actor: str,
        reason: str,
        budget: str,
        source_document: str,
        correlation_id: str,
        causation_id: str,
        reverses: UUID | None,
        overdraft_authorisation: str = "",
        hold: UUID | None = None,  # the hold this entry posts (none before holds existed)
    ) -> None:
        self.idempotency_key = idempotency_key
        self.body_hash = body_hash
        self.kind = EntryKind(kind)
        self.legs = [Leg.from_dict(leg) for leg in legs]
        self.effective_at = effective_at
        self.actor = actor
        self.reason = reason
        self.budget = budget
        self.source_document = source_document
        self.correlation_id = correlation_id
        self.causation_id = causation_id
        self.reverses = reverses
        self.overdraft_authorisation = overdraft_authorisation
        self.hold = hold
        self.reversed_by: UUID | None = None

    @classmethod
    def post(
        cls, draft: EntryDraft, *, reverses: UUID | None = None, hold: UUID | None = None
    ) -> JournalEntry:
        return cls(
            draft.idempotency_key,
            draft.body_hash,
            draft.kind.value,
            [leg.as_dict() for leg in draft.legs],
            draft.effective_at,
            draft.actor,
            draft.reason,
            draft.budget,
            draft.source_document,
            draft.correlation_id,
            draft.causation_id,
            reverses,
            draft.overdraft_authorisation,
            hold,
        )

    @staticmethod
    def create_id(idempotency_key: str, reverses: UUID | None) -> UUID:  # type: ignore[override]
        return reversal_id(reverses) if reverses else entry_id(idempotency_key)

    @property
    def owner(self) -> Owner:
        return owner_of(self.kind, self.budget)

    def check_not_reversed(self) -> None:
        if self.reversed_by is not None:
            raise AlreadyReversedError(
                f"entry {self.id} was already reversed by entry {self.reversed_by}",
                field="entry_id",
            )

    def reversing_draft(
        self,
        *,
        actor: object,
        reason: object,
        effective_at: datetime,
        overdraft_authorisation: object = "",
        by: Owner | None = None,
    ) -> EntryDraft:
        """The entry that undoes this one: the same legs with debit and credit swapped.

        ``by`` is who asks: finance's journal may reverse only its own entries; a context
        reversing its own passes nothing (or itself)."""
        self.check_not_reversed()
        if self.kind is EntryKind.REVERSAL:
            raise InvalidEntryError("a reversal cannot itself be reversed", field="entry_id")
        if by is not None:
            check_owner(self.owner, by=by, kind=self.kind, budget=self.budget, field="entry_id")
        swapped = [
            {
                "account": leg.account,
                "side": Side.CREDIT if leg.side is Side.DEBIT else Side.DEBIT,
                "amount": leg.amount,
            }
            for leg in self.legs
        ]
        draft = EntryDraft.create(
            idempotency_key=f"reversal-of-{self.id}",
            kind=EntryKind.ADJUSTMENT,  # replaced below: create() refuses REVERSAL from clients
            legs=swapped,
            effective_at=effective_at,
            actor=actor,
            reason=reason,
            budget=self.budget,
            source_document=self.source_document,
            correlation_id=self.correlation_id,
            causation_id=str(self.id),
            overdraft_authorisation=overdraft_authorisation,
        )
        return EntryDraft(
            **{
                **draft.__dict__,
                "kind": EntryKind.REVERSAL,
                "idempotency_key": f"{RESERVED_KEY_PREFIX}{self.id}",
            }
        )

    def mark_reversed(self, *, reversal: UUID, actor: str, reason: str) -> None:
        self.check_not_reversed()
        self._reversed(reversal=reversal, actor=actor, reason=reason)

    @event("Reversed")
    def _reversed(self, reversal: UUID, actor: str, reason: str) -> None:
        self.reversed_by = reversal


class HoldStatus(StrEnum):
    PENDING = "pending"
    POSTED = "posted"
    VOIDED = "voided"
    EXPIRED = "expired"


class Hold(Aggregate):
    """A pending transfer: its legs are reserved on their accounts until it is posted (all or
    part, as one journal entry; the rest released), voided, or expires. Each happens once:
    the hold leaves ``pending`` exactly once, and a second attempt finds what the first did."""

    @event("Placed")
    def __init__(
        self,
        idempotency_key: str,
        body_hash: str,
        kind: str,
        legs: list[dict[str, Any]],
        effective_at: datetime,
        expires_at: datetime,
        actor: str,
        reason: str,
        budget: str,
        source_document: str,
        correlation_id: str,
        causation_id: str,
    ) -> None:
        self.idempotency_key = idempotency_key
        self.body_hash = body_hash
        self.kind = EntryKind(kind)
        self.legs = [Leg.from_dict(leg) for leg in legs]
        self.effective_at = effective_at
        self.expires_at = expires_at
        self.actor = actor
        self.reason = reason
        self.budget = budget
        self.source_document = source_document
        self.correlation_id = correlation_id
        self.causation_id = causation_id
        self.status = HoldStatus.PENDING
        self.entry: UUID | None = None  # the entry that posted it
        self.posted_amount = 0
        self.released_at: datetime | None = None  # from when it holds nothing

    @classmethod
    def place(cls, draft: HoldDraft) -> Hold:
        return cls(
            draft.idempotency_key,
            draft.body_hash,
            draft.kind.value,
            [leg.as_dict() for leg in draft.legs],
            draft.effective_at,
            draft.expires_at,
            draft.actor,
            draft.reason,
            draft.budget,
            draft.source_document,
            draft.correlation_id,
            draft.causation_id,
        )

    @staticmethod
    def create_id(idempotency_key: str) -> UUID:  # type: ignore[override]
        return hold_id(idempotency_key)

    @property
    def amount(self) -> Pence:
        return sum(leg.amount for leg in self.legs if leg.side is Side.DEBIT)

    @property
    def owner(self) -> Owner:
        return owner_of(self.kind, self.budget)

    def check_owned_by(self, by: Owner) -> None:
        """Only the context that placed a hold posts or voids it."""
        check_owner(self.owner, by=by, kind=self.kind, budget=self.budget, field="hold_id")

    def check_pending(self) -> None:
        """A hold is posted, voided or expired once: after that there is nothing held."""
        if self.status is HoldStatus.POSTED:
            raise HoldAlreadyPostedError(
                f"hold {self.id} was already posted: {format_pence(self.posted_amount)} by entry"
                f" {self.entry}",
                field="hold_id",
            )
        if self.status is HoldStatus.VOIDED:
            raise HoldAlreadyVoidedError(
                f"hold {self.id} was voided: nothing is held any more", field="hold_id"
            )
        if self.status is HoldStatus.EXPIRED:
            raise HoldExpiredError(
                f"hold {self.id} expired at {_utc(self.expires_at)} and was released",
                field="hold_id",
            )

    def check_not_expired(self, now: datetime) -> None:
        """Past its expiry a hold cannot be posted, even before the expiry job releases it."""
        if now >= self.expires_at:
            raise HoldExpiredError(
                f"hold {self.id} expired at {_utc(self.expires_at)}: it can no longer be posted",
                field="hold_id",
            )

    def check_expired(self, now: datetime) -> None:
        if now < self.expires_at:
            raise HoldNotExpiredError(
                f"hold {self.id} expires at {_utc(self.expires_at)}, not yet", field="hold_id"
            )

    def check_part(self, amount: object | None) -> Pence:
        """The amount to post: the whole hold (``None``), or a part of it. Part of a hold posts
        only when it moves one account to another: how to split several legs is not the
        ledger's to guess."""
        if amount is None:
            return self.amount
        try:
            part = parse_pounds(amount) if isinstance(amount, str) else check_pence(amount)
        except MoneyError as exc:
            raise InvalidHoldError(str(exc), field="amount") from None
        if part > self.amount:
            raise InvalidHoldError(
                f"must be at most the {format_pence(self.amount)} held", field="amount"
            )
        if part != self.amount and len(self.legs) != 2:
            raise InvalidHoldError(
                "part of a hold can be posted only when it moves one account to another",
                field="amount",
            )
        return part

    def check_release_at(self, at: datetime, *, field: str = "effective_at") -> None:
        if at.tzinfo is None:
            raise InvalidHoldError("must include a time zone", field=field)
        if at < self.effective_at:
            raise InvalidHoldError(
                f"must not be before the hold took effect, {_utc(self.effective_at)}", field=field
            )

    def release_at(self, now: datetime) -> datetime:
        """When a post or a void takes effect when none is asked for: now, or the hold's own
        start if it was placed ahead."""
        return max(now, self.effective_at)

    def posted_as(self, amount: object | None) -> bool:
        """Whether the hold was already posted as asked: a retry of that post finds it. Posted
        otherwise, or voided or expired, is refused by ``check_pending``."""
        if self.status is not HoldStatus.POSTED:
            return False
        try:
            return self.check_part(amount) == self.posted_amount
        except InvalidHoldError:
            return False

    def posting_draft(
        self, *, amount: Pence, effective_at: datetime, actor: object, reason: object = ""
    ) -> EntryDraft:
        """The entry that posts ``amount`` of the hold: its legs (scaled to the part), kind,
        budget and source document, under the hold's own reserved key."""
        legs = [
            {"account": leg.account, "side": leg.side, "amount": amount}
            if amount != self.amount
            else leg.as_dict()
            for leg in self.legs
        ]
        draft = EntryDraft.create(
            idempotency_key=f"posting-of-{self.id}",
            kind=self.kind,
            legs=legs,
            effective_at=effective_at,
            actor=actor,
            reason=reason or self.reason,
            budget=self.budget,
            source_document=self.source_document,
            correlation_id=self.correlation_id,
            causation_id=str(self.id),
        )
        return EntryDraft(**{**draft.__dict__, "idempotency_key": hold_entry_key(self.id)})

    def post(
        self, *, entry: UUID, amount: Pence, actor: str, reason: str, effective_at: datetime
    ) -> None:
        self.check_pending()
        self._posted(
            entry=entry,
            amount=amount,
            released=self.amount - amount,
            actor=actor,
            reason=reason,
            effective_at=effective_at,
        )

    @event("Posted")
    def _posted(
        self,
        entry: UUID,
        amount: int,
        released: int,
        actor: str,
        reason: str,
        effective_at: datetime,
    ) -> None:
        self.status = HoldStatus.POSTED
        self.entry = entry
        self.posted_amount = amount
        self.released_at = effective_at

    def void(self, *, actor: str, reason: str, effective_at: datetime) -> None:
        self.check_pending()
        self.check_release_at(effective_at)
        self._voided(
            actor=check_text(actor, field="actor", limit=MAX_SHORT_TEXT),
            reason=check_text(reason, field="reason", limit=MAX_TEXT),
            effective_at=effective_at,
        )

    @event("Voided")
    def _voided(self, actor: str, reason: str, effective_at: datetime) -> None:
        self.status = HoldStatus.VOIDED
        self.released_at = effective_at

    def expire(self, *, actor: str, now: datetime) -> None:
        """Release a hold whose expiry has passed. It holds nothing from its expiry on."""
        self.check_pending()
        self.check_expired(now)
        self._expired(actor=actor, effective_at=self.expires_at)

    @event("Expired")
    def _expired(self, actor: str, effective_at: datetime) -> None:
        self.status = HoldStatus.EXPIRED
        self.released_at = effective_at


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%-d %B %Y %H:%M") + " UTC"


BOOKS_ID = uuid5(NAMESPACE, "books")
COUNCIL_TIME = ZoneInfo("Europe/London")


class Books(Aggregate):
    """Accounts whose books are closed through a day (a reconciled month, frozen): an entry
    dated on or before that day that moves one of them is refused, so a correction goes in a
    later period. One aggregate for the ledger, as closes are few and every post reads it."""

    @event("Opened")
    def __init__(self) -> None:
        self.closed_through: dict[str, date] = {}

    @staticmethod
    def create_id() -> UUID:  # type: ignore[override]
        return BOOKS_ID

    def close(self, *, code: str, through: date, actor: str, reason: str) -> bool:
        """Close ``code``'s books through ``through``; False if they were already."""
        if self.closed_through.get(code, date.min) >= through:
            return False
        self._closed(code, through, actor, clean_text(reason, field="reason", limit=500))
        return True

    @event("Closed")
    def _closed(self, code: str, through: date, actor: str, reason: str) -> None:
        self.closed_through = {**self.closed_through, code: through}

    def check(self, legs: Iterable[Leg], effective_at: datetime) -> None:
        # The council's day, as its bank dates a statement and a payment its pay date (a pay
        # date's entry is its London midnight: 23:00 UTC the day before, in summer).
        day = effective_at.astimezone(COUNCIL_TIME).date()
        for leg in legs:
            through = self.closed_through.get(leg.account)
            if through is not None and day <= through:
                raise BooksClosedError(
                    f"the books of {leg.account} are closed through"
                    f" {through:%-d %B %Y}: date it after, in a period still open",
                    field="effective_at",
                )
