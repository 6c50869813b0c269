"""The versioned council settings share one mechanism (config/versions.py): the helper on its
own, then the RAS grid, the tariff, the sign-off rules and the checklist answering through it,
each with its own context's named errors."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pytest

from accreditation.domain import (
    CHECKLIST,
    DEFAULT_CRITERIA,
    AccreditationError,
    Checklist,
    NoSuchChecklistVersionError,
)
from budgets.domain import (
    DEMO_PENCE_PER_POINT,
    DEMO_POINTS,
    GRID,
    BudgetError,
    RasGrid,
    SettingDateError,
    SettingNotInForceError,
)
from budgets.sign_off import SIGN_OFF, SignOffRules
from config import versions
from config.errors import DomainError
from config.versions import DatedVersions, Setting, Versions
from marketplace.domain import (
    TARIFF,
    MarketplaceError,
    Tariff,
    TariffDateError,
    TariffNotInForceError,
)

TODAY = date(2026, 11, 25)
APRIL = date(2026, 4, 1)


@dataclass(frozen=True)
class V:
    version: int
    effective_from: date


THING = Setting("thing", "thing")


def dated(*days: date) -> DatedVersions[V]:
    return DatedVersions(THING, [V(i + 1, d) for i, d in enumerate(days)])


# -- the helper on its own
def test_the_version_in_force_is_the_latest_started_on_the_day() -> None:
    history = dated(APRIL, TODAY)
    assert history.in_force(APRIL).version == 1
    assert history.in_force(TODAY - timedelta(days=1)).version == 1
    assert history.in_force(TODAY).version == 2  # in force from its own day
    assert history.in_force(date(2030, 1, 1)).version == 2
    assert history.in_force_if_any(APRIL - timedelta(days=1)) is None
    with pytest.raises(versions.NotInForceError, match="no thing is in force on 31 March 2026"):
        history.in_force(APRIL - timedelta(days=1))


def test_the_version_in_force_does_not_depend_on_the_order_given() -> None:
    # A read model may list the newest first.
    history = DatedVersions(THING, [V(2, TODAY), V(1, APRIL)])
    assert history.in_force(TODAY).version == 2
    assert history.in_force(TODAY - timedelta(days=1)).version == 1


def test_nothing_is_in_force_before_anything_is_published() -> None:
    with pytest.raises(versions.NotInForceError) as err:
        dated().in_force(TODAY)
    assert err.value.field == "thing"
    with pytest.raises(versions.NotInForceError, match="the council has not set its thing"):
        dated().latest()


def test_versions_are_numbered_from_one_in_the_order_published() -> None:
    history = dated(APRIL, TODAY)
    assert (history.current_number, history.next_number) == (2, 3)
    assert (dated().current_number, dated().next_number) == (0, 1)
    assert history.number(1).effective_from == APRIL
    assert history.latest().version == 2
    for missing in (0, 3, -1):
        with pytest.raises(versions.NoSuchVersionError) as err:
            history.number(missing)
        assert err.value.field == "thing_version"


def test_a_new_version_takes_effect_after_the_latest_and_not_in_the_past() -> None:
    history = dated(APRIL)
    history.check_effective_from(TODAY, today=TODAY)
    history.check_effective_from(APRIL + timedelta(days=1), today=APRIL)
    with pytest.raises(versions.EffectiveDateError, match=r"latest version's date \(1 April"):
        history.check_effective_from(APRIL, today=APRIL)  # never two on one day
    with pytest.raises(versions.EffectiveDateError, match="today or later") as err:
        history.check_effective_from(TODAY - timedelta(days=1), today=TODAY)
    assert err.value.field == "effective_from"
    # The first version may start in the past: the setting the council already has.
    dated().check_effective_from(date(2020, 1, 1), today=TODAY)


def test_a_context_names_the_errors() -> None:
    history: DatedVersions[V] = DatedVersions(GRID, [])
    with pytest.raises(SettingNotInForceError) as err:
        history.in_force(TODAY)
    assert isinstance(err.value, BudgetError) and isinstance(err.value, versions.NotInForceError)


# -- each setting answers through it
def publish_grid(grid: RasGrid, *, effective_from: date, today: date) -> int:
    return grid.publish(
        effective_from=effective_from,
        today=today,
        points=DEMO_POINTS,
        pence_per_point=DEMO_PENCE_PER_POINT,
        actor="council",
        reason="A new grid",
    )


def publish_tariff(tariff: Tariff, *, effective_from: date, today: date) -> int:
    return tariff.publish(
        effective_from=effective_from,
        today=today,
        support_plan_fee=45000,
        annual_review_fee=20000,
        money_management_fee=2500,
        deductions=[],
        note="",
        actor="council",
    )


SETTINGS: list[Any] = [
    pytest.param(
        RasGrid,
        publish_grid,
        GRID,
        BudgetError,
        SettingNotInForceError,
        SettingDateError,
        "no RAS grid is in force",
        "grid",
        id="RAS grid",
    ),
    pytest.param(
        Tariff,
        publish_tariff,
        TARIFF,
        MarketplaceError,
        TariffNotInForceError,
        TariffDateError,
        "no tariff is in force",
        "tariff",
        id="tariff",
    ),
]


@pytest.mark.parametrize(
    (
        "cls",
        "publish",
        "setting",
        "context_error",
        "not_in_force",
        "date_refused",
        "message",
        "field",
    ),
    SETTINGS,
)
def test_the_grid_and_the_tariff_take_effect_on_their_effective_day(
    cls: Any,
    publish: Any,
    setting: Setting,
    context_error: type[DomainError],
    not_in_force: type[DomainError],
    date_refused: type[DomainError],
    message: str,
    field: str,
) -> None:
    aggregate = cls()
    with pytest.raises(not_in_force, match=message) as err:
        aggregate.in_force(APRIL)
    assert isinstance(err.value, context_error) and err.value.field == field
    assert publish(aggregate, effective_from=APRIL, today=TODAY) == 1  # the first, backdated
    later = TODAY + timedelta(days=30)
    assert publish(aggregate, effective_from=later, today=TODAY) == 2
    # The same boundary as the helper: the day before, the old; on the day, the new.
    with pytest.raises(not_in_force):
        aggregate.in_force(APRIL - timedelta(days=1))
    assert aggregate.in_force(APRIL).version == 1
    assert aggregate.in_force(later - timedelta(days=1)).version == 1
    assert aggregate.in_force(later).version == 2
    assert aggregate.history.setting is setting
    assert [v.version for v in aggregate.versions] == [1, 2]
    assert aggregate.in_force(later) == DatedVersions(setting, aggregate.versions).in_force(later)
    for too_early in (later, TODAY - timedelta(days=1)):
        with pytest.raises(date_refused) as refused:
            publish(aggregate, effective_from=too_early, today=TODAY)
        assert isinstance(refused.value, context_error)
        assert refused.value.field == "effective_from"
    assert len(aggregate.versions) == 2


def publish_rules(rules: SignOffRules, percent: int) -> int:
    return rules.publish(
        percent_over_indicative=percent,
        weekly_ceiling=90000,
        spot_check_per_thousand=20,
        actor="jo",
        reason="Agreed at the budget board",
        seed="s",
    )


def test_the_sign_off_rules_are_in_force_from_the_moment_they_are_published() -> None:
    # Their events carry no date: a version takes effect when it is published.
    rules = SignOffRules()
    with pytest.raises(SettingNotInForceError, match="has not set its sign-off parameters") as err:
        rules.in_force()
    assert err.value.field == "policy"
    assert publish_rules(rules, 10) == 1
    assert publish_rules(rules, 15) == 2
    policy, seed = rules.in_force()
    assert (policy.percent_over_indicative, seed) == (15, "v2:s")
    assert rules.history.setting is SIGN_OFF
    assert [v["version"] for v in rules.versions] == [1, 2]
    assert rules.history.latest() is rules.versions[-1]


def test_the_checklist_numbers_its_versions_the_same_way() -> None:
    checklist = Checklist(actor="council")
    assert checklist.publish(criteria=DEFAULT_CRITERIA, actor="council") == 1
    assert checklist.publish(criteria=DEFAULT_CRITERIA[:2], actor="council") == 2
    assert checklist.current_version == 2 and checklist.history.setting is CHECKLIST
    assert [c.code for c in checklist.criteria(2)] == ["safeguarding", "insurance"]
    assert len(checklist.criteria(1)) == len(DEFAULT_CRITERIA)
    with pytest.raises(NoSuchChecklistVersionError) as err:
        checklist.criteria(0)  # before, version 0 quietly read the latest
    assert isinstance(err.value, AccreditationError)
    assert isinstance(Versions(CHECKLIST, checklist.versions).number(1), list)
