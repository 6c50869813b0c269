"""The auditor's view of who read whose personal data."""

from __future__ import annotations

from datetime import datetime

from django.http import HttpRequest
from ninja import Router, Schema

from api.auth import roles
from api.models import PersonalDataRead
from config.roles import Role

router = Router(tags=["audit"])


class ReadOut(Schema):
    at: datetime
    username: str
    roles: str
    subject: str
    what: str


class ReadPage(Schema):
    items: list[ReadOut]
    next_cursor: int | None


@router.get("/personal-data-reads", response=ReadPage, auth=roles(Role.AUDITOR))
def personal_data_reads(
    request: HttpRequest, subject: str = "", cursor: int | None = None, limit: int = 100
) -> ReadPage:
    found = PersonalDataRead.objects.select_related("user").order_by("-id")
    if subject:
        found = found.filter(subject=subject)
    if cursor is not None:
        found = found.filter(id__lt=cursor)
    limit = max(1, min(limit, 200))
    rows = list(found[: limit + 1])
    return ReadPage(
        items=[
            ReadOut(
                at=r.at, username=r.user.username, roles=r.roles, subject=r.subject, what=r.what
            )
            for r in rows[:limit]
        ],
        next_cursor=rows[limit - 1].id if len(rows) > limit else None,
    )
