"""Personal budgets: the council's Resource Allocation System (RAS) grid. Pure Python.

The grid turns each eligible unmet need (its severity, and the risk to the person if it
is not met) into points, and points into a weekly indicative budget, so a worker can
explain the figure line by line: "not the computer says so". The grid is versioned with
the date each version takes effect; a calculation records the version that produced it,
so a new grid never changes a past allocation.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, event

from config import versions
from config.errors import DomainError
from config.validation import clean_text
from ledger.money import MoneyError, check_pence, format_pence

NAMESPACE = UUID("3c7d2e1f-8a4b-4c6d-9e0f-1a2b3c4d5e6f")

# The eligibility outcomes of the Care and Support (Eligibility Criteria) Regulations 2015.
OUTCOMES = {
    "nutrition": "Managing and maintaining nutrition",
    "hygiene": "Maintaining personal hygiene",
    "toilet": "Managing toilet needs",
    "clothing": "Being appropriately clothed",
    "home_safety": "Being able to make use of the home safely",
    "habitable_home": "Maintaining a habitable home environment",
    "relationships": "Developing and maintaining family or other personal relationships",
    "work_learning": "Accessing and engaging in work, training, education or volunteering",
    "community": "Making use of necessary facilities or services in the local community",
    "caring": "Carrying out any caring responsibilities for a child",
}


class BudgetError(DomainError):
    pass


class GridPointsError(BudgetError):
    """A grid's points are missing, out of range, or score a worse need lower."""


class UnmetNeedsError(BudgetError):
    """An indicative budget needs eligible unmet needs, each outcome named once."""


# The council's versioned settings in this context (the RAS grid, the sign-off rules): one
# mechanism, config/versions.py, with this context's names for its errors.
class SettingNotInForceError(BudgetError, versions.NotInForceError):
    pass


class SettingDateError(BudgetError, versions.EffectiveDateError):
    pass


class NoSuchSettingVersionError(BudgetError, versions.NoSuchVersionError):
    pass


def budgets_setting(name: str, field: str) -> versions.Setting:
    return versions.Setting(
        name,
        field,
        not_in_force=SettingNotInForceError,
        date_refused=SettingDateError,
        no_such_version=NoSuchSettingVersionError,
    )


GRID = budgets_setting("RAS grid", "grid")


class Severity(StrEnum):
    LOW = "low"
    MODERATE = "moderate"
    SUBSTANTIAL = "substantial"


class Risk(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


@dataclass(frozen=True)
class UnmetNeed:
    """What is left of a need after the person's own strengths, family and community."""

    outcome: str
    severity: Severity
    risk: Risk

    @classmethod
    def create(cls, *, outcome: object, severity: object, risk: object, field: str) -> UnmetNeed:
        if outcome not in OUTCOMES:
            raise BudgetError("must be one of the eligibility outcomes", field=f"{field}.outcome")
        try:
            return cls(str(outcome), Severity(str(severity)), Risk(str(risk)))
        except ValueError:
            raise BudgetError(
                "severity must be low, moderate or substantial; risk low, medium or high",
                field=field,
            ) from None


@dataclass(frozen=True)
class GridVersion:
    version: int
    effective_from: date
    points: dict[str, dict[str, int]]  # severity -> risk -> points
    pence_per_point: int

    def points_for(self, need: UnmetNeed) -> int:
        return self.points[need.severity.value][need.risk.value]


@dataclass(frozen=True)
class Line:
    outcome: str
    severity: str
    risk: str
    points: int
    words: str


@dataclass(frozen=True)
class Calculation:
    """An indicative budget and how it was reached, in words the person understands."""

    grid_version: int
    lines: tuple[Line, ...]
    points: int
    pence_per_point: int
    weekly: int

    @property
    def yearly(self) -> int:
        return self.weekly * 52

    @property
    def explanation(self) -> list[str]:
        total = (
            f"In all, {self.points} points. Each point is worth "
            f"{format_pence(self.pence_per_point)} a week in this council's grid "
            f"(version {self.grid_version}), so your indicative budget is "
            f"{self.points} × {format_pence(self.pence_per_point)} = "
            f"{format_pence(self.weekly)} a week ({format_pence(self.yearly)} a year)."
        )
        return [line.words for line in self.lines] + [total]


def check_grid(points: Mapping[str, Mapping[str, object]]) -> dict[str, dict[str, int]]:
    """Every cell a whole number from 0 to 100, never fewer points for a worse need or risk."""
    grid: dict[str, dict[str, int]] = {}
    for s in Severity:
        row = points.get(s.value) if isinstance(points, Mapping) else None
        if not isinstance(row, Mapping):
            raise GridPointsError(f"give points for {s.value} needs", field=f"points.{s.value}")
        grid[s.value] = {}
        for r in Risk:
            value = row.get(r.value)
            if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 100:
                raise GridPointsError(
                    "must be a whole number of points from 0 to 100",
                    field=f"points.{s.value}.{r.value}",
                )
            grid[s.value][r.value] = value
    severities, risks = list(Severity), list(Risk)
    for i, s in enumerate(severities):
        for j, r in enumerate(risks):
            # Compared with the cells for a less severe need and for a lower risk.
            better = [grid[severities[i - 1].value][r.value]] if i else []
            better += [grid[s.value][risks[j - 1].value]] if j else []
            if any(grid[s.value][r.value] < b for b in better):
                raise GridPointsError(
                    "a more severe need or a higher risk must not score fewer points",
                    field=f"points.{s.value}.{r.value}",
                )
    return grid


class RasGrid(Aggregate):
    """The council's RAS grid, versioned with the date each version takes effect."""

    ID = uuid5(NAMESPACE, "ras-grid")

    @event("Created")
    def __init__(self) -> None:
        self.versions: list[GridVersion] = []

    @staticmethod
    def create_id() -> UUID:  # type: ignore[override]
        return RasGrid.ID

    def publish(
        self,
        *,
        effective_from: date,
        today: date,
        points: Mapping[str, Mapping[str, object]],
        pence_per_point: object,
        actor: str,
        reason: object,
    ) -> int:
        self.history.check_effective_from(effective_from, today=today)
        try:
            price = check_pence(pence_per_point)
        except MoneyError as exc:
            raise BudgetError(str(exc), field="pence_per_point") from None
        why = clean_text(reason, field="reason", limit=1000, multiline=True, error=BudgetError)
        self._published(
            effective_from=effective_from,
            points=check_grid(points),
            pence_per_point=price,
            actor=actor,
            reason=why,
        )
        return self.history.current_number

    @event("VersionPublished")
    def _published(
        self,
        effective_from: date,
        points: dict[str, dict[str, int]],
        pence_per_point: int,
        actor: str,
        reason: str,
    ) -> None:
        self.versions.append(
            GridVersion(self.history.next_number, effective_from, points, pence_per_point)
        )

    @property
    def history(self) -> versions.DatedVersions[GridVersion]:
        """The versions, as every versioned council setting answers about them."""
        return versions.DatedVersions(GRID, self.versions)

    def in_force(self, day: date) -> GridVersion:
        return self.history.in_force(day)

    def grid_version(self, number: int) -> GridVersion:
        return self.history.number(number)


def unmet_needs(raw: Iterable[Mapping[str, Any]]) -> list[UnmetNeed]:
    needs = [
        UnmetNeed.create(
            outcome=item.get("outcome"),
            severity=item.get("severity"),
            risk=item.get("risk"),
            field=f"needs[{i}]",
        )
        for i, item in enumerate(raw)
    ]
    check_needs(needs)
    return needs


def check_needs(needs: list[UnmetNeed]) -> None:
    if not needs:
        raise UnmetNeedsError(
            "an indicative budget needs at least one eligible unmet need", field="needs"
        )
    outcomes = [n.outcome for n in needs]
    if len(set(outcomes)) != len(outcomes):
        raise UnmetNeedsError("name each outcome once", field="needs")


def calculate(grid: GridVersion, needs: Iterable[UnmetNeed]) -> Calculation:
    """The indicative weekly budget for these eligible unmet needs, with its explanation."""
    lines = []
    for need in needs:
        points = grid.points_for(need)
        words = (
            f"{OUTCOMES[need.outcome]}: a {need.severity.value} need, with {need.risk.value} "
            f"risk to you if it is not met, scores {points} point{'s' if points != 1 else ''}."
        )
        lines.append(Line(need.outcome, need.severity.value, need.risk.value, points, words))
    total = sum(line.points for line in lines)
    return Calculation(
        grid_version=grid.version,
        lines=tuple(lines),
        points=total,
        pence_per_point=grid.pence_per_point,
        weekly=total * grid.pence_per_point,
    )


# The demo council's first grid (documented in docs/ras.md, with its worked examples).
DEMO_POINTS = {
    "low": {"low": 1, "medium": 2, "high": 3},
    "moderate": {"low": 2, "medium": 4, "high": 6},
    "substantial": {"low": 3, "medium": 6, "high": 9},
}
DEMO_PENCE_PER_POINT = 2300


@dataclass(frozen=True)
class SimulatedBudget:
    council_ref: str
    indicative_now: int
    indicative_under_candidate: int

    @property
    def change(self) -> int:
        return self.indicative_under_candidate - self.indicative_now


@dataclass(frozen=True)
class Simulation:
    """What a candidate grid would do to the council's existing indicative budgets."""

    rows: tuple[SimulatedBudget, ...]

    @property
    def up(self) -> int:
        return sum(r.change > 0 for r in self.rows)

    @property
    def down(self) -> int:
        return sum(r.change < 0 for r in self.rows)

    @property
    def weekly_change(self) -> int:
        return sum(r.change for r in self.rows)


def candidate_grid(
    points: Mapping[str, Mapping[str, object]], pence_per_point: object
) -> GridVersion:
    """A grid checked like a published one, but never saved: for simulation only."""
    try:
        price = check_pence(pence_per_point)
    except MoneyError as exc:
        raise BudgetError(str(exc), field="pence_per_point") from None
    return GridVersion(0, date.min, check_grid(points), price)


def simulate(
    candidate: GridVersion, cases: Iterable[tuple[str, list[UnmetNeed], int]]
) -> Simulation:
    """Each case: a council reference, its eligible unmet needs, its indicative budget now."""
    return Simulation(
        tuple(
            SimulatedBudget(ref, now, calculate(candidate, needs).weekly)
            for ref, needs, now in cases
        )
    )
