"""Money into and out of the council's Stripe balance, each a ledger entry that reconciliation
expects on both sides: the bank's line and Stripe's balance transaction.

- A **top-up** from the council's bank funds the transfers: Dr ``STRIPE:CLEARING`` / Cr
  ``COUNCIL:BANK``. The bank shows it with the reference careledger gave it.
- Stripe's **automatic payout** returns what is left to the council's bank: Dr
  ``COUNCIL:BANK`` / Cr ``STRIPE:CLEARING``, on its arrival date. The bank shows it with the
  payout's trace id; Stripe lists the transactions it paid out (its ``payout`` filter), which
  must come to its amount: one payout, many transfers.

No Django: the caller hands over Stripe's calls and the ledger's journal. Each step is
idempotent by its key (Stripe's, the ledger's, the aggregate's), so a retry never moves money
twice.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from uuid import UUID, uuid5

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.domain import Aggregate, event
from eventsourcing.persistence import IntegrityError

from config.actor import Actor
from config.errors import DomainError
from config.validation import clean_text
from ledger.domain import EntryDraft
from ledger.money import MoneyError, check_pence, format_pence
from payments import policies
from payments.reconciliation import Expected, Line

NAMESPACE = UUID("4f1e2d3c-5b6a-4789-9abc-def012345678")
BANK = "COUNCIL:BANK"
CLEARING = "STRIPE:CLEARING"


class TreasuryError(DomainError):
    pass


def bank_reference(key: str) -> str:
    """What the council's bank shows for a top-up (at most 15 characters, as Stripe allows)."""
    return "CL TOPUP " + uuid5(NAMESPACE, key).hex[:6].upper()


def check_funding(amount: object, reason: object, key: str) -> tuple[int, str]:
    """A top-up's amount in pence and its reason, or the field that is wrong and why."""
    try:
        pence = check_pence(amount)
    except MoneyError as exc:
        raise TreasuryError(str(exc), field="amount_pence") from None
    why = clean_text(reason, field="reason", limit=300, error=TreasuryError)
    if not key.strip() or len(key) > 200:
        raise TreasuryError(
            "a top-up needs an Idempotency-Key of up to 200 characters", field="idempotency_key"
        )
    return pence, why


class Funding(Aggregate):
    """A top-up of the Stripe balance from the council's bank: recorded as asked for before
    Stripe is, then made (Stripe's top-up and the ledger's entry)."""

    @event("Requested")
    def __init__(
        self, key: str, amount: int, on: date, reference: str, actor: str, reason: str
    ) -> None:
        self.key = key
        self.amount = amount
        self.on = on  # the day it was asked for: the entry's date, however late it is made
        self.reference = reference
        self.actor = actor
        self.reason = reason
        self.topup = ""
        self.entry: UUID | None = None

    @staticmethod
    def create_id(key: str) -> UUID:  # type: ignore[override]
        return uuid5(NAMESPACE, f"funding:{key}")

    def made(self, *, topup: str, entry: UUID) -> None:
        if self.entry is None:
            self._made(topup, entry)

    @event("Made")
    def _made(self, topup: str, entry: UUID) -> None:
        self.topup, self.entry = topup, entry


class StripePayout(Aggregate):
    """Stripe's automatic payout to the council's bank, what it paid out, and its entry."""

    @event("Arrived")
    def __init__(
        self,
        payout: str,
        amount: int,
        arrival: date,
        trace_id: str,
        transactions: list[str],
        kinds: dict[str, int],
        entry: UUID,
    ) -> None:
        self.payout = payout
        self.amount = amount
        self.arrival = arrival
        self.trace_id = trace_id
        self.transactions = transactions
        self.kinds = kinds  # how many of each type it paid out: {"transfer": 40, "topup": 1}
        self.entry = entry

    @staticmethod
    def create_id(payout: str) -> UUID:  # type: ignore[override]
        return uuid5(NAMESPACE, f"payout:{payout}")


@dataclass(frozen=True)
class PayoutSeen:
    """A payout as Stripe reports it (payments/stripe.py ``PayoutDetails``)."""

    id: str
    amount: int
    status: str
    automatic: bool
    arrival_date: int
    trace_id: str
    transactions: tuple[dict[str, Any], ...]
    reconciliation_status: str = "completed"


class Treasury:
    def __init__(self, app: Any) -> None:
        self.app = app  # the PaymentsApplication: its repository and its save

    def fund(
        self,
        actor: Actor,
        *,
        key: str,
        amount: object,
        on: date,
        reason: object,
        top_up: Callable[..., str],
        find: Callable[[str], str | None],
        journal: Any,
    ) -> Funding:
        """Top the Stripe balance up from the council's bank, once per ``key``: the request is
        kept before Stripe is asked, so a retry (the same key, any day after) finds Stripe's
        top-up (``find``: by the key in its metadata, past Stripe's own 24 hours of
        idempotency) instead of making another, and posts the entry on the day asked."""
        policies.check_may_fund_stripe(actor)
        pence, why = check_funding(amount, reason, key)
        found: Funding | None = self._get(Funding.create_id(key))
        if found is None:
            asked = Funding(key, pence, on, bank_reference(key), actor.id, why)
            try:
                self.app.save(asked)
                found = asked
            except IntegrityError:  # the same key, a moment ago
                found = self.app.repository.get(asked.id)
        assert found is not None
        if found.amount != pence:
            raise TreasuryError(
                f"this key asked for a top-up of {format_pence(found.amount)}: use a new key",
                field="idempotency_key",
            )
        if found.entry is not None:
            return found
        topup = (
            found.topup
            or find(key)
            or top_up(
                amount_pence=found.amount,
                idempotency_key=f"payments:topup:{key}",
                description=f"careledger top-up: {found.reason}",
                statement_descriptor=found.reference,
                metadata={"careledger_key": key},
            )
        )
        entry = journal.post_entry(
            EntryDraft.create(
                idempotency_key=f"payments:topup:{key}",
                kind="settlement",
                legs=[
                    {"account": CLEARING, "side": "debit", "amount": found.amount},
                    {"account": BANK, "side": "credit", "amount": found.amount},
                ],
                effective_at=datetime.combine(found.on, time(), tzinfo=UTC),
                actor=found.actor,
                reason=f"Stripe top-up {topup} of {format_pence(found.amount)}: {found.reason}",
                source_document=f"stripe-topup:{topup}",
            )
        )
        found.made(topup=topup, entry=UUID(str(entry.id)))
        self.app.save(found)
        return found

    def record_payout(self, seen: PayoutSeen, *, journal: Any) -> StripePayout | None:
        """Record an automatic payout that has arrived (a pending or failed one moved nothing
        into the bank): its transactions must come to its amount."""
        if not (seen.automatic and seen.status == "paid"):
            return None
        if seen.reconciliation_status != "completed":
            return None  # Stripe has not listed all its transactions yet: the next import
        found = self._get(StripePayout.create_id(seen.id))
        if found is not None:
            return found
        included = [t for t in seen.transactions if t.get("source") != seen.id]
        total = sum(int(t["net"]) for t in included)  # a payout pays out what is net of fees
        if total != seen.amount:
            raise TreasuryError(
                f"payout {seen.id} is {format_pence(seen.amount)} but its transactions come to"
                f" {format_pence(total)}: ask Stripe for the payout's reconciliation report",
                field="payout",
            )
        arrival = datetime.fromtimestamp(seen.arrival_date, UTC).date()
        entry = journal.post_entry(
            EntryDraft.create(
                idempotency_key=f"payments:payout:{seen.id}",
                kind="settlement",
                legs=[
                    {"account": BANK, "side": "debit", "amount": seen.amount},
                    {"account": CLEARING, "side": "credit", "amount": seen.amount},
                ],
                effective_at=datetime.combine(arrival, time(), tzinfo=UTC),
                actor="stripe",
                reason=(
                    f"Stripe payout {seen.id} of {format_pence(seen.amount)} to the council's"
                    f" bank (trace id {seen.trace_id or 'not given'}), paying out"
                    f" {len(included)} transactions"
                ),
                source_document=f"stripe-payout:{seen.id}",
            )
        )
        kinds = dict(Counter(str(t.get("type", "")) for t in included))
        made = StripePayout(
            seen.id,
            seen.amount,
            arrival,
            seen.trace_id,
            [str(t["id"]) for t in included],
            kinds,
            UUID(str(entry.id)),
        )
        try:
            self.app.save(made)
        except IntegrityError:
            return self.app.repository.get(made.id)  # type: ignore[no-any-return]
        return made

    def payouts_to_record(self, lines: list[Line]) -> list[str]:
        """The payouts on Stripe's balance lines (their source a ``po_``) not recorded yet."""
        known = {p.payout for p in self.payouts()}
        return sorted({x.reference for x in lines if x.reference.startswith("po_")} - known)

    def fundings(self) -> list[Funding]:
        return [self.app.repository.get(o) for o in self.app._originators(Funding.Requested)]  # type: ignore[attr-defined]

    def payouts(self) -> list[StripePayout]:
        return [self.app.repository.get(o) for o in self.app._originators(StripePayout.Arrived)]  # type: ignore[attr-defined]

    def bank_expected(self) -> list[Expected]:
        """On the council's bank: each top-up out, by its reference, and each payout in, by its
        trace id. (A key is claimed once across both accounts: each side has its own.)"""
        return [
            *(
                Expected(
                    key=f"bank:topup:{f.key}",
                    amount=-f.amount,
                    reference=f.reference,
                    earliest=f.on,
                    latest=f.on + timedelta(days=3),
                    label=f"Stripe top-up {f.reference}",
                )
                for f in self.fundings()
                if f.entry is not None
            ),
            *(
                Expected(
                    key=f"bank:payout:{p.payout}",
                    amount=p.amount,
                    reference=p.trace_id,
                    earliest=p.arrival - timedelta(days=1),
                    latest=p.arrival + timedelta(days=3),
                    label=f"Stripe payout {p.payout} ({_kinds(p.kinds)})",
                )
                for p in self.payouts()
            ),
        ]

    def stripe_expected(self) -> list[Expected]:
        """On Stripe's balance: each top-up in and each payout out, by their own ids."""
        return [
            *(
                Expected(
                    key=f"stripe:topup:{f.key}",
                    amount=f.amount,
                    reference=f.topup,
                    earliest=f.on - timedelta(days=1),
                    latest=f.on + timedelta(days=7),
                    label=f"Stripe top-up {f.topup}",
                )
                for f in self.fundings()
                if f.entry is not None
            ),
            *(
                Expected(
                    key=f"stripe:payout:{p.payout}",
                    amount=-p.amount,
                    reference=p.payout,
                    earliest=p.arrival - timedelta(days=7),
                    latest=p.arrival,
                    label=f"Stripe payout {p.payout}",
                )
                for p in self.payouts()
            ),
        ]

    def _get(self, id_: UUID) -> Any:
        try:
            return self.app.repository.get(id_)
        except AggregateNotFoundError:
            return None


def _kinds(kinds: dict[str, int]) -> str:
    return ", ".join(f"{n} {kind.replace('_', ' ')}" for kind, n in sorted(kinds.items()))
