"""Wires the accreditation application and its register projection."""

from __future__ import annotations

from django.conf import settings

from accreditation.application import AccreditationApplication
from accreditation.projections import RegisterProjection
from config.applications import application


def accreditation_app() -> AccreditationApplication:
    app = application(AccreditationApplication)
    if app.evidence_dir is None:
        app.evidence_dir = settings.VAR_DIR / "evidence"
    return app


def catch_up(until: int | None = None) -> int:
    return RegisterProjection(accreditation_app()).catch_up(until)
