"""The auditor's view of who read whose personal data."""

from __future__ import annotations

from datetime import date, datetime

from django.http import HttpRequest
from ninja import Router, Schema

from api.auth import roles
from api.models import PersonalDataRead
from config.audit import record_read
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


# ---------------------------------------------------------------------------- the trace


class StepOut(Schema):
    at: datetime
    context: str
    what: str
    subject: str
    actor: str
    role: str
    reason: str
    rule: str
    link: str
    correlation: str  # the chain: its first request or job
    causation: str  # what led to it: request:…, task:…, event:<context>:<position>


class TimelineOut(Schema):
    council_ref: str
    kinds: list[str]
    steps: list[StepOut]


class LinkOut(Schema):
    what: str
    detail: str
    at: datetime | None
    actor: str


class SampleOut(Schema):
    seed: str
    population: int
    keys: list[str]


class FoundOut(Schema):
    kind: str
    label: str
    link: str


AUDITORS = roles(Role.AUDITOR)


@router.get("/budgets/{council_ref}/timeline", response=TimelineOut, auth=AUDITORS)
def timeline(
    request: HttpRequest,
    council_ref: str,
    kind: str = "",
    since: date | None = None,
    until: date | None = None,
) -> TimelineOut:
    """Every event of every context about the budget, in time order, filtered by kind (one
    or more, comma-separated) and by date."""
    from audit.trace import timeline as trace

    everything = trace(council_ref)
    found = everything.only(kinds=[k for k in kind.split(",") if k], since=since, until=until)
    record_read(request.user, [council_ref], request.path)
    return TimelineOut(
        council_ref=council_ref,
        kinds=everything.kinds(),
        steps=[StepOut(**s.__dict__) for s in found.steps],
    )


@router.get("/payments/{key}/chain", response=list[LinkOut], auth=AUDITORS)
def chain(request: HttpRequest, key: str) -> list[LinkOut]:
    """A payment back to the assessment: invoice or schedule, plan, allocation, assessment."""
    from audit.trace import chain as trace

    links = trace(key)
    return [LinkOut(**link.__dict__) for link in links]


@router.get("/budgets/{council_ref}/as-at", auth=AUDITORS)
def as_at(request: HttpRequest, council_ref: str, on: date) -> dict[str, object]:
    """The budget's accounts as they stood at the end of a day."""
    from audit.trace import as_at as balances

    record_read(request.user, [council_ref], request.path)
    return {
        "council_ref": council_ref,
        "on": on.isoformat(),
        "balances_pence": balances(council_ref, on),
    }


@router.get("/sample", response=SampleOut, auth=AUDITORS)
def sample(request: HttpRequest, size: int = 25, seed: str = "") -> SampleOut:
    """A reproducible random sample of payments for audit testing (the seed shown: give it
    again for the same sample)."""
    from audit.trace import sample as draw

    found = draw(max(1, min(size, 1000)), seed)
    return SampleOut(seed=found.seed, population=found.population, keys=found.keys)


@router.get("/search", response=list[FoundOut], auth=AUDITORS)
def search(request: HttpRequest, q: str) -> list[FoundOut]:
    """Budgets and people (by reference or name), providers (by name), payments (by key)."""
    from accreditation.models import ProviderRecord
    from accreditation.services import catch_up as catch_up_register
    from budgets.models import CaseRecord
    from budgets.services import catch_up_cases
    from payments.models import PaymentRecord
    from payments.services import catch_up as catch_up_payments

    text = q.strip()
    if len(text) < 2:
        return []
    catch_up_cases()
    catch_up_register()
    catch_up_payments()
    found = [
        FoundOut(
            kind="budget",
            label=f"{c.name} ({c.council_ref})",
            link=f"/audit/budgets/{c.council_ref}/",
        )
        for c in CaseRecord.objects.filter(council_ref__icontains=text)
        | CaseRecord.objects.filter(name__icontains=text)
    ][:50]
    found += [
        FoundOut(kind="provider", label=p.name, link=f"/register/providers/{p.id}/")
        for p in ProviderRecord.objects.filter(name__icontains=text)[:50]
    ]
    found += [
        FoundOut(kind="payment", label=f"{p.key}: {p.label}", link=f"/audit/payments/{p.key}/")
        for p in PaymentRecord.objects.filter(key__icontains=text)[:50]
    ]
    return found
