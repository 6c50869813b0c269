"""Who may do what with payments. Pure Python, no Django.

The payments context decides these once, here, for its API, its pages and its scheduled
tasks alike; each refuses with ``NotPermittedError`` (403) in words both show.
"""

from __future__ import annotations

from config.actor import Actor
from config.errors import NotAllowed
from config.roles import Role

# Who agrees, suspends, resumes, stops and changes a person's direct payments.
CASE_WORKERS = frozenset({Role.SOCIAL_WORKER, Role.TEAM_MANAGER})
# Who starts and works payment runs (and the scheduled job, as the system).
FINANCE = frozenset({Role.FINANCE_OFFICER})
# Who reads every payment and run.
READERS = frozenset({Role.FINANCE_OFFICER, Role.AUDITOR, Role.SOCIAL_WORKER, Role.TEAM_MANAGER})


class NotPermittedError(NotAllowed):
    """The actor may not do this with payments (403)."""


def check_may_manage_direct_payments(actor: Actor) -> None:
    if not actor.has(*CASE_WORKERS):
        raise NotPermittedError(
            "direct payments are agreed and changed by the person's social worker or team manager"
        )


def check_may_run_payments(actor: Actor) -> None:
    """Finance officers, and the scheduled run (``Actor.system()``), run payments."""
    if actor != Actor.system() and not actor.has(*FINANCE):
        raise NotPermittedError("payment runs are started by finance officers")


def check_is_scheduled_job(actor: Actor) -> None:
    if actor != Actor.system():
        raise NotPermittedError("this is done by the scheduled job")


def check_may_read_payments(actor: Actor) -> None:
    if actor != Actor.system() and not actor.has(*READERS):
        raise NotPermittedError("payments are read by finance, auditors and case workers")


def check_may_keep_provider_banks(actor: Actor) -> None:
    """Finance officers record and confirm where providers are paid (never a provider: a
    change of bank details is the fraud it guards against)."""
    if not actor.has(*FINANCE):
        raise NotPermittedError("providers' bank details are kept by finance officers")


def check_may_see_provider_banks(actor: Actor) -> None:
    if not actor.has(Role.FINANCE_OFFICER, Role.AUDITOR):
        raise NotPermittedError("providers' bank details are seen by finance and auditors")


def check_may_approve_variances(actor: Actor) -> None:
    """A fee other than the tariff is the council's decision: a team manager's or finance's."""
    if not actor.has(Role.TEAM_MANAGER, Role.FINANCE_OFFICER):
        raise NotPermittedError("fee variances are approved by team managers or finance officers")


def check_may_reconcile(actor: Actor) -> None:
    """Finance reconciles the bank: imports, matches, corrections, closing a period."""
    if not actor.has(*FINANCE):
        raise NotPermittedError("the bank is reconciled by finance officers")


def check_may_fund_stripe(actor: Actor) -> None:
    """Money moved between the council's bank and its Stripe balance is finance's to move."""
    if not actor.has(Role.FINANCE_OFFICER):
        raise NotPermittedError("the Stripe balance is topped up by finance officers")


def check_may_decide_surplus(actor: Actor) -> None:
    """Finance, or a team manager, works out a direct payment's surplus and decides it."""
    if not actor.has(Role.FINANCE_OFFICER, Role.TEAM_MANAGER):
        raise NotPermittedError("surpluses are decided by finance officers or team managers")


def check_may_confirm_return(actor: Actor, budget: str) -> None:
    """The person, or whoever acts for them, confirms their direct-payment return; their
    case worker may record it for them."""
    if actor.has(*CASE_WORKERS):
        return
    if actor.has(Role.PERSON) and actor.acts_for(budget):
        return
    raise NotPermittedError("a return is confirmed by the person, or whoever acts for them")


def check_may_invoice(actor: Actor) -> None:
    """A provider's staff invoice for their own organisation's engagements."""
    if not actor.has(Role.PROVIDER_STAFF) or actor.organisation is None:
        raise NotPermittedError("invoices are submitted by a provider's staff, for their provider")


def check_may_decide_invoices(actor: Actor) -> None:
    if not actor.has(*FINANCE):
        raise NotPermittedError("invoices are approved or rejected by finance officers")


def check_may_see_invoices(actor: Actor) -> None:
    """A provider's staff see their provider's invoices; finance and auditors see all."""
    if actor.has(*READERS) or (actor.has(Role.PROVIDER_STAFF) and actor.organisation):
        return
    raise NotPermittedError("invoices are seen by their provider's staff and by finance")


def check_may_record_service_lines(actor: Actor, *, provider: object) -> None:
    """The council's case workers record what they commission; an Individual Service Fund
    provider's staff record its own lines only."""
    if actor.has(*CASE_WORKERS):
        return
    if (
        actor.has(Role.PROVIDER_STAFF)
        and actor.organisation is not None
        and actor.organisation == provider
    ):
        return
    raise NotPermittedError(
        "service lines are recorded by the council's case workers, or by the provider for its own"
    )


def check_run_day(actor: Actor, run_on: object, *, today: object) -> None:
    """A person starts a run for today or a day gone by (it pays what is due by then); only
    the scheduled job (and the tests and benchmarks, as the system) runs a day ahead."""
    if actor != Actor.system() and run_on > today:  # type: ignore[operator]
        raise NotPermittedError(
            "a payment run pays what is due by its day: start it on that day, not before"
        )
