"""The worker's forms: register a person, assess, allocate, review; the plan editor.

Each view parses its form, calls one budgets command with the signed-in ``Actor`` and shows a
refusal in the GOV.UK error summary beside the field it names; nothing is recorded for a
refused form. Who may write or review whose plan is the budgets context's policy
(budgets/policies.py): a refused actor gets the forbidden page with its reason.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from budgets import policies, services
from budgets.domain import OUTCOMES, Risk, Severity
from budgets.plan import DIRECT_PAYMENT_PARTS, REQUIRED_PARTS
from budgets.review import SCALE
from config.audit import record_read
from config.errors import DomainError, NotFound
from config.roles import Role
from frontend.access import allowed_by, roles_required, signed_in
from frontend.forms import attempt, date_field, date_value, sentence, whole_number
from identity.actors import actor_from_user
from ledger.money import MoneyError, format_pence, parse_pounds

WORKERS = (Role.SOCIAL_WORKER, Role.TEAM_MANAGER)
OWN_WORDS = {
    "day_in_my_life": "A day in my life",
    "important_to_me": "What is important to me",
    "important_for_me": "What is important for me (to stay safe and well)",
    "good_days": "Good days",
    "bad_days": "Bad days",
}
AMOUNTS = {
    "weekly": "Final budget a week",
    "contribution": "The person's contribution a week",
    "direct_payment": "As a direct payment",
    "council_managed": "Managed by the council",
    "individual_service_fund": "Managed by a third party (Individual Service Fund)",
}
ZERO = re.compile(r"£?0+(\.0{1,2})?")
REVIEW_LABELS = {"on": "Date of the review", "changes": "What changes"}
# The command's field names where they differ from the allocation form's.
ALLOCATION_FIELDS = {"contribution_weekly": "contribution", "split": "direct_payment"}


def pounds(data: Any, name: str, *, required: bool) -> tuple[int | None, str | None]:
    value = data.get(name, "").strip()
    if not value:
        return None, ("Enter an amount, like £120.00" if required else None)
    if not required and ZERO.fullmatch(value):
        return 0, None  # "none of it this way"
    try:
        return parse_pounds(value), None
    except MoneyError as exc:
        return None, str(exc)


def _form(
    request: HttpRequest, template: str, context: dict[str, Any], errors: dict[str, str]
) -> HttpResponse:
    context["errors"] = errors
    return render(request, f"frontend/cases/{template}", context, status=400 if errors else 200)


@allowed_by(policies.check_may_register)
def new_person(request: HttpRequest) -> HttpResponse:
    errors: dict[str, str] = {}
    data = request.POST if request.method == "POST" else {}
    if request.method == "POST":
        # An unreadable date goes to the domain as None, which always refuses it, so every
        # other field at fault is named too and nothing is recorded.
        born, date_error = date_field(data, "date_of_birth")
        ref = data.get("council_ref", "").strip()
        _, errors = attempt(
            lambda: services.budget_app().register_person(
                today=timezone.localdate(),
                actor=actor_from_user(signed_in(request)),
                council_ref=ref,
                name=data.get("name", ""),
                date_of_birth=born,
                nhs_number=data.get("nhs_number", ""),
                has_capacity={"yes": True, "no": False}.get(data.get("has_capacity", "")),
                decides_for_them=data.get("decides_for_them", ""),
                contact=data.get("contact", ""),
                nominee=data.get("nominee", ""),
                advocate=data.get("advocate", ""),
            )
        )
        if date_error or born is None:
            errors["date_of_birth"] = sentence(
                "Date of birth", date_error or "enter their date of birth"
            )
        if not errors:
            messages.success(request, f"{data.get('name', '').strip()} registered.")
            return redirect("case-assessment", council_ref=ref)
    context = {"data": data, "dob": date_value(data, "date_of_birth")}
    return _form(request, "new_person.html", context, errors)


OUTCOME_PARTS = {"need_without_support": "need", "met_by_strengths": "strengths"}


def _assessment_field(path: str) -> tuple[str, str]:
    """outcomes.hygiene.met_by_strengths -> hygiene-strengths; outcomes.hygiene -> its
    severity; own_words.good_days -> its box."""
    head, _, rest = path.partition(".")
    if head == "own_words" and rest in OWN_WORDS:
        return rest, OWN_WORDS[rest]
    if head == "outcomes":
        code, _, part = rest.partition(".")
        if code in OUTCOMES:
            return f"{code}-{OUTCOME_PARTS.get(part, 'severity')}", OUTCOMES[code]
    return head, head.replace("_", " ").capitalize()


@allowed_by(policies.check_may_assess)
def assessment(request: HttpRequest, council_ref: str) -> HttpResponse:
    app = services.budget_app()
    try:
        person = app.get_person(council_ref)
    except NotFound:
        raise Http404("no such person") from None
    record_read(signed_in(request), [council_ref], request.path)
    try:  # a new version starts from the last one
        last = app.assessment(council_ref).versions[-1]
        previous = {o["outcome"]: o for o in last["outcomes"]}
        words = last["own_words"]
    except (NotFound, IndexError):
        previous, words = {}, {}
    errors: dict[str, str] = {}
    post = request.method == "POST"
    data = request.POST
    if post:
        outcomes = {
            code: {
                "need_without_support": data.get(f"{code}-need", ""),
                "met_by_strengths": data.get(f"{code}-strengths", ""),
                "unmet_severity": data.get(f"{code}-severity") or None,
                "risk": data.get(f"{code}-risk") or None,
            }
            for code in OUTCOMES
        }
        result, errors = attempt(
            lambda: app.record_assessment(
                council_ref,
                today=timezone.localdate(),
                actor=actor_from_user(signed_in(request)),
                own_words={key: data.get(key, "") for key in OWN_WORDS},
                outcomes=outcomes,
                arises_from_impairment=data.get("arises_from_impairment") == "yes",
                significant_impact=data.get("significant_impact") == "yes",
            ),
            where=_assessment_field,
            items=True,
        )
        if not errors:
            verdict = "eligible" if result.eligible else "not eligible"
            messages.success(request, f"Assessment recorded: {verdict}. {' '.join(result.reasons)}")
            return redirect(
                "case-allocation" if result.eligible else "case", council_ref=council_ref
            )
    rows = []
    for code, label in OUTCOMES.items():
        before = previous.get(code, {})
        rows.append(
            {
                "code": code,
                "label": label,
                "need": data.get(f"{code}-need") if post else before.get("need_without_support"),
                "strengths": (
                    data.get(f"{code}-strengths") if post else before.get("met_by_strengths")
                ),
                "severity": data.get(f"{code}-severity") if post else before.get("unmet_severity"),
                "risk": data.get(f"{code}-risk") if post else before.get("risk"),
            }
        )
        at_fault = [at for at in ("need", "strengths", "severity") if f"{code}-{at}" in errors]
        rows[-1] |= {"errors": [errors[f"{code}-{at}"] for at in at_fault], "at": at_fault}
    context = {
        "person": person.details,
        "own_words": [
            (key, label, data.get(key) if post else words.get(key, ""))
            for key, label in OWN_WORDS.items()
        ],
        "rows": rows,
        "severities": [s.value for s in Severity],
        "risks": [r.value for r in Risk],
        "checked": {
            key: data.get(key) == "yes" for key in ("arises_from_impairment", "significant_impact")
        },
    }
    return _form(request, "assessment.html", context, errors)


def _allocation_field(path: str) -> tuple[str, str]:
    head = path.split(".")[-1] if path.startswith("split.") else path
    field = ALLOCATION_FIELDS.get(head, head)
    label = AMOUNTS.get(field) or {
        "adjustment_reason": "Reason for the adjustment",
        "reason": "Reason",
        "direct_payment_start": "Direct payments start",
    }.get(field, field.replace("_", " ").capitalize())
    return field, label


@allowed_by(policies.check_may_set_budget)
def allocation(request: HttpRequest, council_ref: str) -> HttpResponse:
    today = timezone.localdate()
    app = services.budget_app()
    try:
        calculation = app.indicative(council_ref, today=today)
    except NotFound:
        raise Http404("no such person") from None
    except DomainError as exc:
        messages.warning(request, f"No indicative budget yet: {exc.message}")
        return redirect("case", council_ref=council_ref)
    record_read(signed_in(request), [council_ref], request.path)
    if request.method == "GET" and _has_budget(council_ref):
        messages.warning(request, "The budget is already allocated: revise it instead.")
        return redirect("case-revision", council_ref=council_ref)
    errors: dict[str, str] = {}
    data: Any = request.POST if request.method == "POST" else {}
    if request.method == "POST":
        amounts = {}
        for name, label in AMOUNTS.items():
            value, error = pounds(data, name, required=name == "weekly")
            if error:
                errors[name] = sentence(label, error)
            amounts[name] = value or 0
        start, date_error = date_field(data, "direct_payment_start")
        if date_error:
            errors["direct_payment_start"] = sentence("Direct payments start", date_error)
        if not errors:
            _, errors = attempt(
                lambda: services.allocate(
                    council_ref,
                    today=today,
                    actor=actor_from_user(signed_in(request)),
                    weekly=amounts["weekly"],
                    adjustment_reason=data.get("adjustment_reason", ""),
                    contribution_weekly=amounts["contribution"],
                    split={
                        k: amounts[k]
                        for k in ("direct_payment", "council_managed", "individual_service_fund")
                    },
                    direct_payment_start=start,
                ),
                where=_allocation_field,
            )
            if not errors:
                messages.success(request, "Budget allocated and recorded in the ledger.")
                return redirect("case", council_ref=council_ref)
    next_week = today + timedelta(days=7 - today.weekday())  # next Monday
    if not data:  # the form starts from the RAS figure and a direct payment from next week
        data = {"weekly": format_pence(calculation.weekly).lstrip("£")}
        typed = {
            "day": str(next_week.day),
            "month": str(next_week.month),
            "year": str(next_week.year),
        }
    else:
        typed = date_value(data, "direct_payment_start")
    context = {
        "council_ref": council_ref,
        "calculation": calculation,
        "indicative": format_pence(calculation.weekly),
        "amounts": [(name, label, data.get(name, "")) for name, label in AMOUNTS.items()],
        "adjustment_reason": data.get("adjustment_reason", ""),
        "start": typed,
        "next_week": next_week,
    }
    return _form(request, "allocation.html", context, errors)


def _has_budget(council_ref: str) -> bool:
    try:
        services.budget_app().get_budget(council_ref)
    except NotFound:
        return False
    return True


def _back(author: str, council_ref: str) -> HttpResponse:
    """A worker returns to the case, a planner to their own area, the person to their budget."""
    if author == "worker":
        return redirect("case", council_ref=council_ref)
    if author == "person":
        return redirect("my-budget")
    return redirect("provider-area")


@roles_required(*WORKERS, Role.PROVIDER_STAFF, Role.PERSON)
def plan_editor(request: HttpRequest, council_ref: str) -> HttpResponse:
    """The plan, written by the person themselves, their engaged planner or a worker."""
    app, actor = services.budget_app(), actor_from_user(signed_in(request))
    author = app.plan_author(actor, council_ref)  # refused: the forbidden page
    try:
        budget = app.get_budget(council_ref)
    except NotFound:
        messages.warning(request, "Allocate the budget before writing the plan.")
        return _back(author, council_ref)
    record_read(signed_in(request), [council_ref], request.path)
    try:
        plan = app.plan(council_ref)
        current = plan.versions[-1]["parts"]
    except (NotFound, IndexError):
        plan, current = None, {}  # the first version
    if request.method == "GET" and plan is not None and plan.signed_off:
        messages.warning(request, "The plan is signed off: record a review to change it.")
        return _back(author, council_ref)
    parts = {**REQUIRED_PARTS, **(DIRECT_PAYMENT_PARTS if budget.split.direct_payment else {})}
    errors: dict[str, str] = {}
    drafted_from = None
    if plan is None and request.method == "GET":  # the first version starts from the assessment
        current, drafted_from = app.first_plan_draft(actor, council_ref)
    data = request.POST if request.method == "POST" else current
    if request.method == "POST":
        _, errors = attempt(
            lambda: app.write_plan(
                council_ref,
                parts={k: request.POST.get(k, "") for k in parts},
                actor=actor,
                as_author=author,
                today=timezone.localdate(),
            ),
            where=lambda path: (
                path.split(".")[-1] if path.startswith("parts.") else next(iter(parts)),
                {**REQUIRED_PARTS, **DIRECT_PAYMENT_PARTS}.get(path.split(".")[-1], "Plan"),
            ),
        )
        if not errors:
            messages.success(request, f"Plan for {council_ref} saved as a new version.")
            return _back(author, council_ref)
    context = {
        "council_ref": council_ref,
        "name": app.get_person(council_ref).details.name,
        "parts": [(key, label, data.get(key, "")) for key, label in parts.items()],
        "budget_weekly": format_pence(budget.weekly),
        "direct_payment": format_pence(budget.split.direct_payment),
        "author": author,
        "drafted_from": drafted_from,
    }
    return _form(request, "plan.html", context, errors)


@roles_required(*WORKERS, Role.PROVIDER_STAFF)
def review(request: HttpRequest, council_ref: str) -> HttpResponse:
    """An outcome-focused review: for each outcome, has life got better, in their words."""
    app, actor = services.budget_app(), actor_from_user(signed_in(request))
    reviewer_kind = app.reviewer_kind(actor, council_ref)  # refused: the forbidden page
    try:
        reviews = app.reviews(council_ref)
        needs = app.assessment(council_ref).eligible_unmet_needs()
    except (NotFound, DomainError):
        messages.warning(request, "There is nothing to review until a plan is written.")
        return _back(reviewer_kind, council_ref)
    record_read(signed_in(request), [council_ref], request.path)
    outcomes = [(need.outcome, OUTCOMES[need.outcome]) for need in needs]
    errors: dict[str, str] = {}
    data: Any = request.POST if request.method == "POST" else {}
    if request.method == "POST":
        on, date_error = date_field(data, "on")
        if date_error or on is None:
            errors["on"] = sentence(
                "Date of the review", date_error or "enter the date it took place"
            )
        else:
            answers: dict[str, dict[str, object]] = {}
            for key, label in outcomes:
                answers[label] = {
                    "scale": whole_number(data, f"{key}-scale", digits=2),
                    "in_their_words": data.get(f"{key}-words", ""),
                }

            def where(path: str) -> tuple[str, str]:
                if path.startswith("outcomes["):
                    key, label = outcomes[int(path[9 : path.index("]")])]
                    return f"{key}-{'words' if 'in_their_words' in path else 'scale'}", label
                if path in ("plan", "plan_changes"):
                    return "plan_changes", "The plan"
                return path, REVIEW_LABELS.get(path, path.capitalize())

            next_due, errors = attempt(
                lambda: app.record_review(
                    council_ref,
                    actor=actor,
                    on=on,
                    outcomes=answers,
                    changes=data.get("changes", ""),
                    plan_changes=data.get("plan_changes") == "yes",
                    today=timezone.localdate(),
                ),
                where=where,
            )
            if not errors:
                messages.success(
                    request, f"Review recorded. The next is due by {next_due:%-d %B %Y}."
                )
                if data.get("plan_changes") == "yes":
                    return redirect("case-plan", council_ref=council_ref)
                return _back(reviewer_kind, council_ref)
    today = timezone.localdate()
    context = {
        "council_ref": council_ref,
        "name": app.get_person(council_ref).details.name,
        "due_on": reviews.due_on,
        "kind": "annual" if reviews.reviews else "6-week",
        "outcomes": [
            (key, label, data.get(f"{key}-scale", ""), data.get(f"{key}-words", ""))
            for key, label in outcomes
        ],
        "scale": SCALE.items(),
        "on": date_value(data, "on")
        if data
        else {"day": today.day, "month": today.month, "year": today.year},
        "changes": data.get("changes", ""),
        "plan_changes": data.get("plan_changes") == "yes",
        "author": reviewer_kind,
    }
    return _form(request, "review.html", context, errors)


def _revision_field(path: str) -> tuple[str, str]:
    """A refusal about the figure, or about the plan it would reopen, is shown at the figure."""
    if path in ("weekly", "plan"):
        return "weekly", "New budget a week"
    return _allocation_field(path)


@allowed_by(policies.check_may_set_budget)
def revision(request: HttpRequest, council_ref: str) -> HttpResponse:
    """A review changes the budget: a ledger entry for the difference, never a cut without
    a reassessment."""
    try:
        budget = services.budget_app().get_budget(council_ref)
    except NotFound:
        raise Http404("no budget yet") from None
    record_read(signed_in(request), [council_ref], request.path)
    ways = {k: AMOUNTS[k] for k in ("direct_payment", "council_managed", "individual_service_fund")}
    errors: dict[str, str] = {}
    data: Any = request.POST if request.method == "POST" else {}
    if request.method == "POST":
        amounts = {}
        for name, label in {"weekly": "New budget a week", **ways}.items():
            value, error = pounds(data, name, required=name == "weekly")
            if error:
                errors[name] = sentence(label, error)
            amounts[name] = value or 0
        if not errors:
            _, errors = attempt(
                lambda: services.revise(
                    council_ref,
                    today=timezone.localdate(),
                    actor=actor_from_user(signed_in(request)),
                    weekly=amounts["weekly"],
                    split={k: amounts[k] for k in ways},
                    reason=data.get("reason", ""),
                ),
                where=_revision_field,
            )
            if not errors:
                messages.success(
                    request, "Budget revised and the difference recorded in the ledger."
                )
                return redirect("case", council_ref=council_ref)
    else:
        data = {
            "weekly": format_pence(budget.weekly).lstrip("£"),
            **{k: format_pence(getattr(budget.split, k)).lstrip("£") for k in ways},
        }
    context = {
        "council_ref": council_ref,
        "current": format_pence(budget.weekly),
        "amounts": [
            (name, label, data.get(name, ""))
            for name, label in {"weekly": "New budget a week", **ways}.items()
        ],
        "reason": data.get("reason", ""),
    }
    return _form(request, "revision.html", context, errors)


@allowed_by(policies.check_may_set_budget)
def contribution(request: HttpRequest, council_ref: str) -> HttpResponse:
    """A financial reassessment: the person's weekly contribution from a date. The ledger
    moves the difference; a direct payment follows from its next unpaid period."""
    try:
        budget = services.budget_app().get_budget(council_ref)
    except NotFound:
        raise Http404("no budget yet") from None
    record_read(signed_in(request), [council_ref], request.path)
    errors: dict[str, str] = {}
    data: Any = request.POST if request.method == "POST" else {}
    if request.method == "POST":
        amount, error = pounds(data, "contribution", required=True)
        if error:
            errors["contribution"] = sentence("New contribution a week", error)
        since, wrong = date_field(data, "effective_from")
        if wrong or since is None:
            errors["effective_from"] = f"Date it applies from {wrong or 'is required'}"
        if not errors:
            _, errors = attempt(
                lambda: services.change_contribution(
                    council_ref,
                    today=timezone.localdate(),
                    actor=actor_from_user(signed_in(request)),
                    weekly=amount,
                    effective_from=since,
                    reason=data.get("reason", ""),
                ),
                where=lambda path: {
                    "contribution_weekly": ("contribution", "New contribution a week"),
                    "effective_from": ("effective_from", "Date it applies from"),
                }.get(path, (path, path.replace("_", " ").capitalize())),
            )
            if not errors:
                messages.success(
                    request,
                    "The new contribution is recorded, with its ledger entry; a direct payment"
                    " changes from its next unpaid period.",
                )
                return redirect("case", council_ref=council_ref)
    context = {
        "council_ref": council_ref,
        "current": format_pence(budget.contribution_weekly),
        "since": budget.contribution_from,
        "contribution": data.get("contribution", ""),
        "effective_from": date_value(data, "effective_from") if data else {},
        "reason": data.get("reason", ""),
    }
    return _form(request, "contribution.html", context, errors)
