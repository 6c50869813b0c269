"""Who may say how a person is told, and read it. Pure Python, no Django.

A person (or whoever acts for them) states their own way to be told; the council's social
workers and team managers record it for them, from the assessment. Anyone else is told the
person does not exist (``NotVisible``), so nothing leaks.
"""

from __future__ import annotations

from config.actor import Actor
from config.errors import NotVisible
from config.roles import Role

STAFF = (Role.SOCIAL_WORKER, Role.TEAM_MANAGER)


def check_may_state_contact(actor: Actor, person: str) -> None:
    if not (actor.acts_for(person) or actor.has(*STAFF)):
        raise NotVisible("no such person", field="person")


def check_may_read_contact(actor: Actor, person: str) -> None:
    readers = (*STAFF, Role.PANEL_MEMBER, Role.FINANCE_OFFICER, Role.AUDITOR)
    if not (actor.acts_for(person) or actor.has(*readers)):
        raise NotVisible("no such person", field="person")
