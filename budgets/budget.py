"""The personal budget: allocated from the indicative figure, split across ways of taking it.

Pure Python. Every allocation and revision is also a ledger entry (budgets/application.py
posts it, with an idempotency key derived from the budget's own event).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, event

from budgets.domain import BudgetError, Calculation
from budgets.people import text
from config.errors import gather
from ledger.money import MAX_PENCE, MoneyError, check_pence, format_pence

NAMESPACE = UUID("8a9b0c1d-2e3f-4a5b-8c6d-7e8f9a0b1c2d")
WAYS = ("direct_payment", "council_managed", "individual_service_fund")
WEEKS_A_YEAR = 52


# A year of the budget is one ledger entry, which holds at most MAX_PENCE.
MAX_WEEKLY = MAX_PENCE // WEEKS_A_YEAR


def weekly_amount(value: object, field: str = "weekly") -> int:
    """A weekly budget: whole pence, more than zero, and a year of it within one entry."""
    amount = pence_or_zero(value, field)
    if amount > MAX_WEEKLY:
        raise BudgetError(f"must be at most {format_pence(MAX_WEEKLY)} a week", field=field)
    return amount


def pence_or_zero(value: object, field: str) -> int:
    if value in (None, 0):
        return 0
    try:
        return check_pence(value)
    except MoneyError as exc:
        raise BudgetError(str(exc), field=field) from None


@dataclass(frozen=True)
class Split:
    """How the weekly budget is taken: a direct payment, council-managed, an ISF, or a mix."""

    direct_payment: int
    council_managed: int
    individual_service_fund: int

    @classmethod
    def create(cls, raw: dict[str, object], weekly: int) -> Split:
        unknown = set(raw) - set(WAYS)
        if unknown:
            raise BudgetError("must be " + ", ".join(WAYS), field=f"split.{sorted(unknown)[0]}")
        split = cls(*(pence_or_zero(raw.get(way), f"split.{way}") for way in WAYS))
        if split.total != weekly:
            raise BudgetError(
                f"the parts add up to {format_pence(split.total)} a week, not the budget's "
                f"{format_pence(weekly)}",
                field="split",
            )
        return split

    @property
    def total(self) -> int:
        return self.direct_payment + self.council_managed + self.individual_service_fund


class ContributionMethod(StrEnum):
    """The council's recorded choice for the person's assessed contribution (DOMAIN.md)."""

    NET = "net"  # taken off the direct payment: the person pays it into their account
    GROSS = "gross"  # the direct payment is paid whole and the council invoices the person


# Direct payments are paid every four weeks, in advance (the council's default schedule).
PERIOD_WEEKS = 4


@dataclass(frozen=True)
class BudgetFigures:
    """Every figure a person, a worker or finance sees of a budget, worked out in one place:
    the personal budget is what the council pays plus the person's contribution, and the
    council's method decides what each direct payment is."""

    total_weekly: int
    contribution_weekly: int
    direct_payment_weekly: int  # the part of the budget taken as a direct payment
    method: ContributionMethod = ContributionMethod.NET
    period_weeks: int = PERIOD_WEEKS

    @property
    def council_pays_weekly(self) -> int:
        return self.total_weekly - self.contribution_weekly

    @property
    def netted_weekly(self) -> int:
        """The contribution taken off the direct payment (none when charged gross)."""
        if self.method is ContributionMethod.GROSS:
            return 0
        return min(self.contribution_weekly, self.direct_payment_weekly)

    @property
    def invoiced_weekly(self) -> int:
        """The contribution the council invoices the person for (what is not netted off)."""
        return self.contribution_weekly - self.netted_weekly

    @property
    def paid_weekly(self) -> int:
        """What the council pays into the direct-payment account, a week."""
        return self.direct_payment_weekly - self.netted_weekly

    @property
    def paid_per_period(self) -> int:
        return self.paid_weekly * self.period_weeks

    def explanation(self) -> list[str]:
        """Each figure with its reason beside it: the personal budget statement (Care Act s.26)."""
        lines = [
            f"Your personal budget: {format_pence(self.total_weekly)} a week.",
            f"The council pays {format_pence(self.council_pays_weekly)} a week.",
            f"You contribute {format_pence(self.contribution_weekly)} a week, "
            "as your financial assessment found.",
        ]
        if self.direct_payment_weekly:
            lines.append(
                f"{format_pence(self.direct_payment_weekly)} a week of the budget is taken as a "
                "direct payment."
            )
            if self.netted_weekly:
                lines.append(
                    f"Your contribution of {format_pence(self.netted_weekly)} a week is taken off "
                    f"it, so the council pays {format_pence(self.paid_weekly)} a week into your "
                    "direct-payment account, and you pay your contribution into it yourself."
                )
            else:
                lines.append(
                    f"The council pays {format_pence(self.paid_weekly)} a week into your "
                    "direct-payment account."
                )
            lines.append(
                f"It is paid every {self.period_weeks} weeks, in advance: "
                f"{format_pence(self.paid_per_period)} each time."
            )
        if self.invoiced_weekly:
            lines.append(
                f"The council invoices you for your contribution of "
                f"{format_pence(self.invoiced_weekly)} a week."
            )
        return lines

    def as_dict(self) -> dict[str, Any]:
        """What a plan version keeps of the budget it carries (the plan's own record)."""
        return {
            "total_weekly": self.total_weekly,
            "council_pays_weekly": self.council_pays_weekly,
            "contribution_weekly": self.contribution_weekly,
            "direct_payment_weekly": self.direct_payment_weekly,
            "contribution_method": self.method.value,
            "period_weeks": self.period_weeks,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> BudgetFigures:
        """A plan version's record; versions written before the method was kept were net."""
        return cls(
            total_weekly=data["total_weekly"],
            contribution_weekly=data["contribution_weekly"],
            direct_payment_weekly=data["direct_payment_weekly"],
            method=ContributionMethod(data.get("contribution_method", "net")),
            period_weeks=data.get("period_weeks", PERIOD_WEEKS),
        )


def budget_id(council_ref: str) -> UUID:
    return uuid5(NAMESPACE, f"budget:{council_ref}")


class PersonalBudget(Aggregate):
    """One person's budget: the allocation and every revision, each with its reason."""

    @event("Allocated")
    def __init__(
        self,
        council_ref: str,
        assessment_version: int,
        grid_version: int,
        indicative_weekly: int,
        weekly: int,
        adjustment_reason: str,
        contribution_weekly: int,
        split: dict[str, int],
        direct_payment_start: date | None,
        effective_from: date,
        actor: str,
        contribution_method: str = "net",  # allocations recorded before it was kept were net
    ) -> None:
        self.council_ref = council_ref
        self.contribution_method = ContributionMethod(contribution_method)
        self.assessment_version = assessment_version
        self.grid_version = grid_version
        self.indicative_weekly = indicative_weekly
        self.weekly = weekly
        self.contribution_weekly = contribution_weekly
        self.split = Split(**split)
        self.direct_payment_start = direct_payment_start
        self.adjustment_reason = adjustment_reason
        self.effective_from = effective_from
        self.contribution_from = effective_from  # when the contribution in force took effect
        self.revised_from = effective_from  # when the weekly figure in force took effect
        self.set_by = actor  # who set the figure: never the one who signs it off
        self.revisions = 0
        # What was asked for, so a retry is told apart from a different second allocation.
        self.allocated_as = (weekly, contribution_weekly, self.split, direct_payment_start)

    @staticmethod
    def create_id(council_ref: str) -> UUID:  # type: ignore[override]
        return budget_id(council_ref)

    @classmethod
    def allocate(
        cls,
        *,
        council_ref: str,
        assessment_version: int,
        calculation: Calculation,
        weekly: object,
        adjustment_reason: object,
        contribution_weekly: object,
        split: dict[str, object],
        direct_payment_start: date | None,
        today: date,
        actor: str,
        contribution_method: object = ContributionMethod.NET,
    ) -> PersonalBudget:
        final = weekly_amount(pence_or_zero(weekly, "weekly") or calculation.weekly)

        def contribution() -> int:
            amount = pence_or_zero(contribution_weekly, "contribution_weekly")
            if amount > final:
                raise BudgetError(
                    "cannot be more than the budget itself", field="contribution_weekly"
                )
            return amount

        def start() -> date | None:
            try:
                direct_payment = pence_or_zero(split.get("direct_payment"), "split")
            except BudgetError:
                return direct_payment_start  # the part itself is refused, by the split's check
            if direct_payment:
                if direct_payment_start is None:
                    raise BudgetError(
                        "say when direct payments start", field="direct_payment_start"
                    )
                if direct_payment_start < today:
                    raise BudgetError("must not be in the past", field="direct_payment_start")
            elif direct_payment_start is not None:
                raise BudgetError(
                    "there is no direct-payment part to start", field="direct_payment_start"
                )
            return direct_payment_start

        # Every check runs, so the worker sees each field at fault at once.
        checked: dict[str, Any] = gather(
            {
                "reason": lambda: text(
                    adjustment_reason,
                    "adjustment_reason",
                    1000,
                    required=final != calculation.weekly,
                ),
                "contribution": contribution,
                "parts": lambda: Split.create(split, final),
                "start": start,
            }
        )
        return cls(
            council_ref,
            assessment_version,
            calculation.grid_version,
            calculation.weekly,
            final,
            checked["reason"],
            checked["contribution"],
            dict(checked["parts"].__dict__),
            checked["start"],
            today,
            actor,
            ContributionMethod(str(contribution_method)).value,
        )

    @property
    def figures(self) -> BudgetFigures:
        return BudgetFigures(
            total_weekly=self.weekly,
            contribution_weekly=self.contribution_weekly,
            direct_payment_weekly=self.split.direct_payment,
            method=self.contribution_method,
        )

    def same_allocation(
        self,
        *,
        weekly: object,
        contribution_weekly: object,
        split: dict[str, object],
        direct_payment_start: date | None,
        **_: object,
    ) -> bool:
        """Whether a repeated allocation asks for what the first one recorded (a retry)."""
        try:
            asked = (
                pence_or_zero(weekly, "weekly") or self.indicative_weekly,
                pence_or_zero(contribution_weekly, "contribution_weekly"),
                Split(*(pence_or_zero(split.get(way), f"split.{way}") for way in WAYS)),
                direct_payment_start,
            )
        except BudgetError:
            return False
        return asked == self.allocated_as

    def revise(
        self,
        *,
        weekly: object,
        split: dict[str, object],
        reason: object,
        assessment_version: int,
        today: date,
        actor: str,
        unspent: int | None = None,
    ) -> int:
        """A review may change the budget; it cannot cut it without a new assessment, nor by
        more than the budget still holds (``unspent``: not yet spent or committed)."""
        new = weekly_amount(weekly)
        if new == 0:
            raise BudgetError("must be more than zero pence", field="weekly")
        why = text(reason, "reason", 1000)
        if new < self.weekly and assessment_version <= self.assessment_version:
            raise BudgetError("a review cannot cut a budget without a reassessment", field="weekly")
        taken_back = (self.weekly - new) * WEEKS_A_YEAR
        if unspent is not None and taken_back > unspent:
            raise BudgetError(
                f"the budget holds {format_pence(unspent)} not yet spent or committed, so it "
                f"cannot give back {format_pence(taken_back)} for the year",
                field="weekly",
            )
        parts = Split.create(split, new)
        delta = new - self.weekly
        self._revised(
            weekly=new,
            split=dict(parts.__dict__),
            reason=why,
            assessment_version=assessment_version,
            effective_from=today,
            actor=actor,
        )
        return delta

    def change_contribution(
        self, *, weekly: object, effective_from: object, reason: object, today: date, actor: str
    ) -> int:
        """A new financial assessment: the person's weekly contribution from a date, which may
        be back to when their means changed (not before the budget took effect, its last
        revision or the last change to the contribution, nor ahead of today). Returns the
        change a week."""
        new = pence_or_zero(weekly, "contribution_weekly")
        if new > self.weekly:
            raise BudgetError("cannot be more than the budget itself", field="contribution_weekly")
        if new == self.contribution_weekly:
            raise BudgetError(
                f"the contribution is {format_pence(new)} a week already",
                field="contribution_weekly",
            )
        if not isinstance(effective_from, date):
            raise BudgetError(
                "give the date the new contribution applies from", field="effective_from"
            )
        # In date order with the budget's other changes, as its direct payment takes them.
        earliest = max(self.effective_from, self.contribution_from, self.revised_from)
        if effective_from < earliest:
            raise BudgetError(
                f"must be on or after {earliest:%-d %B %Y} (the budget's start, its last"
                " revision or the last change to the contribution)",
                field="effective_from",
            )
        if effective_from > today:
            raise BudgetError(
                "must not be in the future: record it once it applies", field="effective_from"
            )
        why = text(reason, "reason", 1000)
        delta = new - self.contribution_weekly
        self._contribution_changed(
            contribution_weekly=new, effective_from=effective_from, reason=why, actor=actor
        )
        return delta

    @event("ContributionChanged")
    def _contribution_changed(
        self, contribution_weekly: int, effective_from: date, reason: str, actor: str
    ) -> None:
        self.contribution_weekly = contribution_weekly
        self.contribution_from = effective_from

    @event("Revised")
    def _revised(
        self,
        weekly: int,
        split: dict[str, int],
        reason: str,
        assessment_version: int,
        effective_from: date,
        actor: str,
    ) -> None:
        self.weekly = weekly
        self.split = Split(**split)
        self.assessment_version = assessment_version
        self.set_by = actor
        self.revisions += 1
        self.revised_from = effective_from
