"""The person's record and their asset-based assessment. Pure Python, no I/O.

Kept apart from the RAS (budgets/domain.py) so each module stays small; both belong to the
budgets context.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from functools import partial
from typing import Any
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, event
from nhs_number import is_valid as nhs_checksum_ok

from budgets.domain import OUTCOMES, BudgetError, Risk, Severity, UnmetNeed
from config.errors import Conflict, gather
from config.validation import ascii_digits, clean_text
from config.validation import council_ref as valid_council_ref

NAMESPACE = UUID("6f1e2d3c-4b5a-4978-8a6b-5c4d3e2f1a0b")
OWN_WORDS = ("day_in_my_life", "important_to_me", "important_for_me", "good_days", "bad_days")


def text(value: object, field: str, limit: int = 2000, required: bool = True) -> str:
    return clean_text(
        value, field=field, limit=limit, required=required, multiline=limit > 200, error=BudgetError
    )


def nhs_number(value: object) -> str:
    """A 10-digit NHS number (ASCII digits 0-9, spaces allowed between them) whose last digit
    is its modulus 11 check digit."""
    digits = "".join(ch for ch in str(value or "") if not ch.isspace())
    if len(digits) != 10 or not ascii_digits(digits):
        raise BudgetError("must be 10 digits, like 943 476 5919", field="nhs_number")
    if not nhs_checksum_ok(digits):  # the NHS's modulus 11, by the maintained nhs-number
        raise BudgetError(
            "is not a valid NHS number: its check digit does not match", field="nhs_number"
        )
    return digits


def spaced_nhs_number(digits: str) -> str:
    """9434765919 -> "943 476 5919", as the NHS writes it."""
    return f"{digits[:3]} {digits[3:6]} {digits[6:]}"


def council_ref(value: object) -> str:
    return valid_council_ref(value, error=BudgetError)


def person_id(council_ref: str) -> UUID:
    return uuid5(NAMESPACE, f"person:{council_ref}")


@dataclass(frozen=True)
class PersonDetails:
    council_ref: str
    name: str
    date_of_birth: date
    nhs_number: str
    contact: str
    has_capacity: bool
    decides_for_them: str  # who decides, when the person lacks capacity for this decision
    nominee: str
    advocate: str

    @classmethod
    def create(cls, *, today: date, **raw: Any) -> PersonDetails:
        """Every field checked, and every one at fault named together."""

        def born() -> date:
            value = raw.get("date_of_birth")
            if not isinstance(value, date) or value >= today or value.year < today.year - 130:
                raise BudgetError("must be a real date in the past", field="date_of_birth")
            return value

        def capacity() -> bool:
            value = raw.get("has_capacity")
            if not isinstance(value, bool):
                raise BudgetError(
                    "say whether the person can make this decision", field="has_capacity"
                )
            return value

        lacks_capacity = raw.get("has_capacity") is False
        values: dict[str, Any] = gather(
            {
                "council_ref": lambda: council_ref(raw.get("council_ref")),
                "name": lambda: text(raw.get("name"), "name", 150),
                "date_of_birth": born,
                "nhs_number": lambda: nhs_number(raw.get("nhs_number")),
                "contact": lambda: text(raw.get("contact"), "contact", 300, required=False),
                "has_capacity": capacity,
                "decides_for_them": lambda: (
                    text(raw.get("decides_for_them"), "decides_for_them", 150, required=True)
                    if lacks_capacity
                    else ""
                ),
                "nominee": lambda: text(raw.get("nominee"), "nominee", 150, required=False),
                "advocate": lambda: text(raw.get("advocate"), "advocate", 150, required=False),
            }
        )
        return cls(**values)


class Person(Aggregate):
    @event("Registered")
    def __init__(self, council_ref: str, details: dict[str, Any], actor: str) -> None:
        self.details = PersonDetails(**details)

    @staticmethod
    def create_id(council_ref: str) -> UUID:  # type: ignore[override]
        return person_id(council_ref)

    @classmethod
    def register(cls, details: PersonDetails, *, actor: str) -> tuple[Person, NhsNumberRecord]:
        """The person's record and the record of their NHS number, to be saved together."""
        person = cls(details.council_ref, dict(details.__dict__), actor)
        return person, NhsNumberRecord(details.nhs_number, details.council_ref)


class NhsNumberTakenError(BudgetError, Conflict):
    """The NHS number is on another person's record already: one person, one record."""


class NhsNumberRecord(Aggregate):
    """Whose record an NHS number is on, so the council holds one record per person.

    One aggregate per number, its id derived from the number, saved in the same save as the
    Person it is recorded for: a second person with the same number cannot be saved, even by
    two workers at the same moment, because the store refuses a second version 1 of it and
    then neither aggregate of that save is recorded.
    """

    @event("Recorded")
    def __init__(self, nhs_number: str, council_ref: str) -> None:
        self.nhs_number = nhs_number
        self.council_ref = council_ref

    @staticmethod
    def create_id(nhs_number: str) -> UUID:  # type: ignore[override]
        return uuid5(NAMESPACE, f"nhs-number:{nhs_number}")

    def check_free_for(self, council_ref: str) -> None:
        """Refuse a second person's record with this number; the same person is no clash."""
        if council_ref != self.council_ref:
            raise NhsNumberTakenError(
                f"{spaced_nhs_number(self.nhs_number)} is already recorded for "
                f"{self.council_ref}: open that record rather than registering the person again",
                field="nhs_number",
            )


@dataclass(frozen=True)
class OutcomeAssessment:
    """One eligibility outcome: the need as if no support existed, then what is left."""

    outcome: str
    need_without_support: str  # in words; empty when the person achieves it unaided
    met_by_strengths: str  # what their own skills, family and community meet
    unmet_severity: Severity | None  # None when nothing is left unmet
    risk: Risk | None

    @property
    def cannot_achieve(self) -> bool:
        return bool(self.need_without_support)

    def unmet_need(self) -> UnmetNeed | None:
        if self.unmet_severity is None or self.risk is None:
            return None
        return UnmetNeed(self.outcome, self.unmet_severity, self.risk)


def outcome_assessment(code: str, item: Mapping[str, Any]) -> OutcomeAssessment:
    where = f"outcomes.{code}"
    if code not in OUTCOMES:
        raise BudgetError("is not one of the eligibility outcomes", field=where)
    severity, risk = item.get("unmet_severity") or None, item.get("risk") or None
    checked: dict[str, str] = gather(
        {
            "need": lambda: text(
                item.get("need_without_support"), f"{where}.need_without_support", required=False
            ),
            "strengths": lambda: text(
                item.get("met_by_strengths"), f"{where}.met_by_strengths", required=False
            ),
        }
    )
    if (severity is None) != (risk is None):
        raise BudgetError("give both the severity and the risk of what is unmet", field=where)
    if severity is not None and not checked["need"]:
        raise BudgetError("an unmet need must be described as a need first", field=where)
    try:
        return OutcomeAssessment(
            outcome=code,
            need_without_support=checked["need"],
            met_by_strengths=checked["strengths"],
            unmet_severity=Severity(severity) if severity else None,
            risk=Risk(risk) if risk else None,
        )
    except ValueError:
        raise BudgetError(
            "severity must be low, moderate or substantial; risk low, medium or high",
            field=where,
        ) from None


def outcome_assessments(raw: Mapping[str, Mapping[str, Any]]) -> list[OutcomeAssessment]:
    """Every outcome checked; each one at fault is named together."""
    checked = gather({code: partial(outcome_assessment, code, item) for code, item in raw.items()})
    return list(checked.values())


@dataclass(frozen=True)
class Eligibility:
    eligible: bool
    reasons: list[str]


def decide_eligibility(
    *, outcomes: list[OutcomeAssessment], arises_from_impairment: bool, significant_impact: bool
) -> Eligibility:
    """The three conditions of the Eligibility Criteria Regulations 2015, each with its reason."""
    unable = [OUTCOMES[o.outcome].lower() for o in outcomes if o.cannot_achieve]
    reasons = [
        "The needs arise from a physical or mental impairment or illness."
        if arises_from_impairment
        else "The needs do not arise from a physical or mental impairment or illness.",
        f"Without support, the person cannot achieve {len(unable)} outcome"
        f"{'s' if len(unable) != 1 else ''}"
        + (f": {', '.join(unable)}." if unable else ".")
        + (" Two or more are needed." if len(unable) < 2 else ""),
        "As a result there is, or is likely to be, a significant impact on their wellbeing."
        if significant_impact
        else "There is not a significant impact on their wellbeing.",
    ]
    return Eligibility(arises_from_impairment and len(unable) >= 2 and significant_impact, reasons)


class Assessment(Aggregate):
    """A person's asset-based assessment; each version is kept, the latest is current."""

    @event("Started")
    def __init__(self, council_ref: str) -> None:
        self.council_ref = council_ref
        self.versions: list[dict[str, Any]] = []

    @staticmethod
    def create_id(council_ref: str) -> UUID:  # type: ignore[override]
        return uuid5(NAMESPACE, f"assessment:{council_ref}")

    def record(
        self,
        *,
        own_words: Mapping[str, object],
        outcomes: Mapping[str, Mapping[str, Any]],
        arises_from_impairment: bool,
        significant_impact: bool,
        assessor: str,
        today: date,
    ) -> Eligibility:
        checked: dict[str, Any] = gather(
            {
                **{
                    key: partial(
                        text,
                        own_words.get(key),
                        f"own_words.{key}",
                        required=key == "day_in_my_life",
                    )
                    for key in OWN_WORDS
                },
                "outcomes": partial(outcome_assessments, outcomes),
            }
        )
        assessed: list[OutcomeAssessment] = checked.pop("outcomes")
        words: dict[str, str] = checked
        eligibility = decide_eligibility(
            outcomes=assessed,
            arises_from_impairment=bool(arises_from_impairment),
            significant_impact=bool(significant_impact),
        )
        self._recorded(
            own_words=words,
            outcomes=[
                {
                    **o.__dict__,
                    "unmet_severity": o.unmet_severity and o.unmet_severity.value,
                    "risk": o.risk and o.risk.value,
                }
                for o in assessed
            ],
            eligible=eligibility.eligible,
            reasons=eligibility.reasons,
            assessor=assessor,
            on=today,
        )
        return eligibility

    @event("VersionRecorded")
    def _recorded(
        self,
        own_words: dict[str, str],
        outcomes: list[dict[str, Any]],
        eligible: bool,
        reasons: list[str],
        assessor: str,
        on: date,
    ) -> None:
        self.versions.append(
            {
                "own_words": own_words,
                "outcomes": outcomes,
                "eligible": eligible,
                "reasons": reasons,
                "assessor": assessor,
                "on": on,
            }
        )

    def eligible_unmet_needs(self, version: int | None = None) -> list[UnmetNeed]:
        """What the RAS scores: the unmet needs of an eligible assessment."""
        if not self.versions:
            raise BudgetError("there is no assessment yet", field="assessment")
        chosen = self.versions[(version or len(self.versions)) - 1]
        if not chosen["eligible"]:
            raise BudgetError("the person's needs were not found eligible", field="assessment")
        needs = []
        for o in chosen["outcomes"]:
            if o["unmet_severity"] and o["risk"]:
                needs.append(
                    UnmetNeed(o["outcome"], Severity(o["unmet_severity"]), Risk(o["risk"]))
                )
        return needs
