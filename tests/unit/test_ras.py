"""The RAS grid on its own worked examples (docs/ras.md), its versions and its refusals."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from budgets.domain import (
    DEMO_PENCE_PER_POINT,
    DEMO_POINTS,
    BudgetError,
    GridPointsError,
    RasGrid,
    UnmetNeedsError,
    calculate,
    check_grid,
    unmet_needs,
)

TODAY = date(2026, 11, 25)


@pytest.fixture
def grid() -> RasGrid:
    g = RasGrid()
    g.publish(
        effective_from=date(2026, 4, 1),
        today=date(2026, 4, 1),
        points=DEMO_POINTS,
        pence_per_point=DEMO_PENCE_PER_POINT,
        actor="council",
        reason="Grid 2026-1",
    )
    return g


# The worked examples of docs/ras.md: needs, then the points and weekly figure they give.
WORKED = [
    (
        "Sam: three unmet needs",
        [
            ("hygiene", "substantial", "high"),
            ("nutrition", "moderate", "medium"),
            ("relationships", "low", "low"),
        ],
        14,
        32200,
    ),
    ("Lee: one need, low risk", [("habitable_home", "moderate", "low")], 2, 4600),
    (
        "Ade: every need at its worst",
        [
            (o, "substantial", "high")
            for o in ("nutrition", "hygiene", "toilet", "clothing", "home_safety")
        ],
        45,
        103500,
    ),
]


@pytest.mark.parametrize(("who", "needs", "points", "weekly"), WORKED, ids=[w[0] for w in WORKED])
def test_worked_examples(
    grid: RasGrid, who: str, needs: list[tuple[str, str, str]], points: int, weekly: int
) -> None:
    result = calculate(
        grid.in_force(TODAY),
        unmet_needs([{"outcome": o, "severity": s, "risk": r} for o, s, r in needs]),
    )
    assert (result.points, result.weekly, result.yearly) == (points, weekly, weekly * 52)
    assert result.grid_version == 1


def test_the_explanation_reads_line_by_line(grid: RasGrid) -> None:
    result = calculate(
        grid.in_force(TODAY),
        unmet_needs(
            [
                {"outcome": "hygiene", "severity": "substantial", "risk": "high"},
                {"outcome": "relationships", "severity": "low", "risk": "low"},
            ]
        ),
    )
    assert result.explanation == [
        "Maintaining personal hygiene: a substantial need, with high risk to you if it is "
        "not met, scores 9 points.",
        "Developing and maintaining family or other personal relationships: a low need, with "
        "low risk to you if it is not met, scores 1 point.",
        "In all, 10 points. Each point is worth £23.00 a week in this council's grid "
        "(version 1), so your indicative budget is 10 × £23.00 = £230.00 a week "
        "(£11,960.00 a year).",
    ]


def test_a_new_grid_never_changes_a_past_calculation(grid: RasGrid) -> None:
    needs = unmet_needs([{"outcome": "hygiene", "severity": "substantial", "risk": "high"}])
    before = calculate(grid.in_force(TODAY), needs)
    richer = {s: {r: p + 1 for r, p in row.items()} for s, row in DEMO_POINTS.items()}
    grid.publish(
        effective_from=TODAY + timedelta(days=7),
        today=TODAY,
        points=richer,
        pence_per_point=2400,
        actor="council",
        reason="Uplift 2027",
    )
    assert calculate(grid.in_force(TODAY), needs) == before  # the old grid is still in force today
    later = calculate(grid.in_force(TODAY + timedelta(days=7)), needs)
    assert (later.grid_version, later.weekly) == (2, 10 * 2400)
    assert (
        calculate(grid.grid_version(before.grid_version), needs) == before
    )  # recalculated as it was


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        (
            {"points": {**DEMO_POINTS, "low": {"low": 1, "medium": 2}}},
            "points.low.high",
            "whole number",
        ),
        (
            {"points": {**DEMO_POINTS, "moderate": {"low": 2, "medium": 1, "high": 6}}},
            "points.moderate.medium",
            "must not score fewer",
        ),
        (
            {"points": {**DEMO_POINTS, "substantial": {"low": 1, "medium": 6, "high": 9}}},
            "points.substantial.low",
            "must not score fewer",
        ),
        ({"pence_per_point": 0}, "pence_per_point", "more than zero"),
        ({"effective_from": TODAY - timedelta(days=1)}, "effective_from", "today or later"),
        ({"reason": " "}, "reason", "is required"),
    ],
)
def test_bad_grids_are_refused_and_nothing_changes(
    grid: RasGrid, change: dict[str, Any], field: str, message: str
) -> None:
    values = {
        "effective_from": TODAY + timedelta(days=30),
        "today": TODAY,
        "points": DEMO_POINTS,
        "pence_per_point": 2300,
        "actor": "council",
        "reason": "A change",
        **change,
    }
    with pytest.raises(BudgetError, match=message) as err:
        grid.publish(**values)
    assert err.value.field == field
    assert len(grid.versions) == 1


@pytest.mark.parametrize(
    ("needs", "field"),
    [
        ([], "needs"),
        ([{"outcome": "gardening", "severity": "low", "risk": "low"}], "needs[0].outcome"),
        ([{"outcome": "hygiene", "severity": "dire", "risk": "low"}], "needs[0]"),
        ([{"outcome": "hygiene", "severity": "low", "risk": "low"}] * 2, "needs"),
    ],
)
def test_bad_needs_are_refused(needs: list[dict[str, str]], field: str) -> None:
    with pytest.raises(BudgetError) as err:
        unmet_needs(needs)
    assert err.value.field == field


def test_no_grid_in_force_before_the_first() -> None:
    with pytest.raises(BudgetError, match="no RAS grid is in force"):
        RasGrid().in_force(TODAY)


def test_the_grids_and_the_needs_rules_refuse_with_named_errors() -> None:
    with pytest.raises(GridPointsError, match="must not score fewer"):
        check_grid({**DEMO_POINTS, "low": {"low": 5, "medium": 2, "high": 3}})
    with pytest.raises(GridPointsError, match="give points for moderate needs"):
        check_grid({"low": DEMO_POINTS["low"]})
    with pytest.raises(UnmetNeedsError, match="at least one"):
        unmet_needs([])
    with pytest.raises(UnmetNeedsError, match="name each outcome once"):
        unmet_needs([{"outcome": "hygiene", "severity": "low", "risk": "low"}] * 2)
