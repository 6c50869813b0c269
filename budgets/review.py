"""Reviews of a person's plan: at 6 weeks, then at least every 12 months. Pure Python.

A review asks about outcomes (has life got better?), not receipts. Who carried it out is
recorded: an annual review by the engaged accredited planner is what lets the planner
invoice the annual-review fee later.
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import partial
from typing import Any
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, event

from budgets.domain import BudgetError
from budgets.people import text
from config.errors import gather

NAMESPACE = UUID("2c3d4e5f-6071-4829-8a3b-4c5d6e7f8091")
FIRST_REVIEW = timedelta(weeks=6)
AT_LEAST_EVERY = timedelta(days=365)
REMIND_BEFORE = timedelta(days=14)
SCALE = {
    1: "Much worse",
    2: "A little worse",
    3: "No change",
    4: "A little better",
    5: "Much better",
}


def _answer(
    where: str, outcome: object, answer: dict[str, object]
) -> tuple[str, dict[str, object]]:
    """One outcome's answer: how life has changed (1 to 5) and, if they like, their words."""
    scale = answer.get("scale")
    checked: dict[str, Any] = gather(
        {
            "outcome": partial(text, outcome, f"{where}.outcome", 300),
            "scale": partial(_scale, scale, f"{where}.scale"),
            "words": partial(
                text, answer.get("in_their_words"), f"{where}.in_their_words", 2000, required=False
            ),
        }
    )
    return checked["outcome"], {"scale": checked["scale"], "in_their_words": checked["words"]}


def _scale(scale: object, field: str) -> int:
    if isinstance(scale, bool) or not isinstance(scale, int) or scale not in SCALE:
        raise BudgetError(
            "must be a whole number from 1 (much worse) to 5 (much better)", field=field
        )
    return scale


class Reviews(Aggregate):
    """The review schedule and every review of one person's plan."""

    @event("Scheduled")
    def __init__(self, council_ref: str, plan_started: date) -> None:
        self.council_ref = council_ref
        self.plan_started = plan_started
        self.due_on = plan_started + FIRST_REVIEW
        self.reviews: list[dict[str, Any]] = []
        self.reminded_for: date | None = None

    @staticmethod
    def create_id(council_ref: str) -> UUID:  # type: ignore[override]
        return uuid5(NAMESPACE, f"reviews:{council_ref}")

    def is_overdue(self, today: date) -> bool:
        return today > self.due_on

    def remind(self, *, today: date) -> bool:
        """Remind the worker once per due date, from two weeks before it."""
        if today < self.due_on - REMIND_BEFORE or self.reminded_for == self.due_on:
            return False
        self._reminded(due_on=self.due_on, on=today)
        return True

    @event("ReminderSent")
    def _reminded(self, due_on: date, on: date) -> None:
        self.reminded_for = due_on

    def record(
        self,
        *,
        on: date,
        reviewer: str,
        reviewer_kind: str,
        outcomes: dict[str, dict[str, object]],
        changes: object,
        today: date,
    ) -> date:
        """Record a review; the next is due within 12 months of it."""
        if on > today:
            raise BudgetError("a review is recorded once it has happened", field="on")
        if on < self.plan_started:
            raise BudgetError(
                f"must be on or after {self.plan_started:%-d %B %Y}, when the plan started",
                field="on",
            )
        if reviewer_kind not in ("worker", "planner"):
            raise BudgetError("must be worker or planner", field="reviewer_kind")
        if not outcomes:
            raise BudgetError(
                "say, for each of the person's outcomes, how life has changed", field="outcomes"
            )
        checked = gather(
            {
                str(i): partial(_answer, f"outcomes[{i}]", outcome, answer)
                for i, (outcome, answer) in enumerate(outcomes.items())
            }
        )
        answers = dict(checked.values())
        kind = "six-week" if not self.reviews else "annual"
        self._recorded(
            on=on,
            kind=kind,
            reviewer=reviewer,
            reviewer_kind=reviewer_kind,
            outcomes=answers,
            changes=text(changes, "changes", 2000, required=False),
            next_due=on + AT_LEAST_EVERY,
        )
        return self.due_on

    @event("Recorded")
    def _recorded(
        self,
        on: date,
        kind: str,
        reviewer: str,
        reviewer_kind: str,
        outcomes: dict[str, dict[str, Any]],
        changes: str,
        next_due: date,
    ) -> None:
        self.reviews.append(
            {
                "on": on,
                "kind": kind,
                "reviewer": reviewer,
                "reviewer_kind": reviewer_kind,
                "outcomes": outcomes,
                "changes": changes,
            }
        )
        self.due_on = next_due

    def annual_reviews_by_planner(self, planner: str) -> list[dict[str, Any]]:
        """What a planner may invoice the annual-review fee for: annual reviews they did."""
        return [
            r
            for r in self.reviews
            if r["kind"] == "annual"
            and r["reviewer"] == planner
            and r["reviewer_kind"] == "planner"
        ]
