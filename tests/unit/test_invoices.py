"""Invoice rules (payments/invoices.py) on facts given directly: each refusal names its field."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any
from uuid import uuid4

import pytest

from payments.invoices import (
    Claim,
    DuplicateClaimError,
    Invoice,
    InvoiceError,
    InvoiceFacts,
    claim_key,
)

PROVIDER, ENGAGEMENT = uuid4(), uuid4()
TODAY = date(2026, 12, 1)
FACTS = InvoiceFacts(
    accredited=True,
    engagement_provider=PROVIDER,
    engagement_person="DN-1",
    engagement_active=True,
    engagement_started=date(2026, 11, 2),
    agreed_price=42000,  # the provider's own offer, below the tariff
    tariff_fee=45000,
    payable=True,
    payable_reason="",
)


def submit(facts: InvoiceFacts = FACTS, **changes: Any) -> Invoice:
    fields: dict[str, Any] = {
        "provider": PROVIDER,
        "number": "inv-1",
        "kind": "support_plan",
        "engagement": ENGAGEMENT,
        "service_date": TODAY,
        "amount": 42000,
        "facts": facts,
        "today": TODAY,
        "actor": "priya",
    }
    fields.update(changes)
    return Invoice.submit(**fields)


def test_the_agreed_price_is_accepted_and_nothing_else_not_even_the_tariff() -> None:
    assert submit(amount=42000).number == "INV-1"
    for wrong in (45000, 43000):  # the tariff is more than the provider's agreed offer
        with pytest.raises(InvoiceError, match="agreed for this engagement is £420.00") as refused:
            submit(amount=wrong)
        assert refused.value.field == "amount"


@pytest.mark.parametrize(
    ("facts", "field", "words"),
    [
        (replace(FACTS, accredited=False), "service_date", "not accredited"),
        (replace(FACTS, engagement_active=False), "service_date", "not active"),
        (replace(FACTS, engagement_provider=None), "engagement", "no engagement"),
        (replace(FACTS, engagement_provider=uuid4()), "engagement", "no engagement"),
        (replace(FACTS, payable=False, payable_reason="not signed off"), "fee", "not signed off"),
    ],
)
def test_each_fact_refuses_by_name(facts: InvoiceFacts, field: str, words: str) -> None:
    with pytest.raises(InvoiceError, match=words) as refused:
        submit(facts)
    assert refused.value.field == field


def test_a_fee_is_claimed_once_per_plan_review_year_and_period() -> None:
    plan = claim_key(submit().kind, engagement=ENGAGEMENT, person="DN-1", service_date=TODAY)
    assert plan == f"plan-fee:{ENGAGEMENT}"
    review = submit(kind="annual_review", amount=42000).kind
    assert claim_key(review, engagement=uuid4(), person="DN-1", service_date=date(2027, 3, 31)) == (
        "review-fee:DN-1:2026-27"
    )
    assert claim_key(
        review, engagement=ENGAGEMENT, person="DN-1", service_date=date(2027, 4, 1)
    ) == ("review-fee:DN-1:2027-28")
    claim = Claim(plan, uuid4())
    with pytest.raises(DuplicateClaimError):
        claim.check_free("support-plan fee")
    claim.give_back()
    claim.check_free("support-plan fee")


def test_money_management_is_claimed_once_per_four_weekly_period_of_the_engagement() -> None:
    started = date(2026, 11, 2)

    def key(day: date) -> str:
        return claim_key(
            submit(kind="money_management", amount=42000).kind,
            engagement=ENGAGEMENT,
            person="DN-1",
            service_date=day,
            started_on=started,
        )

    assert key(date(2026, 11, 2)) == key(date(2026, 11, 29)) == f"money-management:{ENGAGEMENT}:P1"
    assert key(date(2026, 11, 30)) == f"money-management:{ENGAGEMENT}:P2"
