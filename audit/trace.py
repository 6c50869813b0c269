"""The auditor's trace of one budget: every event of every context about it, in time order,
each with its time, actor, reason and the rule or grid version applied; a payment's causal
chain back to the assessment; as-at balances; a reproducible sample of payments. Read only:
nothing here records an event (the staff read of the person's data is logged by the caller).

Each context's application is asked for its own aggregates' events, by the ids it derives from
the council reference (the budget, plan, reviews, assessment, person, direct-payment agreement)
or lists in its read model (engagements, invoices, payments, service lines, ledger entries).
"""

from __future__ import annotations

import random
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time
from typing import Any
from uuid import UUID

# Attributes an event may carry that say who, why and under which rule.
ACTOR_FIELDS = ("actor", "by", "approved_by", "decided_by", "set_by", "chooser")
REASON_FIELDS = ("reason", "adjustment_reason", "note", "outcome_reason")
RULE_FIELDS = ("grid_version", "tariff_version", "assessment_version", "rule")


@dataclass(frozen=True)
class Step:
    at: datetime
    context: str
    what: str  # "PersonalBudget.Allocated"
    subject: str  # what it is about: "budget DN-000123", "payment …", "entry …"
    actor: str
    reason: str
    role: str  # the actor's roles now ("system" for the scheduled jobs)
    rule: str
    link: str  # where to see it (an API or page path)
    correlation: str = ""  # the chain it is part of: its first request or job
    causation: str = ""  # what led to it: a request, a task, an upstream event


@dataclass
class Timeline:
    council_ref: str
    steps: list[Step] = field(default_factory=list)

    def kinds(self) -> list[str]:
        return sorted({s.what for s in self.steps})

    def only(
        self,
        *,
        kinds: Iterable[str] = (),
        since: date | None = None,
        until: date | None = None,
    ) -> Timeline:
        """The steps of these kinds, from ``since`` to ``until`` (each read once: filtered
        here, not asked of every context again)."""
        wanted = set(kinds)
        start = datetime.combine(since, time(), tzinfo=UTC) if since else None
        end = datetime.combine(until, time.max, tzinfo=UTC) if until else None
        return Timeline(
            self.council_ref,
            [
                s
                for s in self.steps
                if (not wanted or s.what in wanted or s.what.split(" ")[0] in wanted)
                and (start is None or s.at >= start)
                and (end is None or s.at <= end)
            ],
        )


def _attr(event: Any, names: Iterable[str]) -> str:
    for name in names:
        value = getattr(event, name, None)
        if value not in (None, "", [], ()):
            return str(value)
    return ""


def _steps(app: Any, originator: UUID, context: str, subject: str, link: str) -> list[Step]:
    from eventsourcing.application import AggregateNotFoundError

    try:
        events = list(app.repository.event_store.get(originator))
    except AggregateNotFoundError:
        return []
    found = []
    for e in events:
        rule = ", ".join(
            f"{name.replace('_', ' ')} {getattr(e, name)}"
            for name in RULE_FIELDS
            if getattr(e, name, None) not in (None, "")
        )
        found.append(
            Step(
                at=e.timestamp,
                context=context,
                what=type(e).__qualname__,
                subject=subject,
                actor=_attr(e, ACTOR_FIELDS),
                reason=_attr(e, REASON_FIELDS)[:300],
                role="",
                rule=rule,
                link=link,
                correlation=getattr(e, "correlation", ""),
                causation=getattr(e, "causation", ""),
            )
        )
    return found


def timeline(
    council_ref: str,
    *,
    kinds: Iterable[str] = (),
    since: date | None = None,
    until: date | None = None,
) -> Timeline:
    """Every event about the budget, oldest first, filtered by kind and by date."""
    from budgets.budget import budget_id
    from budgets.people import Assessment, person_id
    from budgets.plan import plan_id
    from budgets.review import Reviews
    from budgets.services import budget_app
    from ledger import models as ledger_models
    from ledger.services import catch_up as catch_up_ledger
    from marketplace.models import EngagementRecord
    from marketplace.services import catch_up as catch_up_market
    from marketplace.services import marketplace_app
    from payments import models as payment_models
    from payments.application import payments_app
    from payments.direct_payments import agreement_id
    from payments.services import catch_up as catch_up_payments

    catch_up_ledger()
    catch_up_market()
    catch_up_payments()
    ref = council_ref
    budgets, market, pays = budget_app(), marketplace_app(), payments_app()
    base = f"/api/v1/budgets/people/{ref}"
    steps: list[Step] = []
    for originator, subject in [
        (person_id(ref), f"person {ref}"),
        (Assessment.create_id(ref), f"assessment of {ref}"),
        (budget_id(ref), f"budget {ref}"),
        (plan_id(ref), f"plan of {ref}"),
        (Reviews.create_id(ref), f"reviews of {ref}"),
    ]:
        steps += _steps(budgets, originator, "budgets", subject, base)
    for engagement in EngagementRecord.objects.filter(person=ref).values_list("id", flat=True):
        steps += _steps(
            market,
            engagement,
            "marketplace",
            f"engagement {engagement}",
            f"/api/v1/marketplace/engagements/{engagement}",
        )
    steps += _steps(
        pays,
        agreement_id(ref),
        "payments",
        f"direct payment of {ref}",
        f"/api/v1/payments/budgets/{ref}/direct-payment",
    )
    for row in payment_models.PaymentRecord.objects.filter(budget=ref):
        steps += _steps(
            pays, row.id, "payments", f"payment {row.key}", f"/audit/payments/{row.key}/"
        )
    for invoice in payment_models.InvoiceRecord.objects.filter(person=ref):
        steps += _steps(
            pays,
            invoice.id,
            "payments",
            f"invoice {invoice.number}",
            f"/api/v1/payments/invoices?person={ref}",
        )
    # Direct-payment monitoring: each return and each surplus, waived or recovered.
    from payments.services import dp_returns, monitoring

    for found in monitoring().of_budget(ref):
        steps += _steps(
            pays,
            found.id,
            "payments",
            f"surplus of {found.on:%-d %B %Y}",
            f"/api/v1/payments/budgets/{ref}/surpluses",
        )
    for kept in dp_returns().of_budget(ref):
        steps += _steps(
            pays,
            kept.id,
            "payments",
            f"direct-payment return to {kept.as_at:%-d %B %Y}",
            f"/api/v1/payments/budgets/{ref}/dp-returns",
        )
    for entry in ledger_models.Entry.objects.filter(budget=ref).order_by("position"):
        steps.append(
            Step(
                at=entry.recorded_at,
                context="ledger",
                what=f"JournalEntry.Posted ({entry.kind})",
                subject=f"entry {entry.id}",
                actor=entry.actor,
                reason=entry.reason[:300],
                role="",
                rule="",
                link=f"/api/v1/ledger/entries/{entry.id}",
            )
        )
    roles = roles_by_actor({s.actor for s in steps})
    with_roles = [replace(s, role=roles.get(s.actor, "")) for s in steps]
    everything = Timeline(ref, sorted(with_roles, key=lambda s: (s.at, s.context, s.what)))
    return everything.only(kinds=kinds, since=since, until=until)


def roles_by_actor(actors: set[str]) -> dict[str, str]:
    """Each actor's roles, from their account (the system's own jobs: "system")."""
    from django.contrib.auth.models import User

    from config.actor import Actor

    found = {Actor.system().id: "system"}
    for user in User.objects.filter(username__in=actors).prefetch_related("groups"):
        found[user.username] = ", ".join(sorted(g.name for g in user.groups.all()))
    return found


@dataclass(frozen=True)
class Link:
    what: str
    detail: str
    at: datetime | None
    actor: str


def chain(payment_key: str) -> list[Link]:
    """A payment back through its ledger entry, its invoice or its direct-payment agreement,
    the plan's sign-off and the budget's allocation, to the assessment: newest first."""
    from budgets.services import budget_app
    from config.errors import NotFound
    from ledger import models as ledger_models
    from ledger.services import catch_up
    from payments.application import payments_app

    catch_up()
    pays, budgets = payments_app(), budget_app()
    payment = pays.get_payment(payment_key)
    sent = f" as {payment.rail_ref}" if payment.rail_ref else ""
    links = [
        Link(
            "payment",
            f"{payment.key}: {payment.label}, {payment.status.value}, by {payment.rail}{sent}",
            payment.modified_on,
            "",
        )
    ]
    entry = ledger_models.Entry.objects.filter(id=payment.entry).first() if payment.entry else None
    if entry is not None:
        links.append(
            Link("ledger entry", f"{entry.id}: {entry.reason}", entry.recorded_at, entry.actor)
        )
    ref = payment.budget
    if payment.kind == "invoice":
        invoice = pays.get_invoice(UUID(payment.key.rsplit(":", 1)[1]))
        links.append(
            Link(
                "invoice",
                f"{invoice.number}: {invoice.kind.label},"
                f" approved by {', '.join(invoice.approvals)}",
                invoice.created_on,
                invoice.submitted_by,
            )
        )
    elif payment.kind in ("period", "one_off"):
        agreement = pays.agreement(ref)
        links.append(
            Link(
                "direct-payment agreement",
                f"every {agreement.period_weeks} weeks from {agreement.start:%-d %B %Y}",
                agreement.created_on,
                agreement.agreed_by,
            )
        )
    try:
        plan: Any = budgets.plan(ref)
    except NotFound:
        plan = None
    if plan is not None and plan.signed_off:
        who = " and ".join(plan.signatures.values())
        links.append(Link("plan signed off", who, plan.modified_on, who))
    try:
        budget: Any = budgets.get_budget(ref)
        assessment: Any = budgets.assessment(ref)
    except NotFound:
        return links  # a provider's payment for managed spend names a budget; else none
    links.append(
        Link(
            "budget allocated",
            f"£{budget.weekly / 100:,.2f} a week, RAS grid version {budget.grid_version},"
            f" from assessment version {budget.assessment_version}",
            budget.created_on,
            budget.set_by,
        )
    )
    links.append(
        Link("assessment", f"{len(assessment.versions)} version(s)", assessment.created_on, "")
    )
    return links


def as_at(council_ref: str, on: date) -> dict[str, int]:
    """The budget's accounts as they stood at the end of ``on`` (pence; a liability's balance
    as the money it holds)."""
    from ledger import queries

    at = datetime.combine(on, time.max, tzinfo=UTC)
    found = {}
    for code in (f"PB:{council_ref}:AVAILABLE", f"PB:{council_ref}:COMMITTED"):
        try:
            found[code] = -queries.balance(queries.account_by_code(code), as_at=at)
        except Exception:
            found[code] = 0
    return found


@dataclass(frozen=True)
class Sample:
    seed: str
    population: int
    keys: list[str]


def sample(size: int, seed: str = "") -> Sample:
    """A reproducible random sample of payments made: the same seed gives the same sample."""
    from payments.models import PaymentRecord
    from payments.services import catch_up

    catch_up()
    chosen_seed = seed or secrets.token_hex(8)
    keys = sorted(PaymentRecord.objects.filter(status="paid").values_list("key", flat=True))
    picked = random.Random(chosen_seed).sample(keys, min(max(size, 0), len(keys)))
    return Sample(chosen_seed, len(keys), sorted(picked))
