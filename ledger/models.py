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

    class Meta:
        ordering = ["code"]

    def on_normal_side(self, value: int) -> int:
        """A debits-minus-credits figure as an accountant reads it: positive on the normal side."""
        return value if self.type in ("asset", "expense") else -value

    @property
    def normal_balance(self) -> int:
        return self.on_normal_side(self.balance)


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


class ChainLink(models.Model):
    """The tamper-evident hash chain: one link per stored event, in log order."""

    position = models.BigIntegerField(primary_key=True)
    originator_id = models.UUIDField(db_index=True)
    originator_version = models.IntegerField()
    topic = models.CharField(max_length=200)
    hash = models.CharField(max_length=64)

    class Meta:
        ordering = ["position"]
