"""The demo council's register and marketplace: organisations in each state, a few engagements."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any
from uuid import UUID

from django.contrib.auth import get_user_model
from django.utils import timezone

from accreditation.domain import provider_id
from accreditation.models import Membership
from accreditation.payment_accounts import open_payment_account
from accreditation.services import accreditation_app
from config.actor import Actor
from config.errors import NotFound
from config.roles import Role
from marketplace.models import EngagementRecord, PersonAccount
from marketplace.services import catch_up, marketplace_app

BASE: dict[str, Any] = {"registration_kind": "charity", "phone": "01302 000000", "capacity": 40}

ORGANISATIONS: list[dict[str, Any]] = [
    {
        "name": "Connect Doncaster",
        "registration_number": "1012345",
        "address": "1 High Street, Doncaster DN1 1AA",
        "email": "hello@connect-doncaster.example",
        "areas": ["DN1", "DN2", "DN4", "DN5"],
        "languages": ["English", "Polish"],
        "access_needs": ["British Sign Language", "Easy read"],
        "offers": {"money_management": 2250},
        "state": "accredited",
        "services": ["support_planning", "money_management"],
    },
    {
        "name": "Doncaster Peer Planners",
        "registration_number": "1023456",
        "address": "12 Hall Gate, Doncaster DN1 3NA",
        "email": "plan@peerplanners.example",
        "areas": ["DN1", "DN2", "DN3"],
        "languages": ["English", "Urdu"],
        "access_needs": ["Easy read"],
        "state": "accredited",
        "services": ["support_planning"],
    },
    {
        "name": "Thorne Community Circle",
        "registration_number": "1034567",
        "address": "5 King Street, Thorne DN8 5AU",
        "email": "circle@thorne.example",
        "areas": ["DN1", "DN7", "DN8"],
        "languages": ["English"],
        "access_needs": ["Wheelchair access"],
        "state": "accredited",
        "services": ["support_planning"],
    },
    {
        "name": "Mexborough Money Matters",
        "registration_number": "1045678",
        "address": "3 Main Street, Mexborough S64 9DW",
        "email": "money@mexborough.example",
        "areas": ["S63", "S64", "DN1"],
        "languages": ["English"],
        "access_needs": [],
        "state": "suspended",
        "services": ["money_management"],
    },
    {
        "name": "Bentley Helping Hands",
        "registration_number": "1056789",
        "address": "8 Askern Road, Bentley DN5 0HB",
        "email": "help@bentley.example",
        "areas": ["DN5", "DN6"],
        "languages": ["English"],
        "access_needs": [],
        "state": "refused",
        "services": ["support_planning"],
    },
    {
        "name": "Armthorpe Advocacy",
        "registration_number": "1067890",
        "address": "2 Church Street, Armthorpe DN3 3AE",
        "email": "info@armthorpe.example",
        "areas": ["DN3"],
        "languages": ["English"],
        "access_needs": [],
        "state": "expired",
        "services": ["support_planning"],
    },
]


# The demo's actors, as actor_from_user would build them for its users (demo/council.py), and
# the loader itself acting as each organisation's staff when it registers and applies.
REGISTRAR = Actor(id="registeradmin", roles=frozenset({Role.REGISTER_ADMIN}))
LOADER = Actor(id="demo loader", roles=frozenset({Role.PROVIDER_STAFF}))
COUNCIL = Actor(id="demo loader", roles=frozenset({Role.REGISTER_ADMIN}))  # publishes the tariff
WORKER = Actor(id="socialworker", roles=frozenset({Role.SOCIAL_WORKER}))
PROVIDER = Actor(
    id="provider", roles=frozenset({Role.PROVIDER_STAFF}), organisation=provider_id("1012345")
)


def person_actor(ref: str) -> Actor:
    """Sam's user ("person"), acting for themselves, as the demo links them."""
    return Actor(id="person", roles=frozenset({Role.PERSON}), on_behalf_of=((ref, "person"),))


def staff_of(pid: UUID) -> Actor:
    return Actor(id=LOADER.id, roles=LOADER.roles, organisation=pid)


def _choose_once(market: Any, **choice: Any) -> UUID:
    """The demo's choice, made once: a demo loaded before (whatever key it used) keeps its."""
    catch_up()
    earlier = EngagementRecord.objects.filter(
        person=choice["person"], provider_id=choice["provider"], service=choice["service"]
    ).first()
    return earlier.id if earlier is not None else market.choose(**choice)  # type: ignore[no-any-return]


def _accredit(app: Any, pid: UUID, service: str, *, on: date, days: int) -> UUID:
    aid = app.apply(pid, service=service, actor=staff_of(pid)).id
    app.start_assessment(aid, actor=REGISTRAR)
    for criterion in app.checklist().criteria(1):
        app.assess(
            aid,
            criterion=criterion.code,
            met=True,
            evidence=[],
            note="Seen at the assessment visit",
            actor=REGISTRAR,
        )
    app.accredit(
        aid,
        expires_on=on + timedelta(days=days),
        today=on,
        conditions="",
        actor=REGISTRAR,
        reason="All criteria met at the assessment visit",
    )
    return aid


def load_register() -> None:
    app = accreditation_app()
    today = timezone.localdate()
    for org in ORGANISATIONS:
        try:
            app.get_provider(provider_id(org["registration_number"]))
            continue  # loaded before
        except NotFound:
            pass
        details = {k: v for k, v in org.items() if k not in ("state", "services")}
        pid = app.register_provider(actor=LOADER, **{**BASE, **details}).id
        for service in org["services"]:
            if org["state"] == "refused":
                aid = app.apply(pid, service=service, actor=staff_of(pid)).id
                app.start_assessment(aid, actor=REGISTRAR)
                app.assess(
                    aid,
                    criterion="insurance",
                    met=False,
                    evidence=[],
                    note="No insurance certificate",
                    actor=REGISTRAR,
                )
                app.refuse(aid, actor=REGISTRAR, reasons="No public liability insurance in force")
            elif org["state"] == "expired":
                # Accredited two years ago for a year, and never renewed.
                aid = _accredit(app, pid, service, on=today - timedelta(days=730), days=365)
                app.expire_and_remind([aid], today=today)
            else:
                # A service to be suspended is suspended by load_marketplace, once someone has
                # asked for it, so the demo shows a flagged request.
                _accredit(app, pid, service, on=today - timedelta(days=200), days=730)
                # Skipped, and logged, if Stripe cannot be reached.
                open_payment_account(pid, actor=REGISTRAR)


def load_marketplace() -> None:
    market = marketplace_app()
    today = timezone.localdate()
    if not market.tariff().versions:
        market.publish_tariff(
            today=today,
            actor=COUNCIL,
            effective_from=date(today.year if today.month >= 4 else today.year - 1, 4, 1),
            support_plan_fee=45000,
            annual_review_fee=20000,
            money_management_fee=2500,
            deductions=[
                {
                    "name": "Bank charges on a managed account",
                    "amount": 300,
                    "description": "Per 4-weekly period, where the bank charges them",
                }
            ],
            note="Doncaster's fees: £450 for a support plan and its implementation, £200 a year "
            "for the annual review update. The money-management fee of £25 every 4 weeks is a "
            "demo value.",
        )
    User = get_user_model()
    provider_user = User.objects.get(username="provider")
    Membership.objects.get_or_create(
        user=provider_user, defaults={"provider_id": provider_id("1012345")}
    )
    person = User.objects.get(username="person")
    PersonAccount.objects.get_or_create(user=person, person="DN-000123")
    connect = provider_id("1012345")
    sam = person_actor("DN-000123")
    # Sam: support planning with Connect Doncaster, accepted; a money-management request
    # with a provider later suspended (so it shows flagged).
    planning = _choose_once(
        market,
        actor=sam,
        person="DN-000123",
        provider=connect,
        service="support_planning",
        today=today,
        key="demo:sam:planning",
    )
    if market.get_engagement(planning).status.value == "requested":
        market.accept(planning, actor=PROVIDER, today=today)
    # Mary: her budget is allocated and Connect Doncaster is writing her plan.
    mary = _choose_once(
        market,
        actor=WORKER,
        person="DN-000790",
        provider=connect,
        service="support_planning",
        consent="Mary asked for Connect at her assessment",
        today=today,
        key="demo:mary:planning",
    )
    if market.get_engagement(mary).status.value == "requested":
        market.accept(mary, actor=PROVIDER, today=today)
    # Sam asked Mexborough Money Matters to manage his money; then its insurance lapsed.
    mexborough = provider_id("1045678")
    _choose_once(
        market,
        actor=sam,
        person="DN-000123",
        provider=mexborough,
        service="money_management",
        today=today,
        key="demo:sam:money",
    )
    register = accreditation_app()
    money = register.accreditation_of(mexborough, "money_management")
    if money.status.value == "accredited":
        register.suspend(
            money.id, actor=REGISTRAR, reason="Insurance certificate lapsed", today=today
        )
    _choose_once(
        market,
        actor=WORKER,
        person="DN-000456",
        provider=provider_id("1023456"),
        service="support_planning",
        consent="Agreed with Lee at the assessment visit",
        today=today,
        key="demo:lee:planning",
    )
    catch_up()
