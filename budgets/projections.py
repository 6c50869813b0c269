"""Projects the budgets log into each person's case record."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db.models import F
from eventsourcing.persistence import Notification

from accreditation.projections import step_of
from budgets import models
from budgets.review import FIRST_REVIEW
from core.projection import Projection
from core.tracking import ProjectionPosition

# The events that open a case's aggregates, each naming the person.
OPENING = {
    ("Person", "Registered"),
    ("Assessment", "Started"),
    ("PersonalBudget", "Allocated"),
    ("Plan", "Started"),
    ("Reviews", "Scheduled"),
}


class CaseProjection(Projection):
    name = "cases"
    read_models = (models.CaseAggregate, models.CaseRecord)

    def apply(self, notifications: Sequence[Notification], tracking: ProjectionPosition) -> None:
        for notification in notifications:
            event = self.decode(notification)
            owner, step = step_of(event)
            if (owner, step) in OPENING:
                models.CaseAggregate.objects.get_or_create(
                    originator_id=event.originator_id, defaults={"council_ref": event.council_ref}
                )
            if owner == "Person" and step == "Registered":
                models.CaseRecord.objects.create(
                    council_ref=event.council_ref,
                    name=event.details["name"],
                    worker=event.actor,
                    registered_at=event.timestamp,
                )
                continue
            ref = (
                models.CaseAggregate.objects.filter(originator_id=event.originator_id)
                .values_list("council_ref", flat=True)
                .first()
            )
            if ref is not None:
                models.CaseRecord.objects.filter(council_ref=ref).update(
                    **self._changes(owner, step, event)
                )

    @staticmethod
    def _changes(owner: str, step: str, event: Any) -> dict[str, Any]:
        if owner == "Assessment" and step == "VersionRecorded":
            # The worker who assessed last holds the case, and gets its review reminders.
            return {"assessed": True, "eligible": event.eligible, "worker": event.assessor}
        if owner == "PersonalBudget" and step == "Allocated":
            return {"weekly": event.weekly, "indicative_weekly": event.indicative_weekly}
        if owner == "PersonalBudget" and step == "Revised":
            return {"weekly": event.weekly}
        if owner == "Plan" and step == "VersionWritten":
            return {"plan_versions": F("plan_versions") + 1, "worker_signed_by": ""}
        if owner == "Plan" and step == "Signed":
            if event.role == "social worker":
                return {"worker_signed_by": event.actor}
            return {"manager_signed_by": event.actor, "signed_off": True}
        if owner == "Plan" and step in ("ReopenedAtReview", "ReopenedForRevision"):
            return {
                "signed_off": False,
                "worker_signed_by": "",
                "manager_signed_by": "",
                "panel_why": "",
                "panel_decision": "",
            }
        if owner == "Plan" and step == "ReferredToPanel":
            return {"panel_why": event.why, "panel_decision": ""}
        if owner == "Plan" and step == "PanelDecided":
            changes: dict[str, Any] = {"panel_decision": event.decision}
            if event.decision == "approved":
                changes["signed_off"] = True
            return changes
        if owner == "Reviews" and step == "Scheduled":
            return {"review_due": event.plan_started + FIRST_REVIEW}
        if owner == "Reviews" and step == "ReminderSent":
            return {"review_reminded_for": event.due_on}
        if owner == "Reviews" and step == "Recorded":
            return {"review_due": event.next_due}
        return {}
