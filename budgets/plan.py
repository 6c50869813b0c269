"""The care and support plan, and its sign-off by delegated authority. Pure Python.

The plan holds every part the Care Act requires. It is signed off at the 6-week review by
the social worker and the team manager, not by panel: within the council's parameters
that is all; outside them the team manager records why; an exceptional budget goes to the
panel; and a random sample (at the council's rate) goes to the panel as a quality check.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from functools import partial
from typing import Any
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, event

from budgets.budget import BudgetFigures
from budgets.domain import BudgetError
from budgets.people import text
from config.errors import gather
from ledger.money import format_pence

NAMESPACE = UUID("1b2c3d4e-5f60-4718-9a2b-3c4d5e6f7081")

# What the Care Act (s.25) requires in a care and support plan, in the plan's own words.
REQUIRED_PARTS = {
    "needs": "The needs identified",
    "eligibility": "How far the needs meet the eligibility criteria",
    "how_needs_are_met": "Which needs the council will meet, and how",
    "outcomes": "The outcomes the person wants",
    "information_and_advice": "Information and advice",
    "contingency": "What happens in a crisis (the contingency plan)",
}
DIRECT_PAYMENT_PARTS = {
    "direct_payment_needs": "The needs the direct payments meet",
    "direct_payment_frequency": "How often the direct payments are made",
}


def first_draft(assessment: dict[str, Any]) -> dict[str, str]:
    """A plan's first version, started from the assessment it follows (one version of
    ``Assessment.versions``): the needs as the assessment found them, with what the person's
    own strengths meet and what is left; why they are eligible; the outcomes in the person's
    own words. Whoever writes the plan checks and changes each part before saving it."""
    from budgets.domain import OUTCOMES

    needs = []
    for o in assessment["outcomes"]:
        if not o["need_without_support"]:
            continue
        line = f"{OUTCOMES.get(o['outcome'], o['outcome'])}: {o['need_without_support']}"
        if o["met_by_strengths"]:
            line += f". Met in part by: {o['met_by_strengths']}"
        if o["unmet_severity"]:
            line += f". Left unmet: {o['unmet_severity']}, {o['risk']} risk"
        needs.append(line + ".")
    words = assessment["own_words"]
    outcomes = [
        f"{title}: {words[key]}"
        for key, title in (
            ("important_to_me", "What is important to me"),
            ("important_for_me", "What is important for me"),
            ("good_days", "A good day"),
        )
        if words.get(key)
    ]
    return {
        "needs": "\n".join(needs),
        "eligibility": " ".join(assessment["reasons"]),
        "outcomes": "\n".join(outcomes),
    }


class Author(StrEnum):
    PERSON = "person"
    PLANNER = "planner"  # an accredited support planner engaged through the marketplace
    WORKER = "worker"


class Route(StrEnum):
    DELEGATED = "delegated"  # within the parameters: social worker and team manager
    MANAGER_REASON = "manager_reason"  # outside them: the team manager records why
    PANEL = "panel"  # exceptional: the panel decides


@dataclass(frozen=True)
class SignOffPolicy:
    """The council's delegated-authority parameters."""

    percent_over_indicative: int  # a final budget up to this much above the RAS figure
    weekly_ceiling: int  # pence; above it the budget is exceptional and goes to panel
    spot_check_per_thousand: int  # how many plans in a thousand the panel samples

    def route(self, *, weekly: int, indicative: int) -> Route:
        if weekly > self.weekly_ceiling:
            return Route.PANEL
        if weekly * 100 > indicative * (100 + self.percent_over_indicative):
            return Route.MANAGER_REASON
        return Route.DELEGATED

    def spot_checked(self, plan: UUID, *, seed: str) -> bool:
        """A fixed, reproducible sample: the same plan and seed always give the same answer."""
        digest = hashlib.sha256(f"{seed}:{plan}".encode()).digest()
        return int.from_bytes(digest[:4], "big") % 1000 < self.spot_check_per_thousand


def plan_id(council_ref: str) -> UUID:
    return uuid5(NAMESPACE, f"plan:{council_ref}")


class Plan(Aggregate):
    """A person's care and support plan: every version kept, then signed off once."""

    @event("Started")
    def __init__(self, council_ref: str) -> None:
        self.council_ref = council_ref
        self.versions: list[dict[str, Any]] = []
        self.route: Route | None = None
        self.signatures: dict[str, str] = {}  # role -> who signed
        self.signed_off = False
        self.panel: dict[str, Any] | None = None  # why it went to panel, and what was decided

    @staticmethod
    def create_id(council_ref: str) -> UUID:  # type: ignore[override]
        return plan_id(council_ref)

    @property
    def waiting_for_panel(self) -> str:
        """Why the plan is with the panel ("exceptional" or "spot check") while it waits for
        a decision; empty otherwise."""
        if self.panel is not None and self.panel.get("decision") is None:
            return str(self.panel["why"])
        return ""

    def write(
        self,
        *,
        parts: Mapping[str, object],
        author: object,
        written_by: str,
        figures: BudgetFigures,
        today: date,
    ) -> int:
        if self.signed_off:
            raise BudgetError("the plan is signed off: review it to change it", field="plan")
        if self.waiting_for_panel:
            raise BudgetError("the plan is with the panel: wait for its decision", field="plan")
        try:
            kind = Author(str(author))
        except ValueError:
            raise BudgetError("must be person, planner or worker", field="author") from None
        required = dict(REQUIRED_PARTS)
        if figures.direct_payment_weekly:
            required |= DIRECT_PAYMENT_PARTS
        written = gather(
            {
                key: partial(text, parts.get(key), f"parts.{key}", 4000, required=key in required)
                for key in {**REQUIRED_PARTS, **DIRECT_PAYMENT_PARTS}
            }
        )
        self._written(
            parts=written,
            author=kind.value,
            written_by=written_by,
            budget=figures.as_dict(),
            on=today,
        )
        return len(self.versions)

    @event("VersionWritten")
    def _written(
        self, parts: dict[str, str], author: str, written_by: str, budget: dict[str, int], on: date
    ) -> None:
        self.versions.append(
            {"parts": parts, "author": author, "written_by": written_by, "budget": budget, "on": on}
        )
        self.signatures = {}  # a signature is for the version signed: a new one is signed anew
        self.route = None

    @property
    def figures(self) -> BudgetFigures:
        """The budget the latest version carries, as the plan recorded it."""
        return BudgetFigures.from_dict(self.versions[-1]["budget"])

    def budget_breakdown(self) -> list[str]:
        """The personal budget statement the person gets a copy of (Care Act s.26)."""
        return self.figures.explanation()

    def sign(
        self,
        *,
        role: str,
        actor: str,
        policy: SignOffPolicy,
        weekly: int,
        indicative: int,
        reason: object = "",
        set_by: str = "",
        reviewed: bool = True,
    ) -> Route:
        """The social worker signs, then the team manager (a different person, and not the one
        who set the budget's figure) signs off."""
        if not self.versions:
            raise BudgetError("there is no plan to sign", field="plan")
        if self.signed_off:
            raise BudgetError("the plan is already signed off", field="plan")
        if self.versions[-1]["budget"]["total_weekly"] != weekly:
            raise BudgetError(
                "the budget has changed since this version was written: write the plan anew",
                field="plan",
            )
        route = policy.route(weekly=weekly, indicative=indicative)
        if role == "social worker":
            self._signed(role=role, actor=actor, route=route.value, reason="")
            return route
        if role != "team manager":
            raise BudgetError("only the social worker and the team manager sign", field="role")
        if "social worker" not in self.signatures:
            raise BudgetError("the social worker signs first", field="role")
        if self.signatures["social worker"] == actor:
            raise BudgetError(
                "the team manager must be someone other than the worker who signed", field="actor"
            )
        if set_by == actor:
            raise BudgetError(
                "the team manager must not sign off a budget they set themselves", field="actor"
            )
        if not reviewed:
            # Doncaster's model: signed off in conversation at the 6-week review, not before.
            raise BudgetError(
                "the plan is signed off at the 6-week review: record the review first",
                field="plan",
            )
        if route is Route.PANEL:
            raise BudgetError(
                f"this budget is above the {format_pence(policy.weekly_ceiling)} a week the "
                "council delegates: refer it to the panel",
                field="route",
            )
        why = text(reason, "reason", 2000, required=route is Route.MANAGER_REASON)
        self._signed(role=role, actor=actor, route=route.value, reason=why)
        return route

    @event("Signed")
    def _signed(self, role: str, actor: str, route: str, reason: str) -> None:
        self.signatures[role] = actor
        self.route = Route(route)
        if role == "team manager":
            self.signed_off = True

    def reopen_at_review(self, *, reviewed_on: date, actor: str) -> None:
        """A review found the plan must change: a new version, then sign-off again."""
        if not self.signed_off:
            raise BudgetError("the plan is not signed off: change it as it is", field="plan")
        if self.waiting_for_panel:
            raise BudgetError("the plan is with the panel: wait for its decision", field="plan")
        self._reopened(reviewed_on=reviewed_on, actor=actor)

    @event("ReopenedAtReview")
    def _reopened(self, reviewed_on: date, actor: str) -> None:
        self._clear_sign_off()

    def reopen_for_revision(self, *, revised_on: date, actor: str) -> None:
        """The budget changed: the plan that carries it is written anew and signed off again.
        A pending spot check stays with the panel; an exceptional case must be decided first."""
        if self.waiting_for_panel == "exceptional":
            raise BudgetError("the plan is with the panel: wait for its decision", field="plan")
        if self.signed_off:
            self._reopened_for_revision(revised_on=revised_on, actor=actor)

    @event("ReopenedForRevision")
    def _reopened_for_revision(self, revised_on: date, actor: str) -> None:
        self._clear_sign_off()

    def _clear_sign_off(self) -> None:
        self.signed_off = False
        self.signatures = {}
        self.route = None
        if not self.waiting_for_panel:
            self.panel = None  # a decided panel stays in the plan's history; a pending one waits

    def refer_to_panel(self, *, why: str, actor: str, note: object = "") -> None:
        """An exceptional case, or a plan drawn for the quality spot-check."""
        if why not in ("exceptional", "spot check"):
            raise BudgetError("must be exceptional or spot check", field="why")
        if why == "exceptional" and "social worker" not in self.signatures:
            raise BudgetError(
                "the social worker signs the plan before it goes to panel", field="why"
            )
        if self.waiting_for_panel:
            raise BudgetError("the plan is already with the panel", field="why")
        self._referred(why=why, actor=actor, note=text(note, "note", 2000, required=False))

    @event("ReferredToPanel")
    def _referred(self, why: str, actor: str, note: str) -> None:
        self.panel = {"why": why, "referred_by": actor, "decision": None}

    def panel_decides(self, *, decision: str, actor: str, reasons: object) -> None:
        """The panel's decision (exceptional) or findings (spot check), with reasons."""
        if not self.waiting_for_panel:
            raise BudgetError("the plan is not waiting for the panel", field="plan")
        allowed = (
            ("approved", "not approved")
            if self.waiting_for_panel == "exceptional"
            else ("good", "needs improvement")
        )
        if decision not in allowed:
            raise BudgetError("must be " + " or ".join(allowed), field="decision")
        if actor in self.signatures.values():
            raise BudgetError("a panel member must not have signed this plan", field="actor")
        self._panel_decided(decision=decision, actor=actor, reasons=text(reasons, "reasons", 2000))

    @event("PanelDecided")
    def _panel_decided(self, decision: str, actor: str, reasons: str) -> None:
        assert self.panel is not None
        self.panel = {**self.panel, "decision": decision, "decided_by": actor, "reasons": reasons}
        if self.panel["why"] == "exceptional" and decision == "approved":
            self.signed_off = True


DEMO_POLICY = SignOffPolicy(
    percent_over_indicative=10, weekly_ceiling=100_000, spot_check_per_thousand=50
)
