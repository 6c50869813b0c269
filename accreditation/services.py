"""Wires the accreditation application and its register projection."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.conf import settings

from accreditation.application import AccreditationApplication, Done
from accreditation.projections import RegisterProjection
from config.actor import Actor
from config.applications import application


def _provider_of_evidence(evidence: str) -> UUID | None:
    from accreditation.models import Evidence

    catch_up()  # a document uploaded a moment ago counts
    try:
        found = Evidence.objects.filter(id=UUID(evidence)).values_list("provider_id", flat=True)
    except ValueError:
        return None
    return found.first()


def accreditation_app() -> AccreditationApplication:
    app = application(AccreditationApplication)
    if app.evidence_dir is None:
        app.evidence_dir = settings.VAR_DIR / "evidence"
    app.provider_of_evidence = _provider_of_evidence
    return app


def catch_up(until: int | None = None) -> int:
    return RegisterProjection(accreditation_app()).catch_up(until)


def register_organisation(user: Any, *, actor: Actor, **details: Any) -> Done:
    """A member of staff registers their organisation (the policy: only one, and only their
    own), and from then on acts for it (their ``Membership``, which their actor's
    ``organisation`` is read from)."""
    from accreditation.models import Membership

    result = accreditation_app().register_provider(actor=actor, **details)
    Membership.objects.create(user=user, provider_id=result.id)
    vars(user).pop("_careledger_actor", None)  # the next actor built has the organisation
    return result
