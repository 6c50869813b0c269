"""Projects the accreditation log into the public register, and flags engagements at once.

When a service is suspended, withdrawn or expires, its open engagements are flagged and
the people and the provider get a notice, in the same transaction as the register
changes: the register and the people it affects never disagree.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from eventsourcing.persistence import Notification

from accreditation import models
from accreditation.domain import Service, Status
from core.projection import Projection
from core.tracking import ProjectionPosition
from marketplace.models import EngagementRecord, Notice

STEP_STATUS = {
    "Applied": Status.APPLIED,
    "Reapplied": Status.APPLIED,
    "AssessmentStarted": Status.UNDER_ASSESSMENT,
    "Accredited": Status.ACCREDITED,
    "Refused": Status.REFUSED,
    "Suspended": Status.SUSPENDED,
    "Reinstated": Status.ACCREDITED,
    "Withdrawn": Status.WITHDRAWN,
    "Expired": Status.EXPIRED,
}
CLOSING = {"Suspended", "Withdrawn", "Expired"}


def step_of(event: Any) -> tuple[str, str]:
    owner, _, step = type(event).__qualname__.rpartition(".")
    return owner, step


class RegisterProjection(Projection):
    name = "register"
    read_models = (
        models.Assessment,
        models.ServiceHistory,
        models.ServiceRecord,
        models.Evidence,
        models.ProviderRecord,
    )

    def apply(self, notifications: Sequence[Notification], tracking: ProjectionPosition) -> None:
        for notification in notifications:
            event = self.decode(notification)
            owner, step = step_of(event)
            if owner == "Provider":
                self._provider(event, step)
            elif owner == "Accreditation":
                self._accreditation(event, step, notification.id)

    def _provider(self, event: Any, step: str) -> None:
        pid = event.originator_id
        if step == "Registered":
            models.ProviderRecord.objects.create(
                id=pid, registered_at=event.timestamp, **event.details
            )
        elif step == "DetailsUpdated":
            models.ProviderRecord.objects.filter(id=pid).update(**event.details)
        elif step == "EvidenceAdded":
            e = event.evidence
            models.Evidence.objects.create(
                id=e["id"],
                provider_id=pid,
                kind=e["kind"],
                filename=e["filename"],
                content_type=e["content_type"],
                size=e["size"],
                sha256=e["sha256"],
                expires_on=e["expires_on"] or None,
                uploaded_on=e["uploaded_on"],
            )
        elif step == "PaymentAccountLinked":
            models.ProviderRecord.objects.filter(id=pid).update(payment_account=event.account)
        elif step == "PayoutsStatusChanged":
            models.ProviderRecord.objects.filter(id=pid).update(payouts_ready=event.ready)

    def _accreditation(self, event: Any, step: str, position: int) -> None:
        aid = event.originator_id
        if step == "Applied":
            models.ServiceRecord.objects.create(
                id=aid,
                provider_id=event.provider,
                service=event.service,
                status=Status.APPLIED,
                applied_at=event.timestamp,
                updated_at=event.timestamp,
            )
        record = models.ServiceRecord.objects.get(id=aid)
        changes: dict[str, Any] = {"updated_at": event.timestamp}
        if step in STEP_STATUS:
            changes["status"] = STEP_STATUS[step].value
        if step == "AssessmentStarted":
            changes["checklist_version"] = event.checklist_version
        elif step == "Reapplied":
            models.Assessment.objects.filter(accreditation=record).delete()
        elif step == "CriterionAssessed":
            models.Assessment.objects.update_or_create(
                accreditation=record,
                criterion=event.code,
                defaults={
                    "met": event.met,
                    "evidence": event.evidence,
                    "note": event.note,
                    "assessor": event.actor,
                    "at": event.timestamp,
                },
            )
        elif step == "Accredited":
            changes.update(
                accredited_since=event.on, expires_on=event.expires_on, conditions=event.conditions
            )
        elif step == "Renewed":
            changes["expires_on"] = event.expires_on
        models.ServiceRecord.objects.filter(id=aid).update(**changes)
        if step != "CriterionAssessed":
            models.ServiceHistory.objects.create(
                accreditation=record,
                position=position,
                step=step,
                at=event.timestamp,
                actor=getattr(event, "actor", "careledger"),
                reason=getattr(event, "reason", "") or getattr(event, "reasons", ""),
            )
        if step in CLOSING:
            flag_engagements(
                record, step.lower(), getattr(event, "reason", ""), position, event.timestamp
            )
        if step == "ExpiryReminderSent":
            Notice.send(
                position=f"accreditation:{position}",
                recipient=str(record.provider_id),
                subject=f"Your accreditation for {Service(record.service).label.lower()} "
                f"expires in {(record.expires_on - event.on).days} days",
                body=f"It expires on {record.expires_on:%-d %B %Y}. Apply to renew it "
                "before then, or it will lapse and people cannot choose you.",
                at=event.timestamp,
                about=f"accreditation:{aid}",
            )
        if step in ("Renewed", "Expired", "Withdrawn"):
            Notice.clear(f"accreditation:{aid}", at=event.timestamp, by=step.lower())
        if step == "Reinstated":  # what people were told of the suspension no longer holds
            for engagement in EngagementRecord.objects.filter(
                provider_id=record.provider_id, service=record.service
            ):
                Notice.clear(f"flag:{engagement.id}", at=event.timestamp, by="reinstated")


def flag_engagements(
    record: models.ServiceRecord, what: str, reason: str, position: int, at: datetime
) -> None:
    """Tell the people whose open engagements are with a service that can no longer be chosen.

    The flag itself is read from the service's history (marketplace/queries.py), so a
    rebuild gives it back exactly; the notices are messages already sent, kept as they are.
    """
    provider = models.ProviderRecord.objects.get(id=record.provider_id)
    label = Service(record.service).label.lower()
    text = flag_text(provider.name, label, what, at, reason)
    # Open at the time of the event (requested by then, not closed before it), so rebuilding
    # the register later tells nobody who chose afterwards.
    open_ones = EngagementRecord.objects.filter(
        provider_id=record.provider_id,
        service=record.service,
        requested_at__lte=at,
    ).exclude(closed_at__lte=at)
    for engagement in open_ones:
        Notice.send(
            position=f"accreditation:{position}:{engagement.id}",
            recipient=engagement.person,
            subject=f"{provider.name} can no longer take new work for {label}",
            body=text + ". You can keep your support while you choose what to do, "
            "or choose another provider. Your social worker can help you decide.",
            at=at,
            about=f"flag:{engagement.id}",
        )
        if engagement.closed_at is not None:  # ended since: nothing left to act on
            Notice.clear(f"flag:{engagement.id}", at=engagement.closed_at, by="ended")


def flag_text(provider: str, label: str, what: str, at: datetime, reason: str) -> str:
    text = f"{provider}'s accreditation for {label} was {what} on {at:%-d %B %Y}"
    return f"{text}: {reason}" if reason else text
