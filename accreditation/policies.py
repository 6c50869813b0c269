"""Who may do what on the register: providers' own steps, the administrator's decisions, and
who may read evidence. Pure Python, no Django.

The accreditation context decides these once, here, for the API and the pages alike: the
application (accreditation/application.py) calls them in its commands. Each policy takes the
``Actor`` (config/actor.py) and the provider in question, and refuses with a named error:

- ``NotPermittedError`` (403): the actor's role or organisation does not allow it;
- ``NoSuchEvidenceError`` (404): the actor may not read this document, told exactly what
  someone asking for a document that does not exist is told, so nothing leaks.

At which stage each step may be taken (applied, under assessment, accredited, suspended…) is
the accreditation's own rule: ``Accreditation.check_status`` and its other named checks in
accreditation/domain.py.
"""

from __future__ import annotations

from uuid import UUID

from accreditation.domain import AccreditationError
from config.actor import Actor
from config.errors import NotAllowed, NotVisible
from config.roles import Role


class NotPermittedError(AccreditationError, NotAllowed):
    """The actor's role or organisation does not allow this (403)."""


class NoSuchEvidenceError(AccreditationError, NotVisible):
    """The actor may not read this document: the same answer as for one that does not exist."""


def no_such_evidence() -> NoSuchEvidenceError:
    return NoSuchEvidenceError("no such document", field="evidence")


def is_register_admin(actor: Actor) -> bool:
    return actor.has(Role.REGISTER_ADMIN)


def is_staff_of(actor: Actor, provider: UUID) -> bool:
    """Staff of this provider organisation."""
    return actor.has(Role.PROVIDER_STAFF) and actor.organisation == provider


# -- a provider's own steps
def check_may_register(actor: Actor) -> None:
    """An organisation is registered by its own staff, once: a member of staff who already
    acts for a registered organisation registers no other."""
    if not actor.has(Role.PROVIDER_STAFF):
        raise NotPermittedError("an organisation is registered by its own staff")
    if actor.organisation is not None:
        raise NotPermittedError("you already act for a registered organisation")


def own_organisation(actor: Actor) -> UUID:
    """The organisation a member of provider staff acts for (their own area's): refused until
    it is registered."""
    if not actor.has(Role.PROVIDER_STAFF) or actor.organisation is None:
        raise NotPermittedError("register your organisation first")
    return actor.organisation


def check_acts_for(actor: Actor, provider: UUID, *, doing: str) -> None:
    """A provider's own steps (applying, adding evidence, changing its details) are taken by
    its own staff, for their own organisation only."""
    if own_organisation(actor) != provider:
        raise NotPermittedError(f"you can only {doing} for your own organisation")


def check_may_set_up_payments(actor: Actor, provider: UUID) -> None:
    """A provider's payment account is opened by its own staff, or by the register
    administrator as they accredit it."""
    if is_register_admin(actor):
        return
    check_acts_for(actor, provider, doing="set up payments")


# -- evidence
def check_may_read_evidence(actor: Actor, provider: UUID) -> None:
    """An evidence document is read by the register administrator, or by the staff of the
    organisation that uploaded it; anyone else is told there is no such document."""
    if not (is_register_admin(actor) or is_staff_of(actor, provider)):
        raise no_such_evidence()


# -- the register administrator's decisions
def check_may_run_register(actor: Actor, *, doing: str) -> None:
    """Assessing, accrediting, refusing, suspending, reinstating, withdrawing and renewing,
    and publishing the council's checklist, are the register administrator's."""
    if not is_register_admin(actor):
        raise NotPermittedError(f"only the register administrator may {doing}")
