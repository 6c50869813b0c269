"""Who may do what with engagements, feedback and the tariff. Pure Python, no Django.

The marketplace decides these once, here, for the API and the pages alike: the application
(marketplace/application.py) calls them in its commands, and marketplace/queries.py in its
reads. Each policy takes the ``Actor`` (config/actor.py) and the facts of the engagement in
hand (whose it is: the person's council reference and the provider's id), and refuses with a
named error:

- ``NotPermittedError`` (403): the actor's role, organisation or relationship to the person
  does not allow it;
- ``NoSuchEngagementError`` (404): the actor may not see the engagement at all, told exactly
  what someone asking about an engagement that does not exist is told, so nothing leaks.

The stage an engagement must be at for each step (requested, active, ended) is the
engagement's own rule: ``Engagement.check_status`` in marketplace/domain.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from uuid import UUID

from config.actor import Actor
from config.errors import NotAllowed, NotVisible
from config.roles import Role
from marketplace.domain import Chooser, MarketplaceError

# The council's staff who choose for a person, with the person's consent recorded.
WORKERS = frozenset({Role.SOCIAL_WORKER, Role.TEAM_MANAGER})
# Staff who may see every engagement (each read of a person's logged for auditors).
READERS = WORKERS | {Role.REGISTER_ADMIN, Role.AUDITOR}


class NotPermittedError(MarketplaceError, NotAllowed):
    """The actor's role, organisation or relationship to the person does not allow this (403)."""


class NoSuchEngagementError(MarketplaceError, NotVisible):
    """The actor may not see this engagement: the same answer as for one that does not exist."""


def no_such_engagement(engagement: object) -> NoSuchEngagementError:
    return NoSuchEngagementError(f"no engagement {engagement}", field="engagement")


def is_worker(actor: Actor) -> bool:
    return actor.has(*WORKERS)


def is_staff_of(actor: Actor, provider: UUID) -> bool:
    """Staff of this provider organisation."""
    return actor.has(Role.PROVIDER_STAFF) and actor.organisation == provider


# -- seeing engagements
class Sight(StrEnum):
    """Why the actor may see an engagement."""

    STAFF = "staff"  # the council's staff and auditors (their reads are logged)
    PERSON = "person"  # the person, or their nominee or advocate
    PROVIDER = "provider"  # staff of the provider engaged


def may_see(actor: Actor, *, person: str, provider: UUID, engagement: object = "") -> Sight:
    """The council's staff (READERS) see every engagement; the person (or whoever acts for
    them) their own; a provider's staff their provider's. Anyone else is told there is no
    such engagement."""
    if actor.has(*READERS):
        return Sight.STAFF
    if actor.acts_for(person):
        return Sight.PERSON
    if is_staff_of(actor, provider):
        return Sight.PROVIDER
    raise no_such_engagement(engagement)


@dataclass(frozen=True)
class Scope:
    """Which engagements a list shows: every one (``everyone``), one provider's, or those of
    some people (none at all when both are empty)."""

    everyone: bool = False
    provider: UUID | None = None
    people: tuple[str, ...] = ()


def engagements_scope(actor: Actor, *, person: str = "") -> Scope:
    """A provider's staff list their provider's engagements (none before it is registered);
    the council's staff every one, or one person's when they name them; a person those of the
    people they act for. Anyone else may not list engagements."""
    if actor.has(Role.PROVIDER_STAFF):
        return Scope(provider=actor.organisation)
    if actor.has(*READERS):
        return Scope(people=(person,)) if person else Scope(everyone=True)
    if actor.has(Role.PERSON):
        return Scope(people=tuple(ref for ref, _ in actor.on_behalf_of))
    raise NotPermittedError("this needs the role of person, provider staff or a worker")


# -- choosing a provider
def whom_for(actor: Actor, person: object = "") -> str:
    """Whom the choice is for: the person named; not named, the one person the actor acts
    for. A worker, or a nominee for several people, must name them."""
    named = str(person or "")
    if named:
        return named
    if is_worker(actor):
        raise MarketplaceError("name the person you are choosing for", field="person")
    people = [ref for ref, _ in actor.on_behalf_of]
    if len(people) == 1:
        return people[0]
    if people:
        raise MarketplaceError("choose who this support is for", field="person")
    raise NotPermittedError(
        "your account is not linked to a person yet: ask your social worker to link it"
    )


def chooser(actor: Actor, person: str, *, consent: object = "") -> Chooser:
    """Who may choose a provider for the person, and as whom it is recorded: a worker (with
    the person's consent, which the engagement checks), or the person themselves or their
    nominee or advocate, as the council recorded the link (never as the client says)."""
    if is_worker(actor):
        return Chooser(actor.id, "worker", str(consent or ""))
    relationship = actor.relationship_to(person)
    if not relationship:
        raise NotPermittedError(
            "you can only choose for yourself or someone you are nominee or advocate for"
        )
    return Chooser(actor.id, relationship, str(consent or ""))


# -- the provider's decisions
def provider_deciding(actor: Actor, *, provider: UUID, engagement: object = "") -> UUID:
    """Only the staff of the provider asked accept or decline a request, for their provider
    (returned, for the engagement's own check); another provider's staff are told there is no
    such engagement."""
    if not actor.has(Role.PROVIDER_STAFF):
        raise NotPermittedError("only the provider's staff accept or decline a request")
    if actor.organisation is None:
        raise NotPermittedError("register your organisation first")
    if actor.organisation != provider:
        raise no_such_engagement(engagement)
    return actor.organisation


# -- ending
def ended_by(actor: Actor, *, person: str, provider: UUID) -> str:
    """Who ends it, as the engagement records: its provider's staff ("provider"), a worker
    ("council"), or the person or someone acting for them ("person"), in that order."""
    if is_staff_of(actor, provider):
        return "provider"
    if is_worker(actor):
        return "council"
    if actor.acts_for(person):
        return "person"
    raise NotPermittedError("only the person, their provider or their worker can end an engagement")


# -- feedback
def check_may_give_feedback(actor: Actor, *, person: str) -> None:
    """Feedback is the person's own, given by them or their nominee or advocate."""
    if not actor.acts_for(person):
        raise NotPermittedError("only the person (or their nominee or advocate) gives feedback")


def check_may_moderate(actor: Actor) -> None:
    """Feedback is published or rejected by the register administrator."""
    if not actor.has(Role.REGISTER_ADMIN):
        raise NotPermittedError("feedback is moderated by the register administrator")


# -- the council's tariff
def check_may_publish_tariff(actor: Actor) -> None:
    """The council's tariff is published by the register administrator."""
    if not actor.has(Role.REGISTER_ADMIN):
        raise NotPermittedError("the tariff is published by the register administrator")


def check_may_dismiss_notice(actor: Actor, *, recipient: str) -> None:
    """A notice is dismissed by whom it was for: the person (or who acts for them), or the
    provider's staff. Anyone else is told there is no such notice."""
    own = actor.acts_for(recipient) or (
        actor.organisation is not None and str(actor.organisation) == recipient
    )
    if not own:
        raise NotVisible("no such notice", field="notice")
