"""Refuses, before any view or API route runs, a request whose body is over the size limit
and one whose address or form fields carry a NUL character.

No field of careledger may hold a NUL, and PostgreSQL refuses it in any text, so a NUL that
reached a query would be a server error rather than a clear refusal.

A body over the limit is refused as 413 with the limit named: config.urls.bad_request shapes
the reply (a problem body on the API, a GOV.UK page elsewhere), as it does for Django's own
RequestDataTooBig when a form or JSON body read later turns out too large.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse

from config.validation import ascii_digits


class BodyTooLarge(RequestDataTooBig):
    """A request body over its limit, refused from its Content-Length before it is read."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"the request body is over the limit of {limit} bytes")
        self.limit = limit


def body_limit(exc: Exception) -> int:
    """The limit a refused body was held to: Django's own is DATA_UPLOAD_MAX_MEMORY_SIZE."""
    limit = getattr(exc, "limit", None) or settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    return int(limit)


def in_megabytes(size: int) -> str:
    """2621440 -> "2.5 MB", 6291456 -> "6 MB" (binary megabytes, as file sizes are shown)."""
    return f"{size / 1024 / 1024:.1f}".removesuffix(".0") + " MB"


class LimitBodySizeMiddleware:
    """Refuses a body whose Content-Length is over its limit, before any of it is read.

    Django checks only form and JSON bodies itself (DATA_UPLOAD_MAX_MEMORY_SIZE), and only the
    form fields of a multipart upload, never its files, which it would spool to disk whatever
    their size; so a multipart body is held to UPLOAD_MAX_BODY_SIZE in all. Listed before any
    middleware that reads the body.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        multipart = request.content_type == "multipart/form-data"
        limit = settings.UPLOAD_MAX_BODY_SIZE if multipart else settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        length = str(request.META.get("CONTENT_LENGTH") or "")
        # More than 18 digits is beyond any limit, and more than int() should be asked to read.
        if limit is not None and ascii_digits(length) and (len(length) > 18 or int(length) > limit):
            raise BodyTooLarge(limit)
        return self.get_response(request)


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


class CorrelationMiddleware:
    """Each request is a cause: what it records carries ``request:<id>`` as its causation, and
    the caller's ``X-Correlation-ID`` (or that same id) as its correlation, which the response
    names back (config/correlation.py)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        from uuid import uuid4

        from config.correlation import caused_by, clean, current

        cause = f"request:{uuid4().hex}"
        with caused_by(cause, correlation=clean(request.headers.get("X-Correlation-ID", ""))):
            chain = current()[0]
            response = self.get_response(request)
        response["X-Correlation-ID"] = chain
        return response


TOUCHED = "_careledger_touched"


class SlidingSessionMiddleware:
    """A signed-in session ends after SESSION_COOKIE_AGE unused, each request renewing it, as
    Django's SESSION_SAVE_EVERY_REQUEST does, but saved at most once a minute (a tenth of the
    age, if shorter): a write on every page was one more transaction for every request under
    load. The page's timeout warning is told the time truly left (``session_seconds_left``)."""

    def __init__(self, get_response: Any) -> None:
        self.get_response = get_response

    def __call__(self, request: Any) -> Any:
        if getattr(request, "user", None) is not None and request.user.is_authenticated:
            age = settings.SESSION_COOKIE_AGE
            now = int(time.time())
            touched = int(request.session.get(TOUCHED, 0))
            if now - touched >= min(60, age // 10):
                request.session[TOUCHED] = touched = now  # saved: the expiry starts again
            request.session_seconds_left = max(0, age - (now - touched))
        return self.get_response(request)
