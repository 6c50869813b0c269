"""The demo council's direct payment: Sam's, every 4 weeks in advance from 8 September 2026,
£200.00 a week less his £40.00 contribution, paid into an account of his on the local Stripe
server (when the demo runs with it; else he has none, and a run shows why it cannot pay)."""

from __future__ import annotations

from datetime import timedelta

from budgets.services import budget_app
from config.errors import DomainError
from demo.budgets import START, WORKER
from payments.application import payments_app
from payments.direct_payments import BankAccount, Payee

SAM = "DN-000123"


def _connected_account() -> str:
    """An onboarded account for Sam on the local Stripe server, if the demo has one."""
    from django.conf import settings

    from payments import stripe

    base = getattr(settings, "STRIPE_API_BASE", "")
    if not getattr(settings, "STRIPE_API_KEY", "") or "127.0.0.1" not in base:
        return ""
    try:
        account = stripe.create_connected_account(
            provider_id=f"person-{SAM}", email="sam@example.org", name="Sam Patel"
        )
        import urllib.request

        urllib.request.urlopen(
            urllib.request.Request(
                f"{base}/_config/accounts/{account}/complete_onboarding", data=b"{}", method="POST"
            ),
            timeout=10,
        ).read()
    except (stripe.StripeFailure, OSError):
        return ""
    return account


def load_direct_payments() -> None:
    app = payments_app()
    try:
        app.agreement(SAM)
        return  # loaded before
    except DomainError:
        pass
    budget = budget_app().get_budget(SAM)
    app.agree_direct_payment(
        WORKER,
        budget_ref=SAM,
        needs=["Maintaining personal hygiene", "Managing and maintaining nutrition"],
        payee=Payee.create(
            kind="person",
            name="Sam Patel",
            stripe_account=_connected_account(),
            bank=BankAccount.create(
                sort_code="20-00-00", account_number="55779911", name="S PATEL"
            ),
        ),
        has_capacity=True,
        start=START + timedelta(days=7),
        today=START,
        figures=budget.figures,
    )
