"""Selectors over the budgets read models: the caseload's queues and each case's stage.

The queues are the policies' own definitions (budgets/policies.py) put as filters on the case
records: "waiting for the team manager" is the stage at which the policy lets the team manager
sign, and each stage's filter is tested against ``policies.stage`` row by row.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db.models import Q, QuerySet

from budgets import policies
from budgets.models import CaseRecord
from budgets.policies import TURNS, CaseFacts, NotPermittedError, Stage, Step
from budgets.review import REMIND_BEFORE
from config.actor import Actor


def facts_of(case: CaseRecord) -> CaseFacts:
    """What a case record says of the case, as the policies read it."""
    return CaseFacts(
        assessed=case.assessed,
        eligible=case.eligible,
        allocated=case.weekly is not None,
        plan_versions=case.plan_versions,
        worker_signed=bool(case.worker_signed_by),
        signed_off=case.signed_off,
        with_panel=bool(case.panel_why and not case.panel_decision),
    )


def stage_of(case: CaseRecord) -> Stage:
    return policies.stage(facts_of(case))


# The plan's stages as filters on the case records, in policies.stage's order of precedence.
_WITH_PANEL = ~Q(panel_why="") & Q(panel_decision="")
STAGE_FILTERS: dict[Stage, Q] = {
    Stage.WITH_PANEL: _WITH_PANEL,
    Stage.SIGNED_OFF: ~_WITH_PANEL & Q(signed_off=True),
    Stage.WAITING_FOR_MANAGER: ~_WITH_PANEL & Q(signed_off=False) & ~Q(worker_signed_by=""),
    Stage.PLAN_WRITTEN: ~_WITH_PANEL
    & Q(signed_off=False, worker_signed_by="", plan_versions__gt=0),
}


def at_stage(cases: QuerySet[CaseRecord], at: Stage) -> QuerySet[CaseRecord]:
    return cases.filter(STAGE_FILTERS[at])


def reviews_due_soon(cases: Any, *, today: date) -> Any:
    """Of these case records, those whose review falls within the reminder window
    (policies.review_due_soon)."""
    return cases.filter(review_due__gte=today, review_due__lte=today + REMIND_BEFORE)


def reviews_overdue(cases: Any, *, today: date) -> Any:
    """policies.review_overdue, as a filter."""
    return cases.filter(review_due__lt=today)


Select = Callable[[QuerySet[CaseRecord], Actor, date], QuerySet[CaseRecord]]


@dataclass(frozen=True)
class Queue:
    label: str
    select: Select


QUEUES: dict[str, Queue] = {
    "all": Queue("Everyone", lambda cases, _actor, _today: cases),
    "mine": Queue("My cases", lambda cases, actor, _today: cases.filter(worker=actor.id)),
    # The plans the policy lets a team manager sign off (or refer) now.
    "sign-off": Queue(
        "Plans waiting for the team manager",
        lambda cases, _actor, _today: at_stage(cases, TURNS[Step.MANAGER_SIGNS].at),
    ),
    # The plans the policy lets a panel member decide on now.
    "panel": Queue(
        "Plans with the panel",
        lambda cases, _actor, _today: at_stage(cases, TURNS[Step.PANEL_DECIDES].at),
    ),
    "due-soon": Queue(
        "Reviews due in the next two weeks",
        lambda cases, _actor, today: reviews_due_soon(cases, today=today),
    ),
    "overdue": Queue(
        "Reviews overdue", lambda cases, _actor, today: reviews_overdue(cases, today=today)
    ),
}


def caseload(
    queue: str, *, actor: Actor, today: date, search: str = ""
) -> tuple[str, QuerySet[CaseRecord]]:
    """The cases in a queue (an unknown queue is everyone), by name; for the council's staff.
    ``search`` keeps those whose name or council reference holds it (any case)."""
    from budgets.services import catch_up_cases

    if not actor.has(*policies.READERS):
        raise NotPermittedError("the caseload is for the council's staff")
    catch_up_cases()
    name = queue if queue in QUEUES else "all"
    cases = QUEUES[name].select(CaseRecord.objects.all(), actor, today)
    words = search.strip()[:100]
    if words:
        cases = cases.filter(Q(name__icontains=words) | Q(council_ref__icontains=words))
    return name, cases.order_by("name", "council_ref")


def describe(cases: Iterable[CaseRecord], *, today: date) -> None:
    """Each case's stage and review state, for the caseload's rows."""
    for case in cases:
        case.stage = stage_of(case)  # type: ignore[attr-defined]
        case.overdue = policies.review_overdue(case.review_due, today)  # type: ignore[attr-defined]
        case.reminded = bool(  # type: ignore[attr-defined]
            case.review_due and case.review_reminded_for == case.review_due
        )


def reviews_due_for(actor: Actor, *, today: date) -> dict[str, int] | None:
    """How many of a worker's own cases have a review overdue, or due within the reminder
    window; None for anyone who holds no cases (policies.is_worker)."""
    from budgets.services import catch_up_cases

    if not policies.is_worker(actor):
        return None
    catch_up_cases()
    mine = CaseRecord.objects.filter(worker=actor.id)
    return {
        "overdue": reviews_overdue(mine, today=today).count(),
        "due_soon": reviews_due_soon(mine, today=today).count(),
    }
