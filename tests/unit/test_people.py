"""The person's record and the asset-based assessment: eligibility, versions, refusals."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from budgets.domain import DEMO_PENCE_PER_POINT, DEMO_POINTS, BudgetError, RasGrid, calculate
from budgets.people import (
    Assessment,
    NhsNumberTakenError,
    PersonDetails,
    decide_eligibility,
    nhs_number,
    outcome_assessments,
)
from config.actor import Actor
from config.errors import Conflict, NotFound
from config.roles import Role

TODAY = date(2026, 11, 25)
# The workers who register people (budgets.policies.check_may_register).
ALEX = Actor(id="alex", roles=frozenset({Role.SOCIAL_WORKER}))
JO = Actor(id="jo", roles=frozenset({Role.TEAM_MANAGER}))


@pytest.mark.parametrize("number", ["9434765919", "943 476 5919", "4010232137"])
def test_valid_nhs_numbers(number: str) -> None:
    assert nhs_number(number) == number.replace(" ", "")


@pytest.mark.parametrize(
    ("number", "message"),
    [
        ("9434765918", "check digit"),
        ("943476591", "10 digits"),
        ("94347659AB", "10 digits"),
        ("", "10 digits"),
        ("١٢٣", "10 digits"),
        ("１２３.００", "10 digits"),
        ("٩٤٣٤٧٦٥٩١٩", "10 digits"),  # 943 476 5919 in Arabic-Indic digits
        ("９４３ ４７６ ５９１９", "10 digits"),  # and in fullwidth
        ("943 476 591٩", "10 digits"),
    ],
)
def test_invalid_nhs_numbers(number: str, message: str) -> None:
    with pytest.raises(BudgetError, match=message) as err:
        nhs_number(number)
    assert err.value.field == "nhs_number"


PERSON: dict[str, Any] = {
    "council_ref": "DN-000123",
    "name": "Sam Patel",
    "date_of_birth": date(1961, 5, 4),
    "nhs_number": "943 476 5919",
    "has_capacity": True,
}


@pytest.mark.parametrize("ref", ["DN/1", "..", "new", "DN 000123", "DN-", "-1", "x" * 65])
def test_a_council_reference_is_safe_in_an_address(ref: str) -> None:
    with pytest.raises(BudgetError) as err:
        PersonDetails.create(today=TODAY, **{**PERSON, "council_ref": ref})
    assert err.value.field == "council_ref"


@pytest.mark.parametrize("ref", ["DN-000123", "123456", "abc-9"])
def test_council_references_of_other_councils_pass(ref: str) -> None:
    assert PersonDetails.create(today=TODAY, **{**PERSON, "council_ref": ref}).council_ref == ref


def test_someone_else_decides_when_the_person_lacks_capacity() -> None:
    with pytest.raises(BudgetError) as err:
        PersonDetails.create(today=TODAY, **{**PERSON, "has_capacity": False})
    assert err.value.field == "decides_for_them"
    details = PersonDetails.create(
        today=TODAY,
        **{**PERSON, "has_capacity": False, "decides_for_them": "Priya Patel (daughter, LPA)"},
    )
    assert details.decides_for_them == "Priya Patel (daughter, LPA)"
    with pytest.raises(BudgetError) as err:
        PersonDetails.create(today=TODAY, **{**PERSON, "date_of_birth": TODAY})
    assert err.value.field == "date_of_birth"


SAM_OUTCOMES = {
    "hygiene": {
        "need_without_support": "Cannot wash or shower alone since the stroke",
        "met_by_strengths": "Wife helps in the evenings",
        "unmet_severity": "substantial",
        "risk": "high",
    },
    "nutrition": {
        "need_without_support": "Cannot cook a hot meal safely",
        "met_by_strengths": "Neighbour brings lunch twice a week",
        "unmet_severity": "moderate",
        "risk": "medium",
    },
    "relationships": {
        "need_without_support": "Lost touch with friends from the club",
        "met_by_strengths": "",
        "unmet_severity": "low",
        "risk": "low",
    },
    "clothing": {
        "need_without_support": "Needs help with buttons and shoes",
        "met_by_strengths": "Wife helps every morning",
        "unmet_severity": None,
        "risk": None,
    },
    "toilet": {
        "need_without_support": "",
        "met_by_strengths": "",
        "unmet_severity": None,
        "risk": None,
    },
}


def test_an_eligible_assessment_gives_the_ras_its_unmet_needs() -> None:
    assessment = Assessment("DN-000123")
    eligibility = assessment.record(
        own_words={"day_in_my_life": "I get up at seven if someone can help me..."},
        outcomes=SAM_OUTCOMES,
        arises_from_impairment=True,
        significant_impact=True,
        assessor="alex",
        today=TODAY,
    )
    assert eligibility.eligible
    assert "cannot achieve 4 outcomes" in eligibility.reasons[1]
    needs = assessment.eligible_unmet_needs()
    assert [(n.outcome, n.severity.value, n.risk.value) for n in needs] == [
        ("hygiene", "substantial", "high"),
        ("nutrition", "moderate", "medium"),
        ("relationships", "low", "low"),
    ]
    grid = RasGrid()
    grid.publish(
        effective_from=date(2026, 4, 1),
        today=date(2026, 4, 1),
        points=DEMO_POINTS,
        pence_per_point=DEMO_PENCE_PER_POINT,
        actor="c",
        reason="v1",
    )
    assert calculate(grid.in_force(TODAY), needs).weekly == 32200  # Sam's worked example


@pytest.mark.parametrize(
    ("impairment", "outcomes", "impact", "eligible"),
    [
        (True, 2, True, True),
        (False, 2, True, False),
        (True, 1, True, False),
        (True, 3, False, False),
    ],
)
def test_the_three_conditions_of_eligibility(
    impairment: bool, outcomes: int, impact: bool, eligible: bool
) -> None:
    assessed = outcome_assessments(
        {code: {"need_without_support": "needs help"} for code in list(SAM_OUTCOMES)[:outcomes]}
    )
    result = decide_eligibility(
        outcomes=assessed, arises_from_impairment=impairment, significant_impact=impact
    )
    assert result.eligible is eligible
    assert len(result.reasons) == 3


def test_each_version_is_kept_and_an_ineligible_one_gives_no_budget() -> None:
    assessment = Assessment("DN-000123")
    assessment.record(
        own_words={"day_in_my_life": "..."},
        outcomes=SAM_OUTCOMES,
        arises_from_impairment=True,
        significant_impact=True,
        assessor="alex",
        today=TODAY,
    )
    assessment.record(
        own_words={"day_in_my_life": "Much better now"},
        outcomes={"hygiene": SAM_OUTCOMES["hygiene"]},
        arises_from_impairment=True,
        significant_impact=True,
        assessor="alex",
        today=TODAY,
    )
    assert len(assessment.versions) == 2
    with pytest.raises(BudgetError, match="not found eligible"):
        assessment.eligible_unmet_needs()
    assert len(assessment.eligible_unmet_needs(version=1)) == 3


@pytest.mark.parametrize(
    ("outcomes", "field"),
    [
        ({"gardening": {"need_without_support": "x"}}, "outcomes.gardening"),
        (
            {"hygiene": {"need_without_support": "x", "unmet_severity": "substantial"}},
            "outcomes.hygiene",
        ),
        (
            {"hygiene": {"need_without_support": "", "unmet_severity": "low", "risk": "low"}},
            "outcomes.hygiene",
        ),
        (
            {"hygiene": {"need_without_support": "x", "unmet_severity": "dire", "risk": "low"}},
            "outcomes.hygiene",
        ),
    ],
)
def test_bad_assessments_are_refused_and_nothing_is_recorded(
    outcomes: dict[str, Any], field: str
) -> None:
    assessment = Assessment("DN-000123")
    with pytest.raises(BudgetError) as err:
        assessment.record(
            own_words={"day_in_my_life": "..."},
            outcomes=outcomes,
            arises_from_impairment=True,
            significant_impact=True,
            assessor="alex",
            today=TODAY,
        )
    assert err.value.field == field
    assert assessment.versions == []


# -- one record per NHS number


@pytest.fixture
def budgets() -> Any:
    from budgets.application import BudgetApplication

    return BudgetApplication(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})


def test_an_nhs_number_already_on_record_is_refused_naming_the_record(budgets: Any) -> None:
    budgets.register_person(today=TODAY, actor=ALEX, **PERSON)
    before = budgets.recorder.max_notification_id()
    with pytest.raises(NhsNumberTakenError) as err:
        budgets.register_person(
            today=TODAY,
            actor=JO,
            **{**PERSON, "council_ref": "DN-000124", "nhs_number": "9434765919"},
        )
    assert err.value.status == 409 and err.value.field == "nhs_number"
    assert err.value.message.startswith("943 476 5919 is already recorded for DN-000123")
    assert budgets.recorder.max_notification_id() == before  # neither record was saved
    with pytest.raises(NotFound):
        budgets.get_person("DN-000124")


def test_a_second_registration_of_the_same_reference_and_number_names_the_reference(
    budgets: Any,
) -> None:
    """A retry of the same registration is no clash of NHS numbers: the reference is named."""
    budgets.register_person(today=TODAY, actor=ALEX, **PERSON)
    with pytest.raises(Conflict) as err:
        budgets.register_person(today=TODAY, actor=ALEX, **PERSON)
    assert [e.field for e in err.value.all()] == ["council_ref"]


def test_a_taken_reference_and_a_taken_number_are_named_together(budgets: Any) -> None:
    budgets.register_person(today=TODAY, actor=ALEX, **PERSON)
    other = {**PERSON, "council_ref": "DN-000124", "nhs_number": "4010232137"}
    budgets.register_person(today=TODAY, actor=ALEX, **other)
    with pytest.raises(Conflict) as err:
        budgets.register_person(today=TODAY, actor=ALEX, **{**other, "nhs_number": "9434765919"})
    assert {e.field: e.message for e in err.value.all()} == {
        "council_ref": "this council reference is already registered",
        "nhs_number": "943 476 5919 is already recorded for DN-000123: open that record rather "
        "than registering the person again",
    }


def test_people_with_different_nhs_numbers_are_each_registered(budgets: Any) -> None:
    budgets.register_person(today=TODAY, actor=ALEX, **PERSON)
    budgets.register_person(
        today=TODAY,
        actor=ALEX,
        **{**PERSON, "council_ref": "DN-000124", "nhs_number": "4010232137"},
    )
    assert budgets.get_person("DN-000124").details.nhs_number == "4010232137"
