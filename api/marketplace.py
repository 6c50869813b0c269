"""The marketplace's routes: tariff and search (public), choosing and engagements."""

from __future__ import annotations

import uuid
from datetime import datetime
from uuid import UUID

from django.db.models import Q
from django.http import HttpRequest
from django.utils import timezone
from ninja import Header, Router, Status

from accreditation import queries as register
from accreditation.domain import Service
from accreditation.models import ProviderRecord
from api.auth import caller, roles
from api.schemas import (
    ChooseIn,
    EndIn,
    EngagementOut,
    EngagementPage,
    FeedbackIn,
    MatchOut,
    ModerateIn,
    SwitchIn,
    TariffIn,
    TariffOut,
)
from config.actor import Actor
from config.audit import record_read
from config.roles import Role
from identity.actors import actor_from_user
from ledger.money import MoneyError, format_pence, parse_pounds
from marketplace import queries
from marketplace.domain import MarketplaceError, Price, price_for
from marketplace.models import EngagementRecord, TariffRecord
from marketplace.services import catch_up, marketplace_app

router = Router(tags=["marketplace"])
# The coarse first gate of the choosing routes; who may choose for whom is the policy's.
CHOOSERS = (Role.PERSON, Role.SOCIAL_WORKER, Role.TEAM_MANAGER)


def tariff_out(t: TariffRecord) -> TariffOut:
    return TariffOut(
        version=t.version,
        effective_from=t.effective_from,
        support_plan_fee_pence=t.support_plan_fee,
        support_plan_fee=format_pence(t.support_plan_fee),
        annual_review_fee_pence=t.annual_review_fee,
        annual_review_fee=format_pence(t.annual_review_fee),
        money_management_fee_pence=t.money_management_fee,
        money_management_fee=format_pence(t.money_management_fee),
        deductions=t.deductions,
        note=t.note,
    )


def engagement_out(e: EngagementRecord) -> EngagementOut:
    provider = ProviderRecord.objects.filter(id=e.provider_id).first()
    return EngagementOut(
        id=e.id,
        person=e.person,
        provider=e.provider_id,
        provider_name=provider.name if provider else "",
        service=e.service,
        status=e.status,
        price=format_pence(e.price),
        tariff_version=e.tariff_version,
        chosen_by=e.chosen_by,
        on_behalf=e.on_behalf,
        requested_at=e.requested_at,
        started_on=e.started_on,
        ended_on=e.ended_on,
        outcome_reason=e.outcome_reason,
        flag=queries.flag(e),
        feedback_rating=e.feedback_rating,
        feedback_status=e.feedback_status,
    )


def actor(request: HttpRequest) -> Actor:
    """The caller as the marketplace's commands and queries take them."""
    return actor_from_user(caller(request))


@router.get("/tariff", response=list[TariffOut], auth=None)
def tariff(request: HttpRequest) -> list[TariffOut]:
    """Every version of the council's tariff, oldest first: prices are open to everyone."""
    catch_up()
    return [tariff_out(t) for t in TariffRecord.objects.all()]


@router.post("/tariff", response={201: TariffOut}, auth=roles(Role.REGISTER_ADMIN))
def publish_tariff(request: HttpRequest, payload: TariffIn) -> Status[TariffOut]:
    prices = {}
    for field in ("support_plan_fee", "annual_review_fee", "money_management_fee"):
        try:
            prices[field] = parse_pounds(getattr(payload, field))
        except MoneyError as exc:
            raise MarketplaceError(str(exc), field=field) from None
    deductions = []
    for i, d in enumerate(payload.deductions):
        try:
            deductions.append({**d, "amount": parse_pounds(d.get("amount", ""))})
        except MoneyError as exc:
            raise MarketplaceError(str(exc), field=f"deductions[{i}].amount") from None
    version = marketplace_app().publish_tariff(
        actor=actor(request),
        today=timezone.localdate(),
        effective_from=payload.effective_from,
        deductions=deductions,
        note=payload.note,
        **prices,
    )
    catch_up()
    return Status(201, tariff_out(TariffRecord.objects.get(version=version)))


@router.get("/search", response=list[MatchOut], auth=None)
def search(
    request: HttpRequest,
    service: str = "support_planning",
    area: str = "",
    language: str = "",
    access_need: str = "",
    has_room: bool = False,
    sort: str = "name",
) -> list[MatchOut]:
    """Accredited services today, filtered by area (postcode or district), language, access."""
    if service not in Service._value2member_map_:
        raise MarketplaceError("must be support_planning or money_management", field="service")
    if area and not register.district_of(area[:10]):
        # As the page does: a bad area must not quietly widen the search to everyone.
        raise MarketplaceError(
            "must be a postcode or postcode district, like DN1 2AB or DN1", field="area"
        )
    catch_up()
    today = timezone.localdate()
    try:
        in_force = marketplace_app().tariff_in_force(today)
    except MarketplaceError:
        in_force = None

    def price(m: register.Match) -> Price | None:
        if in_force is None:
            return None
        return price_for(Service(m.service.service), tariff=in_force, offers=m.provider.offers)

    matches = register.search(
        service=service,
        area=area,
        language=language,
        access_need=access_need,
        has_room=has_room,
        sort=sort,
        today=today,
    )
    return [
        MatchOut(
            provider=m.provider.id,
            name=m.provider.name,
            service=m.service.service,
            areas=m.provider.areas,
            languages=m.provider.languages,
            access_needs=m.provider.access_needs,
            room=m.room,
            rating=m.rating,
            reviews=m.reviews,
            price=format_pence(p.pence) if p else "",
            tariff_price=format_pence(p.tariff) if p else "",
            expires_on=m.service.expires_on,
        )
        for m, p in ((m, price(m)) for m in matches)
    ]


@router.post(
    "/engagements", response={201: EngagementOut, 200: EngagementOut}, auth=roles(*CHOOSERS)
)
def choose(
    request: HttpRequest,
    payload: ChooseIn,
    idempotency_key: str = Header("", alias="Idempotency-Key"),
) -> Status[EngagementOut]:
    """Choose a provider for a person. ``on_behalf`` is not read: who the caller is to the
    person is what the council recorded (the marketplace's policy decides)."""
    before = EngagementRecord.objects.count()
    engagement = marketplace_app().choose(
        actor=actor(request),
        person=payload.person,
        provider=payload.provider,
        service=payload.service,
        consent=payload.consent,
        today=timezone.localdate(),
        key=idempotency_key or str(uuid.uuid4()),
    )
    catch_up()
    status = 201 if EngagementRecord.objects.count() > before else 200
    return Status(status, engagement_out(EngagementRecord.objects.get(id=engagement)))


@router.get("/engagements", response=EngagementPage)
def my_engagements(
    request: HttpRequest, person: str = "", cursor: str = "", limit: int = 50
) -> EngagementPage:
    """A person's own engagements; a provider's; or, for a worker, one person's. Newest first,
    a page at a time: pass the page's ``next_cursor`` back for the next."""
    catch_up()
    found = queries.engagements(actor(request), person=person)
    if not 1 <= limit <= 200:
        raise MarketplaceError("must be from 1 to 200", field="limit")
    if cursor:
        try:
            at, _, last = cursor.partition("|")
            since, last_id = datetime.fromisoformat(at), UUID(last)
        except ValueError:
            raise MarketplaceError("is not a cursor this API gave", field="cursor") from None
        found = found.filter(Q(requested_at__lt=since) | Q(requested_at=since, id__lt=last_id))
    rows = list(found[: limit + 1])
    more, rows = len(rows) > limit, rows[:limit]
    record_read(caller(request), [e.person for e in rows], request.get_full_path())
    next_cursor = f"{rows[-1].requested_at.isoformat()}|{rows[-1].id}" if more else None
    return EngagementPage(items=[engagement_out(e) for e in rows], next_cursor=next_cursor)


def shown(request: HttpRequest, engagement: UUID) -> EngagementOut:
    """The engagement after a command, as the caller may see it (staff's reads logged)."""
    catch_up()
    found = queries.engagement(actor(request), engagement)
    record_read(caller(request), [found.person], request.path)
    return engagement_out(found)


@router.post(
    "/engagements/{engagement}/accept", response=EngagementOut, auth=roles(Role.PROVIDER_STAFF)
)
def accept(request: HttpRequest, engagement: UUID) -> EngagementOut:
    marketplace_app().accept(engagement, actor=actor(request), today=timezone.localdate())
    return shown(request, engagement)


@router.post(
    "/engagements/{engagement}/decline", response=EngagementOut, auth=roles(Role.PROVIDER_STAFF)
)
def decline(request: HttpRequest, engagement: UUID, payload: EndIn) -> EngagementOut:
    marketplace_app().decline(engagement, actor=actor(request), reason=payload.reason)
    return shown(request, engagement)


@router.post("/engagements/{engagement}/end", response=EngagementOut)
def end(request: HttpRequest, engagement: UUID, payload: EndIn) -> EngagementOut:
    marketplace_app().end(
        engagement, actor=actor(request), reason=payload.reason, today=timezone.localdate()
    )
    return shown(request, engagement)


@router.post(
    "/engagements/{engagement}/switch", response={201: EngagementOut}, auth=roles(*CHOOSERS)
)
def switch(
    request: HttpRequest,
    engagement: UUID,
    payload: SwitchIn,
    idempotency_key: str = Header("", alias="Idempotency-Key"),
) -> Status[EngagementOut]:
    new = marketplace_app().switch(
        engagement,
        actor=actor(request),
        to_provider=payload.provider,
        consent=payload.consent,
        today=timezone.localdate(),
        key=idempotency_key or str(uuid.uuid4()),
    )
    return Status(201, shown(request, new))


@router.post("/engagements/{engagement}/feedback", response=EngagementOut, auth=roles(Role.PERSON))
def feedback(request: HttpRequest, engagement: UUID, payload: FeedbackIn) -> EngagementOut:
    marketplace_app().give_feedback(
        engagement, actor=actor(request), rating=payload.rating, comment=payload.comment
    )
    return shown(request, engagement)


@router.post(
    "/engagements/{engagement}/feedback/moderation",
    response=EngagementOut,
    auth=roles(Role.REGISTER_ADMIN),
)
def moderate(request: HttpRequest, engagement: UUID, payload: ModerateIn) -> EngagementOut:
    marketplace_app().moderate_feedback(
        engagement, actor=actor(request), publish=payload.publish, note=payload.note
    )
    return shown(request, engagement)
