"""Input and output schemas of the API. Money goes in as text in pounds, out as pence and text."""

from __future__ import annotations

from datetime import date, datetime
from uuid import UUID

from ninja import Schema
from pydantic import Field


class LegIn(Schema):
    account: str = Field(description="account code, e.g. PB:DN-000123:AVAILABLE")
    side: str = Field(description="debit or credit")
    amount: str = Field(description="pounds and pence as text, e.g. '£1,234.50' or '1234.50'")


class EntryIn(Schema):
    kind: str
    legs: list[LegIn]
    reason: str
    effective_at: datetime | None = Field(None, description="default: now; must carry a time zone")
    budget: str = ""
    source_document: str = ""
    correlation_id: str = ""
    causation_id: str = ""
    overdraft_authorisation: str = Field(
        "", description="who allowed a personal budget to go below zero, and why"
    )


class ReverseIn(Schema):
    reason: str
    effective_at: datetime | None = None
    overdraft_authorisation: str = ""


class AccountIn(Schema):
    code: str
    name: str
    type: str
    owner_kind: str = ""
    owner_id: str = ""
    no_overdraft: bool = Field(False, description="refuse legs that take it below zero")


class CloseIn(Schema):
    reason: str


class LegOut(Schema):
    account: str
    side: str
    amount_pence: int
    amount: str
    running_balance_pence: int


class EntryOut(Schema):
    id: UUID
    position: int
    kind: str
    effective_at: datetime
    recorded_at: datetime
    actor: str
    reason: str
    budget: str
    source_document: str
    idempotency_key: str
    correlation_id: str
    causation_id: str
    amount_pence: int
    amount: str
    overdraft_authorisation: str
    reverses: UUID | None
    reversed_by: UUID | None
    hold: UUID | None = Field(None, description="the hold this entry posted, if any")
    hash: str
    legs: list[LegOut]


class RecordedOut(Schema):
    id: UUID
    created: bool
    position: int


class AccountOut(Schema):
    code: str
    name: str
    type: str
    owner_kind: str
    owner_id: str
    is_closed: bool
    no_overdraft: bool
    balance_pence: int = Field(description="debits minus credits")
    balance: str = Field(description="on the account's normal side, as an accountant reads it")
    held_pence: int = Field(description="what pending holds take from the normal side (>= 0)")
    held: str
    available_pence: int = Field(description="on the normal side: the balance less what is held")
    available: str = Field(description="what is left: the balance less what is held")


class BalanceOut(Schema):
    account: str
    as_at: datetime | None
    balance_pence: int = Field(description="debits minus credits")
    balance: str
    held_pence: int = Field(description="held as the holds stood at as_at (or now), >= 0")
    held: str
    available_pence: int = Field(description="on the normal side: the balance less what is held")
    available: str


class StatementLineOut(Schema):
    entry: UUID
    effective_at: datetime
    kind: str
    reason: str
    side: str
    amount_pence: int
    running_balance_pence: int


class StatementOut(Schema):
    account: str
    start: datetime | None
    end: datetime | None
    opening_balance_pence: int
    closing_balance_pence: int
    closing_held_pence: int = Field(description="held at end (or now), on the normal side")
    closing_available_pence: int = Field(description="the closing balance less what was held")
    lines: list[StatementLineOut]
    next_cursor: str | None


class HoldLegOut(Schema):
    account: str
    side: str
    amount_pence: int
    amount: str


class HoldOut(Schema):
    id: UUID
    position: int
    idempotency_key: str
    kind: str = Field(description="the kind of entry it posts as")
    status: str = Field(description="pending, posted, voided or expired")
    amount_pence: int
    amount: str
    posted_amount_pence: int
    effective_at: datetime = Field(description="from when it holds")
    expires_at: datetime
    released_at: datetime | None = Field(description="from when it holds nothing")
    recorded_at: datetime
    actor: str
    reason: str
    budget: str
    source_document: str
    entry: UUID | None = Field(description="the entry that posted it")
    resolved_by_actor: str
    resolution_reason: str
    legs: list[HoldLegOut]


class HoldPage(Schema):
    items: list[HoldOut]
    next_cursor: int | None


class EntryPage(Schema):
    items: list[EntryOut]
    next_cursor: int | None


class AccountPage(Schema):
    items: list[AccountOut]
    next_cursor: str | None


# -- the register
class ProviderIn(Schema):
    name: str
    registration_kind: str = Field(description="charity or company")
    registration_number: str
    address: str
    email: str
    phone: str = ""
    areas: list[str] = Field(description="postcode districts served, e.g. DN1")
    languages: list[str] = []
    access_needs: list[str] = []
    capacity: int = Field(description="people the organisation can support at once")
    offers: dict[str, str] = Field(
        {},
        description="its own price per service where it differs from the tariff, e.g. "
        "{'money_management': '£22.50'}",
    )


class HistoryOut(Schema):
    step: str
    at: datetime
    reason: str


class ServiceOut(Schema):
    id: UUID
    service: str
    service_name: str
    status: str
    accredited_since: date | None
    expires_on: date | None
    conditions: str
    history: list[HistoryOut]


class ProviderOut(Schema):
    id: UUID
    name: str
    registration_kind: str
    registration_number: str
    address: str
    email: str
    phone: str
    areas: list[str]
    languages: list[str]
    access_needs: list[str]
    capacity: int
    offers: dict[str, str] = Field(description="its own prices, where they differ from the tariff")
    payouts_ready: bool
    services: list[ServiceOut]


class ProviderPage(Schema):
    items: list[ProviderOut]
    next_cursor: str | None


class ApplyIn(Schema):
    service: str
    note: str = ""


class AssessIn(Schema):
    criterion: str
    met: bool
    evidence: list[str] = []
    note: str = ""


class AccreditIn(Schema):
    expires_on: date
    conditions: str = ""
    reason: str


class ReasonIn(Schema):
    reason: str


class RefuseIn(Schema):
    reasons: str


class RenewIn(Schema):
    expires_on: date
    reason: str


class DoneOut(Schema):
    id: UUID
    status: str = ""


class EvidenceOut(Schema):
    id: UUID
    kind: str
    filename: str
    content_type: str
    size: int
    expires_on: date | None


# -- the marketplace
class TariffOut(Schema):
    version: int
    effective_from: date
    support_plan_fee_pence: int
    support_plan_fee: str
    annual_review_fee_pence: int
    annual_review_fee: str
    money_management_fee_pence: int
    money_management_fee: str
    money_management_period: str = "4 weeks"
    deductions: list[dict[str, object]]
    note: str


class TariffIn(Schema):
    effective_from: date
    support_plan_fee: str
    annual_review_fee: str
    money_management_fee: str
    deductions: list[dict[str, str]] = []
    note: str = ""


class MatchOut(Schema):
    provider: UUID
    name: str
    service: str
    areas: list[str]
    languages: list[str]
    access_needs: list[str]
    room: int
    rating: float | None
    reviews: int
    price: str = Field(description="what this provider charges: its offer, else the tariff")
    tariff_price: str = Field(description="the council's tariff for this service")
    expires_on: date | None


class ChooseIn(Schema):
    provider: UUID
    service: str
    person: str = Field(
        "", description="council reference; a person choosing for themselves may omit it"
    )
    on_behalf: str = Field("person", description="person, nominee, advocate or worker")
    consent: str = Field("", description="how the person consented, when a worker chooses")


class SwitchIn(Schema):
    provider: UUID
    on_behalf: str = "person"
    consent: str = ""


class EndIn(Schema):
    reason: str


class FeedbackIn(Schema):
    rating: int
    comment: str = ""


class ModerateIn(Schema):
    publish: bool
    note: str = ""


class EngagementOut(Schema):
    id: UUID
    person: str
    provider: UUID
    provider_name: str
    service: str
    status: str
    price: str
    tariff_version: int
    chosen_by: str
    on_behalf: str
    requested_at: datetime
    started_on: date | None
    ended_on: date | None
    outcome_reason: str
    flag: str
    feedback_rating: int | None
    feedback_status: str


class CriterionIO(Schema):
    code: str
    title: str
    description: str


class ChecklistOut(Schema):
    version: int
    criteria: list[CriterionIO]


class ChecklistIn(Schema):
    criteria: list[CriterionIO]


class EngagementPage(Schema):
    items: list[EngagementOut]
    next_cursor: str | None
