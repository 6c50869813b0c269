"""The demo council: one user per role, the care fund, and the people, register and marketplace
loaded through the contexts' own commands. Safe to load again (idempotent keys)."""

from __future__ import annotations

from datetime import UTC, datetime

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from config.actor import Actor
from config.roles import Role
from demo.budgets import load_budgets, load_contacts, load_plans
from demo.payments import load_direct_payments
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

# The council's own accounts. A person's budget accounts are opened by the budgets context
# when their budget is allocated; payables and clearing come with the payments issue.
ACCOUNTS = [
    ("COUNCIL:CARE-FUND", "Adult social care fund", "equity", "council", "DN"),
    ("COUNCIL:BANK", "Council bank account", "asset", "council", "DN"),
    ("STRIPE:CLEARING", "Stripe clearing", "asset", "council", "DN"),
]


def load_users() -> None:
    User = get_user_model()
    for username, (first, last, role) in USERS.items():
        user, created = User.objects.get_or_create(
            username=username,
            defaults={
                "first_name": first,
                "last_name": last,
                # Staff are told by email (the local Notify server keeps what it is sent).
                "email": f"{first}.{last}@council.example".lower()
                if role.value != "person"
                else "",
            },
        )
        if created:
            user.set_password(PASSWORD)
            user.save()
        user.groups.add(Group.objects.get_or_create(name=role.value)[0])


# Finance's demo officer (USERS' "finance"), as identity.actors.actor_from_user builds her.
FINANCE = Actor(id="finance", roles=frozenset({Role.FINANCE_OFFICER}), name="Farah Ahmed")


def _journal(key: str, legs: list[tuple[str, str, int]], reason: str) -> EntryDraft:
    """One of finance's own journal entries (the only entries the demo writes by hand: every
    budget's entries come from its own commands, through the budgets context)."""
    return EntryDraft.create(
        idempotency_key=f"demo:{key}",
        kind="opening" if key.startswith("fund") else "adjustment",
        legs=[{"account": a, "side": s, "amount": p} for a, s, p in legs],
        effective_at=datetime(2026, 4, 1, 9, tzinfo=UTC),
        actor=FINANCE.id,
        reason=reason,
        source_document="budget-book:2026-27",
    )


def load_ledger() -> None:
    """Finance's own journal, kept by its officer through the ledger's door, as the ledger
    API would: the council's accounts, the fund, and a top-up keyed twice and reversed."""
    app = ledger_app()
    journal = app.journal(FINANCE)
    for code, name, type_, owner_kind, owner_id in ACCOUNTS:
        journal.open_account(
            code=code, name=name, type=type_, owner_kind=owner_kind, owner_id=owner_id
        )
    fund = [("COUNCIL:BANK", "debit", 200_000_000), ("COUNCIL:CARE-FUND", "credit", 200_000_000)]
    journal.post_entry(_journal("fund-2026", fund, "Adult social care fund for 2026/27 (demo)"))
    # Finance keys a top-up of the fund twice and puts the second right by reversing it: the
    # ledger explorer shows the link between a mistaken entry and its reversal.
    top_up = [("COUNCIL:BANK", "debit", 5_000_000), ("COUNCIL:CARE-FUND", "credit", 5_000_000)]
    journal.post_entry(_journal("top-up-q2", top_up, "Better Care Fund top-up, quarter 2"))
    mistake = app.get_entry(
        journal.post_entry(
            _journal("top-up-q2-again", top_up, "Better Care Fund top-up, quarter 2")
        ).id
    )
    if mistake.reversed_by is None:
        journal.reverse_entry(
            entry=mistake.id,
            reason="Keyed twice: the quarter 2 top-up is already recorded",
        )
    # Every budget's allocation and contribution entries come from the budgets context.
    load_budgets()
    catch_up()


def load() -> None:
    load_users()
    load_ledger()
    load_contacts()
    load_register()
    load_marketplace()
    load_plans()  # Sam's plan is written by the planner he engaged in the marketplace
    load_direct_payments()
