"""The ledger's use cases: open and close accounts, post and reverse entries.

Each command loads what it needs, lets the aggregates check their rules, and saves
once, so a refused command records nothing. Commands return the notification
position of what they recorded, so a reader can wait for its own write.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.persistence import IntegrityError

from ledger.domain import (
    Account,
    AccountClosedError,
    AlreadyReversedError,
    ConflictError,
    EntryDraft,
    JournalEntry,
    NotFoundError,
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


class LedgerApplication(Application[UUID]):
    name = "Ledger"

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
    ) -> Recorded:
        account = Account.open(
            code=code, name=name, type=type, owner_kind=owner_kind, owner_id=owner_id, actor=actor
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
        try:
            self._check_accounts_open([draft])
        except (UnknownAccountError, AccountClosedError):
            # A retry of an entry recorded before its account closed still finds it.
            existing = self._existing(draft)
            if existing is not None:
                return existing
            raise
        entry = JournalEntry.post(draft)
        try:
            return self._recorded(entry.id, self.save(entry))
        except IntegrityError:
            existing = self._existing(draft)
            assert existing is not None  # the conflicting row is this key's first entry
            return existing

    def post_entries(self, drafts: Sequence[EntryDraft]) -> list[Recorded]:
        """Post many entries in one transaction (a payment run): all are recorded or none.

        Entries whose key was already recorded with the same body are returned as they are.
        """
        self._check_accounts_open(drafts)
        keys = [d.idempotency_key for d in drafts]
        if len(set(keys)) != len(keys):
            raise ConflictError("the batch repeats an idempotency key", field="idempotency_key")
        entries = [JournalEntry.post(d) for d in drafts]
        try:
            recordings = self.save(*entries)
        except IntegrityError:
            # save() has taken the pending events, so the entries not yet recorded are made anew.
            fresh = [JournalEntry.post(d) for d in drafts if self._existing(d) is None]
            recordings = self.save(*fresh)
        positions = {r.domain_event.originator_id: r.notification.id for r in recordings}
        return [
            Recorded(e.id, created=e.id in positions, position=positions.get(e.id)) for e in entries
        ]

    def reverse_entry(
        self,
        *,
        entry: UUID,
        actor: str,
        reason: str,
        effective_at: datetime | None = None,
    ) -> Recorded:
        original = self.get_entry(entry)
        draft = original.reversing_draft(
            actor=actor, reason=reason, effective_at=effective_at or datetime.now(UTC)
        )
        self._check_accounts_open([draft])
        reversal = JournalEntry.post(draft, reverses=original.id)
        original.mark_reversed(reversal=reversal.id, actor=draft.actor, reason=draft.reason)
        try:
            return self._recorded(reversal.id, self.save(original, reversal))
        except IntegrityError:
            raise AlreadyReversedError(
                f"entry {entry} was already reversed", field="entry_id"
            ) from None

    def get_entry(self, entry: UUID) -> JournalEntry:
        try:
            found: Any = self.repository.get(entry)
        except AggregateNotFoundError:
            raise NotFoundError(f"entry {entry} does not exist", field="entry_id") from None
        if not isinstance(found, JournalEntry):
            raise NotFoundError(f"entry {entry} does not exist", field="entry_id")
        return found

    # ------------------------------------------------------------------ helpers
    def _check_accounts_open(self, drafts: Iterable[EntryDraft]) -> None:
        seen: dict[str, Account] = {}
        for draft in drafts:
            for i, leg in enumerate(draft.legs):
                field = f"legs[{i}].account"
                if leg.account not in seen:
                    seen[leg.account] = self.get_account(leg.account, field=field)
                seen[leg.account].check_open(field=field)

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
