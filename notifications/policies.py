"""Who may say how a person is told, and read it. Pure Python, no Django.

A person (or whoever acts for them) states their own way to be told; the council's social
workers and team managers record it for them, from the assessment; the council's staff read
it, and so does a provider the person has asked for support, while that engagement is open.
Anyone else is told the person does not exist (``NotVisible``), so nothing leaks.
"""

from __future__ import annotations

from collections.abc import Callable
from uuid import UUID

from config.actor import Actor
from config.errors import NotVisible
from config.roles import Role

STAFF = (Role.SOCIAL_WORKER, Role.TEAM_MANAGER)


def check_may_state_contact(actor: Actor, person: str) -> None:
    if not (actor.acts_for(person) or actor.has(*STAFF)):
        raise NotVisible("no such person", field="person")


# Asked of the marketplace: has the person an open engagement (asked for, or under way) with
# this provider organisation? The person chose them: they may reach the person.
EngagedWith = Callable[[UUID, str], bool]


def check_may_read_contact(
    actor: Actor, person: str, *, engaged_with: EngagedWith | None = None
) -> None:
    readers = (*STAFF, Role.PANEL_MEMBER, Role.FINANCE_OFFICER, Role.AUDITOR)
    if actor.acts_for(person) or actor.has(*readers):
        return
    chosen = (
        actor.has(Role.PROVIDER_STAFF)
        and actor.organisation is not None
        and engaged_with is not None
        and engaged_with(actor.organisation, person)
    )
    if not chosen:
        raise NotVisible("no such person", field="person")
