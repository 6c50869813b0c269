"""Helpers shared by the register and marketplace tests: accredited providers, signed-in clients."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any
from uuid import UUID

from django.test import Client

from accreditation.models import Membership
from accreditation.services import accreditation_app
from config.actor import Actor
from config.roles import Role
from marketplace.models import PersonAccount
from tests.unit.test_accreditation import ADMIN, DETAILS, NEWCOMER, staff_of_provider


def accredited_provider(
    number: str,
    capacity: int = 40,
    service: str = "support_planning",
    name: str = "",
    *,
    details: dict[str, Any] | None = None,
    on: date | None = None,
    days: int = 365,
) -> UUID:
    """A provider registered, assessed against every criterion and accredited on ``on``."""
    today = on or date.today()
    app = accreditation_app()
    given = {**DETAILS, "registration_number": number, "capacity": capacity, **(details or {})}
    pid = app.register_provider(actor=NEWCOMER, **{**given, "name": name or given["name"]}).id
    aid = app.apply(pid, service=service, actor=staff_of_provider(pid)).id
    app.start_assessment(aid, actor=ADMIN)
    for criterion in app.checklist().criteria(1):
        app.assess(aid, criterion=criterion.code, met=True, evidence=[], note="", actor=ADMIN)
    app.accredit(
        aid,
        expires_on=today + timedelta(days=days),
        today=today,
        conditions="",
        actor=ADMIN,
        reason="Met",
    )
    return pid


# The register administrator, as the register's and the marketplace's commands take them.
REGISTRAR = ADMIN


def person_actor(ref: str, username: str = "", relationship: str = "person") -> Actor:
    """Someone acting for the person (themselves, by default), as actor_from_user builds them
    from their account's link."""
    return Actor(
        id=username or ref.lower(),
        roles=frozenset({Role.PERSON}),
        on_behalf_of=((ref, relationship),),
    )


def provider_staff(provider: UUID, username: str = "staff") -> Actor:
    """A member of the provider's staff, acting for it."""
    return staff_of_provider(provider, username)


def staff(username: str, *roles: Role, organisation: UUID | None = None) -> Actor:
    """An actor as the budgets context's commands take them (a social worker by default)."""
    return Actor(
        id=username, roles=frozenset(roles or (Role.SOCIAL_WORKER,)), organisation=organisation
    )


ALEX = staff("alex", Role.SOCIAL_WORKER)  # the worker who holds the case
JO = staff("jo", Role.TEAM_MANAGER)  # the team manager who signs off


def signed_in(make_user: Any, username: str, role: Role) -> Client:
    client = Client()
    client.force_login(make_user(username, role.value))
    return client


def person(make_user: Any, username: str, ref: str) -> Client:
    client = Client()
    user = make_user(username, Role.PERSON.value)
    PersonAccount.objects.create(user=user, person=ref)
    client.force_login(user)
    return client


def staff_of(make_user: Any, username: str, provider: UUID) -> Client:
    client = Client()
    user = make_user(username, Role.PROVIDER_STAFF.value)
    Membership.objects.create(user=user, provider_id=provider)
    client.force_login(user)
    return client


def care_fund_and_grid(*, since_days: int = 30) -> None:
    """The council's care fund account and the demo RAS grid (version 1), in force for a while."""
    from budgets.domain import DEMO_PENCE_PER_POINT, DEMO_POINTS
    from budgets.services import budget_app
    from ledger.services import ledger_app

    today = date.today()
    ledger_app().open_account(code="COUNCIL:CARE-FUND", name="Fund", type="equity", actor="t")
    budget_app().publish_grid(
        effective_from=today - timedelta(days=since_days),
        today=today,
        points=DEMO_POINTS,
        pence_per_point=DEMO_PENCE_PER_POINT,
        actor=staff("council", Role.TEAM_MANAGER),
        reason="Grid 2026-1",
    )


def engaged_planner(person: str, provider: UUID) -> UUID:
    """The person chose the provider for support planning and the provider accepted."""
    from marketplace.services import marketplace_app

    market = marketplace_app()
    engagement = market.choose(
        actor=person_actor(person),
        person=person,
        provider=provider,
        service="support_planning",
        today=date.today(),
        key=f"plan:{person}:{provider}",
    )
    market.accept(engagement, actor=provider_staff(provider), today=date.today())
    return engagement


def six_week_review(ref: str, *, reviewer: str = "alex", outcome: str = "Get out more") -> None:
    """The worker records the 6-week review today, at which the plan is signed off."""
    from budgets.services import budget_app

    budget_app().record_review(
        ref,
        actor=staff(reviewer),
        on=date.today(),
        outcomes={outcome: {"scale": 4}},
        changes="",
        today=date.today(),
    )


def assessed_person(ref: str = "DN-000123", nhs: str = "943 476 5919") -> str:
    """Sam's record under ``ref``, assessed eligible with his unmet needs (tests/unit)."""
    from budgets.services import budget_app
    from tests.unit.test_people import PERSON, SAM_OUTCOMES

    app = budget_app()
    app.register_person(
        today=date.today(), actor=ALEX, **{**PERSON, "council_ref": ref, "nhs_number": nhs}
    )
    app.record_assessment(
        ref,
        today=date.today(),
        actor=ALEX,
        own_words={"day_in_my_life": "..."},
        outcomes=SAM_OUTCOMES,
        arises_from_impairment=True,
        significant_impact=True,
    )
    return ref
