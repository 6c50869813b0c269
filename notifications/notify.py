"""GOV.UK Notify, through its official client (``notifications-python-client``).

Settings: ``NOTIFY_API_KEY`` (the service's key), ``NOTIFY_API_BASE`` (Notify's own unless the
local server is used) and ``NOTIFY_TEMPLATE_IDS`` (a JSON object of ``"kind:channel"`` to the
council's own template ids, where they differ from careledger's defaults). Called from Celery
workers only (notifications/tasks.py).
"""

from __future__ import annotations

import json
from typing import Any

from notifications_python_client.errors import APIError, HTTPError
from notifications_python_client.notifications import NotificationsAPIClient

from notifications.application import SendError
from notifications.domain import Notice
from notifications.templates import Channel, template_id

NOTIFY = "https://api.notifications.service.gov.uk"


def _message(error: HTTPError) -> str:
    """Notify's errors, as words: "BadRequestError: Missing personalisation: name"."""
    found = error.message
    if isinstance(found, list):
        return "; ".join(f"{e.get('error')}: {e.get('message')}" for e in found)
    return str(found)


class NotifyGateway:
    def __init__(
        self,
        api_key: str,
        *,
        base_url: str = "",
        template_ids: dict[str, str] | None = None,
        timeout: float = 10,
    ) -> None:
        self.client = NotificationsAPIClient(api_key, base_url=base_url or NOTIFY, timeout=timeout)
        self.template_ids = template_ids or {}

    @classmethod
    def from_settings(cls) -> NotifyGateway:
        from django.conf import settings

        return cls(
            settings.NOTIFY_API_KEY,
            base_url=settings.NOTIFY_API_BASE,
            template_ids=json.loads(settings.NOTIFY_TEMPLATE_IDS or "{}"),
            # Well inside a claim's lapse (domain.CLAIM_LAPSES), whatever the setting says.
            timeout=min(settings.NOTIFY_TIMEOUT, 30),
        )

    def template(self, kind: str, channel: Channel) -> str:
        return self.template_ids.get(f"{kind}:{channel.value}") or str(template_id(kind, channel))

    def send(self, notice: Notice) -> dict[str, Any]:
        channel = Channel(notice.channel)
        template = self.template(notice.kind, channel)
        values, reference = dict(notice.personalisation), notice.reference
        try:
            if channel is Channel.EMAIL:
                answer = self.client.send_email_notification(
                    notice.to, template, personalisation=values, reference=reference
                )
            elif channel is Channel.SMS:
                answer = self.client.send_sms_notification(
                    notice.to, template, personalisation=values, reference=reference
                )
            else:
                answer = self.client.send_letter_notification(
                    template, personalisation=values, reference=reference
                )
        except HTTPError as e:
            raise SendError(_message(e), retryable=retryable(e.status_code)) from e
        except APIError as e:  # an answer that is not Notify's JSON: try again later
            raise SendError(f"Notify's answer could not be read: {e}", retryable=True) from e
        if not isinstance(answer, dict) or "id" not in answer:
            raise SendError("Notify's answer had no id", retryable=True)
        return dict(answer)

    def status(self, notify_id: str) -> dict[str, Any]:
        """Notify's notification by its id (for messages no receipt came for: letters)."""
        try:
            return dict(self.client.get_notification_by_id(notify_id))
        except APIError as e:
            raise SendError(str(e), retryable=True) from e

    def find(self, reference: str) -> dict[str, Any] | None:
        try:
            found = self.client.get_all_notifications(reference=reference)
        except APIError as e:
            raise SendError(str(e), retryable=True) from e
        got = found.get("notifications") or []
        # The newest that Notify still holds as sent or on its way (a technical failure was
        # never sent: that send is made again under a new reference).
        return next((n for n in got if n.get("status") != "technical-failure"), None)


def retryable(status: int) -> bool:
    """Notify's 400 is a message it will always refuse (a bad address, a missing field); a
    rate limit, its own fault, an unreachable server or a key it does not know (until the
    council puts it right) may succeed later."""
    return status != 400
