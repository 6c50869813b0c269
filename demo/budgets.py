"""The demo council's budgets: one person at each stage, from assessed to at the panel.

Loaded in two steps, as the demo's users would take them: the workers register, assess and
allocate (load_budgets, before the ledger's first payments); then, once the marketplace has
Connect Doncaster engaged as Sam's support planner, the plans are written, signed, reviewed
and referred (load_plans), each command taking the demo user's ``Actor`` so the budgets
context's policies decide as they would for anyone.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from accreditation.domain import provider_id
from budgets.domain import DEMO_PENCE_PER_POINT, DEMO_POINTS
from budgets.plan import DEMO_POLICY, DIRECT_PAYMENT_PARTS, REQUIRED_PARTS
from budgets.services import allocate, budget_app
from config.actor import Actor
from config.errors import NotFound
from config.roles import Role

START = date(2026, 9, 1)  # when the demo's budgets began, as the demo ledger's entries do

SAM_NEEDS = {
    "hygiene": (
        "Cannot wash or shower alone since the stroke",
        "Wife helps in the evenings",
        "substantial",
        "high",
    ),
    "nutrition": (
        "Cannot cook a hot meal safely",
        "Neighbour brings lunch twice a week",
        "moderate",
        "medium",
    ),
    "relationships": ("Lost touch with friends from the club", "", "low", "low"),
    "clothing": ("Needs help with buttons and shoes", "Wife helps every morning", None, None),
}
TOM_NEEDS = {
    code: ("Needs two carers, day and night", "", "substantial", "high")
    for code in ("nutrition", "hygiene", "toilet", "clothing", "home_safety")
}
MARY_NEEDS = {
    "habitable_home": (
        "Cannot keep the house clean or warm",
        "Son visits at weekends",
        "moderate",
        "medium",
    ),
    "community": ("Cannot get to the shops or church", "", "moderate", "high"),
}

# council reference, name, date of birth, NHS number, needs, stage
PEOPLE: list[tuple[str, str, date, str, dict[str, Any], str]] = [
    ("DN-000123", "Sam Patel", date(1961, 5, 4), "9434765919", SAM_NEEDS, "signed off"),
    ("DN-000789", "Ade Okoro", date(1958, 2, 11), "4010232137", SAM_NEEDS, "assessed"),
    ("DN-000790", "Mary Wilson", date(1940, 9, 30), "4857773457", MARY_NEEDS, "allocated"),
    ("DN-000791", "Tom Green", date(1972, 12, 1), "4505577104", TOM_NEEDS, "panel"),
    ("DN-000792", "Asha Begum", date(1948, 7, 19), "4010232145", MARY_NEEDS, "written"),
    ("DN-000793", "Joe Clarke", date(1966, 3, 8), "9434765870", MARY_NEEDS, "worker signed"),
    # Assessed, needs not eligible: given a written decision (budgets/decision.py).
    ("DN-000794", "Pat Doyle", date(1955, 6, 21), "4010232153", MARY_NEEDS, "not eligible"),
]


# How each demo person wants to be told (notifications/): email, a text, a letter, and one
# with nothing recorded, whose notices the case page shows as not sent.
CONTACTS = {
    "DN-000123": {"preferred": "email", "email": "sam.patel@example.org"},
    "DN-000790": {"preferred": "letter", "address": "12 Thorne Road\nDoncaster\nDN1 2HJ"},
    "DN-000791": {"preferred": "sms", "phone": "07700 900 982"},
    "DN-000792": {"preferred": "email", "email": "asha.begum@example.org"},
    "DN-000793": {"preferred": "email", "email": "joe.clarke@example.org"},
    "DN-000794": {"preferred": "email", "email": "pat.doyle@example.org"},
}


def load_contacts() -> None:
    from notifications.application import notifications_app

    app = notifications_app()
    for ref, how in CONTACTS.items():
        app.state_contact(WORKER, person=ref, **how)  # the same again records nothing


def _outcomes(needs: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        code: {
            "need_without_support": need,
            "met_by_strengths": met,
            "unmet_severity": sev,
            "risk": risk,
        }
        for code, (need, met, sev, risk) in needs.items()
    }


# The demo's users (demo/council.py) as the contexts see them, as actor_from_user builds them.
CONNECT = provider_id("1012345")  # Connect Doncaster: the planner Sam engages (demo/register.py)
WORKER = Actor(id="socialworker", roles=frozenset({Role.SOCIAL_WORKER}), name="Alex Morgan")
MANAGER = Actor(id="teammanager", roles=frozenset({Role.TEAM_MANAGER}), name="Jo Fletcher")
PLANNER = Actor(
    id="provider", roles=frozenset({Role.PROVIDER_STAFF}), name="Priya Okafor", organisation=CONNECT
)


def load_budgets() -> None:
    app = budget_app()
    if not app.grid().versions:
        app.publish_grid(
            effective_from=date(2026, 4, 1),
            today=date(2026, 4, 1),
            points=DEMO_POINTS,
            pence_per_point=DEMO_PENCE_PER_POINT,
            actor=MANAGER,
            reason="The demo council's first grid (docs/ras.md)",
        )
    if not app.sign_off_rules().versions:
        app.publish_sign_off_rules(
            percent_over_indicative=DEMO_POLICY.percent_over_indicative,
            weekly_ceiling=DEMO_POLICY.weekly_ceiling,
            spot_check_per_thousand=DEMO_POLICY.spot_check_per_thousand,
            actor=MANAGER,
            reason="The demo council's delegated authority (docs/ras.md)",
            seed="doncaster-demo",  # fixed so the demo is the same each time; a council draws one
        )
    for ref, name, born, nhs, needs, stage in PEOPLE:
        try:
            app.get_person(ref)
            continue  # loaded before
        except NotFound:
            pass
        app.register_person(
            today=START,
            actor=WORKER,
            council_ref=ref,
            name=name,
            date_of_birth=born,
            nhs_number=nhs,
            has_capacity=True,
        )
        app.record_assessment(
            ref,
            today=START,
            actor=WORKER,
            own_words={"day_in_my_life": f"{name.split()[0]} told us about a typical day."},
            outcomes=_outcomes(needs),
            arises_from_impairment=True,
            significant_impact=stage != "not eligible",
        )
        if stage in ("assessed", "not eligible"):
            continue
        weekly = app.indicative(ref, today=START).weekly
        dp = 20000 if ref == "DN-000123" else 0
        allocate(
            ref,
            today=START,
            actor=WORKER,
            weekly=None,
            adjustment_reason="",
            contribution_weekly=4000 if dp else 0,
            split={"direct_payment": dp, "council_managed": weekly - dp},
            direct_payment_start=START + timedelta(days=7) if dp else None,
        )


def load_plans() -> None:
    """Each plan as far as its person's stage, written by the planner Sam engaged or the
    worker, signed by the worker and the team manager at the 6-week review, or referred."""
    app = budget_app()
    parts = {key: f"{label}: written with the person." for key, label in REQUIRED_PARTS.items()}
    for ref, _name, _born, _nhs, _needs, stage in PEOPLE:
        if stage in ("assessed", "not eligible", "allocated"):
            continue
        try:
            app.plan(ref)
            continue  # written before
        except NotFound:
            pass
        dp = app.get_budget(ref).split.direct_payment
        plan_parts = parts | (
            {
                key: "Personal care in the mornings, paid every 4 weeks in advance."
                for key in DIRECT_PAYMENT_PARTS
            }
            if dp
            else {}
        )
        app.write_plan(
            ref,
            parts=plan_parts,
            actor=PLANNER if dp else WORKER,
            as_author="planner" if dp else "worker",
            today=START,
        )
        if stage == "written":
            continue
        app.sign_plan(ref, actor=WORKER, as_role="social worker")
        if stage == "worker signed":
            continue  # waiting for the team manager
        if stage == "panel":
            app.refer_to_panel(ref, actor=MANAGER, note="Two carers day and night")
            continue
        # Signed off in conversation at the 6-week review, recorded first.
        app.record_review(
            ref,
            actor=WORKER,
            on=START + timedelta(weeks=6),
            outcomes={
                "Maintaining personal hygiene": {
                    "scale": 5,
                    "in_their_words": "I can shower every morning again",
                },
                "Managing and maintaining nutrition": {"scale": 4, "in_their_words": ""},
            },
            changes="None: the plan is working",
            today=max(date.today(), START + timedelta(weeks=6)),
        )
        app.sign_plan(ref, actor=MANAGER, as_role="team manager")
