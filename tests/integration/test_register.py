"""The register and the marketplace through their projections, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django.core.management import call_command

from accreditation import models as register
from accreditation.services import accreditation_app
from accreditation.services import catch_up as catch_up_register
from marketplace import models as market
from marketplace.domain import MarketplaceError
from marketplace.queries import flag
from marketplace.services import catch_up as catch_up_market
from marketplace.services import marketplace_app
from tests.integration.helpers import (
    REGISTRAR,
    accredited_provider,
    person_actor,
    provider_staff,
)

pytestmark = pytest.mark.django_db(transaction=True)

TODAY = date.today()


def snapshot() -> dict[str, list[Any]]:
    return {
        "providers": list(register.ProviderRecord.objects.order_by("id").values()),
        "services": list(register.ServiceRecord.objects.order_by("id").values()),
        "history": list(
            register.ServiceHistory.objects.order_by("position").values(
                "position", "step", "actor", "reason"
            )
        ),
        "engagements": list(market.EngagementRecord.objects.order_by("id").values()),
        "tariff": list(market.TariffRecord.objects.values()),
    }


def test_the_register_shows_each_step_and_a_suspension_flags_engagements_at_once(
    council: Any,
) -> None:
    planner = accredited_provider("1100001")
    engagement = marketplace_app().choose(
        person="DN-000123",
        provider=planner,
        service="support_planning",
        actor=person_actor("DN-000123", "sam"),
        today=TODAY,
        key="c1",
    )
    marketplace_app().accept(engagement, actor=provider_staff(planner, "priya"), today=TODAY)
    catch_up_market()
    service = register.ServiceRecord.objects.get(provider_id=planner)
    assert service.status == "accredited" and service.accredited_since == TODAY
    assert [h.step for h in service.history.all()] == ["Applied", "AssessmentStarted", "Accredited"]
    assert register.Assessment.objects.filter(accreditation=service, met=True).count() == 6
    assert market.EngagementRecord.objects.get(id=engagement).status == "active"

    accreditation_app().suspend(service.id, actor=REGISTRAR, reason="Insurance lapsed", today=TODAY)
    catch_up_register()  # what the register page does before it shows
    assert register.ServiceRecord.objects.get(id=service.id).status == "suspended"
    flagged = flag(market.EngagementRecord.objects.get(id=engagement))
    assert "was suspended on" in flagged and flagged.endswith("Insurance lapsed")
    notice = market.Notice.objects.get(
        recipient="DN-000123", subject__contains="can no longer take new work"
    )
    assert "choose another provider" in notice.body
    with pytest.raises(MarketplaceError, match="not accredited"):
        marketplace_app().choose(
            person="DN-000999",
            provider=planner,
            service="support_planning",
            actor=person_actor("DN-000999", "lee"),
            today=TODAY,
            key="c2",
        )

    ended = marketplace_app().choose(
        person="DN-000456",
        provider=accredited_provider("1100009"),
        service="support_planning",
        actor=person_actor("DN-000456", "lee"),
        today=TODAY,
        key="c3",
    )
    marketplace_app().end(
        ended, actor=person_actor("DN-000456", "lee"), reason="No longer needed", today=TODAY
    )
    catch_up_market()
    assert flag(market.EngagementRecord.objects.get(id=ended)) == ""
    live = snapshot()
    call_command("rebuild_projections", verbosity=0)
    assert snapshot() == live
    assert flag(market.EngagementRecord.objects.get(id=engagement)) == flagged


def test_capacity_counts_requests_and_active_engagements(council: Any) -> None:
    small = accredited_provider("1100002", capacity=2)
    first = marketplace_app().choose(
        person="DN-A1",
        provider=small,
        service="support_planning",
        actor=person_actor("DN-A1", "sam"),
        today=TODAY,
        key="a",
    )
    marketplace_app().choose(
        person="DN-B1",
        provider=small,
        service="support_planning",
        actor=person_actor("DN-B1", "sam"),
        today=TODAY,
        key="b",
    )
    with pytest.raises(MarketplaceError, match="no room"):
        marketplace_app().choose(
            person="DN-C1",
            provider=small,
            service="support_planning",
            actor=person_actor("DN-C1", "sam"),
            today=TODAY,
            key="c",
        )
    marketplace_app().end(
        first, actor=person_actor("DN-A1", "sam"), reason="Found help elsewhere", today=TODAY
    )
    marketplace_app().choose(
        person="DN-C1",
        provider=small,
        service="support_planning",
        actor=person_actor("DN-C1", "sam"),
        today=TODAY,
        key="c",
    )
    catch_up_market()
    assert (
        market.EngagementRecord.objects.filter(provider_id=small, status="requested").count() == 2
    )
