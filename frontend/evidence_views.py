"""Evidence documents, served only through this checked view (never from a web root)."""

from __future__ import annotations

from uuid import UUID

from django.http import Http404, HttpRequest, HttpResponse

from accreditation.services import accreditation_app
from config.errors import NotFound
from config.roles import Role
from frontend.access import roles_required, signed_in
from identity.actors import actor_from_user


@roles_required(Role.REGISTER_ADMIN, Role.PROVIDER_STAFF)
def evidence_file(request: HttpRequest, evidence: UUID) -> HttpResponse:
    """Who may read it is the register's policy (the administrator any, provider staff their
    own organisation's); another's, a missing file or one changed since are all 404."""
    try:
        found = accreditation_app().read_evidence(actor_from_user(signed_in(request)), evidence)
    except NotFound as missing:
        raise Http404(missing.message) from None
    response = HttpResponse(found.content, content_type=found.content_type)
    safe_name = found.filename.replace('"', "_")
    response["Content-Disposition"] = f'attachment; filename="{safe_name}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response
