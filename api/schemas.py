"""Input and output schemas of the API. Money goes in as text in pounds, out as pence and text."""

from __future__ import annotations

from datetime import datetime
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


class BalanceOut(Schema):
    account: str
    as_at: datetime | None
    balance_pence: int
    balance: str


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
    lines: list[StatementLineOut]
    next_cursor: int | None


class EntryPage(Schema):
    items: list[EntryOut]
    next_cursor: int | None


class AccountPage(Schema):
    items: list[AccountOut]
    next_cursor: str | None
