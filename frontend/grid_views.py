"""The council's RAS grid: open to everyone; a team manager tries a new one, then publishes it.

Who may read, try and publish the grid and the sign-off rules is the budgets context's policy
(budgets/policies.py), asked by each page's gate and again by the command it calls.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from budgets import policies
from budgets.domain import GridVersion, Risk, Severity
from budgets.services import budget_app
from frontend.access import allowed_by, signed_in
from frontend.forms import attempt, date_field, date_value, sentence, whole_number
from identity.actors import actor_from_user
from ledger.money import MoneyError, format_pence, parse_pounds

SHOWN_CHANGES = 50  # the biggest changes are listed; the totals count every budget


def _table(version: GridVersion) -> list[tuple[str, list[int]]]:
    return [(s.value, [version.points[s.value][r.value] for r in Risk]) for s in Severity]


def grid(request: HttpRequest) -> HttpResponse:
    """Public: every version of the grid, the one in force first, in plain tables."""
    actor = actor_from_user(request.user)  # anyone: the public too
    published = budget_app().grid_for(actor)
    versions = list(reversed(published.versions))
    today = timezone.localdate()
    in_force = published.history.in_force_if_any(today)
    context = {
        "versions": [
            {
                "v": v,
                "rows": _table(v),
                "price": format_pence(v.pence_per_point),
                "in_force": v is in_force,
                "future": v.effective_from > today,
            }
            for v in versions
        ],
        "risks": [r.value for r in Risk],
        "sign_off": budget_app().sign_off_rules_for(actor).policy,
        "can_change": policies.permits(policies.check_may_change_grid, actor),
    }
    return render(request, "frontend/grid/grid.html", context)


def _cell(path: str) -> tuple[str, str]:
    """points.substantial.high -> its input; pence_per_point -> the price."""
    if path.startswith("points."):
        parts = [*path.split(".")[1:], Risk.LOW.value][:2]  # a whole row: its first cell
        return "-".join(parts), f"{parts[0].capitalize()} need, {parts[1]} risk"
    labels = {"pence_per_point": "Price per point", "effective_from": "Takes effect from"}
    return path, labels.get(path, path.replace("_", " ").capitalize())


@allowed_by(policies.check_may_change_grid)
def change(request: HttpRequest) -> HttpResponse:
    """Try a candidate grid over every allocated budget; publish it from a date if it is right."""
    app, actor = budget_app(), actor_from_user(signed_in(request))
    versions = app.grid_for(actor).versions
    today = timezone.localdate()
    # The form starts from the grid in force, or the first one to come when none is yet.
    current = next((v for v in reversed(versions) if v.effective_from <= today), None) or (
        versions[0] if versions else None
    )
    data: Any = request.POST if request.method == "POST" else {}
    errors: dict[str, str] = {}
    result = None
    if request.method == "POST":
        points: dict[str, dict[str, object]] = {}
        for s in Severity:
            points[s.value] = {}
            for r in Risk:
                points[s.value][r.value] = whole_number(data, f"{s.value}-{r.value}")
        try:
            price: int | None = parse_pounds(data.get("pence_per_point", ""))
        except MoneyError as exc:
            price = None
            errors["pence_per_point"] = sentence("Price per point", str(exc))
        if not errors and "publish" in data:
            effective, date_error = date_field(data, "effective_from")
            if date_error or effective is None:
                errors["effective_from"] = sentence(
                    "Takes effect from", date_error or "enter a date"
                )
            else:
                number, errors = attempt(
                    lambda: app.publish_grid(
                        effective_from=effective,
                        today=timezone.localdate(),
                        points=points,
                        pence_per_point=price,
                        actor=actor,
                        reason=data.get("reason", ""),
                    ),
                    where=_cell,
                )
                if not errors:
                    messages.success(
                        request,
                        f"Grid version {number} published, in force from {effective:%-d %B %Y}.",
                    )
                    return redirect("ras-grid")
        elif not errors:
            result, errors = attempt(
                lambda: app.simulate_grid(actor=actor, points=points, pence_per_point=price),
                where=_cell,
            )
    elif current is not None:
        data = {
            f"{s}-{r}": str(current.points[s][r]) for s in current.points for r in current.points[s]
        } | {"pence_per_point": format_pence(current.pence_per_point).lstrip("£")}
    context = {
        "current": current,
        "rows": [
            (
                s.value,
                [
                    (f"{s.value}-{r.value}", r.value, data.get(f"{s.value}-{r.value}", ""))
                    for r in Risk
                ],
            )
            for s in Severity
        ],
        "risks": [r.value for r in Risk],
        "price": data.get("pence_per_point", ""),
        "reason": data.get("reason", ""),
        "effective": date_value(data, "effective_from"),
        "result": result,
        "changes": (
            sorted(result.rows, key=lambda r: -abs(r.change))[:SHOWN_CHANGES] if result else []
        ),
        "weekly_change": format_pence(abs(result.weekly_change)) if result else "",
    }
    context["errors"] = errors
    return render(request, "frontend/grid/change.html", context, status=400 if errors else 200)


RULE_LABELS = {
    "percent_over_indicative": "Percentage above the indicative figure",
    "weekly_ceiling": "Weekly ceiling",
    "spot_check_per_thousand": "Plans in every 1,000 the panel checks",
    "reason": "Why they change",
}


@allowed_by(policies.check_may_publish_sign_off_rules)
def sign_off_rules(request: HttpRequest) -> HttpResponse:
    """The council's delegated-authority parameters: a new version, with its own seed."""
    app, actor = budget_app(), actor_from_user(signed_in(request))
    policy = app.sign_off_rules_for(actor).policy
    errors: dict[str, str] = {}
    data: Any = (
        request.POST
        if request.method == "POST"
        else {
            "percent_over_indicative": str(policy.percent_over_indicative),
            "weekly_ceiling": format_pence(policy.weekly_ceiling).lstrip("£"),
            "spot_check_per_thousand": str(policy.spot_check_per_thousand),
        }
    )
    if request.method == "POST":
        try:
            ceiling: object = parse_pounds(data.get("weekly_ceiling", ""))
        except MoneyError as exc:
            ceiling = None
            errors["weekly_ceiling"] = sentence("Weekly ceiling", str(exc))
        if not errors:
            _, errors = attempt(
                lambda: app.publish_sign_off_rules(
                    percent_over_indicative=whole_number(data, "percent_over_indicative"),
                    weekly_ceiling=ceiling,
                    spot_check_per_thousand=whole_number(data, "spot_check_per_thousand"),
                    reason=data.get("reason", ""),
                    actor=actor,
                ),
                where=lambda path: (path, RULE_LABELS.get(path, path)),
            )
        if not errors:
            messages.success(request, "The council's sign-off parameters are updated.")
            return redirect("ras-grid")
    context = {"data": data, "errors": errors, "labels": RULE_LABELS}
    return render(request, "frontend/grid/sign_off.html", context, status=400 if errors else 200)
