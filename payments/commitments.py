"""A fee committed against a person's budget, held in the ledger until it is owed however long
that takes (docs/ledger.md, section 5: holds).

A hold reaches no further ahead than the ledger takes an entry (90 days by default), and a plan
can take longer to sign off than that. So a commitment is a **chain** of holds from one base key
(the first, then ``:renewal-1``, ``:renewal-2``, …): renewing places the next hold before it
voids the last, so at no moment is the fee not held. Should the last be posted in between (the
plan signed off a moment before), the new one is voided instead: never both.

Posting and releasing act on the chain, so the sign-off and the engagement ending find the hold
whichever renewal it is on. Every step names the hold by its key, so one run again finds what it
did before.
"""

from __future__ import annotations

from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime, timedelta

from ledger.application import Journal, LedgerApplication
from ledger.domain import (
    ConflictError,
    Hold,
    HoldAlreadyPostedError,
    HoldDraft,
    HoldNotPendingError,
    HoldStatus,
    NotFoundError,
    hold_id,
)

# As far ahead as a hold may reach (one day inside the ledger's default bound of 90).
HOLD_DAYS = 89
# A hold is renewed when it has less than this left (the daily job has two weeks to do it).
RENEW_WITHIN = timedelta(days=14)


def chain_key(base: str, n: int) -> str:
    return base if n == 0 else f"{base}:renewal-{n}"


def holds_of(ledger: LedgerApplication, base: str) -> list[Hold]:
    """The commitment's holds, first to last."""
    found: list[Hold] = []
    while True:
        try:
            found.append(ledger.get_hold(hold_id(chain_key(base, len(found)))))
        except NotFoundError:
            return found


def is_committed(ledger: LedgerApplication, base: str) -> bool:
    """Whether the commitment's hold was posted (the fee committed)."""
    return any(h.status is HoldStatus.POSTED for h in holds_of(ledger, base))


def committed_amount(ledger: LedgerApplication, base: str) -> int:
    """What the commitment's posted hold committed (0 when none was posted)."""
    return sum(h.posted_amount for h in holds_of(ledger, base) if h.status is HoldStatus.POSTED)


@dataclass(frozen=True)
class Commitment:
    """What is held: a budget's fee, from its available money to its committed money."""

    base: str  # the first hold's key; renewals follow from it
    budget: str
    amount: int
    reason: str
    source_document: str

    def draft(self, n: int, *, now: datetime, actor: str) -> HoldDraft:
        return HoldDraft.create(
            idempotency_key=chain_key(self.base, n),
            kind="commitment",
            legs=[
                {"account": f"PB:{self.budget}:AVAILABLE", "side": "debit", "amount": self.amount},
                {"account": f"PB:{self.budget}:COMMITTED", "side": "credit", "amount": self.amount},
            ],
            effective_at=now,
            expires_at=now + timedelta(days=HOLD_DAYS),
            actor=actor,
            reason=self.reason if n == 0 else f"{self.reason} (renewed)",
            budget=self.budget,
            source_document=self.source_document,
        )


def hold(journal: Journal, commitment: Commitment, *, now: datetime, actor: str) -> None:
    """The first hold (a step run again with the same ``now`` finds it)."""
    journal.hold(commitment.draft(0, now=now, actor=actor))


def keep_held(
    journal: Journal,
    commitment: Commitment,
    *,
    now: datetime,
    renew_within: timedelta = RENEW_WITHIN,
) -> str:
    """Hold the fee for a while yet: "kept" (held long enough), "renewed" (a new hold, the old
    voided), "held" (none was pending: a first one, or after one expired), or "posted"."""
    chain = holds_of(journal.ledger, commitment.base)
    if any(h.status is HoldStatus.POSTED for h in chain):
        return "posted"
    last = chain[-1] if chain else None
    pending = last is not None and last.status is HoldStatus.PENDING
    if last is not None and pending and last.expires_at - now > renew_within:
        return "kept"
    new = hold_id(chain_key(commitment.base, len(chain)))
    try:
        journal.hold(commitment.draft(len(chain), now=now, actor=journal.actor.id))
    except ConflictError:
        return "kept"  # another run renewed it this moment, with its own times
    if last is None or not pending:
        return "held"
    try:
        journal.void_hold(hold=last.id, reason="Renewed: the fee is still held, by a new hold")
    except HoldAlreadyPostedError:
        journal.void_hold(hold=new, reason="The fee was committed meanwhile: not held twice")
        return "posted"
    except HoldNotPendingError:
        pass  # expired this moment: the new hold stands alone
    return "renewed"


def post(journal: Journal, base: str, *, reason: str, effective_at: datetime) -> bool:
    """Post the commitment's pending hold, as the commitment entry; False when none is pending
    (posted before: this step run again; voided; expired). Nothing ever held is refused
    (``NotFoundError``: a step that came before its hold is parked, to be run again)."""
    chain = holds_of(journal.ledger, base)
    if not chain:
        raise NotFoundError(f"no hold {base} to post", field="hold")
    for found in reversed(chain):
        if found.status is HoldStatus.PENDING:
            with suppress(HoldNotPendingError):
                journal.post_hold(hold=found.id, reason=reason, effective_at=effective_at)
                return True
    return False


def release(journal: Journal, base: str, *, reason: str) -> None:
    """Void whatever of the commitment is still pending (a posted fee stands)."""
    for found in holds_of(journal.ledger, base):
        if found.status is HoldStatus.PENDING:
            with suppress(HoldNotPendingError):
                journal.void_hold(hold=found.id, reason=reason)
