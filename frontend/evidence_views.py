"""Evidence documents, served only through this checked view (never from a web root)."""

from __future__ import annotations

import hashlib
from uuid import UUID

from django.http import Http404, HttpRequest, HttpResponse

from accreditation.models import Evidence, Membership
from accreditation.services import accreditation_app, catch_up
from config.roles import Role, roles_of
from frontend.access import roles_required, signed_in


@roles_required(Role.REGISTER_ADMIN, Role.PROVIDER_STAFF)
def evidence_file(request: HttpRequest, evidence: UUID) -> HttpResponse:
    """The register administrator sees any; provider staff only their own organisation's."""
    catch_up()
    found = Evidence.objects.filter(id=evidence).first()
    if found is None:
        raise Http404("no such document")
    if (
        Role.REGISTER_ADMIN.value not in roles_of(request.user)
        and not Membership.objects.filter(
            user=signed_in(request), provider_id=found.provider_id
        ).exists()
    ):
        raise Http404("no such document")  # another organisation's looks the same as none
    folder = accreditation_app().evidence_dir
    assert folder is not None  # accreditation_app() always sets it
    path = folder / found.sha256
    try:
        content = path.read_bytes()
    except FileNotFoundError:
        raise Http404("the stored file is missing") from None
    if hashlib.sha256(content).hexdigest() != found.sha256:
        raise Http404("the stored file no longer matches what was uploaded")
    response = HttpResponse(content, content_type=found.content_type)
    safe_name = found.filename.replace('"', "_")
    response["Content-Disposition"] = f'attachment; filename="{safe_name}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response
