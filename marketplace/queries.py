"""Reads of the marketplace: engagements with their flags, the tariff in force."""

from __future__ import annotations

from accreditation import models as register
from accreditation.domain import Service
from accreditation.projections import CLOSING, flag_text
from marketplace import models


def flag(engagement: models.EngagementRecord) -> str:
    """Why this engagement needs attention: its service closed while it was open."""
    service = (
        register.ServiceRecord.objects.filter(
            provider_id=engagement.provider_id, service=engagement.service
        )
        .select_related("provider")
        .first()
    )
    if service is None or service.status not in ("suspended", "withdrawn", "expired"):
        return ""
    closing = service.history.filter(step__in=CLOSING).last()
    if closing is None:
        return ""
    if engagement.closed_at is not None and engagement.closed_at <= closing.at:
        return ""
    label = Service(service.service).label.lower()
    return flag_text(service.provider.name, label, closing.step.lower(), closing.at, closing.reason)
