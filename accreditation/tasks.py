"""The daily accreditation job, run by Celery beat: expire what has run out, remind what will."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from accreditation.models import ServiceRecord
from accreditation.services import accreditation_app, catch_up

BATCH = 200


@shared_task
def expire_and_remind_accreditations() -> dict[str, int]:
    """Safe to run twice a day or after a missed day: each step is recorded once."""
    catch_up()
    today = timezone.localdate()
    due = list(
        ServiceRecord.objects.filter(status__in=["accredited", "suspended"])
        .order_by("id")
        .values_list("id", flat=True)
    )
    expired = reminded = 0
    for start in range(0, len(due), BATCH):
        e, r = accreditation_app().expire_and_remind(due[start : start + BATCH], today=today)
        expired, reminded = expired + e, reminded + r
    catch_up()  # the register shows it, and the people affected are told, at once
    return {"checked": len(due), "expired": expired, "reminded": reminded}
