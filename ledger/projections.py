"""Projects the ledger's notification log into read models and the hash chain.

Each batch of notifications is applied in one database transaction together with
the new tracking position, so every event is applied exactly once however many
processes call catch_up at the same time (the tracking row is locked first).
Running balances are kept per account in (effective_at, id) order, so an as-at
balance is one index probe; a backdated leg shifts the running balances after it.
Holds are a row each with their legs (held from the hold's effective date until it is
posted, voided or expires), and each account keeps its pending debits and credits.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from django.db import connection
from django.db.models import F
from eventsourcing.persistence import Notification

from core.projection import Projection, RowWriter
from ledger import models
from ledger.application import LedgerApplication
from ledger.chain import GENESIS, chain_hash
from ledger.domain import Account, Hold, JournalEntry, Leg, Side, account_id
from ledger.integrity import verify_chain

NAME = "ledger"

# The event classes that the @event decorators made (mypy cannot see them).
ACCOUNT_OPENED = Account.Opened  # type: ignore[attr-defined]
ACCOUNT_CLOSED = Account.Closed  # type: ignore[attr-defined]
ENTRY_POSTED = JournalEntry.Posted  # type: ignore[attr-defined]
ENTRY_REVERSED = JournalEntry.Reversed  # type: ignore[attr-defined]
HOLD_PLACED = Hold.Placed  # type: ignore[attr-defined]
HOLD_POSTED = Hold.Posted  # type: ignore[attr-defined]
HOLD_VOIDED = Hold.Voided  # type: ignore[attr-defined]
HOLD_EXPIRED = Hold.Expired  # type: ignore[attr-defined]
HOLD_RESOLVED = (HOLD_POSTED, HOLD_VOIDED, HOLD_EXPIRED)

ENTRY_COLUMNS = (
    "id",
    "position",
    "kind",
    "effective_at",
    "recorded_at",
    "actor",
    "reason",
    "budget",
    "source_document",
    "idempotency_key",
    "correlation_id",
    "causation_id",
    "amount",
    "reverses",
    "overdraft_authorisation",
    "reversed_by_actor",
    "reversal_reason",
    "hold",
)
HOLD_COLUMNS = (
    "id",
    "position",
    "idempotency_key",
    "kind",
    "status",
    "amount",
    "posted_amount",
    "effective_at",
    "expires_at",
    "recorded_at",
    "actor",
    "reason",
    "budget",
    "source_document",
    "correlation_id",
    "causation_id",
    "resolved_by_actor",
    "resolution_reason",
)
HOLD_LEG_COLUMNS = ("hold", "account", "side", "amount", "effective_at")
LINE_COLUMNS = ("entry", "account", "side", "amount", "effective_at", "running_balance")
LINK_COLUMNS = ("position", "originator_id", "originator_version", "topic", "hash")


class TamperedError(Exception):
    """The stored events no longer match their recorded hash chain."""


class _Batch:
    """The rows one batch of notifications adds or changes, flushed in dependency order."""

    writers: dict[str, RowWriter] = {}

    def __init__(self, state: dict[UUID, tuple[datetime, int]]) -> None:
        self.accounts: list[models.Account] = []
        self.entries: list[tuple[Any, ...]] = []
        self.lines: list[tuple[Any, ...]] = []
        self.links: list[tuple[Any, ...]] = []
        self.holds: list[tuple[Any, ...]] = []
        self.hold_legs: list[tuple[Any, ...]] = []
        self.deltas: dict[UUID, list[int]] = defaultdict(lambda: [0, 0])
        # account id -> [pending debits, pending credits] this batch adds (or releases)
        self.pending: dict[UUID, list[int]] = defaultdict(lambda: [0, 0])
        self.state = state  # account id -> (effective_at, running balance) of its last line
        # account id -> the earliest backdated leg of this batch: recomputed from there once
        self.backdated: dict[UUID, datetime] = {}

    @classmethod
    def writer(cls, name: str, model: Any, columns: Sequence[str]) -> RowWriter:
        # Per process and database vendor: the SQL and the value preparation do not change.
        key = f"{name}:{connection.vendor}"
        if key not in cls.writers:
            cls.writers[key] = RowWriter(model, columns)
        return cls.writers[key]

    def flush_rows(self) -> None:
        models.Account.objects.bulk_create(self.accounts)
        self.writer("entries", models.Entry, ENTRY_COLUMNS).write(self.entries)
        self.writer("lines", models.Line, LINE_COLUMNS).write(self.lines)
        self.writer("holds", models.Hold, HOLD_COLUMNS).write(self.holds)
        self.writer("hold_legs", models.HoldLeg, HOLD_LEG_COLUMNS).write(self.hold_legs)
        self.accounts, self.entries, self.lines = [], [], []
        self.holds, self.hold_legs = [], []

    def add_hold(self, event: Any, position: int) -> None:
        legs = [Leg.from_dict(leg) for leg in event.legs]
        self.holds.append(
            (
                event.originator_id,
                position,
                event.idempotency_key,
                event.kind,
                "pending",
                sum(leg.amount for leg in legs if leg.side is Side.DEBIT),
                0,
                event.effective_at,
                event.expires_at,
                event.timestamp,
                event.actor,
                event.reason,
                event.budget,
                event.source_document,
                event.correlation_id,
                event.causation_id,
                "",
                "",
            )
        )
        for leg in legs:
            account = account_id(leg.account)
            self.hold_legs.append(
                (event.originator_id, account, leg.side.value, leg.amount, event.effective_at)
            )
            self.pending[account][0 if leg.side is Side.DEBIT else 1] += leg.amount

    def resolve_hold(self, event: Any) -> None:
        """A hold posted, voided or expired: released from its effective date (after the
        batch's rows are written, so a hold placed and posted in one batch is found)."""
        legs = models.HoldLeg.objects.filter(hold_id=event.originator_id)
        for account, side, amount in legs.values_list("account_id", "side", "amount"):
            self.pending[account][0 if side == Side.DEBIT else 1] -= amount
        legs.update(released_at=event.effective_at)
        posted = isinstance(event, HOLD_POSTED)
        status = "posted" if posted else "voided" if isinstance(event, HOLD_VOIDED) else "expired"
        models.Hold.objects.filter(id=event.originator_id).update(
            status=status,
            released_at=event.effective_at,
            resolved_at=event.timestamp,
            resolved_by_actor=event.actor,
            resolution_reason=getattr(event, "reason", "") or "past its expiry",
            entry=event.entry if posted else None,
            posted_amount=event.amount if posted else 0,
        )

    def flush_links(self) -> None:
        self.writer("links", models.ChainLink, LINK_COLUMNS).write(self.links)
        self.links = []

    def add_line(self, entry_id: UUID, leg: Any, effective_at: datetime) -> None:
        account = account_id(leg.account)
        signed = leg.amount if leg.side is Side.DEBIT else -leg.amount
        last = self.state.get(account) or self._last_line(account)
        if last is None or effective_at >= last[0]:
            running = (last[1] if last else 0) + signed
            self.state[account] = (effective_at, running)
        else:
            # Backdated: its running balance, and every later one, is recomputed once per
            # account at the end of the batch (recompute_backdated), not once per leg.
            running = 0
            earliest = self.backdated.get(account)
            self.backdated[account] = min(earliest, effective_at) if earliest else effective_at
            self.state[account] = (last[0], last[1] + signed)
        self.lines.append((entry_id, account, leg.side.value, leg.amount, effective_at, running))
        self.deltas[account][0] += signed
        self.deltas[account][1] += 1

    def recompute_backdated(self) -> None:
        """Running balances from each account's earliest backdated leg on, in one statement."""
        table = models.Line._meta.db_table
        account_field = models.Line._meta.get_field("account").target_field  # type: ignore[union-attr]
        with connection.cursor() as cursor:
            for account, since in self.backdated.items():
                base = (
                    models.Line.objects.filter(account_id=account, effective_at__lt=since)
                    .order_by("-effective_at", "-id")
                    .values_list("running_balance", flat=True)
                    .first()
                ) or 0
                cursor.execute(
                    f"UPDATE {table} SET running_balance = recomputed.balance FROM ("
                    "  SELECT id, %s + SUM(CASE WHEN side = 'debit' THEN amount ELSE -amount END)"
                    "    OVER (ORDER BY effective_at, id) AS balance"
                    f"  FROM {table} WHERE account_id = %s AND effective_at >= %s"
                    f") AS recomputed WHERE {table}.id = recomputed.id",
                    [
                        base,
                        account_field.get_db_prep_value(account, connection),
                        connection.ops.adapt_datetimefield_value(since),
                    ],
                )
        self.backdated = {}

    def _last_line(self, account: UUID) -> tuple[datetime, int] | None:
        row = (
            models.Line.objects.filter(account_id=account)
            .order_by("-effective_at", "-id")
            .values_list("effective_at", "running_balance")
            .first()
        )
        return (row[0], row[1]) if row else None


class LedgerProjection(Projection):
    name = NAME
    read_models = (
        models.Line,
        models.HoldLeg,
        models.Hold,
        models.Entry,
        models.Account,
        models.ChainLink,
    )

    def __init__(self, app: LedgerApplication, batch_size: int = 1000) -> None:
        super().__init__(app, batch_size)

    def rebuild(self) -> int:
        """Rebuild, but never over a broken chain: the chain is the evidence of tampering."""
        assert isinstance(self.app, LedgerApplication)
        verdict = verify_chain(self.app)
        if not verdict.ok:
            raise TamperedError(f"refusing to rebuild the ledger: {verdict.problem}")
        return super().rebuild()

    def apply(
        self, notifications: Sequence[Notification], tracking: models.ProjectionPosition
    ) -> None:
        # Each account's last running balance is read afresh for every batch: between two
        # batches the tracking lock is released and another process may project the next.
        self._apply(notifications, tracking, {})

    def _apply(
        self,
        notifications: Sequence[Notification],
        tracking: models.ProjectionPosition,
        state: dict[UUID, tuple[datetime, int]],
    ) -> None:
        batch = _Batch(state)
        head = tracking.head_hash or GENESIS
        reversals: list[Any] = []
        closures: list[Any] = []
        resolutions: list[Any] = []
        for notification in notifications:
            head = chain_hash(head, notification)
            batch.links.append(
                (
                    notification.id,
                    notification.originator_id,
                    notification.originator_version,
                    notification.topic,
                    head,
                )
            )
            event = self.app.mapper.to_domain_event(notification)
            if isinstance(event, ACCOUNT_OPENED):
                batch.accounts.append(
                    models.Account(
                        id=event.originator_id,
                        code=event.code,
                        name=event.name,
                        type=event.type,
                        owner_kind=event.owner_kind,
                        owner_id=event.owner_id,
                        no_overdraft=event.no_overdraft,
                        opened_at=event.timestamp,
                        opened_by=event.actor,
                    )
                )
            elif isinstance(event, ACCOUNT_CLOSED):
                closures.append(event)
            elif isinstance(event, ENTRY_POSTED):
                self._add_entry(batch, event, notification.id)
            elif isinstance(event, ENTRY_REVERSED):
                reversals.append(event)
            elif isinstance(event, HOLD_PLACED):
                batch.add_hold(event, notification.id)
            elif isinstance(event, HOLD_RESOLVED):
                resolutions.append(event)
        batch.flush_rows()
        batch.recompute_backdated()
        batch.flush_links()
        for event in closures:
            models.Account.objects.filter(id=event.originator_id).update(
                is_closed=True, closed_at=event.timestamp
            )
        for event in reversals:
            models.Entry.objects.filter(id=event.originator_id).update(
                reversed_by=event.reversal,
                reversed_at=event.timestamp,
                reversed_by_actor=event.actor,
                reversal_reason=event.reason,
            )
        for event in resolutions:
            batch.resolve_hold(event)
        for account, (delta, count) in batch.deltas.items():
            models.Account.objects.filter(id=account).update(
                balance=F("balance") + delta, leg_count=F("leg_count") + count
            )
        for account, (debits, credits) in batch.pending.items():
            if debits or credits:
                models.Account.objects.filter(id=account).update(
                    pending_debits=F("pending_debits") + debits,
                    pending_credits=F("pending_credits") + credits,
                )
        tracking.head_hash = head

    @staticmethod
    def _add_entry(batch: _Batch, event: Any, position: int) -> None:
        parsed = [Leg.from_dict(leg) for leg in event.legs]
        batch.entries.append(
            (
                event.originator_id,
                position,
                event.kind,
                event.effective_at,
                event.timestamp,
                event.actor,
                event.reason,
                event.budget,
                event.source_document,
                event.idempotency_key,
                event.correlation_id,
                event.causation_id,
                sum(leg.amount for leg in parsed if leg.side is Side.DEBIT),
                event.reverses,
                event.overdraft_authorisation,
                "",
                "",
                getattr(event, "hold", None),  # entries recorded before holds have none
            )
        )
        for leg in parsed:
            batch.add_line(event.originator_id, leg, event.effective_at)
