"""The pages' own middleware."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from frontend.error_views import not_allowed


class NotAllowedPageMiddleware:
    """A page's 405 (a form's address opened in the browser) as the GOV.UK page, not Django's
    empty answer; the API's own 405s are left as they are."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.status_code == 405 and not request.path.startswith("/api/"):
            return not_allowed(request, response.get("Allow", ""))
        return response
