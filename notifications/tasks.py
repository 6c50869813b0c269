"""Thin Celery tasks over the notifications application: Notify is called only from here (a
worker), never from a request."""

from __future__ import annotations

import logging
from uuid import UUID

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from notifications.application import notifications_app

logger = logging.getLogger(__name__)


def _gateway():  # type: ignore[no-untyped-def]
    from notifications.notify import NotifyGateway

    return NotifyGateway.from_settings()


@shared_task(acks_late=True)
def send_notice(notice_id: str) -> str:
    """Send one notice (at most once: notifications/application.py ``send``)."""
    if not settings.NOTIFY_API_KEY:
        return "waiting: no NOTIFY_API_KEY"
    from config.errors import NotFound

    try:
        sent = notifications_app().send(UUID(notice_id), _gateway(), now=timezone.now())
    except NotFound:  # a task from another store (a test's, a rebuilt demo): nothing to send
        return "no such notice"
    return sent.status.value


@shared_task(expires=25)
def send_waiting_notices() -> int:
    """Beat, every 30 s: the notices still to send (a task lost, a failure due again); how
    many went to Notify. A round stops at the first that fails: Notify is down, and the rest
    wait for the next round rather than hold the worker a timeout each."""
    from notifications.application import Status
    from notifications.services import due

    if not settings.NOTIFY_API_KEY:
        return 0
    gateway, app, sent = _gateway(), notifications_app(), 0
    for notice_id in due(timezone.now()):
        try:
            result = app.send(notice_id, gateway, now=timezone.now())
        except Exception:  # noqa: BLE001 - one notice's fault stops no other
            logger.exception("notice %s: will try again", notice_id)
            continue
        if result.status is Status.WAITING:
            break
        sent += result.status in (Status.SENT, Status.DELIVERED)
    return sent


@shared_task(expires=250)
def check_sent_notices(older_than_minutes: int = 10) -> int:
    """Beat, every 5 minutes: ask Notify where each message stands that no receipt has moved
    for a while (letters have none; a receipt may be lost); how many changed."""
    from notifications.application import SendError
    from notifications.services import sent_without_receipt

    if not settings.NOTIFY_API_KEY:
        return 0
    gateway, app, changed = _gateway(), notifications_app(), 0
    for notice_id in sent_without_receipt(timezone.now(), minutes=older_than_minutes):
        try:
            changed += app.refresh(notice_id, gateway, now=timezone.now())
        except SendError:
            break  # Notify unreachable: the next round asks again
    return changed
