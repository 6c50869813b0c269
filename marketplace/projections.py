"""Projects the marketplace log into the tariff, engagement and notice read models."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from eventsourcing.persistence import Notification

from accreditation.domain import Service
from accreditation.models import ProviderRecord
from accreditation.projections import step_of
from core.projection import Projection
from core.tracking import ProjectionPosition
from marketplace import models


class MarketplaceProjection(Projection):
    name = "marketplace"
    read_models = (models.TariffRecord, models.EngagementRecord)

    def apply(self, notifications: Sequence[Notification], tracking: ProjectionPosition) -> None:
        for notification in notifications:
            event = self.decode(notification)
            owner, step = step_of(event)
            if owner == "Tariff" and step == "VersionPublished":
                models.TariffRecord.objects.create(
                    version=models.TariffRecord.objects.count() + 1,
                    effective_from=event.effective_from,
                    support_plan_fee=event.support_plan_fee,
                    annual_review_fee=event.annual_review_fee,
                    money_management_fee=event.money_management_fee,
                    deductions=event.deductions,
                    note=event.note,
                )
            elif owner == "Engagement":
                self._engagement(event, step, notification.id)

    def _engagement(self, event: Any, step: str, position: int) -> None:
        eid = event.originator_id
        if step == "Requested":
            models.EngagementRecord.objects.create(
                id=eid,
                person=event.person,
                provider_id=event.provider,
                service=event.service,
                status="requested",
                price=event.price,
                tariff_version=event.tariff_version,
                chosen_by=event.chooser["username"],
                on_behalf=event.chooser["relationship"],
                consent=event.chooser.get("consent", ""),
                replaces=event.replaces,
                requested_at=event.timestamp,
            )
            self._notice(
                position,
                str(event.provider),
                "A new request for " + Service(event.service).label.lower(),
                f"Person {event.person} has chosen you. Accept or decline the request.",
                event.timestamp,
                about=str(eid),
            )
            return
        record = models.EngagementRecord.objects.get(id=eid)
        provider = ProviderRecord.objects.filter(id=record.provider_id).first()
        name = provider.name if provider else "The provider"
        if step in ("Accepted", "Declined", "RequestWithdrawn"):
            # The provider's "new request" notice is acted on: it clears.
            models.Notice.clear(
                str(eid), at=event.timestamp, by=step.lower(), recipient=str(record.provider_id)
            )
        if step == "Accepted":
            record.status, record.started_on = "active", event.on
            self._notice(
                position,
                record.person,
                f"{name} accepted your request",
                "",
                event.timestamp,
                about=str(eid),
            )
        elif step == "Declined":
            record.status, record.outcome_reason = "declined", event.reason
            record.closed_at = event.timestamp
            self._notice(
                position,
                record.person,
                f"{name} declined your request",
                event.reason,
                event.timestamp,
                about=str(eid),
            )
        elif step == "RequestWithdrawn":
            record.status, record.outcome_reason = "withdrawn", event.reason
            record.closed_at = event.timestamp
        elif step == "Ended":
            record.status, record.ended_on = "ended", event.on
            record.closed_at = event.timestamp
            record.outcome_reason = f"ended by the {event.by}: {event.reason}"
            # Support ended: what was flagged about it no longer needs doing.
            models.Notice.clear(str(eid), at=event.timestamp, by="ended")
            models.Notice.clear(f"flag:{eid}", at=event.timestamp, by="ended")
        elif step == "FeedbackGiven":
            record.feedback_rating, record.feedback_comment = event.rating, event.comment
            record.feedback_status = "awaiting moderation"
        elif step == "FeedbackModerated":
            record.feedback_status = "published" if event.publish else "rejected"
        record.save()

    @staticmethod
    def _notice(
        position: int, recipient: str, subject: str, body: str, at: Any, about: str = ""
    ) -> None:
        models.Notice.send(
            position=f"marketplace:{position}",
            recipient=recipient,
            subject=subject,
            body=body,
            at=at,
            about=about,
        )
