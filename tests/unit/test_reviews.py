"""Reviews: at 6 weeks, then at least yearly; outcome-focused; reminders once per due date."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from budgets.domain import BudgetError
from budgets.review import Reviews

START = date(2026, 9, 1)
BETTER = {
    "I want to get out to the club again": {"scale": 5, "in_their_words": "I went twice last month"}
}


def test_the_first_review_is_due_at_six_weeks_then_within_a_year_of_each() -> None:
    reviews = Reviews("DN-000123", START)
    assert reviews.due_on == START + timedelta(weeks=6)
    assert not reviews.is_overdue(START + timedelta(weeks=6))
    assert reviews.is_overdue(START + timedelta(weeks=6, days=1))
    held = START + timedelta(weeks=7)
    assert reviews.record(
        on=held, reviewer="alex", reviewer_kind="worker", outcomes=BETTER, changes="", today=held
    ) == held + timedelta(days=365)
    assert reviews.reviews[0]["kind"] == "six-week"
    later = held + timedelta(days=360)
    reviews.record(
        on=later,
        reviewer="priya",
        reviewer_kind="planner",
        outcomes=BETTER,
        changes="More hours at weekends",
        today=later,
    )
    assert reviews.reviews[1]["kind"] == "annual"
    assert [r["on"] for r in reviews.annual_reviews_by_planner("priya")] == [later]
    assert reviews.annual_reviews_by_planner("someone else") == []


def test_a_reminder_is_sent_once_from_two_weeks_before() -> None:
    reviews = Reviews("DN-000123", START)
    due = reviews.due_on
    assert not reviews.remind(today=due - timedelta(days=15))
    assert reviews.remind(today=due - timedelta(days=14))
    assert not reviews.remind(today=due - timedelta(days=3))
    assert reviews.remind(today=due + timedelta(days=1)) is False  # overdue, already reminded


@pytest.mark.parametrize(
    ("outcomes", "field"),
    [
        ({}, "outcomes"),
        ({"Get out more": {"scale": 6}}, "outcomes[0].scale"),
        ({"Get out more": {"scale": True}}, "outcomes[0].scale"),
        ({"": {"scale": 3}}, "outcomes[0].outcome"),
    ],
)
def test_a_review_must_say_how_life_changed(
    outcomes: dict[str, dict[str, object]], field: str
) -> None:
    reviews = Reviews("DN-000123", START)
    with pytest.raises(BudgetError) as err:
        reviews.record(
            on=START,
            reviewer="alex",
            reviewer_kind="worker",
            outcomes=outcomes,
            changes="",
            today=START,
        )
    assert err.value.field == field
    assert reviews.reviews == []


def test_a_review_is_recorded_once_it_has_happened() -> None:
    reviews = Reviews("DN-000123", START)
    with pytest.raises(BudgetError, match="once it has happened"):
        reviews.record(
            on=START + timedelta(days=1),
            reviewer="alex",
            reviewer_kind="worker",
            outcomes=BETTER,
            changes="",
            today=START,
        )


def test_a_review_cannot_be_dated_before_the_plan_started() -> None:
    reviews = Reviews("DN-000123", START)
    with pytest.raises(BudgetError, match="on or after") as err:
        reviews.record(
            on=START - timedelta(days=1),
            reviewer="alex",
            reviewer_kind="worker",
            outcomes=BETTER,
            changes="",
            today=START + timedelta(days=50),
        )
    assert err.value.field == "on" and reviews.reviews == []
