"""Reads of the marketplace: the engagements an actor may see, with their flags.

Each read takes the ``Actor`` and asks the context's policies (marketplace/policies.py) which
engagements they may see, as the commands do; the adapters log staff's reads.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.db.models import QuerySet

from accreditation import models as register
from accreditation.domain import Service
from accreditation.projections import CLOSING, flag_text
from config.actor import Actor
from config.errors import NotVisible
from config.validation import council_ref
from marketplace import models, policies
from marketplace.domain import MarketplaceError


def engagements(actor: Actor, *, person: str = "") -> QuerySet[models.EngagementRecord]:
    """The engagements the actor may list (policies.engagements_scope), newest first: a
    provider's own, a person's own, or for the council's staff every one or one person's."""
    if person:
        person = council_ref(person, field="person", error=MarketplaceError)
    scope = policies.engagements_scope(actor, person=person)
    found = models.EngagementRecord.objects.all()
    if not scope.everyone:
        if scope.provider is not None:
            found = found.filter(provider_id=scope.provider)
        elif scope.people:
            found = found.filter(person__in=list(scope.people))
        else:
            found = found.none()
    return found.order_by("-requested_at", "-id")


def engagement(actor: Actor, engagement_id: UUID) -> models.EngagementRecord:
    """One engagement, if the actor may see it (policies.may_see); else, as when there is
    none, NoSuchEngagementError."""
    found = models.EngagementRecord.objects.filter(id=engagement_id).first()
    if found is None:
        raise policies.no_such_engagement(engagement_id)
    policies.may_see(
        actor, person=found.person, provider=found.provider_id, engagement=engagement_id
    )
    return found


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


def open_notices(recipients: list[str], limit: int = 20) -> list[models.Notice]:
    """The notices still to act on or read, newest first."""
    found = models.Notice.objects.filter(recipient__in=recipients, cleared_at__isnull=True)
    return list(found[:limit])


def dismiss_notice(actor: Actor, notice_id: int) -> None:
    """The recipient has read it: it clears (policies.check_may_dismiss_notice)."""
    from django.utils import timezone

    notice = models.Notice.objects.filter(id=notice_id).first()
    if notice is None:
        raise NotVisible("no such notice", field="notice")
    policies.check_may_dismiss_notice(actor, recipient=notice.recipient)
    if notice.cleared_at is None:
        notice.cleared_at, notice.cleared_by = timezone.now(), actor.id
        notice.save(update_fields=["cleared_at", "cleared_by"])


def open_with(provider: UUID, service: str, at: Any = None) -> list[str]:
    """The people whose engagements with the provider's service are open (at ``at``, when
    given: requested by then and not closed before), each once."""
    found = models.EngagementRecord.objects.filter(provider_id=provider, service=str(service))
    if at is None:
        found = found.filter(closed_at__isnull=True)
    else:
        found = found.filter(requested_at__lte=at).exclude(closed_at__lte=at)
    return sorted(set(found.values_list("person", flat=True)))
