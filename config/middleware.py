"""Refuses a request whose address or form fields carry a NUL character.

No field of careledger may hold one, and PostgreSQL refuses it in any text, so a NUL that
reached a query would be a server error rather than a clear refusal. Checked once, here,
before any view or API route runs.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse


def _has_nul(request: HttpRequest) -> str | None:
    if "\x00" in request.path:
        return "path"
    # Form fields only for pages: reading request.POST would use up an API route's body,
    # which django-ninja reads itself (and its fields are checked by the domain).
    posted = request.method == "POST" and not request.path.startswith("/api/")
    fields = [request.GET] + ([request.POST] if posted else [])
    for where in fields:
        for name, values in where.lists():
            if "\x00" in name or any("\x00" in v for v in values):
                return name
    return None


class RejectNulMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        field = _has_nul(request)
        if field is None:
            return self.get_response(request)
        message = "must not contain control characters"
        if request.path.startswith("/api/"):
            from api.problems import problem  # the API's one shape of error

            return problem(
                request, 400, f"{field}: {message}", [{"field": field, "message": message}]
            )
        return HttpResponse(
            f"{field}: {message}", status=400, content_type="text/plain; charset=utf-8"
        )
