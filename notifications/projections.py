"""The notifications log into its read model (notifications/models.py), on core.projection's
loop. Each row is the notice as it stood after the event, read from the aggregate at that
version, so a rebuild gives each row back exactly."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from uuid import UUID

from eventsourcing.persistence import Notification

from core.projection import Projection
from core.tracking import ProjectionPosition
from notifications.domain import Notice
from notifications.models import NoticeRecord
from notifications.templates import KINDS


class NoticeProjection(Projection):
    name = "notifications"
    read_models = (NoticeRecord,)

    def apply(self, notifications: Sequence[Notification], tracking: ProjectionPosition) -> None:
        latest: dict[UUID, tuple[int, datetime]] = {}
        for notification in notifications:
            event = self.decode(notification)
            if type(event).__qualname__.startswith("Notice."):
                latest[event.originator_id] = (event.originator_version, event.timestamp)
        for originator, (version, at) in latest.items():
            notice: Notice = self.app.repository.get(originator, version=version)
            NoticeRecord.objects.update_or_create(
                id=notice.id,
                defaults={
                    "kind": notice.kind,
                    "label": KINDS[notice.kind].label,
                    "recipient": notice.recipient.key,
                    "recipient_name": notice.recipient.name[:200],
                    "channel": notice.channel,
                    "to": notice.to,
                    "case_ref": notice.case_ref,
                    "about": notice.about[:300],
                    "status": notice.status.value,
                    "notify_status": notice.notify_status,
                    "notify_id": notice.notify_id,
                    "attempts": notice.attempts,
                    "error": notice.error,
                    "requested_at": notice.created_on,
                    "updated_at": at,
                    "next_attempt_at": notice.next_attempt_at,
                },
            )
