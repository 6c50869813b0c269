"""Wires the marketplace application to the register it depends on."""

from __future__ import annotations

from collections.abc import Mapping
from uuid import UUID

from accreditation.domain import Accreditation, Service
from accreditation.services import accreditation_app
from accreditation.services import catch_up as catch_up_register
from config.applications import application
from config.errors import NotFound
from marketplace.application import MarketplaceApplication
from marketplace.models import EngagementRecord
from marketplace.projections import MarketplaceProjection


def _accreditation_of(accreditation: UUID) -> Accreditation | None:
    try:
        return accreditation_app().get_accreditation(accreditation)
    except NotFound:
        return None


def _capacity_of(provider: UUID) -> int:
    try:
        return accreditation_app().get_provider(provider).details.capacity
    except NotFound:
        return 0


def _offers_of(provider: UUID) -> Mapping[str, int]:
    try:
        return accreditation_app().get_provider(provider).details.offers
    except NotFound:
        return {}


def _has_open(person: str, provider: UUID, service: Service) -> bool:
    catch_up()
    return EngagementRecord.objects.filter(
        person=person,
        provider_id=provider,
        service=service.value,
        status__in=["requested", "active"],
    ).exists()


def _room_in_use(provider: UUID) -> int:
    catch_up()  # count every request recorded so far
    return EngagementRecord.objects.filter(
        provider_id=provider, status__in=["requested", "active"]
    ).count()


def marketplace_app() -> MarketplaceApplication:
    app = application(MarketplaceApplication)
    app.accreditation_of = _accreditation_of
    app.capacity_of = _capacity_of
    app.room_in_use = _room_in_use
    app.offers_of = _offers_of
    app.has_open = _has_open
    return app


def catch_up(until: int | None = None) -> int:
    # The register first: a new engagement is flagged if its service is no longer accredited.
    catch_up_register()
    return MarketplaceProjection(marketplace_app()).catch_up(until)


def planner_engaged(provider: UUID, person: str) -> bool:
    """Whether the provider is the planner the person engaged for support planning (asked by
    the budgets context's policies, through its application's ``engaged_planner_of``)."""
    catch_up()  # an engagement accepted a moment ago counts
    return EngagementRecord.objects.filter(
        person=person,
        provider_id=provider,
        service="support_planning",
        status="active",
    ).exists()
