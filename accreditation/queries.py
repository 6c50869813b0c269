"""Reads of the register and the marketplace's search over it."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import UUID

from django.db.models import Avg, Count, Q

from accreditation import models
from accreditation.domain import Service
from config.errors import NotFound
from marketplace.models import EngagementRecord

_OUTWARD = re.compile(r"^([A-Z]{1,2}\d[A-Z\d]?)")


def district_of(postcode_or_district: str) -> str:
    """'DN1 2AB', 'dn12ab' or 'DN1' -> 'DN1' (the outward code, which the register lists)."""
    cleaned = postcode_or_district.upper().replace(" ", "")
    if len(cleaned) > 4:  # a full postcode: the inward code is always digit + two letters
        cleaned = cleaned[:-3]
    match = _OUTWARD.match(cleaned)
    return match.group(1) if match else ""


def provider(provider_id: UUID) -> models.ProviderRecord:
    found = models.ProviderRecord.objects.filter(id=provider_id).first()
    if found is None:
        raise NotFound(f"no provider {provider_id}", field="provider_id")
    return found


def register(*, service: str = "", status: str = "") -> Any:
    services = models.ServiceRecord.objects.select_related("provider").order_by(
        "provider__name", "service"
    )
    if service:
        services = services.filter(service=service)
    if status:
        services = services.filter(status=status)
    return services


@dataclass
class Match:
    provider: models.ProviderRecord
    service: models.ServiceRecord
    room: int
    rating: float | None
    reviews: int


def search(
    *,
    service: str,
    area: str = "",
    language: str = "",
    access_need: str = "",
    has_room: bool = False,
    sort: str = "name",
    today: date,
) -> list[Match]:
    """Services accredited today, filtered the way a person asks, with room and ratings."""
    accredited = models.ServiceRecord.objects.select_related("provider").filter(
        status="accredited", expires_on__gte=today
    )
    if service:
        accredited = accredited.filter(service=Service(service).value)
    district = district_of(area) if area else ""
    in_use = dict(
        EngagementRecord.objects.filter(status__in=["requested", "active"])
        .values("provider_id")
        .annotate(n=Count("id"))
        .values_list("provider_id", "n")
    )
    ratings = {
        row["provider_id"]: row
        for row in EngagementRecord.objects.filter(feedback_status="published")
        .values("provider_id")
        .annotate(avg=Avg("feedback_rating"), n=Count("id"))
    }
    found = []
    for record in accredited:
        p = record.provider
        # Lists are few and short per council: filtered here, alike on SQLite and PostgreSQL.
        if district and district not in p.areas:
            continue
        if language and language.lower() not in {x.lower() for x in p.languages}:
            continue
        if access_need and access_need.lower() not in {x.lower() for x in p.access_needs}:
            continue
        room = max(p.capacity - in_use.get(p.id, 0), 0)
        if has_room and room == 0:
            continue
        rated = ratings.get(p.id)
        found.append(
            Match(
                p,
                record,
                room,
                round(rated["avg"], 1) if rated else None,
                rated["n"] if rated else 0,
            )
        )
    keys = {
        "name": lambda m: (m.provider.name.lower(),),
        "room": lambda m: (-m.room, m.provider.name.lower()),
        "rating": lambda m: (-(m.rating or 0), m.provider.name.lower()),
    }
    return sorted(found, key=keys.get(sort, keys["name"]))


def published_feedback(provider_id: UUID) -> Any:
    return EngagementRecord.objects.filter(
        provider_id=provider_id, feedback_status="published"
    ).order_by("-closed_at", "-requested_at")


def in_force() -> Any:
    """Services a register administrator may suspend, reinstate, withdraw or renew."""
    return (
        models.ServiceRecord.objects.select_related("provider")
        .filter(Q(status="accredited") | Q(status="suspended"))
        .order_by("provider__name", "service")
    )


def queue() -> Any:
    """The register administrator's work: applications and assessments in progress."""
    return (
        models.ServiceRecord.objects.select_related("provider")
        .filter(Q(status="applied") | Q(status="under_assessment"))
        .order_by("applied_at")
    )
