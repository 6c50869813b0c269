"""Thin Celery tasks over the notifications application: Notify is called only from here (a
worker), never from a request."""

from __future__ import annotations

from uuid import UUID

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from notifications.application import notifications_app


def _gateway():  # type: ignore[no-untyped-def]
    from notifications.notify import NotifyGateway

    return NotifyGateway.from_settings()


@shared_task(acks_late=True)
def send_notice(notice_id: str) -> str:
    """Send one notice (at most once: notifications/application.py ``send``)."""
    if not settings.NOTIFY_API_KEY:
        return "waiting: no NOTIFY_API_KEY"
    sent = notifications_app().send(UUID(notice_id), _gateway(), now=timezone.now())
    return sent.status.value


@shared_task
def send_waiting_notices() -> int:
    """Beat, every 30 s: the notices still to send (a task lost, a failure due again)."""
    from notifications.services import due

    if not settings.NOTIFY_API_KEY:
        return 0
    gateway, app, sent = _gateway(), notifications_app(), 0
    for notice_id in due(timezone.now()):
        app.send(notice_id, gateway, now=timezone.now())
        sent += 1
    return sent
