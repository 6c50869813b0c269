"""Wires the notifications context: its application, read model, the managers that ask for
notices (with the facts of other contexts they need), and handing new notices to a worker."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Q
from eventsourcing.application import AggregateNotFoundError

from config.errors import NotFound
from config.roles import Role
from notifications.application import NotificationsApplication, notifications_app
from notifications.domain import Notice, Reach, Recipient, Status
from notifications.models import NoticeRecord
from notifications.processes import (
    AccreditationNotices,
    BudgetNotices,
    Directory,
    MarketplaceNotices,
    NoticeSteps,
    PaymentNotices,
)
from notifications.projections import NoticeProjection

log = logging.getLogger(__name__)


def catch_up(until: int | None = None) -> int:
    return NoticeProjection(notifications_app()).catch_up(until)


def person_exists(ref: str) -> bool:
    from budgets.services import budget_app

    try:
        budget_app().get_person(ref)
    except NotFound:
        return False
    return True


def engaged_with(provider: UUID, ref: str) -> bool:
    from marketplace.models import EngagementRecord
    from marketplace.services import catch_up as catch_up_marketplace

    catch_up_marketplace()
    return EngagementRecord.objects.filter(
        provider_id=provider, person=ref, status__in=("requested", "active")
    ).exists()


def _person(ref: str) -> tuple[Recipient, Reach | None]:
    from budgets.services import budget_app

    try:
        name = budget_app().get_person(ref).details.name
    except NotFound:  # a person with no record in the budgets context: named by reference
        name = ref
    return Recipient("person", ref, name), notifications_app().reach(f"person:{ref}")


def _provider(provider: Any) -> tuple[Recipient, Reach | None]:
    from accreditation.services import accreditation_app

    try:
        details: Any = accreditation_app().repository.get(UUID(str(provider))).details
    except AggregateNotFoundError:  # parks the step (core/process.py) for someone to look at
        raise NotFound(f"no provider {provider} to tell", field="provider") from None
    reach = Reach(preferred="email", email=details.email) if details.email else None
    return Recipient("provider", str(provider), details.name), reach


def _staff(username: str) -> tuple[Recipient, Reach | None]:
    user = get_user_model().objects.filter(username=username).first()
    name = (user.get_full_name().strip() if user else "") or username
    email = user.email if user else ""
    return Recipient("staff", username, name), Reach("email", email=email) if email else None


def _finance() -> list[tuple[Recipient, Reach | None]]:
    officers = get_user_model().objects.filter(
        groups__name=Role.FINANCE_OFFICER.value, is_active=True
    )
    return [_staff(user.username) for user in officers.order_by("username")]


def _worker_of(ref: str) -> str:
    from budgets.models import CaseRecord
    from budgets.services import catch_up_cases

    catch_up_cases()
    return CaseRecord.objects.filter(council_ref=ref).values_list("worker", flat=True).first() or ""


def _open_engagements(provider: Any, service: str, event: Any) -> list[str]:
    """The people whose engagements were open with the service when the event happened."""
    from marketplace.queries import open_with
    from marketplace.services import catch_up as catch_up_marketplace

    catch_up_marketplace()
    return open_with(provider, service, at=event.timestamp)


def _link(path: str) -> str:
    return settings.CARELEDGER_BASE_URL.rstrip("/") + path


DIRECTORY = Directory(
    person=_person,
    provider=_provider,
    staff=_staff,
    worker_of=_worker_of,
    finance=_finance,
    open_engagements=_open_engagements,
    link=_link,
)


def hand_to_worker(notices: list[Notice]) -> None:
    """Each new notice to a worker at once; one the broker loses is found by the sweep."""
    if not settings.NOTIFY_API_KEY:
        return  # nothing is sent without a key: the notices wait, recorded
    from notifications.tasks import send_notice

    for notice in notices:
        if notice.status is Status.WAITING:
            try:
                send_notice.delay(str(notice.id))
            except Exception:  # noqa: BLE001 - the sweep sends it
                log.exception("notice %s: left to the sweep", notice.id)


def notice_steps() -> list[NoticeSteps]:
    from accreditation.services import accreditation_app
    from budgets.services import budget_app
    from marketplace.services import marketplace_app
    from payments.application import payments_app

    app: NotificationsApplication = notifications_app()
    return [
        cls(upstream, app, DIRECTORY, hand_to_worker)
        for cls, upstream in [
            (MarketplaceNotices, marketplace_app()),
            (AccreditationNotices, accreditation_app()),
            (BudgetNotices, budget_app()),
            (PaymentNotices, payments_app()),
        ]
    ]


def due(now: datetime, limit: int = 200) -> list[UUID]:
    """Notices to send now: waiting and due, or held by a worker that may have died."""
    catch_up()
    rows = NoticeRecord.objects.filter(
        Q(status=Status.WAITING.value, next_attempt_at__isnull=True)
        | Q(status=Status.WAITING.value, next_attempt_at__lte=now)
        | Q(status=Status.SENDING.value)
    ).order_by("requested_at")
    return list(rows.values_list("id", flat=True)[:limit])


def sent_without_receipt(now: datetime, *, minutes: int = 10, limit: int = 200) -> list[UUID]:
    """Notices sent a while ago that no receipt has moved since (letters, lost receipts)."""
    catch_up()
    rows = NoticeRecord.objects.filter(
        status=Status.SENT.value, updated_at__lte=now - timedelta(minutes=minutes)
    ).order_by("updated_at")
    return list(rows.values_list("id", flat=True)[:limit])


def for_case(ref: str) -> list[NoticeRecord]:
    catch_up()
    return list(NoticeRecord.objects.filter(case_ref=ref))


def for_recipient(key: str, limit: int = 50) -> list[NoticeRecord]:
    catch_up()
    return list(NoticeRecord.objects.filter(recipient=key)[:limit])
