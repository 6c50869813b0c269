"""The ledger's use cases: open and close accounts, post and reverse entries, and hold
amounts (two-phase: hold, then post, void or expire, exactly once).

Each command loads what it needs, lets the aggregates check their rules, and saves
once, so a refused command records nothing. The accounts a command moves are checked and moved
on their guard rows (ledger/guard.py) inside the transaction that appends its events, by the
domain's own rules (ledger/domain.py: ``take_entries``, ``take_hold``, ``post_held``): a post
loads no account. Commands return the notification
position of what they recorded, so a reader can wait for its own write.

The door is ``LedgerApplication.journal(actor)``: the ledger's policy (ledger/policies.py,
``journal_owner``) decides whose entries the actor's journal moves. A finance officer's (the
ledger API's) acts as ``Owner.FINANCE``, and the domain then refuses it any entry or account
that belongs to a context (ledger/domain.py: ``check_owner``, ``Account.check_open_to``,
``Account.check_opened_by``); an auditor's, or anyone else's, is refused. A context posts
its own entries through ``journal(actor, context=Owner.BUDGETS)``, from its own application.

The commands below the journal take the recorded actor's name and ``by`` (the owner the
journal acts as; ``None``: unchecked). They are the journal's machinery, and the path the
tests and benchmarks use to set up a ledger directly; no adapter calls them.
"""

from __future__ import annotations

import itertools
import random
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import partial
from typing import Any, ClassVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, project_aggregate
from eventsourcing.persistence import IntegrityError, Tracking
from eventsourcing.utils import get_topic

from config.actor import Actor
from config.transcodings import ContextApplication
from core.process import Downstream
from ledger import domain, policies
from ledger.domain import (
    BOOKS_ID,
    Account,
    AccountClosedError,
    AccountState,
    AlreadyReversedError,
    Books,
    ConflictError,
    EffectiveDateError,
    EffectiveDates,
    EntryDraft,
    Hold,
    HoldDraft,
    HoldNotExpiredError,
    HoldNotPendingError,
    HoldStatus,
    InvalidHoldError,
    JournalEntry,
    NotFoundError,
    OverdraftError,
    Owner,
    UnknownAccountError,
    account_id,
    account_moves,
    check_accounts_open,
    check_code,
    close_guarded,
    entry_id,
    hold_id,
    post_held,
    release_hold,
    take_entries,
    take_hold,
)
from ledger.guard import GuardStore, MissingGuardError, Step, during, guarded

# What a ledger no account of which has closed books checks against (never saved).
NO_BOOKS_CLOSED = Books()


@dataclass(frozen=True)
class Recorded:
    """What a command did: the aggregate, whether it is new, and where it sits in the log."""

    id: UUID
    created: bool
    position: int | None


# A command that finds an aggregate moved under it tries again: at least this many times, and
# for at least this many seconds (two posts of one hold, a reversal racing another). Posts
# racing on one busy account (the council's care fund) no longer clash: they queue on its guard
# row (ledger/guard.py) inside their transactions.
CONFLICT_RETRIES = 20
CONFLICT_PATIENCE = 10.0


def attempts() -> Iterator[int]:
    """The attempt numbers of a command that may clash with other writers."""
    deadline = time.monotonic() + CONFLICT_PATIENCE
    for attempt in itertools.count():
        if attempt >= CONFLICT_RETRIES and time.monotonic() > deadline:
            return
        yield attempt


def back_off(attempt: int) -> None:
    """A short random wait before trying again, so writers clashing on one busy account
    spread out instead of clashing again in step."""
    time.sleep(random.uniform(0, 0.001 * 2 ** min(attempt, 5)))  # at most 32 ms


class LedgerApplication(Downstream, ContextApplication):
    name = "Ledger"
    domain_modules = (domain,)
    # Accounts are read by closures and queries: a cache (fast-forwarded from the store on
    # each get, so a closure elsewhere is still seen) spares rebuilding them each time.
    env: ClassVar[dict[str, str]] = {
        "AGGREGATE_CACHE_MAXSIZE": "10000",
        # The council's bounds on effective dates, as config/settings.py defaults them (the
        # environment, then the env the application is given, override these).
        "LEDGER_OPENING_DATE": "2026-04-01",
        "LEDGER_MAX_DAYS_AHEAD": "90",
    }
    # Accounts took an event per leg before the guard table; snapshots keep those quick to load.
    snapshotting_intervals: ClassVar[dict[type[Any], int]] = {Account: 100}

    guard: GuardStore

    def __init__(self, env: Any = None) -> None:
        super().__init__(env)
        self.effective_dates = EffectiveDates.create(
            opening=self.env.get("LEDGER_OPENING_DATE"),
            max_days_ahead=self.env.get("LEDGER_MAX_DAYS_AHEAD"),
        )
        if self.guard.is_empty() and self.recorder.max_notification_id():
            self.seed_guard()

    def construct_recorder(self) -> Any:
        """The process recorder, with the command side's guard table beside its events."""
        recorder = super().construct_recorder()
        self.guard = guarded(recorder)
        return recorder

    # ------------------------------------------------------------------ the door
    def journal(self, actor: Actor, *, context: Owner | None = None) -> Journal:
        """The actor's journal: whose entries it moves is the ledger's policy
        (policies.journal_owner), which refuses an auditor or anyone but finance, unless a
        context names itself to post its own."""
        return Journal(self, actor, policies.journal_owner(actor, context=context))

    # ------------------------------------------------------------------ accounts
    def open_account(
        self,
        *,
        code: str,
        name: str,
        type: str,  # noqa: A002
        actor: str,
        owner_kind: str = "",
        owner_id: str = "",
        no_overdraft: bool = False,
        by: Owner | None = None,
    ) -> Recorded:
        account = Account.open(
            code=code,
            name=name,
            type=type,
            owner_kind=owner_kind,
            owner_id=owner_id,
            actor=actor,
            no_overdraft=no_overdraft,
        )
        if by is not None:
            account.check_opened_by(by)
        state = AccountState.of(account)
        try:
            with during(lambda tx: self.guard.insert(tx, state)):
                return self._recorded(account.id, self.save(account))
        except IntegrityError:
            existing = self.get_account(account.code)
            if not existing.same_as(account):
                raise ConflictError(
                    f"account {account.code} is already open with other details", field="code"
                ) from None
            return Recorded(existing.id, created=False, position=None)

    def open_accounts(
        self, specs: Sequence[dict[str, Any]], *, actor: str, by: Owner | None = None
    ) -> int:
        """Open many accounts in one transaction (a payment run's first payments open a payable
        for each person); each spec as ``open_account``'s keywords. If any was open already,
        each is opened on its own instead (finding the same, refusing other details)."""
        accounts = [Account.open(actor=actor, **spec) for spec in specs]
        if by is not None:
            for account in accounts:
                account.check_opened_by(by)
        states = [AccountState.of(a) for a in accounts]

        def step(tx: Any) -> None:
            for state in states:
                self.guard.insert(tx, state)

        try:
            with during(step):
                self.save(*accounts)
            return len(accounts)
        except IntegrityError:
            for spec in specs:
                self.open_account(actor=actor, by=by, **spec)
            return len(accounts)

    def close_account(
        self, *, code: str, actor: str, reason: str, by: Owner | None = None
    ) -> Recorded:
        """Close an account that holds nothing. The closure checks the account's guard row again
        under its lock, in the transaction that records it, so a post racing the closure either
        lands first (and the closure is refused) or finds the account closed."""
        for attempt in attempts():
            account = self.get_account(code)
            account.close(actor=actor, reason=reason, by=by)

            def step(tx: Any, code: str = account.code) -> None:
                rows = self.guard.locked(tx, [code], field="code")
                close_guarded(rows[code])
                self.guard.write(tx, rows.values())

            try:
                with during(step):
                    return self._recorded(account.id, self.save(account))
            except MissingGuardError as missing:
                self._seed(missing.codes)
            except IntegrityError:
                back_off(attempt)
        raise ConflictError("the account kept changing: try again", field="code")

    def books(self) -> Books:
        """Which accounts' books are closed, and through when (read from the store on every
        post, so another process's close counts at once)."""
        return self._books_or_none() or NO_BOOKS_CLOSED

    def _books_or_none(self) -> Books | None:
        # Its few events, in one query (a repository get would look for a snapshot first).
        events = list(self.repository.event_store.get(BOOKS_ID))
        return project_aggregate(None, events) if events else None  # type: ignore[arg-type]

    def close_books(self, *, code: str, through: date, actor: str, reason: str) -> bool:
        """Close ``code``'s books through ``through`` (a reconciled month): later entries dated
        in it are refused. A post that passed its check a moment before may still land; the
        closing report is worked out first, so a difference would show in the next period."""
        self.get_account(code)
        for attempt in attempts():
            books = self._books_or_none() or Books()
            if not books.close(code=code, through=through, actor=actor, reason=reason):
                return False
            try:
                self.save(books)
                return True
            except IntegrityError:  # another close a moment ago: read again
                back_off(attempt)
        raise ConflictError("the books kept changing: try again", field="code")

    def get_account(self, code: str, *, field: str = "code") -> Account:
        try:
            account: Any = self.repository.get(account_id(check_code(code, field=field)))
        except AggregateNotFoundError:
            raise UnknownAccountError(f"account {code} does not exist", field=field) from None
        assert isinstance(account, Account)
        # Its balance and holds as the guard row keeps them: since the guard table, accounts
        # record no event per leg (the entries and holds are the record; verify_balances
        # checks the rows against them). An account with no row yet shows its own events'.
        state = self.guard.read([account.code]).get(account.code)
        if state is not None:
            account.balance = state.balance
            account.pending_debits = state.pending_debits
            account.pending_credits = state.pending_credits
            account.keeps_balance = state.keeps_balance
        return account

    def missing_accounts(self, codes: Iterable[str]) -> list[str]:
        """Which of ``codes`` name no account (a context opens those before it posts to them),
        from the guard table, in one read."""
        wanted = sorted(set(codes))
        found = self.guard.read(wanted)
        return [code for code in wanted if code not in found]

    # ------------------------------------------------------------------ entries
    def post_entry(self, draft: EntryDraft, *, by: Owner | None = None) -> Recorded:
        return self.post_entries([draft], by=by)[0]

    def post_entries(
        self,
        drafts: Sequence[EntryDraft],
        *,
        tracking: Tracking | None = None,
        by: Owner | None = None,
    ) -> list[Recorded]:
        """Post entries in one transaction (a payment run posts thousands): all or none.

        An entry whose key was already recorded with the same body is returned as it was.
        Every account a leg names is checked and moved on its guard row in the transaction
        that appends the entries (one check for the whole batch), so two writers racing for
        the last pounds of a budget cannot both succeed, and a closure cannot slip between:
        the second waits for the first's row and decides on what it left.
        A process manager gives its ``tracking`` position, recorded in the same transaction.
        ``by`` is finance's journal when the generic API posts (see the module's docstring).
        """
        keys = [d.idempotency_key for d in drafts]
        if len(set(keys)) != len(keys):
            raise ConflictError("the batch repeats an idempotency key", field="idempotency_key")
        if by is not None:
            for draft in drafts:
                draft.check_owned_by(by)
        pending, done = list(drafts), dict[UUID, Recorded]()
        for attempt in attempts():
            try:
                now, books = datetime.now(UTC), self.books()
                for draft in pending:
                    self.effective_dates.check(draft.effective_at, now=now)
                    books.check(draft.legs, draft.effective_at)
                entries = [JournalEntry.post(d) for d in pending]
                step = self._step(pending, by, partial(take_entries, pending, by=by))
                # The one-statement check knows no owners, and only finance's journal is
                # refused accounts for theirs (a context's own): that journal takes the step.
                moves = account_moves(pending) if by is not Owner.FINANCE else None
                with during(step, moves=moves):
                    recordings = self.save_tracked(*entries, tracking=tracking)
            except (
                UnknownAccountError,
                AccountClosedError,
                OverdraftError,
                EffectiveDateError,
            ) as refusal:
                if isinstance(refusal, MissingGuardError) and self._seed(refusal.codes):
                    continue
                # A retry of entries recorded before (when the account was open, the budget
                # still held the money, or the date was in bounds) finds them; only what is
                # new is refused.
                fewer = self._drop_recorded(pending, done)
                if len(fewer) == len(pending):
                    raise
                pending = fewer
                continue
            except IntegrityError:
                # An entry was recorded before (a retry), or an account moved, or
                # another runner of the same process manager got there first: go again.
                if tracking is not None and self.is_tracked(tracking):
                    tracking = None
                pending = self._drop_recorded(pending, done)
                if pending or tracking is not None:
                    back_off(attempt)
                continue
            posted = {e.id for e in entries}
            for r in recordings:
                if r.domain_event.originator_id in posted:
                    done[r.domain_event.originator_id] = Recorded(
                        r.domain_event.originator_id, created=True, position=r.notification.id
                    )
            pending, tracking = [], None
            break
        if pending or tracking is not None:
            raise ConflictError("the accounts kept changing: try again", field="legs")
        return [done[entry_id(k)] for k in keys]

    def reverse_entry(
        self,
        *,
        entry: UUID,
        actor: str,
        reason: str,
        effective_at: datetime | None = None,
        overdraft_authorisation: str = "",
        by: Owner | None = None,
    ) -> Recorded:
        """Reverse an entry by a new one; ``by`` as for ``post_entries``: finance's journal
        reverses only its own entries, a context's are corrected through its own command."""
        for attempt in attempts():
            original = self.get_entry(entry)
            now = datetime.now(UTC)
            draft = original.reversing_draft(
                actor=actor,
                reason=reason,
                effective_at=effective_at or now,
                overdraft_authorisation=overdraft_authorisation,
                by=by,
            )
            self.effective_dates.check(draft.effective_at, now=now)
            self.books().check(draft.legs, draft.effective_at)
            reversal = JournalEntry.post(draft, reverses=original.id)
            original.mark_reversed(reversal=reversal.id, actor=draft.actor, reason=draft.reason)
            step = self._step([draft], by, partial(take_entries, [draft], by=by))
            try:
                with during(step):
                    return self._recorded(reversal.id, self.save(original, reversal))
            except MissingGuardError as missing:
                if not self._seed(missing.codes):
                    raise
            except IntegrityError:
                if self.get_entry(entry).reversed_by is not None:
                    raise AlreadyReversedError(
                        f"entry {entry} was already reversed", field="entry_id"
                    ) from None
                back_off(attempt)
        raise ConflictError("the accounts kept changing: try again", field="entry_id")

    def get_entry(self, entry: UUID) -> JournalEntry:
        found: JournalEntry = self._get(entry, JournalEntry, "entry")
        return found

    # ------------------------------------------------------------------ holds
    def hold(self, draft: HoldDraft, *, by: Owner | None = None) -> Recorded:
        """Hold the draft's legs on their accounts until the hold is posted, voided or expires.

        Every account a leg names is checked and reserved on its guard row in the transaction
        that records the hold, so two holds racing for a budget's last pounds cannot both
        succeed: the second decides on what the first left, and is refused. A retry with the
        same key and body finds the hold placed before (even once its accounts have moved on,
        or its date has passed); the same key with another body is a conflict. ``by`` as for
        ``post_entries``.
        """
        if by is not None:
            draft.check_owned_by(by)
        for attempt in attempts():
            try:
                now = datetime.now(UTC)
                self.effective_dates.check(draft.effective_at, now=now)
                draft.check_expiry(self.effective_dates, now=now)
                hold = Hold.place(draft)
                with during(self._step([draft], by, partial(take_hold, draft, by=by))):
                    return self._recorded(hold.id, self.save(hold))
            except (
                UnknownAccountError,
                AccountClosedError,
                OverdraftError,
                EffectiveDateError,
                InvalidHoldError,
            ) as refusal:
                if isinstance(refusal, MissingGuardError) and self._seed(refusal.codes):
                    continue
                found = self._existing_hold(draft)
                if found is None:
                    raise
                return found
            except IntegrityError:
                found = self._existing_hold(draft)
                if found is not None:
                    return found
                back_off(attempt)
        raise ConflictError("the accounts kept changing: try again", field="legs")

    def post_hold(
        self,
        *,
        hold: UUID,
        actor: str,
        amount: object | None = None,
        reason: str = "",
        effective_at: datetime | None = None,
        by: Owner | None = None,
    ) -> Recorded:
        """Post all of a pending hold (``amount`` None) or part of it, as one journal entry of
        the hold's kind, and release the rest: the hold, the entry and every account are saved
        in one transaction. The entry takes effect at ``effective_at`` (default: now).

        Once only: a retry of the same post (the same amount) finds the entry posted first;
        another amount, or a hold voided or expired, is refused (409). Two posts racing
        conflict on the hold's version, and the loser finds the winner's entry.
        """
        for attempt in attempts():
            found = self.get_hold(hold)
            if by is not None:
                found.check_owned_by(by)
            if found.posted_as(amount):
                assert found.entry is not None
                return Recorded(found.entry, created=False, position=None)
            found.check_pending()
            now = datetime.now(UTC)
            found.check_not_expired(now)
            part = found.check_part(amount)
            at = effective_at or found.release_at(now)
            found.check_release_at(at)
            self.effective_dates.check(at, now=now)
            draft = found.posting_draft(amount=part, effective_at=at, actor=actor, reason=reason)
            self.books().check(draft.legs, draft.effective_at)
            entry = JournalEntry.post(draft, hold=found.id)
            found.post(
                entry=entry.id, amount=part, actor=draft.actor, reason=draft.reason, effective_at=at
            )
            step = self._step([draft], by, partial(post_held, draft, found.legs, by=by))
            try:
                with during(step):
                    return self._recorded(entry.id, self.save(found, entry))
            except MissingGuardError as missing:
                if not self._seed(missing.codes):
                    raise
            except IntegrityError:
                back_off(attempt)  # the hold or an account moved: look again
        raise ConflictError("the accounts kept changing: try again", field="hold_id")

    def void_hold(
        self,
        *,
        hold: UUID,
        actor: str,
        reason: str,
        effective_at: datetime | None = None,
        by: Owner | None = None,
    ) -> Recorded:
        """Release a pending hold, posting nothing. Once only: a second void finds the first;
        a hold already posted or expired is refused (409)."""
        for attempt in attempts():
            found = self.get_hold(hold)
            if by is not None:
                found.check_owned_by(by)
            if found.status is HoldStatus.VOIDED:
                return Recorded(found.id, created=False, position=None)
            now = datetime.now(UTC)
            at = effective_at or found.release_at(now)
            found.check_pending()
            found.check_release_at(at)
            self.effective_dates.check(at, now=now)
            found.void(actor=actor, reason=reason, effective_at=at)
            try:
                with during(self._release_step(found)):
                    return self._recorded(found.id, self.save(found))
            except MissingGuardError as missing:
                if not self._seed(missing.codes):
                    raise
            except IntegrityError:
                back_off(attempt)
        raise ConflictError("the accounts kept changing: try again", field="hold_id")

    def expire_hold(self, *, hold: UUID, now: datetime, actor: str) -> Recorded:
        """Release a hold whose expiry has passed. Once only: a second expiry finds the first;
        a hold posted or voided first is refused (409), one not yet expired too (422)."""
        for attempt in attempts():
            found = self.get_hold(hold)
            if found.status is HoldStatus.EXPIRED:
                return Recorded(found.id, created=False, position=None)
            found.expire(actor=actor, now=now)
            try:
                with during(self._release_step(found)):
                    return self._recorded(found.id, self.save(found))
            except MissingGuardError as missing:
                if not self._seed(missing.codes):
                    raise
            except IntegrityError:
                back_off(attempt)
        raise ConflictError("the accounts kept changing: try again", field="hold_id")

    def expire_holds(self, actor: Actor, *, now: datetime, holds: Iterable[UUID]) -> list[Recorded]:
        """Release each of ``holds`` (the read model's pending holds past their expiry, say)
        that is still pending and has expired by ``now``; any other is passed over, as the
        read model may be behind. The expiry job does this, as the system itself."""
        policies.check_may_expire_holds(actor)
        done = []
        for candidate in holds:
            try:
                done.append(self.expire_hold(hold=candidate, now=now, actor=actor.id))
            except (HoldNotPendingError, HoldNotExpiredError, NotFoundError):
                continue
        return done

    def get_hold(self, hold: UUID) -> Hold:
        found: Hold = self._get(hold, Hold, "hold")
        return found

    def _existing_hold(self, draft: HoldDraft) -> Recorded | None:
        return self._recorded_before(hold_id(draft.idempotency_key), Hold, draft.body_hash, "hold")

    # ------------------------------------------------------------------ the guard
    def _locked(
        self, tx: Any, drafts: Sequence[EntryDraft | HoldDraft], *, by: Owner | None
    ) -> dict[str, AccountState]:
        """The guard rows of every account the drafts name, locked for this transaction;
        a leg naming an account with no row is refused as the domain names it (the caller
        seeds the row of an account opened before the table, and tries again)."""
        codes = sorted({leg.account for draft in drafts for leg in draft.legs})
        rows = self.guard.lock(tx, codes)
        if len(rows) < len(codes):
            try:
                check_accounts_open(drafts, rows, by=by)
            except UnknownAccountError as unknown:
                raise MissingGuardError(
                    unknown.message, codes=[c for c in codes if c not in rows], field=unknown.field
                ) from None
        return rows

    def _step(
        self,
        drafts: Sequence[EntryDraft | HoldDraft],
        by: Owner | None,
        rule: Callable[[dict[str, AccountState]], None],
    ) -> Step:
        """Lock the drafts' rows, let the domain's ``rule`` decide and move them, write them."""

        def step(tx: Any) -> None:
            rows = self._locked(tx, drafts, by=by)
            rule(rows)
            self.guard.write(tx, rows.values())

        return step

    def _release_step(self, hold: Hold) -> Step:
        def step(tx: Any) -> None:
            rows = self.guard.locked(tx, [leg.account for leg in hold.legs], field="hold_id")
            release_hold(hold.legs, rows)
            self.guard.write(tx, rows.values())

        return step

    def seed_guard(self, batch_size: int = 1000) -> int:
        """Give every account opened before the guard table its row, from its own events (its
        ``LegTaken``, ``HoldTaken`` and ``HoldReleased`` kept its balance and holds then); rows
        already there are kept. Run once, when the application starts on such a store with an
        empty table; returns how many accounts it read."""
        opened = get_topic(Account.Opened)  # type: ignore[attr-defined]
        position, count = 0, 0
        while notifications := self.recorder.select_notifications(
            start=position, limit=batch_size, topics=[opened], inclusive_of_start=False
        ):
            states = []
            for notification in notifications:
                found: Any = self.repository.get(notification.originator_id)
                states.append(AccountState.of(found))
                position = notification.id
            self.guard.seed(states)
            count += len(states)
        return count

    def _seed(self, codes: Iterable[str]) -> bool:
        """Give a guard row to each account in ``codes`` that has events but no row (opened
        before the table), from its own events; False when none of them was ever opened."""
        states = []
        for code in codes:
            try:
                found: Any = self.repository.get(account_id(code))
            except AggregateNotFoundError:
                continue
            if isinstance(found, Account):
                states.append(AccountState.of(found))
        if states:
            self.guard.seed(states)
        return bool(states)

    def _drop_recorded(
        self, pending: list[EntryDraft], done: dict[UUID, Recorded]
    ) -> list[EntryDraft]:
        """Move drafts already recorded (with the same body) from ``pending`` into ``done``."""
        rest = []
        for draft in pending:
            found = self._existing(draft)
            if found is None:
                rest.append(draft)
            else:
                done[found.id] = found
        return rest

    def _existing(self, draft: EntryDraft) -> Recorded | None:
        return self._recorded_before(
            entry_id(draft.idempotency_key), JournalEntry, draft.body_hash, "entry"
        )

    def _get(self, aggregate_id: UUID, cls: type[Any], what: str) -> Any:
        """The entry or hold with this id, or the ledger's own not-found error."""
        try:
            found: Any = self.repository.get(aggregate_id)
        except AggregateNotFoundError:
            found = None
        if not isinstance(found, cls):
            raise NotFoundError(f"{what} {aggregate_id} does not exist", field=f"{what}_id")
        return found

    def _recorded_before(
        self, aggregate_id: UUID, cls: type[Any], body_hash: str, what: str
    ) -> Recorded | None:
        """What a key recorded before, if anything: the same body is a retry, another a conflict."""
        try:
            found: Any = self.repository.get(aggregate_id)
        except AggregateNotFoundError:
            return None
        assert isinstance(found, cls)
        if found.body_hash != body_hash:
            raise ConflictError(
                f"this idempotency key was already used for a different {what}",
                field="idempotency_key",
            )
        return Recorded(found.id, created=False, position=None)

    @staticmethod
    def _recorded(aggregate_id: UUID, recordings: Sequence[Any]) -> Recorded:
        return Recorded(aggregate_id, created=True, position=recordings[-1].notification.id)


@dataclass(frozen=True)
class Journal:
    """The ledger's commands for one actor, acting as the owner the policy gave them: each
    records the actor (their id) and lets the domain refuse what another owner's is."""

    ledger: LedgerApplication
    actor: Actor
    owner: Owner

    def open_account(
        self,
        *,
        code: str,
        name: str,
        type: str,  # noqa: A002
        owner_kind: str = "",
        owner_id: str = "",
        no_overdraft: bool = False,
    ) -> Recorded:
        return self.ledger.open_account(
            code=code,
            name=name,
            type=type,
            actor=self.actor.id,
            owner_kind=owner_kind,
            owner_id=owner_id,
            no_overdraft=no_overdraft,
            by=self.owner,
        )

    def open_accounts(self, specs: Sequence[dict[str, Any]]) -> int:
        return self.ledger.open_accounts(specs, actor=self.actor.id, by=self.owner)

    def close_account(self, *, code: str, reason: str) -> Recorded:
        return self.ledger.close_account(
            code=code, actor=self.actor.id, reason=reason, by=self.owner
        )

    def post_entry(self, draft: EntryDraft) -> Recorded:
        return self.ledger.post_entry(draft, by=self.owner)

    def close_books(self, *, code: str, through: date, reason: str) -> bool:
        """Finance's books, or the payments context's (which reconciles the bank)."""
        if self.owner not in (Owner.FINANCE, Owner.PAYMENTS):
            raise policies.NotPermittedError(
                "the books of an account are closed by finance or by its reconciliation"
            )
        return self.ledger.close_books(
            code=code, through=through, actor=self.actor.id, reason=reason
        )

    def post_entries(
        self, drafts: Sequence[EntryDraft], *, tracking: Tracking | None = None
    ) -> list[Recorded]:
        return self.ledger.post_entries(drafts, tracking=tracking, by=self.owner)

    def reverse_entry(
        self,
        *,
        entry: UUID,
        reason: str,
        effective_at: datetime | None = None,
        overdraft_authorisation: str = "",
    ) -> Recorded:
        return self.ledger.reverse_entry(
            entry=entry,
            actor=self.actor.id,
            reason=reason,
            effective_at=effective_at,
            overdraft_authorisation=overdraft_authorisation,
            by=self.owner,
        )

    # Holds are a context's: it holds the money of a commitment it agreed (an engagement, an
    # order) and posts or voids the hold as that commitment is met or ends.
    def hold(self, draft: HoldDraft) -> Recorded:
        policies.check_may_hold(self.owner)
        return self.ledger.hold(draft, by=self.owner)

    def post_hold(
        self,
        *,
        hold: UUID,
        amount: object | None = None,
        reason: str = "",
        effective_at: datetime | None = None,
    ) -> Recorded:
        policies.check_may_hold(self.owner)
        return self.ledger.post_hold(
            hold=hold,
            actor=self.actor.id,
            amount=amount,
            reason=reason,
            effective_at=effective_at,
            by=self.owner,
        )

    def void_hold(
        self, *, hold: UUID, reason: str, effective_at: datetime | None = None
    ) -> Recorded:
        policies.check_may_hold(self.owner)
        return self.ledger.void_hold(
            hold=hold, actor=self.actor.id, reason=reason, effective_at=effective_at, by=self.owner
        )
