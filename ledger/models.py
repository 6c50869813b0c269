"""Read models of the ledger: projections of the event store, never the record itself.

Every table here can be dropped and rebuilt from the events (manage.py
rebuild_projections). They carry the ledger's invariants as constraints, so a bug in
a projection cannot store an impossible row.
"""

from __future__ import annotations

from django.db import models

# The followers' own tables (where each projection and process manager has read to, and the
# steps parked) are declared in core/tracking.py; imported here, they belong to this app.
from core.tracking import ProjectionPosition as ProjectionPosition
from core.tracking import StepFailure as StepFailure


class Account(models.Model):
    id = models.UUIDField(primary_key=True)
    code = models.CharField(max_length=64, unique=True)
    name = models.CharField(max_length=150)
    type = models.CharField(max_length=16)
    owner_kind = models.CharField(max_length=32, blank=True, db_index=True)
    owner_id = models.CharField(max_length=64, blank=True, db_index=True)
    is_closed = models.BooleanField(default=False)
    no_overdraft = models.BooleanField(default=False)
    opened_at = models.DateTimeField()
    opened_by = models.CharField(max_length=150)
    closed_at = models.DateTimeField(null=True)
    # Debits minus credits over every leg; see normal_balance for how people read it.
    balance = models.BigIntegerField(default=0)
    leg_count = models.BigIntegerField(default=0)
    # What pending holds reserve on the account: pence of their debit and credit legs.
    pending_debits = models.BigIntegerField(default=0)
    pending_credits = models.BigIntegerField(default=0)

    class Meta:
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(pending_debits__gte=0, pending_credits__gte=0),
                name="account_pending_not_negative",
            )
        ]

    @property
    def debit_normal(self) -> bool:
        return self.type in ("asset", "expense")

    def on_normal_side(self, value: int) -> int:
        """A debits-minus-credits figure as an accountant reads it: positive on the normal side."""
        return value if self.debit_normal else -value

    @property
    def normal_balance(self) -> int:
        return self.on_normal_side(self.balance)

    @property
    def against_normal(self) -> str:
        """The side a leg takes money from the account on: what a hold on that side holds."""
        return "credit" if self.debit_normal else "debit"

    @property
    def held(self) -> int:
        """Pence pending holds take from the account's normal side (ledger.domain.Account.held)."""
        return self.pending_credits if self.debit_normal else self.pending_debits

    @property
    def available(self) -> int:
        """The normal balance less what is held: what is left to spend."""
        return self.normal_balance - self.held


class Entry(models.Model):
    id = models.UUIDField(primary_key=True)
    position = models.BigIntegerField(unique=True)
    kind = models.CharField(max_length=32, db_index=True)
    effective_at = models.DateTimeField(db_index=True)
    recorded_at = models.DateTimeField()
    actor = models.CharField(max_length=150)
    reason = models.CharField(max_length=500)
    budget = models.CharField(max_length=64, blank=True, db_index=True)
    source_document = models.CharField(max_length=150, blank=True, db_index=True)
    idempotency_key = models.CharField(max_length=150, unique=True)
    correlation_id = models.CharField(max_length=64, blank=True)
    causation_id = models.CharField(max_length=64, blank=True)
    amount = models.BigIntegerField()
    overdraft_authorisation = models.CharField(max_length=500, blank=True)
    reverses = models.UUIDField(null=True, unique=True)
    reversed_by = models.UUIDField(null=True, unique=True)
    reversed_at = models.DateTimeField(null=True)
    reversed_by_actor = models.CharField(max_length=150, blank=True)
    reversal_reason = models.CharField(max_length=500, blank=True)
    hold = models.UUIDField(null=True, unique=True)  # the hold this entry posted, if any

    class Meta:
        ordering = ["position"]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="entry_amount_positive")
        ]


class Line(models.Model):
    """One leg of an entry, with the account's running balance in effective-date order."""

    id = models.BigAutoField(primary_key=True)
    entry = models.ForeignKey(Entry, on_delete=models.PROTECT, related_name="lines")
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="lines")
    side = models.CharField(max_length=6)
    amount = models.BigIntegerField()
    effective_at = models.DateTimeField()
    running_balance = models.BigIntegerField()

    class Meta:
        ordering = ["effective_at", "id"]
        indexes = [models.Index(fields=["account", "effective_at", "id"], name="line_account_asat")]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="line_amount_positive"),
            models.CheckConstraint(
                condition=models.Q(side__in=["debit", "credit"]), name="line_side_valid"
            ),
        ]

    @property
    def signed(self) -> int:
        return self.amount if self.side == "debit" else -self.amount


HOLD_STATUSES = ("pending", "posted", "voided", "expired")


class Hold(models.Model):
    """A hold (a pending transfer): placed, then posted (all or part), voided or expired."""

    id = models.UUIDField(primary_key=True)
    position = models.BigIntegerField(unique=True)  # where it was placed in the log
    idempotency_key = models.CharField(max_length=150, unique=True)
    kind = models.CharField(max_length=32, db_index=True)
    status = models.CharField(max_length=8, default="pending")
    amount = models.BigIntegerField()  # the total of its debit legs
    posted_amount = models.BigIntegerField(default=0)
    effective_at = models.DateTimeField()  # from when it holds
    expires_at = models.DateTimeField()
    released_at = models.DateTimeField(null=True)  # from when it holds nothing
    recorded_at = models.DateTimeField()
    actor = models.CharField(max_length=150)
    reason = models.CharField(max_length=500)
    budget = models.CharField(max_length=64, blank=True, db_index=True)
    source_document = models.CharField(max_length=150, blank=True, db_index=True)
    correlation_id = models.CharField(max_length=64, blank=True)
    causation_id = models.CharField(max_length=64, blank=True)
    entry = models.UUIDField(null=True, unique=True)  # the entry that posted it
    resolved_at = models.DateTimeField(null=True)  # when it was posted, voided or expired
    resolved_by_actor = models.CharField(max_length=150, blank=True)
    resolution_reason = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["position"]
        indexes = [models.Index(fields=["status", "expires_at"], name="hold_status_expiry")]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="hold_amount_positive"),
            models.CheckConstraint(
                condition=models.Q(posted_amount__gte=0, posted_amount__lte=models.F("amount")),
                name="hold_posted_within_amount",
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=HOLD_STATUSES), name="hold_status_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(expires_at__gt=models.F("effective_at")),
                name="hold_expires_after_it_starts",
            ),
            # Pending holds are not released; released ones are, no earlier than they began.
            models.CheckConstraint(
                condition=(
                    models.Q(status="pending", released_at__isnull=True)
                    | models.Q(
                        ~models.Q(status="pending"), released_at__gte=models.F("effective_at")
                    )
                ),
                name="hold_released_unless_pending",
            ),
            models.CheckConstraint(
                condition=models.Q(status="posted", posted_amount__gt=0, entry__isnull=False)
                | (~models.Q(status="posted") & models.Q(posted_amount=0, entry__isnull=True)),
                name="hold_posted_by_an_entry",
            ),
        ]

    @property
    def pending(self) -> bool:
        return self.status == "pending"


class HoldLeg(models.Model):
    """One leg of a hold on its account, held from ``effective_at`` until ``released_at``."""

    id = models.BigAutoField(primary_key=True)
    hold = models.ForeignKey(Hold, on_delete=models.PROTECT, related_name="legs")
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="hold_legs")
    side = models.CharField(max_length=6)
    amount = models.BigIntegerField()
    effective_at = models.DateTimeField()
    released_at = models.DateTimeField(null=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["account", "effective_at"], name="hold_leg_account_asat")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(amount__gt=0), name="hold_leg_amount_positive"
            ),
            models.CheckConstraint(
                condition=models.Q(side__in=["debit", "credit"]), name="hold_leg_side_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(released_at__isnull=True)
                | models.Q(released_at__gte=models.F("effective_at")),
                name="hold_leg_released_after_it_began",
            ),
        ]


class ChainLink(models.Model):
    """The tamper-evident hash chain: one link per stored event, in log order."""

    position = models.BigIntegerField(primary_key=True)
    originator_id = models.UUIDField(db_index=True)
    originator_version = models.IntegerField()
    topic = models.CharField(max_length=200)
    hash = models.CharField(max_length=64)

    class Meta:
        ordering = ["position"]


class MerkleLeaf(models.Model):
    """One ledger entry's leaf in the published Merkle tree (ledger/transparency.py), in log
    order. The salt is private: only the entry's own statement shows it, so the published
    tree reveals nothing about anyone."""

    index = models.BigIntegerField(primary_key=True)  # 0, 1, 2 … in the entries' log order
    entry = models.UUIDField(unique=True)
    position = models.BigIntegerField(unique=True)
    budget = models.CharField(max_length=64, blank=True, db_index=True)
    salt = models.CharField(max_length=32)  # hex
    hash = models.CharField(max_length=64)  # hex: SHA-256(0x00 || the leaf's bytes)

    class Meta:
        ordering = ["index"]


class Checkpoint(models.Model):
    """A signed tree head: the tree's size and root at a time, signed with the council's
    Ed25519 key, published for anyone to check statements against."""

    size = models.BigIntegerField(primary_key=True)
    root = models.CharField(max_length=64)  # hex
    published_at = models.DateTimeField()
    origin = models.CharField(max_length=200)
    signature = models.CharField(max_length=100)  # base64

    class Meta:
        ordering = ["-size"]
