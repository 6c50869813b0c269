"""A direct payment's surplus: money in the person's account beyond what the council's policy
lets them keep, found, explained line by line, told to them, open to reconsideration, then
recovered (from the next payments, or repaid) or waived, each with its reason. Pure Python.

The **policy is data** (``SurplusPolicy``, the council's settings): how many weeks of payments
the person keeps, a contingency on top, and what is owed from the account (unpaid wages, a
provider's invoice) deducted before anything counts as surplus. Monitoring is proportionate:
the account's balance on a day and what is owed from it are all it asks for.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, event

from config.errors import Conflict, DomainError
from config.validation import clean_text
from ledger.money import MoneyError, check_pence, format_pence

NAMESPACE = UUID("3a9d7c5e-1b2f-4e8a-9c6d-5f4e3d2c1b0a")


class SurplusError(DomainError):
    pass


class SurplusStateError(SurplusError, Conflict):
    pass


@dataclass(frozen=True)
class SurplusPolicy:
    weeks_kept: int = 8  # weeks of net payments the person keeps for what is coming
    contingency: int = 0  # pence kept besides, for the unexpected

    @classmethod
    def create(cls, weeks_kept: object, contingency: object) -> SurplusPolicy:
        if not isinstance(weeks_kept, int) or isinstance(weeks_kept, bool) or weeks_kept < 0:
            raise SurplusError("a whole number of weeks, 0 or more", field="weeks_kept")
        return cls(weeks_kept, pence_of(contingency, "contingency", allow_zero=True))


@dataclass(frozen=True)
class Owed:
    """Something the account must still pay: unpaid wages, a provider's invoice."""

    what: str
    amount: int


def pence_of(value: object, field: str, *, allow_zero: bool = False) -> int:
    if allow_zero and value == 0 and not isinstance(value, bool):
        return 0
    try:
        return check_pence(value)
    except MoneyError as exc:
        raise SurplusError(str(exc), field=field) from None


def work_out(
    *, balance: int, on: date, weekly_net: int, policy: SurplusPolicy, owed: list[Owed]
) -> tuple[int, list[str]]:
    """The surplus, and why, line by line."""
    keep = policy.weeks_kept * weekly_net
    lines = [f"Balance in your direct-payment account on {on:%-d %B %Y}: {format_pence(balance)}"]
    lines.append(
        f"Kept for what is coming: {policy.weeks_kept} weeks of payments at"
        f" {format_pence(weekly_net)} a week, {format_pence(keep)}"
    )
    for item in owed:
        lines.append(f"Still to pay from the account: {item.what}, {format_pence(item.amount)}")
    if policy.contingency:
        lines.append(f"Kept for the unexpected: {format_pence(policy.contingency)}")
    surplus = max(0, balance - keep - sum(o.amount for o in owed) - policy.contingency)
    lines.append(f"Surplus: {format_pence(surplus)}")
    return surplus, lines


class SurplusStatus(StrEnum):
    FOUND = "found"
    NOTICED = "noticed"  # the person told, with the reasons
    RECOVERING = "recovering"  # to come off the next payments
    REPAID = "repaid"
    WAIVED = "waived"


def surplus_id(budget: str, on: date) -> UUID:
    return uuid5(NAMESPACE, f"surplus:{budget}:{on.isoformat()}")


class Surplus(Aggregate):
    @event("Found")
    def __init__(
        self,
        budget: str,
        on: date,
        balance: int,
        amount: int,
        lines: list[str],
        policy: SurplusPolicy,
        actor: str,
    ) -> None:
        self.budget = budget
        self.on = on
        self.balance = balance
        self.amount = amount
        self.lines = lines
        self.policy = policy
        self.found_by = actor
        self.status = SurplusStatus.FOUND
        self.history: list[tuple[str, str, str]] = []  # (what, why, who)
        self.recovered_from: date | None = None
        self.entry: UUID | None = None
        self.asked_again = ""  # the person's reason, until it is reconsidered

    @staticmethod
    def create_id(budget: str, on: date) -> UUID:  # type: ignore[override]
        return surplus_id(budget, on)

    def check(self, *allowed: SurplusStatus, doing: str) -> None:
        if self.status not in allowed:
            raise SurplusStateError(
                f"cannot {doing}: the surplus is {self.status.value}", field="status"
            )

    def notice(self, *, actor: str) -> None:
        """The person is told the surplus and each reason for it (the notice sent: issue 12
        sends it through GOV.UK Notify; here it is recorded)."""
        self.check(SurplusStatus.FOUND, doing="send the notice")
        self._noticed(actor)

    @event("Noticed")
    def _noticed(self, actor: str) -> None:
        self.status = SurplusStatus.NOTICED
        self.history.append(("noticed", "", actor))

    def reconsider(self, *, amount: int, lines: list[str], reason: object, actor: str) -> None:
        """The person asked again (an invoice not counted, say): worked out anew, with why."""
        self.check(SurplusStatus.NOTICED, doing="reconsider")
        why = clean_text(reason, field="reason", limit=1000, error=SurplusError)
        self._reconsidered(amount, lines, why, actor)

    @event("Reconsidered")
    def _reconsidered(self, amount: int, lines: list[str], reason: str, actor: str) -> None:
        self.amount, self.lines, self.asked_again = amount, lines, ""
        self.history.append(("reconsidered", reason, actor))

    def ask_again(self, *, reason: object, actor: str) -> None:
        """The person (or whoever acts for them) asks for the notice to be looked at again:
        nothing is recovered while it is."""
        self.check(SurplusStatus.NOTICED, doing="ask again")
        why = clean_text(reason, field="reason", limit=1000, error=SurplusError)
        self._asked_again(why, actor)

    @event("AskedAgain")
    def _asked_again(self, reason: str, actor: str) -> None:
        self.asked_again = reason
        self.history.append(("asked again", reason, actor))

    def recover_from_payments(self, *, applies_from: date, reason: object, actor: str) -> None:
        self.check(SurplusStatus.NOTICED, doing="recover it")
        if self.asked_again:
            raise SurplusStateError(
                "the person asked for this to be looked at again: reconsider it first",
                field="status",
            )
        if not self.amount:
            raise SurplusError("there is no surplus to recover", field="amount")
        why = clean_text(reason, field="reason", limit=1000, error=SurplusError)
        self._recovering(applies_from, why, actor)

    @event("RecoveryDecided")
    def _recovering(self, applies_from: date, reason: str, actor: str) -> None:
        self.status = SurplusStatus.RECOVERING
        self.recovered_from = applies_from
        self.history.append(("recovered from payments", reason, actor))

    def repaid(self, *, entry: UUID, actor: str) -> None:
        self.check(SurplusStatus.NOTICED, doing="record a repayment")
        self._repaid(entry, actor)

    @event("Repaid")
    def _repaid(self, entry: UUID, actor: str) -> None:
        self.status = SurplusStatus.REPAID
        self.entry = entry
        self.history.append(("repaid", "", actor))

    def waive(self, *, reason: object, actor: str) -> None:
        self.check(SurplusStatus.FOUND, SurplusStatus.NOTICED, doing="waive it")
        why = clean_text(reason, field="reason", limit=1000, error=SurplusError)
        self._waived(why, actor)

    @event("Waived")
    def _waived(self, reason: str, actor: str) -> None:
        self.status = SurplusStatus.WAIVED
        self.history.append(("waived", reason, actor))


def owed_items(items: list[dict[str, object]]) -> list[Owed]:
    found = []
    for n, item in enumerate(items):
        what = clean_text(item.get("what"), field=f"owed[{n}].what", limit=200, error=SurplusError)
        found.append(Owed(what, pence_of(item.get("amount"), f"owed[{n}].amount")))
    return found


def monitored_id(budget: str) -> UUID:
    return uuid5(NAMESPACE, f"monitored:{budget}")


class Monitored(Aggregate):
    """One budget's surpluses and returns, listed as each is made (saved with it), so a page
    about one person reads theirs and nobody else's."""

    @event("Started")
    def __init__(self, budget: str) -> None:
        self.budget = budget
        self.surpluses: list[UUID] = []
        self.returns: list[UUID] = []

    @staticmethod
    def create_id(budget: str) -> UUID:  # type: ignore[override]
        return monitored_id(budget)

    def add_surplus(self, surplus: UUID) -> None:
        self._surplus_added(surplus)

    @event("SurplusAdded")
    def _surplus_added(self, surplus: UUID) -> None:
        self.surpluses = [*self.surpluses, surplus]

    def add_return(self, kept: UUID) -> None:
        self._return_added(kept)

    @event("ReturnAdded")
    def _return_added(self, kept: UUID) -> None:
        self.returns = [*self.returns, kept]
