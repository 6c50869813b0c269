"""A local GOV.UK Notify-compatible server for development and tests.

``python -m devtools.notify_server --port 8430`` answers the part of Notify's v2 API that
careledger's client (the official ``notifications-python-client``) calls: send an email, a
text message or a letter, get a notification, list them by reference. It checks what Notify
checks: the client's JWT (issued by the service id and signed with the key's secret, within
30 seconds), the template and its type, every placeholder given, the address. Then each
message moves to ``delivered`` (or fails, for Notify's own simulated recipients) and its
delivery receipt is posted to the callback URL with the bearer token, as Notify does.

It keeps what it was sent, for tests and for the outbox page at ``/``. ``POST /_local/faults``
makes the next sends fail (``{"fail": 2, "status": 503}``) or, with ``"after_send": true``,
keep the message but answer 500, the answer lost: a client that retries must not send twice.
``{"lookups": 1}`` makes the next lookup by reference fail.

Never used in production: there ``notifications/notify.py`` talks to GOV.UK Notify.
"""

from __future__ import annotations

import asyncio
import html
import json
import logging
import re
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aiohttp import ClientSession, ClientTimeout, web
from notifications_python_client.authentication import decode_jwt_token, get_token_issuer
from notifications_python_client.errors import TokenError

from notifications.templates import Channel, Kind, catalogue, render

log = logging.getLogger("notify_server")

# Notify's simulated recipients (its "testing" page): each gives the status named.
SIMULATED = {
    "temp-fail@simulator.notify": "temporary-failure",
    "perm-fail@simulator.notify": "permanent-failure",
    "07700900003": "temporary-failure",
    "07700900002": "permanent-failure",
}
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
UK_MOBILE = re.compile(r"^(?:\+44|0044|0)7\d{9}$")
POSTCODE = re.compile(r"^[A-Z]{1,2}\d[A-Z\d]? ?\d[A-Z]{2}$", re.IGNORECASE)


def now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class NotifyError(Exception):
    def __init__(self, status: int, error: str, message: str) -> None:
        super().__init__(message)
        self.status, self.error, self.message = status, error, message


@dataclass
class Faults:
    fail: int = 0
    status: int = 500
    after_send: bool = False
    lookups: int = 0  # the next lookups by reference (GET /v2/notifications) fail too


@dataclass
class Service:
    service_id: str
    secret: str
    callback_url: str
    callback_token: str
    delivery_delay: float
    templates: dict[str, tuple[Kind, Channel]]
    notifications: dict[str, dict[str, Any]] = field(default_factory=dict)
    faults: Faults = field(default_factory=Faults)
    callbacks: list[dict[str, Any]] = field(default_factory=list)

    def authenticate(self, request: web.Request) -> None:
        header = request.headers.get("Authorization", "")
        if not header.startswith("Bearer "):
            raise NotifyError(
                401, "AuthError", "Unauthorized: authentication token must be provided"
            )
        token = header.removeprefix("Bearer ")
        try:
            if get_token_issuer(token) != self.service_id:
                raise NotifyError(403, "AuthError", "Invalid token: service not found")
            decode_jwt_token(token, self.secret)
        except TokenError as e:
            raise NotifyError(
                403, "AuthError", str(e.message or "Invalid token: signature, api token not found")
            ) from None


SERVICE = web.AppKey("service", Service)


def build_app(
    *,
    api_key: str,
    callback_url: str = "",
    callback_token: str = "",
    delivery_delay: float = 0.2,
) -> web.Application:
    """``api_key`` is the key the client is given (``name-<service id>-<secret>``)."""
    service = Service(
        service_id=api_key[-73:-37],
        secret=api_key[-36:],
        callback_url=callback_url,
        callback_token=callback_token,
        delivery_delay=delivery_delay,
        templates={str(tid): value for tid, value in catalogue().items()},
    )
    app = web.Application(middlewares=[errors])
    app[SERVICE] = service
    app.add_routes(routes)
    return app


@web.middleware
async def errors(request: web.Request, handler: Any) -> web.StreamResponse:
    try:
        return await handler(request)  # type: ignore[no-any-return]
    except NotifyError as e:
        return web.json_response(
            {"status_code": e.status, "errors": [{"error": e.error, "message": e.message}]},
            status=e.status,
        )


routes = web.RouteTableDef()


def _field(body: dict[str, Any], name: str) -> str:
    value = body.get(name)
    if not isinstance(value, str) or not value:
        raise NotifyError(400, "ValidationError", f"{name} is a required property")
    return value


def _template(service: Service, body: dict[str, Any], channel: Channel) -> Kind:
    try:
        kind, its_channel = service.templates[str(uuid.UUID(_field(body, "template_id")))]
    except (ValueError, KeyError):
        raise NotifyError(400, "BadRequestError", "Template not found") from None
    if its_channel is not channel:
        raise NotifyError(
            400,
            "BadRequestError",
            f"{its_channel.value} template is not suitable for {channel.value} notification",
        )
    return kind


def _personalisation(body: dict[str, Any], kind: Kind, channel: Channel) -> dict[str, str]:
    given = body.get("personalisation") or {}
    if not isinstance(given, dict):
        raise NotifyError(400, "ValidationError", "personalisation is not of type object")
    missing = sorted(kind.placeholders(channel) - set(given))
    if missing:
        raise NotifyError(400, "BadRequestError", f"Missing personalisation: {', '.join(missing)}")
    return {str(k): str(v) for k, v in given.items()}


def _recipient(body: dict[str, Any], channel: Channel, values: dict[str, str]) -> str:
    if channel is Channel.EMAIL:
        to = _field(body, "email_address")
        if not EMAIL.match(to):
            raise NotifyError(400, "ValidationError", "email_address Not a valid email address")
        return to
    if channel is Channel.SMS:
        to = _field(body, "phone_number")
        if not UK_MOBILE.match(re.sub(r"[\s()-]", "", to)):
            raise NotifyError(400, "ValidationError", "phone_number Not a UK mobile number")
        return to
    lines = [values.get(f"address_line_{n}", "").strip() for n in range(1, 8)]
    lines = [line for line in lines if line]
    if len(lines) < 3:
        raise NotifyError(400, "ValidationError", "Address must be at least 3 lines")
    if not POSTCODE.match(lines[-1]):
        raise NotifyError(400, "ValidationError", "Must be a real UK postcode")
    return "\n".join(lines)


async def _send(request: web.Request, channel: Channel) -> web.Response:
    service = request.app[SERVICE]
    service.authenticate(request)
    try:
        body = await request.json()
    except json.JSONDecodeError:
        raise NotifyError(400, "BadRequestError", "Invalid JSON supplied in POST data") from None
    if not isinstance(body, dict):
        raise NotifyError(400, "ValidationError", "request body is not of type object")
    kind = _template(service, body, channel)
    values = _personalisation(body, kind, channel)
    to = _recipient(body, channel, values)
    faults = service.faults
    if faults.fail > 0 and not faults.after_send:
        faults.fail -= 1
        raise NotifyError(faults.status, "Exception", "Internal server error")

    wording = kind.wording(channel)
    notification_id = str(uuid.uuid4())
    base = f"{request.scheme}://{request.host}"
    template_id = body["template_id"]
    stored = {
        "id": notification_id,
        "reference": body.get("reference"),
        "type": channel.value,
        "status": "created",
        "to": to,
        "email_address": to if channel is Channel.EMAIL else None,
        "phone_number": to if channel is Channel.SMS else None,
        "template": {"id": template_id, "version": 1, "uri": f"{base}/v2/template/{template_id}"},
        "kind": kind.key,
        "subject": render(wording.subject, values) if wording.subject else None,
        "body": render(wording.body, values),
        "personalisation": values,
        "created_at": now(),
        "sent_at": None,
        "completed_at": None,
    }
    service.notifications[notification_id] = stored
    asyncio.get_running_loop().create_task(_deliver(service, stored))

    if faults.fail > 0 and faults.after_send:
        faults.fail -= 1
        raise NotifyError(faults.status, "Exception", "Internal server error")
    content: dict[str, Any] = {"body": stored["body"]}
    if channel is Channel.EMAIL:
        content |= {"subject": stored["subject"], "from_email": "careledger@notifications.local"}
    elif channel is Channel.SMS:
        content["from_number"] = "CARELEDGER"
    else:
        content["subject"] = stored["subject"]
    answer: dict[str, Any] = {
        "id": notification_id,
        "reference": stored["reference"],
        "content": content,
        "uri": f"{base}/v2/notifications/{notification_id}",
        "template": stored["template"],
        "scheduled_for": None,
    }
    if channel is Channel.LETTER:
        answer["postage"] = "second"
    return web.json_response(answer, status=201)


async def _deliver(service: Service, stored: dict[str, Any]) -> None:
    """created → sending → delivered (or the simulated recipient's failure), then the receipt.
    A letter: accepted (printing) → received (posted), and no receipt, as Notify does."""
    letter = stored["type"] == "letter"
    await asyncio.sleep(service.delivery_delay / 2)
    stored["status"], stored["sent_at"] = "accepted" if letter else "sending", now()
    await asyncio.sleep(service.delivery_delay / 2)
    final = "received" if letter else SIMULATED.get(stored["to"], "delivered")
    stored["status"], stored["completed_at"] = final, now()
    if service.callback_url and stored["type"] != "letter":
        await _callback(service, stored)


async def _callback(service: Service, stored: dict[str, Any]) -> None:
    receipt = {
        "id": stored["id"],
        "reference": stored["reference"],
        "to": stored["to"],
        "status": stored["status"],
        "created_at": stored["created_at"],
        "completed_at": stored["completed_at"],
        "sent_at": stored["sent_at"],
        "notification_type": stored["type"],
        "template_id": stored["template"]["id"],
        "template_version": 1,
    }
    headers = {"Authorization": f"Bearer {service.callback_token}"}
    # Notify retries a callback only when the service's answer is a 5xx or a 429, or none
    # came: five times, 5 minutes apart (here, seconds apart). Any other answer ends it.
    for attempt in range(6):
        try:
            async with (
                ClientSession(timeout=ClientTimeout(total=10)) as session,
                session.post(service.callback_url, json=receipt, headers=headers) as answer,
            ):
                service.callbacks.append({"receipt": receipt, "status": answer.status})
                if answer.status < 500 and answer.status != 429:
                    return
        except Exception as e:  # noqa: BLE001 - no answer: tried again
            service.callbacks.append({"receipt": receipt, "error": str(e)})
        await asyncio.sleep(0.5 * 2**attempt)
    log.warning("callback for %s given up", stored["id"])


@routes.post("/v2/notifications/email")
async def send_email(request: web.Request) -> web.Response:
    return await _send(request, Channel.EMAIL)


@routes.post("/v2/notifications/sms")
async def send_sms(request: web.Request) -> web.Response:
    return await _send(request, Channel.SMS)


@routes.post("/v2/notifications/letter")
async def send_letter(request: web.Request) -> web.Response:
    return await _send(request, Channel.LETTER)


def _public(stored: dict[str, Any]) -> dict[str, Any]:
    """A notification as Notify's ``GET`` answers it."""
    return {k: v for k, v in stored.items() if k not in ("to", "kind", "personalisation")}


@routes.get("/v2/notifications/{id}")
async def get_notification(request: web.Request) -> web.Response:
    service = request.app[SERVICE]
    service.authenticate(request)
    try:
        uuid.UUID(request.match_info["id"])
    except ValueError:
        raise NotifyError(400, "ValidationError", "notification_id is not a valid UUID") from None
    stored = service.notifications.get(request.match_info["id"])
    if stored is None:
        raise NotifyError(404, "NoResultFound", "No result found")
    return web.json_response(_public(stored))


@routes.get("/v2/notifications")
async def list_notifications(request: web.Request) -> web.Response:
    service = request.app[SERVICE]
    service.authenticate(request)
    if service.faults.lookups > 0:
        service.faults.lookups -= 1
        raise NotifyError(service.faults.status, "Exception", "Internal server error")
    wanted = request.query
    found = [
        _public(n)
        for n in reversed(service.notifications.values())
        if ("reference" not in wanted or n["reference"] == wanted["reference"])
        and ("template_type" not in wanted or n["type"] == wanted["template_type"])
        and ("status" not in wanted or n["status"] in wanted.getall("status"))
    ]
    base = f"{request.scheme}://{request.host}/v2/notifications"
    return web.json_response({"notifications": found[:250], "links": {"current": base}})


@routes.post("/_local/faults")
async def set_faults(request: web.Request) -> web.Response:
    body = await request.json()
    request.app[SERVICE].faults = Faults(
        fail=int(body.get("fail", 0)),
        status=int(body.get("status", 500)),
        after_send=bool(body.get("after_send", False)),
        lookups=int(body.get("lookups", 0)),
    )
    return web.json_response({"ok": True})


@routes.get("/_local/messages")
async def messages(request: web.Request) -> web.Response:
    """Everything sent, oldest first, with what the recipient read."""
    service = request.app[SERVICE]
    return web.json_response(
        {"messages": list(service.notifications.values()), "callbacks": service.callbacks}
    )


@routes.post("/_local/reset")
async def reset(request: web.Request) -> web.Response:
    service = request.app[SERVICE]
    service.notifications.clear()
    service.callbacks.clear()
    service.faults = Faults()
    return web.json_response({"ok": True})


@routes.get("/")
async def outbox(request: web.Request) -> web.Response:
    """The demo's outbox: what careledger has sent, newest first."""
    rows = "".join(
        f"<tr><td>{html.escape(n['created_at'][:19])}</td><td>{html.escape(n['type'])}</td>"
        f"<td>{html.escape(n['to'])}</td><td>{html.escape(n['status'])}</td>"
        f"<td><strong>{html.escape(n['subject'] or '')}</strong>"
        f"<pre>{html.escape(n['body'])}</pre></td></tr>"
        for n in reversed(request.app[SERVICE].notifications.values())
    )
    page = (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        "<title>Local Notify outbox</title></head><body><main><h1>Local Notify outbox</h1>"
        "<p>What careledger sent through the local GOV.UK Notify server. Nothing here "
        "leaves this machine.</p><table><thead><tr><th scope='col'>Sent</th>"
        "<th scope='col'>Channel</th><th scope='col'>To</th><th scope='col'>Status</th>"
        f"<th scope='col'>Message</th></tr></thead><tbody>{rows}</tbody></table></main>"
        "</body></html>"
    )
    return web.Response(text=page, content_type="text/html")
