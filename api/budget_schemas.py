"""Schemas of the budgets API. Money in pence here: these are the council's own figures."""

from __future__ import annotations

from datetime import date

from ninja import Schema
from pydantic import Field


class GridIn(Schema):
    effective_from: date
    points: dict[str, dict[str, int]] = Field(description="severity -> risk -> points")
    pence_per_point: int
    reason: str


class SimulationIn(Schema):
    points: dict[str, dict[str, int]]
    pence_per_point: int


class SimulatedOut(Schema):
    council_ref: str
    indicative_now_pence: int
    indicative_under_candidate_pence: int
    change_pence: int


class SimulationOut(Schema):
    rows: list[SimulatedOut]
    up: int
    down: int
    weekly_change_pence: int


class GridVersionOut(Schema):
    version: int
    effective_from: date
    points: dict[str, dict[str, int]]
    pence_per_point: int


class PersonIn(Schema):
    council_ref: str
    name: str
    date_of_birth: date
    nhs_number: str
    contact: str = ""
    has_capacity: bool
    decides_for_them: str = ""
    nominee: str = ""
    advocate: str = ""


class OutcomeIn(Schema):
    need_without_support: str = ""
    met_by_strengths: str = ""
    unmet_severity: str | None = None
    risk: str | None = None


class AssessmentIn(Schema):
    own_words: dict[str, str]
    outcomes: dict[str, OutcomeIn]
    arises_from_impairment: bool
    significant_impact: bool


class EligibilityOut(Schema):
    eligible: bool
    reasons: list[str]


class IndicativeOut(Schema):
    grid_version: int
    points: int
    weekly_pence: int
    weekly: str
    explanation: list[str]


class AllocationIn(Schema):
    weekly_pence: int | None = Field(None, description="default: the indicative figure")
    adjustment_reason: str = ""
    contribution_weekly_pence: int = 0
    split: dict[str, int] = Field(
        description="direct_payment, council_managed, individual_service_fund"
    )
    direct_payment_start: date | None = None


class RevisionIn(Schema):
    weekly_pence: int
    split: dict[str, int]
    reason: str


class ContributionIn(Schema):
    contribution_weekly_pence: int
    effective_from: date
    reason: str


class PlanIn(Schema):
    parts: dict[str, str]
    author: str = Field(description="person, planner or worker")


class SignIn(Schema):
    reason: str = ""


class PanelReferralIn(Schema):
    note: str = ""


class PanelDecisionIn(Schema):
    decision: str
    reasons: str


class ReviewIn(Schema):
    on: date
    outcomes: dict[str, dict[str, object]]
    changes: str = ""
    plan_changes: bool = False  # reopen the signed-off plan for a new version and sign-off


class BudgetSummaryOut(Schema):
    council_ref: str
    name: str
    weekly_pence: int | None
    weekly: str
    indicative: IndicativeOut | None
    breakdown: list[str]
    plan_versions: int
    signed_off: bool
    signatures: dict[str, str]
    panel: dict[str, object] | None
    review_due: date | None
    paid: list[dict[str, str]]  # direct payments, managed spend, provider fees, recoveries
    history: list[dict[str, str]]  # the allocation and each revision, as ledger entries


class SignOffRulesIn(Schema):
    percent_over_indicative: int
    weekly_ceiling_pence: int
    spot_check_per_thousand: int
    reason: str


class SignOffRulesOut(Schema):
    version: int  # 0 while the council has not set its own: the demo's defaults apply
    percent_over_indicative: int
    weekly_ceiling_pence: int
    weekly_ceiling: str
    spot_check_per_thousand: int
