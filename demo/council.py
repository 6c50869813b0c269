"""The demo council: one user per role and a small ledger. Safe to load again (idempotent keys)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from config.roles import Role
from demo.budgets import load_budgets
from demo.register import load_marketplace, load_register
from ledger.domain import EntryDraft
from ledger.services import catch_up, ledger_app

PASSWORD = "careledger-demo"

USERS = {
    "person": ("Sam", "Patel", Role.PERSON),
    "provider": ("Priya", "Okafor", Role.PROVIDER_STAFF),
    "socialworker": ("Alex", "Morgan", Role.SOCIAL_WORKER),
    "teammanager": ("Jo", "Fletcher", Role.TEAM_MANAGER),
    "panel": ("Chris", "Lee", Role.PANEL_MEMBER),
    "finance": ("Farah", "Ahmed", Role.FINANCE_OFFICER),
    "auditor": ("Ruth", "Adeyemi", Role.AUDITOR),
    "registeradmin": ("Mo", "Hussain", Role.REGISTER_ADMIN),
}

ACCOUNTS = [
    ("COUNCIL:CARE-FUND", "Adult social care fund", "equity", "council", "DN"),
    ("COUNCIL:BANK", "Council bank account", "asset", "council", "DN"),
    ("STRIPE:CLEARING", "Stripe clearing", "asset", "council", "DN"),
    ("PB:DN-000123:AVAILABLE", "Sam Patel: budget available", "liability", "budget", "DN-000123"),
    ("PB:DN-000123:COMMITTED", "Sam Patel: budget committed", "liability", "budget", "DN-000123"),
    ("DP:DN-000123:PAYABLE", "Sam Patel: direct payments due", "liability", "budget", "DN-000123"),
    ("PB:DN-000456:AVAILABLE", "Lee Walker: budget available", "liability", "budget", "DN-000456"),
    ("PB:DN-000456:COMMITTED", "Lee Walker: budget committed", "liability", "budget", "DN-000456"),
    (
        "PROVIDER:connect-doncaster:PAYABLE",
        "Connect Doncaster: invoices due",
        "liability",
        "provider",
        "connect-doncaster",
    ),
]


def load_users() -> None:
    User = get_user_model()
    for username, (first, last, role) in USERS.items():
        user, created = User.objects.get_or_create(
            username=username, defaults={"first_name": first, "last_name": last}
        )
        if created:
            user.set_password(PASSWORD)
            user.save()
        user.groups.add(Group.objects.get_or_create(name=role.value)[0])


def _entry(
    key: str,
    kind: str,
    legs: list[tuple[str, str, int]],
    days_ago: int,
    actor: str,
    reason: str,
    budget: str,
    source: str,
) -> EntryDraft:
    return EntryDraft.create(
        idempotency_key=f"demo:{key}",
        kind=kind,
        legs=[{"account": a, "side": s, "amount": p} for a, s, p in legs],
        effective_at=datetime(2026, 9, 1, 9, tzinfo=UTC) + timedelta(days=days_ago),
        actor=actor,
        reason=reason,
        budget=budget,
        source_document=source,
    )


def load_ledger() -> None:
    app = ledger_app()
    for code, name, type_, owner_kind, owner_id in ACCOUNTS:
        app.open_account(
            code=code,
            name=name,
            type=type_,
            owner_kind=owner_kind,
            owner_id=owner_id,
            actor="demo loader",
            # A personal budget's available balance may not go below zero unauthorised.
            no_overdraft=code.startswith("PB:") and code.endswith(":AVAILABLE"),
        )
    drafts = [
        _entry(
            "fund-2026",
            "opening",
            [("COUNCIL:BANK", "debit", 200_000_000), ("COUNCIL:CARE-FUND", "credit", 200_000_000)],
            -1,
            "finance",
            "Adult social care fund for 2026/27 (demo)",
            "",
            "budget-book:2026-27",
        ),
        _entry(
            "alloc-456",
            "allocation",
            [
                ("COUNCIL:CARE-FUND", "debit", 936_000),
                ("PB:DN-000456:AVAILABLE", "credit", 936_000),
            ],
            3,
            "socialworker",
            "Annual personal budget from RAS grid 2026-1: £180 a week",
            "DN-000456",
            "plan:DN-000456:v1",
        ),
        _entry(
            "commit-plan-123",
            "commitment",
            [
                ("PB:DN-000123:AVAILABLE", "debit", 45_000),
                ("PB:DN-000123:COMMITTED", "credit", 45_000),
            ],
            7,
            "person",
            "Support plan with Connect Doncaster agreed (£450 tariff)",
            "DN-000123",
            "engagement:E-1",
        ),
        _entry(
            "dp-123-1",
            "direct_payment",
            [
                ("PB:DN-000123:AVAILABLE", "debit", 120_000),
                ("DP:DN-000123:PAYABLE", "credit", 104_000),
                ("COUNCIL:CARE-FUND", "credit", 16_000),
            ],
            7,
            "finance",
            "Direct payment for 8 Sep to 5 Oct 2026, net of £160 client contribution",
            "DN-000123",
            "dp-schedule:DN-000123:1",
        ),
        _entry(
            "dp-123-1-paid",
            "settlement",
            [("DP:DN-000123:PAYABLE", "debit", 104_000), ("STRIPE:CLEARING", "credit", 104_000)],
            8,
            "finance",
            "Paid out through Stripe",
            "DN-000123",
            "payout:po_demo_1",
        ),
        _entry(
            "fee-plan-123",
            "provider_fee",
            [
                ("PB:DN-000123:COMMITTED", "debit", 45_000),
                ("PROVIDER:connect-doncaster:PAYABLE", "credit", 45_000),
            ],
            35,
            "finance",
            "Invoice INV-001 approved: support plan and its implementation",
            "DN-000123",
            "invoice:INV-001",
        ),
        _entry(
            "dp-123-2",
            "direct_payment",
            [
                ("PB:DN-000123:AVAILABLE", "debit", 120_000),
                ("DP:DN-000123:PAYABLE", "credit", 104_000),
                ("COUNCIL:CARE-FUND", "credit", 16_000),
            ],
            35,
            "finance",
            "Direct payment for 6 Oct to 2 Nov 2026, net of £160 client contribution",
            "DN-000123",
            "dp-schedule:DN-000123:2",
        ),
        _entry(
            "dp-123-2-wrong",
            "direct_payment",
            [
                ("PB:DN-000123:AVAILABLE", "debit", 120_000),
                ("DP:DN-000123:PAYABLE", "credit", 120_000),
            ],
            35,
            "finance",
            "Direct payment keyed twice",
            "DN-000123",
            "dp-schedule:DN-000123:2",
        ),
    ]
    app.post_entry(drafts[0])  # the care fund opens
    # Sam's allocation comes from his personal budget, before anything is spent from it.
    load_budgets()
    for draft in drafts[1:]:
        app.post_entry(draft)
    mistake = app.get_entry(app.post_entry(drafts[-1]).id)
    if mistake.reversed_by is None:
        app.reverse_entry(
            entry=mistake.id,
            actor="finance",
            reason="Keyed twice: the payment for this period is already recorded",
            effective_at=drafts[-1].effective_at + timedelta(hours=2),
        )
    catch_up()


def load() -> None:
    load_users()
    load_ledger()
    load_register()
    load_marketplace()
