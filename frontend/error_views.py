"""The GOV.UK pages for a request refused before any view ran (config.urls.bad_request), and
for a page not found, a method not allowed and a server error (config/urls.py handlers)."""

from __future__ import annotations

from django.core.exceptions import DisallowedHost, RequestDataTooBig
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.http import url_has_allowed_host_and_scheme

from accreditation.application import MAX_EVIDENCE_BYTES
from config.middleware import body_limit, in_megabytes


def _back(request: HttpRequest) -> str:
    """The page the person came from, if it is one of ours; else the start page."""
    referer = request.META.get("HTTP_REFERER", "")
    try:
        host = request.get_host()
    except DisallowedHost:  # the very reason for the 400: offer no address on its host
        return "/"
    safe = url_has_allowed_host_and_scheme(
        referer, allowed_hosts={host}, require_https=request.is_secure()
    )
    return referer if referer and safe else "/"


def bad_request(request: HttpRequest, exception: Exception | None) -> HttpResponse:
    """413 naming the limit for a body over it; 400 for anything else Django could not read."""
    back = _back(request)
    if isinstance(exception, RequestDataTooBig):
        context = {
            "limit": in_megabytes(body_limit(exception)),
            "upload": request.content_type == "multipart/form-data",
            "document_limit": in_megabytes(MAX_EVIDENCE_BYTES),
            "back": back,
        }
        return render(request, "frontend/errors/too_large.html", context, status=413)
    return render(request, "frontend/errors/bad_request.html", {"back": back}, status=400)


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "frontend/errors/not_found.html", status=404)


def not_allowed(request: HttpRequest, allowed: str) -> HttpResponse:
    """A form's address opened in the browser (a GET where only POST is taken)."""
    response = render(
        request, "frontend/errors/not_allowed.html", {"back": _back(request)}, status=405
    )
    response["Allow"] = allowed
    return response


def server_error(request: HttpRequest) -> HttpResponse:
    """The GOV.UK problem page; a plain one if even the page cannot be drawn."""
    try:
        return render(request, "frontend/errors/server_error.html", status=500)
    except Exception:  # the fault may be in what the page itself needs
        return HttpResponse(
            "Sorry, there is a problem with the service. Try again later.",
            content_type="text/plain; charset=utf-8",
            status=500,
        )


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """A form whose CSRF check failed (CSRF_FAILURE_VIEW): the GOV.UK page, 403."""
    return render(request, "frontend/errors/csrf.html", {"back": _back(request)}, status=403)
