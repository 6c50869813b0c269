"""The notifications routes: GOV.UK Notify's delivery receipts (its callback, with the bearer
token the council set in Notify), a case's notices, and how a person wants to be told."""

from __future__ import annotations

import hmac
import json
from datetime import datetime
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from ninja import Router, Schema

from api.auth import caller, caller_actor
from api.problems import problem
from config.audit import record_read
from config.errors import DomainError
from notifications import policies
from notifications.application import notifications_app
from notifications.services import for_case

router = Router(tags=["notifications"])


class NotifyReceiptError(DomainError):
    pass


@router.post("/notify-callback", auth=None, include_in_schema=False)
def notify_callback(request: HttpRequest) -> HttpResponse:
    """Notify's delivery receipt: the notice's status recorded (a receipt again changes
    nothing). Refused without the council's bearer token."""
    expected = settings.NOTIFY_CALLBACK_TOKEN
    given = request.headers.get("Authorization", "").removeprefix("Bearer ")
    if not expected or not hmac.compare_digest(given.encode(), expected.encode()):
        return problem(request, 401, "the callback's bearer token is missing or wrong")
    try:
        receipt: dict[str, Any] = json.loads(request.body)
        reference, notify_id, status = (
            str(receipt["reference"] or ""),
            str(receipt["id"]),
            str(receipt["status"]),
        )
    except (ValueError, KeyError, TypeError):
        return problem(request, 400, "a receipt needs id, reference and status")
    at = parse_datetime(str(receipt.get("completed_at") or "")) or timezone.now()
    changed = notifications_app().report(
        reference=reference, notify_id=notify_id, status=status, at=at
    )
    return HttpResponse("recorded" if changed else "seen before")


class NoticeOut(Schema):
    id: str
    kind: str
    label: str
    recipient: str
    recipient_name: str
    channel: str
    status: str
    notify_status: str
    notify_id: str
    attempts: int
    error: str
    about: str
    requested_at: datetime
    updated_at: datetime


@router.get("/cases/{council_ref}", response=list[NoticeOut])
def case_notices(request: HttpRequest, council_ref: str) -> list[dict[str, Any]]:
    """Every notice about one person's case, newest first: who, what, when, Notify's id and
    status."""
    policies.check_may_read_contact(caller_actor(request), council_ref)
    record_read(caller(request), [council_ref], request.path)  # who was told what: personal
    return [
        {
            **{f: getattr(n, f) for f in NoticeOut.model_fields if f != "id"},
            "id": str(n.id),
        }
        for n in for_case(council_ref)
    ]


class ContactIn(Schema):
    preferred: str
    email: str = ""
    phone: str = ""
    address: str = ""


class ContactOut(Schema):
    preferred: str
    email: str
    phone: str
    address: list[str]


@router.put("/contacts/{council_ref}", response=ContactOut)
def state_contact(request: HttpRequest, council_ref: str, body: ContactIn) -> dict[str, Any]:
    """How the person wants to be told: by email, text message or letter, and where."""
    reach = notifications_app().state_contact(
        caller_actor(request), person=council_ref, **body.dict()
    )
    return {**reach.__dict__, "address": list(reach.address)}


@router.get("/contacts/{council_ref}", response={200: ContactOut, 404: dict})
def contact(request: HttpRequest, council_ref: str) -> Any:
    reach = notifications_app().contact_of(caller_actor(request), council_ref)
    record_read(caller(request), [council_ref], request.path)
    if reach is None:
        return problem(request, 404, "no way to reach this person is recorded yet")
    return {**reach.__dict__, "address": list(reach.address)}
