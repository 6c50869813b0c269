"""The written decision a person is given when their needs are found not eligible. Pure Python.

The Care Act 2014 (s.13(4) and (5)) asks the council, when it finds that an adult's needs do
not meet the eligibility criteria, to give them a written record of its decision and the
reasons for it, with information and advice on what can be done to meet or reduce the needs
and to prevent or delay needs developing. This module writes it from the assessment's own
record, so the words match what the worker recorded, for the case page, My budget and a
notice through GOV.UK Notify.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from budgets.domain import OUTCOMES, BudgetError

# What the person can do next: the council's information and advice (a council sets its own
# services' names in its deployment's templates; these are the kinds every council offers).
NEXT_STEPS = [
    "You can get information and advice about support in your community, such as local "
    "groups, equipment and adaptations, from the council's adult social care front door.",
    "Some needs can be met or reduced without a personal budget: a short period of "
    "reablement, aids for the home, or help from a carer, a neighbour or a voluntary group.",
    "If your needs or circumstances change, ask for a new assessment at any time.",
    "If you think this decision is wrong, ask your social worker to look at it again, or "
    "make a complaint through the council's complaints procedure.",
]


@dataclass(frozen=True)
class Decision:
    council_ref: str
    name: str
    on: date
    assessor: str
    reasons: list[str]  # the three conditions, each met or not, in words
    can_achieve: list[str]  # outcomes the person achieves without support
    cannot_achieve: list[tuple[str, str, str]]  # outcome, need, what their strengths meet
    next_steps: list[str]


def not_eligible_decision(council_ref: str, name: str, assessment: Any) -> Decision:
    """The written decision of the latest assessment; refused unless it found the person's
    needs not eligible (an eligible person gets a budget, not this letter)."""
    if not assessment.versions:
        raise BudgetError("there is no assessment yet", field="assessment")
    latest = assessment.versions[-1]
    if latest["eligible"]:
        raise BudgetError("the person's needs were found eligible", field="assessment")
    can, cannot = [], []
    for o in latest["outcomes"]:
        label = OUTCOMES.get(o["outcome"], o["outcome"])
        if o["need_without_support"]:
            cannot.append((label, o["need_without_support"], o["met_by_strengths"]))
        else:
            can.append(label)
    return Decision(
        council_ref=council_ref,
        name=name,
        on=latest["on"],
        assessor=latest["assessor"],
        reasons=list(latest["reasons"]),
        can_achieve=can,
        cannot_achieve=cannot,
        next_steps=NEXT_STEPS,
    )
