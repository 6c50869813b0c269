"""The ledger's use cases: open and close accounts, post and reverse entries.

Each command loads what it needs, lets the aggregates check their rules, and saves
once, so a refused command records nothing. Commands return the notification
position of what they recorded, so a reader can wait for its own write.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, ClassVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import IntegrityError, Tracking

from config.process import Downstream
from config.transcodings import ContextApplication
from ledger import domain
from ledger.domain import (
    Account,
    AccountClosedError,
    AlreadyReversedError,
    ConflictError,
    EntryDraft,
    JournalEntry,
    NotFoundError,
    OverdraftError,
    UnknownAccountError,
    account_id,
    check_code,
    entry_id,
)


@dataclass(frozen=True)
class Recorded:
    """What a command did: the aggregate, whether it is new, and where it sits in the log."""

    id: UUID
    created: bool
    position: int | None


# How often a command is tried again when a no-overdraft account moved under it.
CONFLICT_RETRIES = 20


class LedgerApplication(Downstream, ContextApplication):
    name = "Ledger"
    domain_modules = (domain,)
    # Accounts are read on every post: a cache (fast-forwarded from the store on each get,
    # so a closure or a balance elsewhere is still seen) spares rebuilding them each time.
    env: ClassVar[dict[str, str]] = {"AGGREGATE_CACHE_MAXSIZE": "10000"}
    # A budget's account takes an event per leg; snapshots keep loading it quick.
    snapshotting_intervals: ClassVar[dict[type[Any], int]] = {Account: 100}

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
        try:
            return self._recorded(account.id, self.save(account))
        except IntegrityError:
            existing = self.get_account(account.code)
            if not existing.same_as(account):
                raise ConflictError(
                    f"account {account.code} is already open with other details", field="code"
                ) from None
            return Recorded(existing.id, created=False, position=None)

    def close_account(self, *, code: str, actor: str, reason: str) -> Recorded:
        account = self.get_account(code)
        account.close(actor=actor, reason=reason)
        return self._recorded(account.id, self.save(account))

    def get_account(self, code: str, *, field: str = "code") -> Account:
        try:
            account: Any = self.repository.get(account_id(check_code(code, field=field)))
        except AggregateNotFoundError:
            raise UnknownAccountError(f"account {code} does not exist", field=field) from None
        assert isinstance(account, Account)
        return account

    # ------------------------------------------------------------------ entries
    def post_entry(self, draft: EntryDraft) -> Recorded:
        return self.post_entries([draft])[0]

    def post_entries(
        self, drafts: Sequence[EntryDraft], *, tracking: Tracking | None = None
    ) -> list[Recorded]:
        """Post entries in one transaction (a payment run posts thousands): all or none.

        An entry whose key was already recorded with the same body is returned as it was.
        No-overdraft accounts are saved with the entries, so two writers racing for the
        last pounds of a budget cannot both succeed: the loser retries on fresh state.
        A process manager gives its ``tracking`` position, recorded in the same transaction.
        """
        keys = [d.idempotency_key for d in drafts]
        if len(set(keys)) != len(keys):
            raise ConflictError("the batch repeats an idempotency key", field="idempotency_key")
        pending, done = list(drafts), dict[UUID, Recorded]()
        for _ in range(CONFLICT_RETRIES):
            try:
                accounts = self._open_accounts(pending)
                entries = [JournalEntry.post(d) for d in pending]
                guarded = self._take_legs(zip(pending, entries, strict=True), accounts)
            except (UnknownAccountError, AccountClosedError, OverdraftError):
                # A retry of entries recorded before (when the account was open, or the budget
                # still held the money) finds them; only what is new is refused.
                fewer = self._drop_recorded(pending, done)
                if len(fewer) == len(pending):
                    raise
                pending = fewer
                continue
            try:
                recordings = self.save_tracked(*entries, *guarded, tracking=tracking)
            except IntegrityError:
                # An entry was recorded before (a retry), or a guarded account moved, or
                # another runner of the same process manager got there first: go again.
                if tracking is not None and self.is_tracked(tracking):
                    tracking = None
                pending = self._drop_recorded(pending, done)
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
    ) -> Recorded:
        for attempt in range(CONFLICT_RETRIES):
            original = self.get_entry(entry)
            draft = original.reversing_draft(
                actor=actor,
                reason=reason,
                effective_at=effective_at or datetime.now(UTC),
                overdraft_authorisation=overdraft_authorisation,
            )
            accounts = self._open_accounts([draft])
            reversal = JournalEntry.post(draft, reverses=original.id)
            guarded = self._take_legs([(draft, reversal)], accounts)
            original.mark_reversed(reversal=reversal.id, actor=draft.actor, reason=draft.reason)
            try:
                return self._recorded(reversal.id, self.save(original, reversal, *guarded))
            except IntegrityError:
                if self.get_entry(entry).reversed_by is not None:
                    raise AlreadyReversedError(
                        f"entry {entry} was already reversed", field="entry_id"
                    ) from None
                if attempt == CONFLICT_RETRIES - 1:
                    raise
        raise AssertionError("unreachable")

    def get_entry(self, entry: UUID) -> JournalEntry:
        try:
            found: Any = self.repository.get(entry)
        except AggregateNotFoundError:
            raise NotFoundError(f"entry {entry} does not exist", field="entry_id") from None
        if not isinstance(found, JournalEntry):
            raise NotFoundError(f"entry {entry} does not exist", field="entry_id")
        return found

    # ------------------------------------------------------------------ helpers
    def _open_accounts(self, drafts: Iterable[EntryDraft]) -> dict[str, Account]:
        """Load every account the drafts name, refusing unknown or closed ones."""
        accounts: dict[str, Account] = {}
        for draft in drafts:
            for i, leg in enumerate(draft.legs):
                field = f"legs[{i}].account"
                if leg.account not in accounts:
                    accounts[leg.account] = self.get_account(leg.account, field=field)
                accounts[leg.account].check_open(field=field)
        return accounts

    @staticmethod
    def _take_legs(
        pairs: Iterable[tuple[EntryDraft, JournalEntry]], accounts: dict[str, Account]
    ) -> list[Account]:
        """Move the balances of no-overdraft accounts, refusing a leg that would overdraw one."""
        guarded: dict[str, Account] = {}
        for draft, entry in pairs:
            for i, leg in enumerate(draft.legs):
                account = accounts[leg.account]
                if not account.no_overdraft:
                    continue
                account.check_can_take(
                    leg.signed,
                    authorisation=draft.overdraft_authorisation,
                    field=f"legs[{i}].amount",
                )
                account.take_leg(
                    entry=entry.id, signed=leg.signed, authorisation=draft.overdraft_authorisation
                )
                guarded[leg.account] = account
        return list(guarded.values())

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
        try:
            found: Any = self.repository.get(entry_id(draft.idempotency_key))
        except AggregateNotFoundError:
            return None
        assert isinstance(found, JournalEntry)
        if found.body_hash != draft.body_hash:
            raise ConflictError(
                "this idempotency key was already used for a different entry",
                field="idempotency_key",
            )
        return Recorded(found.id, created=False, position=None)

    @staticmethod
    def _recorded(aggregate_id: UUID, recordings: Sequence[Any]) -> Recorded:
        return Recorded(aggregate_id, created=True, position=recordings[-1].notification.id)
