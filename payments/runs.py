"""Payments and payment runs. Pure Python: no Django, no I/O.

A ``Payment`` is one due payment (a direct-payment period or a one-off), from the schedule to
the money: it is **posted** to the ledger as a payable (the entry's idempotency key is the
payment's own key), **sent** by a payment rail with an idempotency key derived from that entry,
and **paid** when the settlement entry is posted. Each step records what it did, so a run
killed at any point and run again finds each payment where it stopped and takes only the steps
left: a payment is posted once (the ledger's key), sent once (the rail finds what it was sent
before: Stripe by the transfer's group, Bacs by the run's one file) and settled once.

A ``PaymentRun`` picks what is due on one rail up to a date, works through it in batches, and
ends with a report: paid, failed and skipped, each with its reason. It can be run again after
any failure: the same run carries on from what its payments record.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, event

from config.errors import Conflict, DomainError

NAMESPACE = UUID("8f3e2d1c-4b5a-4968-8776-a5b4c3d2e1f0")
SETTLEMENT_PREFIX = "payments:settle:"


class PaymentError(DomainError):
    pass


class PaymentStateError(PaymentError, Conflict):
    pass


class RailName(StrEnum):
    STRIPE = "stripe"
    BACS = "bacs"

    @property
    def label(self) -> str:
        return {"stripe": "Stripe Connect", "bacs": "Bacs file"}[self.value]


class PaymentStatus(StrEnum):
    DUE = "due"
    POSTED = "posted"  # the payable is in the ledger
    SENT = "sent"  # the rail has it
    PAID = "paid"  # settled in the ledger
    FAILED = "failed"  # a step failed: retried by the next run, or put right by finance

    @property
    def label(self) -> str:
        return {
            "due": "Due",
            "posted": "Payable posted",
            "sent": "Sent",
            "paid": "Paid",
            "failed": "Failed",
        }[self.value]


@dataclass(frozen=True)
class Destination:
    """Where a rail pays: a Stripe connected account, or a bank account for Bacs."""

    name: str
    stripe_account: str = ""
    sort_code: str = ""
    account_number: str = ""


def payment_id(key: str) -> UUID:
    return uuid5(NAMESPACE, f"payment:{key}")


def settlement_key(key: str) -> str:
    """The settlement entry's key, from the payment's: ``payments:dp:DN-1:P01`` →
    ``payments:settle:dp:DN-1:P01``."""
    return SETTLEMENT_PREFIX + key.removeprefix("payments:")


def rail_idempotency_key(entry: UUID) -> str:
    """The rail's idempotency key, from the payable's ledger entry (DESIGN.md)."""
    return f"careledger-payable-{entry}"


class Payment(Aggregate):
    @event("Scheduled")
    def __init__(
        self,
        key: str,
        budget: str,
        kind: str,
        rail: str,
        destination: Destination,
        gross: int,
        netted: int,
        pay_on: date,
        period_start: date,
        period_end: date,
        label: str,
        reason: str,
        run: UUID,
        payable: str = "",
    ) -> None:
        self.key = key
        # The ledger account the payment pays off (a provider's payable; "" for a direct
        # payment's own DP:<ref>:PAYABLE).
        self.payable = payable
        self.budget = budget
        self.kind = kind
        self.rail = RailName(rail)
        self.destination = destination
        self.gross = gross
        self.netted = netted
        self.pay_on = pay_on
        self.period_start = period_start
        self.period_end = period_end
        self.label = label
        self.reason = reason
        self.run = run
        self.entry: UUID | None = None
        self.rail_ref = ""
        self.settlement: UUID | None = None
        self.paid_at: datetime | None = None
        self.failure = ""
        self.retryable = True
        self.attempts = 0

    @staticmethod
    def create_id(key: str) -> UUID:  # type: ignore[override]
        return payment_id(key)

    @property
    def net(self) -> int:
        return self.gross - self.netted

    @property
    def status(self) -> PaymentStatus:
        if self.settlement is not None:
            return PaymentStatus.PAID
        if self.failure:
            return PaymentStatus.FAILED
        if self.rail_ref:
            return PaymentStatus.SENT
        if self.entry is not None:
            return PaymentStatus.POSTED
        return PaymentStatus.DUE

    def check_can_retry(self) -> None:
        if self.status is PaymentStatus.FAILED and not self.retryable:
            raise PaymentStateError(
                f"{self.label} failed and needs finance to put it right: {self.failure}",
                field="payment",
            )

    def record_posted(self, entry: UUID) -> None:
        if self.entry is None:
            self._posted(entry)

    @event("Posted")
    def _posted(self, entry: UUID) -> None:
        self.entry = entry
        self.failure = ""

    def record_sent(self, ref: str) -> None:
        if self.entry is None:
            raise PaymentStateError("a payment is sent only after its payable is posted")
        if not self.rail_ref:
            self._sent(ref)

    @event("Sent")
    def _sent(self, ref: str) -> None:
        self.rail_ref = ref
        self.failure = ""

    def record_paid(self, settlement: UUID, at: datetime) -> None:
        if not self.rail_ref:
            raise PaymentStateError("a payment is settled only after the rail has sent it")
        if self.settlement is None:
            self._paid(settlement, at)

    @event("Paid")
    def _paid(self, settlement: UUID, at: datetime) -> None:
        self.settlement = settlement
        self.paid_at = at
        self.failure = ""

    def record_failure(self, reason: str, *, retryable: bool) -> None:
        self._failed(reason[:1000], retryable)

    @event("Failed")
    def _failed(self, reason: str, retryable: bool) -> None:
        self.failure = reason
        self.retryable = retryable
        self.attempts += 1

    def put_right(self, *, destination: Destination, actor: str, reason: str) -> None:
        """Finance has put right why it failed (a payee's account now set up, say): the next
        run tries again, paying where the payee is paid now."""
        if self.status is not PaymentStatus.FAILED:
            raise PaymentStateError(
                f"only a failed payment is put right: this one is {self.status.label.lower()}",
                field="payment",
            )
        if self.rail_ref:
            raise PaymentStateError("the rail has this payment already", field="payment")
        self._put_right(destination, actor, reason)

    @event("PutRight")
    def _put_right(self, destination: Destination, actor: str, reason: str) -> None:
        self.destination = destination
        self.failure = ""
        self.retryable = True

    def move_to(self, run: UUID) -> None:
        """A payment left unpaid by an earlier run is carried by the next one."""
        if run != self.run and self.status is not PaymentStatus.PAID:
            self._moved(run)

    @event("Moved")
    def _moved(self, run: UUID) -> None:
        self.run = run


def run_id(rail: str, run_on: date) -> UUID:
    return uuid5(NAMESPACE, f"run:{rail}:{run_on.isoformat()}")


class RunStatus(StrEnum):
    RUNNING = "running"
    FINISHED = "finished"


class PaymentRun(Aggregate):
    """One rail's run on one day: which payments it carries, how far it got, and its report."""

    @event("Started")
    def __init__(self, rail: str, run_on: date, pay_by: date, actor: str, keys: tuple[str, ...]):
        self.rail = RailName(rail)
        self.run_on = run_on
        self.pay_by = pay_by
        self.started_by = actor
        self.keys = keys
        self.done = 0
        self.status = RunStatus.RUNNING
        self.report: dict[str, Any] = {}
        self.runs = 1
        self.skipped: tuple[tuple[str, str], ...] = ()

    @staticmethod
    def create_id(rail: str, run_on: date) -> UUID:  # type: ignore[override]
        return run_id(rail, run_on)

    def record_skipped(self, skipped: list[tuple[str, str]]) -> None:
        if skipped:
            self._skipped(tuple(skipped))

    @event("Skipped")
    def _skipped(self, skipped: tuple[tuple[str, str], ...]) -> None:
        self.skipped = tuple(dict([*self.skipped, *skipped]).items())

    def add(self, keys: list[str]) -> None:
        new = tuple(k for k in keys if k not in set(self.keys))
        if new:
            self._added(new)

    @event("Added")
    def _added(self, keys: tuple[str, ...]) -> None:
        self.keys = self.keys + keys

    def progress(self, done: int) -> None:
        if done != self.done:
            self._progressed(done)

    @event("Progressed")
    def _progressed(self, done: int) -> None:
        self.done = done

    def restart(self, actor: str) -> None:
        self._restarted(actor)

    @event("Restarted")
    def _restarted(self, actor: str) -> None:
        self.status = RunStatus.RUNNING
        self.runs += 1

    def finish(self, report: dict[str, Any]) -> None:
        self._finished(report)

    @event("Finished")
    def _finished(self, report: dict[str, Any]) -> None:
        self.report = report
        self.status = RunStatus.FINISHED
