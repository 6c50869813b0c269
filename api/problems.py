"""Problem details (RFC 9457): every API error says what went wrong, and at which field."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse
from eventsourcing.persistence import IntegrityError
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from config.errors import DomainError
from config.middleware import body_limit, in_megabytes

TITLES = {
    400: "Bad request",
    401: "Sign-in needed",
    403: "Not allowed",
    404: "Not found",
    409: "Conflict",
    413: "Content too large",
    422: "Invalid input",
}


class Forbidden(HttpError):
    def __init__(self, message: str = "your role may not use this") -> None:
        super().__init__(403, message)


def problem(
    request: HttpRequest,
    status: int,
    detail: str,
    errors: list[dict[str, str]] | None = None,
    **extensions: Any,
) -> HttpResponse:
    import json

    body: dict[str, Any] = {
        "type": "about:blank",
        "title": TITLES.get(status, "Error"),
        "status": status,
        "detail": detail,
        "instance": request.path,
        **extensions,
    }
    if errors:
        body["errors"] = errors
    return HttpResponse(json.dumps(body), status=status, content_type="application/problem+json")


def too_large(request: HttpRequest, limit: int) -> HttpResponse:
    """413, naming the limit in words and in bytes (``max_bytes``, an RFC 9457 extension)."""
    words = f"{in_megabytes(limit)} ({limit:,} bytes)"
    return problem(
        request,
        413,
        f"the request body is larger than the limit of {words}",
        [{"field": "body", "message": f"must be at most {words}"}],
        max_bytes=limit,
    )


def bad_request(request: HttpRequest, exception: Exception | None) -> HttpResponse:
    """What Django refuses before a route runs (config.urls.bad_request), as a problem."""
    if isinstance(exception, RequestDataTooBig):
        return too_large(request, body_limit(exception))
    return problem(request, 400, "the request could not be read")


def field_path(loc: tuple[Any, ...] | list[Any]) -> str:
    """("body", "payload", "legs", 0, "amount") -> "legs[0].amount"."""
    parts = [p for p in loc if p not in ("body", "payload", "query", "path", "header")]
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "body"


def body_keys(request: HttpRequest) -> set[str]:
    """The top-level names of a JSON request body (none for any other body)."""
    import json

    if "json" not in (request.content_type or ""):
        return set()
    try:
        body = json.loads(request.body or b"{}")
    except ValueError:
        return set()
    return set(body) if isinstance(body, dict) else set()


def as_sent(field: str, sent: set[str]) -> str:
    """A domain's field by the name the client sent it under: the API carries money as
    ``<name>_pence`` ("amount" -> "amount_pence"), the domain names the amount itself."""
    head = field.split(".")[0].split("[")[0]
    if head and head not in sent and f"{head}_pence" in sent:
        return f"{head}_pence{field[len(head) :]}"
    return field


def install(api: NinjaAPI) -> None:
    @api.exception_handler(DomainError)
    def domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
        sent = body_keys(request)
        named = [(as_sent(e.field or "", sent), e.message) for e in exc.all()]
        errors = [{"field": field, "message": message} for field, message in named if field]
        detail = "; ".join(f"{f}: {m}" if f else m for f, m in named)
        return problem(request, exc.status, detail, errors or None)

    @api.exception_handler(ValidationError)
    def validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
        errors = [
            {"field": field_path(e.get("loc", ())), "message": e.get("msg", "is invalid")}
            for e in exc.errors
        ]
        detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors)
        return problem(request, 422, detail, errors)

    @api.exception_handler(RequestDataTooBig)
    def body_too_large(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
        return too_large(request, body_limit(exc))

    @api.exception_handler(AuthenticationError)
    def unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        return problem(
            request, 401, "sign in, or send a valid API token as 'Authorization: Bearer …'"
        )

    @api.exception_handler(HttpError)
    def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        return problem(request, exc.status_code, str(exc))

    @api.exception_handler(IntegrityError)
    def changed_meanwhile(request: HttpRequest, exc: IntegrityError) -> HttpResponse:
        # Two people saving the same thing at once: the event store kept the first; nothing
        # of the second was recorded, and it may be sent again.
        return problem(
            request, 409, "someone else changed this a moment ago: look again, then try again"
        )
