"""The register's routes: public reads, a provider's own applications, the admin's decisions."""

from __future__ import annotations

import csv
from datetime import date
from typing import Any
from uuid import UUID

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from ninja import File, Form, Router, Status, UploadedFile

from accreditation import models, queries
from accreditation.application import MAX_EVIDENCE_BYTES
from accreditation.domain import AccreditationError, Service
from accreditation.payment_accounts import accredit as accredit_and_open_account
from accreditation.services import accreditation_app, catch_up, register_organisation
from api.auth import caller, roles
from api.schemas import (
    AccreditIn,
    ApplyIn,
    AssessIn,
    ChecklistIn,
    ChecklistOut,
    CriterionIO,
    DoneOut,
    EvidenceOut,
    HistoryOut,
    ProviderIn,
    ProviderOut,
    ProviderPage,
    ReasonIn,
    RefuseIn,
    RenewIn,
    ServiceOut,
)
from config.actor import Actor
from config.roles import Role
from identity.actors import actor_from_user
from ledger.money import format_pence

router = Router(tags=["register"])
ADMIN = (Role.REGISTER_ADMIN,)
PROVIDER = (Role.PROVIDER_STAFF,)


def _safe_cells(write: Any) -> Any:
    """A cell starting = + - @ would run as a formula in a spreadsheet: make it plain text."""

    def safe(row: list[Any]) -> Any:
        return write([f"'{c}" if isinstance(c, str) and c[:1] in "=+-@" else c for c in row])

    return safe


def provider_out(p: models.ProviderRecord) -> ProviderOut:
    return ProviderOut(
        id=p.id,
        name=p.name,
        registration_kind=p.registration_kind,
        registration_number=p.registration_number,
        address=p.address,
        email=p.email,
        phone=p.phone,
        areas=p.areas,
        languages=p.languages,
        access_needs=p.access_needs,
        capacity=p.capacity,
        offers={service: format_pence(pence) for service, pence in p.offers.items()},
        payouts_ready=p.payouts_ready,
        services=[
            ServiceOut(
                id=s.id,
                service=s.service,
                service_name=Service(s.service).label,
                status=s.status,
                accredited_since=s.accredited_since,
                expires_on=s.expires_on,
                conditions=s.conditions,
                history=[
                    HistoryOut(step=h.step, at=h.at, reason=h.reason) for h in s.history.all()
                ],
            )
            for s in p.services.all()
        ],
    )


def actor(request: HttpRequest) -> Actor:
    """The caller as the register's commands take them."""
    return actor_from_user(caller(request))


def done(aggregate_id: UUID) -> DoneOut:
    catch_up()  # read your writes: the register shows the change at once
    record = models.ServiceRecord.objects.filter(id=aggregate_id).first()
    return DoneOut(id=aggregate_id, status=record.status if record else "")


# -- public
@router.get("/providers", response=ProviderPage, auth=None)
def list_providers(
    request: HttpRequest, service: str = "", status: str = "", cursor: str = "", limit: int = 50
) -> ProviderPage:
    """Every organisation on the register and its services' status now (no sign-in)."""
    catch_up()
    found = models.ProviderRecord.objects.prefetch_related("services__history").order_by(
        "name", "id"
    )
    if service or status:
        ids = queries.register(service=service, status=status).values_list("provider_id", flat=True)
        found = found.filter(id__in=list(ids))
    if cursor:
        name, _, last = cursor.rpartition("|")
        try:
            last_id = UUID(last)
        except ValueError:
            raise AccreditationError("is not a cursor this API gave", field="cursor") from None
        found = found.filter(name__gt=name) | found.filter(name=name, id__gt=last_id)
    limit = max(1, min(limit, 200))
    rows = list(found.order_by("name", "id")[: limit + 1])
    next_cursor = f"{rows[limit - 1].name}|{rows[limit - 1].id}" if len(rows) > limit else None
    return ProviderPage(items=[provider_out(p) for p in rows[:limit]], next_cursor=next_cursor)


@router.get("/providers/{provider_id}", response=ProviderOut, auth=None)
def get_provider(request: HttpRequest, provider_id: UUID) -> ProviderOut:
    catch_up()
    return provider_out(queries.provider(provider_id))


@router.get("/register.csv", auth=None, include_in_schema=False)
def register_csv(request: HttpRequest) -> HttpResponse:
    """The register as a spreadsheet: one row per organisation and service."""
    catch_up()
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="accreditation-register.csv"'
    write = _safe_cells(csv.writer(response).writerow)
    write(
        [
            "organisation",
            "registration",
            "service",
            "status",
            "accredited since",
            "expires on",
            "conditions",
            "areas",
            "languages",
            "access needs",
            "last change",
            "last change on",
        ]
    )
    for s in queries.register().prefetch_related("history"):
        last = s.history.last()
        write(
            [
                s.provider.name,
                s.provider.registration_number,
                Service(s.service).label,
                s.status,
                s.accredited_since or "",
                s.expires_on or "",
                s.conditions,
                " ".join(s.provider.areas),
                "; ".join(s.provider.languages),
                "; ".join(s.provider.access_needs),
                last.step if last else "",
                last.at.date() if last else "",
            ]
        )
    return response


# -- a provider's own
@router.post("/providers", response={201: ProviderOut}, auth=roles(*PROVIDER))
def register_provider(request: HttpRequest, payload: ProviderIn) -> Status[ProviderOut]:
    result = register_organisation(caller(request), actor=actor(request), **payload.dict())
    catch_up()
    return Status(201, provider_out(queries.provider(result.id)))


@router.post(
    "/providers/{provider_id}/applications", response={201: DoneOut}, auth=roles(*PROVIDER)
)
def apply(request: HttpRequest, provider_id: UUID, payload: ApplyIn) -> Status[DoneOut]:
    result = accreditation_app().apply(
        provider_id, service=payload.service, actor=actor(request), note=payload.note
    )
    return Status(201, done(result.id))


@router.post(
    "/providers/{provider_id}/evidence", response={201: EvidenceOut}, auth=roles(*PROVIDER)
)
def upload_evidence(
    request: HttpRequest,
    provider_id: UUID,
    file: File[UploadedFile],
    kind: Form[str],
    expires_on: Form[date | None] = None,
) -> Status[EvidenceOut]:
    if file.size and file.size > MAX_EVIDENCE_BYTES:
        raise AccreditationError("must be smaller than 5 MB", field="file")
    evidence = accreditation_app().add_evidence(
        provider_id,
        kind=kind,
        filename=file.name,
        content=file.read(MAX_EVIDENCE_BYTES + 1),
        expires_on=expires_on,
        today=timezone.localdate(),
        actor=actor(request),
    )
    catch_up()
    kept = models.Evidence.objects.get(id=evidence)
    return Status(
        201,
        EvidenceOut(
            id=kept.id,
            kind=kept.kind,
            filename=kept.filename,
            content_type=kept.content_type,
            size=kept.size,
            expires_on=kept.expires_on,
        ),
    )


# -- the register administrator's decisions
@router.get("/queue", response=list[ServiceOut], auth=roles(*ADMIN))
def queue(request: HttpRequest) -> list[ServiceOut]:
    catch_up()
    return [
        ServiceOut(
            id=s.id,
            service=s.service,
            service_name=f"{s.provider.name}: {Service(s.service).label}",
            status=s.status,
            accredited_since=None,
            expires_on=None,
            conditions="",
            history=[],
        )
        for s in queries.queue()[:200]
    ]


@router.post("/accreditations/{accreditation_id}/assessment", response=DoneOut, auth=roles(*ADMIN))
def start_assessment(request: HttpRequest, accreditation_id: UUID) -> DoneOut:
    accreditation_app().start_assessment(accreditation_id, actor=actor(request))
    return done(accreditation_id)


@router.post("/accreditations/{accreditation_id}/criteria", response=DoneOut, auth=roles(*ADMIN))
def assess(request: HttpRequest, accreditation_id: UUID, payload: AssessIn) -> DoneOut:
    accreditation_app().assess(accreditation_id, actor=actor(request), **payload.dict())
    return done(accreditation_id)


@router.post("/accreditations/{accreditation_id}/accredit", response=DoneOut, auth=roles(*ADMIN))
def accredit(request: HttpRequest, accreditation_id: UUID, payload: AccreditIn) -> DoneOut:
    accredit_and_open_account(
        accreditation_id, actor=actor(request), today=timezone.localdate(), **payload.dict()
    )
    return done(accreditation_id)


@router.post("/accreditations/{accreditation_id}/refuse", response=DoneOut, auth=roles(*ADMIN))
def refuse(request: HttpRequest, accreditation_id: UUID, payload: RefuseIn) -> DoneOut:
    accreditation_app().refuse(accreditation_id, actor=actor(request), reasons=payload.reasons)
    return done(accreditation_id)


@router.post("/accreditations/{accreditation_id}/renewal", response=DoneOut, auth=roles(*ADMIN))
def renew(request: HttpRequest, accreditation_id: UUID, payload: RenewIn) -> DoneOut:
    accreditation_app().renew(
        accreditation_id,
        actor=actor(request),
        expires_on=payload.expires_on,
        today=timezone.localdate(),
        reason=payload.reason,
    )
    return done(accreditation_id)


@router.post("/accreditations/{accreditation_id}/{step}", response=DoneOut, auth=roles(*ADMIN))
def decide(request: HttpRequest, accreditation_id: UUID, step: str, payload: ReasonIn) -> DoneOut:
    """Suspend, reinstate or withdraw, with the reason the register will show."""
    commands = {
        "suspend": accreditation_app().suspend,
        "reinstate": accreditation_app().reinstate,
        "withdraw": accreditation_app().withdraw,
    }
    if step not in commands:
        raise AccreditationError("must be suspend, reinstate or withdraw", field="step")
    commands[step](
        accreditation_id, actor=actor(request), reason=payload.reason, today=timezone.localdate()
    )
    return done(accreditation_id)


# -- the council's criteria checklist (versioned: an assessment keeps the version it began on)
def checklist_out() -> ChecklistOut:
    checklist = accreditation_app().checklist()
    version = checklist.current_version
    return ChecklistOut(
        version=version,
        criteria=[CriterionIO(**c.__dict__) for c in checklist.criteria(version)],
    )


@router.get("/checklist", response=ChecklistOut, auth=None)
def checklist(request: HttpRequest) -> ChecklistOut:
    """The criteria in force, open to everyone: what accreditation is assessed against."""
    return checklist_out()


@router.post("/checklist", response={201: ChecklistOut}, auth=roles(*ADMIN))
def publish_checklist(request: HttpRequest, payload: ChecklistIn) -> Status[ChecklistOut]:
    """A new version of the checklist; assessments already begun keep theirs."""
    accreditation_app().publish_checklist(
        criteria=[c.dict() for c in payload.criteria], actor=actor(request)
    )
    return Status(201, checklist_out())
