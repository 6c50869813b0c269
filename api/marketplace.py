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
from accreditation.models import Membership, ProviderRecord
from api.auth import actor_of, caller, roles
from api.problems import Forbidden
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
from config.audit import record_read
from config.errors import NotFound
from config.roles import Role, roles_of
from config.validation import council_ref
from ledger.money import MoneyError, format_pence, parse_pounds
from marketplace import queries
from marketplace.domain import Chooser, MarketplaceError, Price, price_for
from marketplace.models import EngagementRecord, PersonAccount, TariffRecord
from marketplace.services import catch_up, marketplace_app

router = Router(tags=["marketplace"])
CHOOSERS = (Role.PERSON, Role.SOCIAL_WORKER, Role.TEAM_MANAGER)
WORKERS = {Role.SOCIAL_WORKER.value, Role.TEAM_MANAGER.value}


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


def people_of(request: HttpRequest) -> dict[str, str]:
    """The people a person user may act for (themselves, or as nominee or advocate)."""
    return dict(
        PersonAccount.objects.filter(user=caller(request)).values_list("person", "relationship")
    )


def visible_engagement(request: HttpRequest, engagement: UUID) -> EngagementRecord:
    """An engagement the caller may see: their own, their provider's, or any for staff."""
    catch_up()
    found = EngagementRecord.objects.filter(id=engagement).first()
    roles = roles_of(caller(request))
    allowed = found is not None and (
        bool(roles & (WORKERS | {Role.REGISTER_ADMIN.value, Role.AUDITOR.value}))
        or found.person in people_of(request)
        or Membership.objects.filter(user=caller(request), provider_id=found.provider_id).exists()
    )
    if not allowed or found is None:
        # The same answer whether it does not exist or is someone else's: nothing leaks.
        raise NotFound(f"no engagement {engagement}", field="engagement")
    record_read(caller(request), [found.person], request.path)
    return found


def chooser_for(
    request: HttpRequest, person: str, on_behalf: str, consent: str
) -> tuple[str, Chooser]:
    user = caller(request)
    if roles_of(user) & WORKERS:
        if not person:
            raise MarketplaceError("name the person you are choosing for", field="person")
        return person, Chooser(user.username, "worker", consent)
    mine = people_of(request)
    if not person and len(mine) == 1:
        person = next(iter(mine))
    if person not in mine:
        raise Forbidden(
            "you can only choose for yourself or someone you are nominee or advocate for"
        )
    # Who they are to the person is what the council recorded, never what the client says.
    return person, Chooser(user.username, mine[person], consent)


@router.get("/tariff", response=list[TariffOut], auth=None)
def tariff(request: HttpRequest) -> list[TariffOut]:
    """Every version of the council's tariff, oldest first: prices are open to everyone."""
    catch_up()
    return [tariff_out(t) for t in TariffRecord.objects.all()]


@router.post("/tariff", response={201: TariffOut}, auth=roles(Role.REGISTER_ADMIN))
def publish_tariff(request: HttpRequest, payload: TariffIn) -> Status[TariffOut]:
    actor = actor_of(request)
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
        today=timezone.localdate(),
        actor=actor,
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
    person, chooser = chooser_for(request, payload.person, payload.on_behalf, payload.consent)
    key = idempotency_key or str(uuid.uuid4())
    before = EngagementRecord.objects.count()
    engagement = marketplace_app().choose(
        person=person,
        provider=payload.provider,
        service=payload.service,
        chooser=chooser,
        today=timezone.localdate(),
        key=f"{caller(request).username}:{key}",
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
    user = caller(request)
    roles = roles_of(user)
    found = EngagementRecord.objects.none()
    if Role.PROVIDER_STAFF.value in roles:
        membership = Membership.objects.filter(user=user).first()
        if membership:
            found = EngagementRecord.objects.filter(provider_id=membership.provider_id)
    elif roles & (WORKERS | {Role.REGISTER_ADMIN.value, Role.AUDITOR.value}):
        if person:
            person = council_ref(person, field="person", error=MarketplaceError)
        found = (
            EngagementRecord.objects.filter(person=person)
            if person
            else EngagementRecord.objects.all()
        )
    elif Role.PERSON.value in roles:
        found = EngagementRecord.objects.filter(person__in=list(people_of(request)))
    else:
        raise Forbidden("this needs the role of person, provider staff or a worker")
    if not 1 <= limit <= 200:
        raise MarketplaceError("must be from 1 to 200", field="limit")
    if cursor:
        try:
            at, _, last = cursor.partition("|")
            since, last_id = datetime.fromisoformat(at), UUID(last)
        except ValueError:
            raise MarketplaceError("is not a cursor this API gave", field="cursor") from None
        found = found.filter(Q(requested_at__lt=since) | Q(requested_at=since, id__lt=last_id))
    rows = list(found.order_by("-requested_at", "-id")[: limit + 1])
    more, rows = len(rows) > limit, rows[:limit]
    record_read(user, [e.person for e in rows], request.get_full_path())
    next_cursor = f"{rows[-1].requested_at.isoformat()}|{rows[-1].id}" if more else None
    return EngagementPage(items=[engagement_out(e) for e in rows], next_cursor=next_cursor)


def _provider_decides(request: HttpRequest, engagement: UUID) -> UUID:
    membership = Membership.objects.filter(user=caller(request)).first()
    if membership is None:
        raise Forbidden("register your organisation first")
    visible_engagement(request, engagement)
    return membership.provider_id


@router.post(
    "/engagements/{engagement}/accept", response=EngagementOut, auth=roles(Role.PROVIDER_STAFF)
)
def accept(request: HttpRequest, engagement: UUID) -> EngagementOut:
    provider = _provider_decides(request, engagement)
    marketplace_app().accept(
        engagement,
        provider=provider,
        actor=caller(request).username,
        today=timezone.localdate(),
    )
    catch_up()
    return engagement_out(EngagementRecord.objects.get(id=engagement))


@router.post(
    "/engagements/{engagement}/decline", response=EngagementOut, auth=roles(Role.PROVIDER_STAFF)
)
def decline(request: HttpRequest, engagement: UUID, payload: EndIn) -> EngagementOut:
    provider = _provider_decides(request, engagement)
    marketplace_app().decline(
        engagement,
        provider=provider,
        actor=caller(request).username,
        reason=payload.reason,
    )
    catch_up()
    return engagement_out(EngagementRecord.objects.get(id=engagement))


@router.post("/engagements/{engagement}/end", response=EngagementOut)
def end(request: HttpRequest, engagement: UUID, payload: EndIn) -> EngagementOut:
    found = visible_engagement(request, engagement)
    roles = roles_of(caller(request))
    if Role.PROVIDER_STAFF.value in roles:
        by = "provider"
    elif roles & WORKERS:
        by = "council"
    elif found.person in people_of(request):
        by = "person"
    else:
        raise Forbidden("only the person, their provider or their worker can end an engagement")
    marketplace_app().end(
        engagement,
        by=by,
        actor=caller(request).username,
        reason=payload.reason,
        today=timezone.localdate(),
    )
    catch_up()
    return engagement_out(EngagementRecord.objects.get(id=engagement))


@router.post(
    "/engagements/{engagement}/switch", response={201: EngagementOut}, auth=roles(*CHOOSERS)
)
def switch(
    request: HttpRequest,
    engagement: UUID,
    payload: SwitchIn,
    idempotency_key: str = Header("", alias="Idempotency-Key"),
) -> Status[EngagementOut]:
    found = visible_engagement(request, engagement)
    _, chooser = chooser_for(request, found.person, payload.on_behalf, payload.consent)
    new = marketplace_app().switch(
        engagement,
        to_provider=payload.provider,
        chooser=chooser,
        today=timezone.localdate(),
        key=f"{caller(request).username}:{idempotency_key or uuid.uuid4()}",
    )
    catch_up()
    return Status(201, engagement_out(EngagementRecord.objects.get(id=new)))


@router.post("/engagements/{engagement}/feedback", response=EngagementOut, auth=roles(Role.PERSON))
def feedback(request: HttpRequest, engagement: UUID, payload: FeedbackIn) -> EngagementOut:
    found = visible_engagement(request, engagement)
    if found.person not in people_of(request):
        raise Forbidden("only the person (or their nominee or advocate) gives feedback")
    marketplace_app().give_feedback(
        engagement,
        rating=payload.rating,
        comment=payload.comment,
        actor=caller(request).username,
    )
    catch_up()
    return engagement_out(EngagementRecord.objects.get(id=engagement))


@router.post(
    "/engagements/{engagement}/feedback/moderation",
    response=EngagementOut,
    auth=roles(Role.REGISTER_ADMIN),
)
def moderate(request: HttpRequest, engagement: UUID, payload: ModerateIn) -> EngagementOut:
    actor = actor_of(request)
    marketplace_app().moderate_feedback(
        engagement, publish=payload.publish, actor=actor, note=payload.note
    )
    catch_up()
    return engagement_out(EngagementRecord.objects.get(id=engagement))
