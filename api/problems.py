"""Problem details (RFC 9457): every API error says what went wrong, and at which field."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from config.errors import DomainError

TITLES = {
    400: "Bad request",
    401: "Sign-in needed",
    403: "Not allowed",
    404: "Not found",
    409: "Conflict",
    422: "Invalid input",
}


class Forbidden(HttpError):
    def __init__(self, message: str = "your role may not use this") -> None:
        super().__init__(403, message)


def problem(
    request: HttpRequest, status: int, detail: str, errors: list[dict[str, str]] | None = None
) -> HttpResponse:
    import json

    body: dict[str, Any] = {
        "type": "about:blank",
        "title": TITLES.get(status, "Error"),
        "status": status,
        "detail": detail,
        "instance": request.path,
    }
    if errors:
        body["errors"] = errors
    return HttpResponse(json.dumps(body), status=status, content_type="application/problem+json")


def field_path(loc: tuple[Any, ...] | list[Any]) -> str:
    """("body", "payload", "legs", 0, "amount") -> "legs[0].amount"."""
    parts = [p for p in loc if p not in ("body", "payload", "query", "path", "header")]
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "body"


def install(api: NinjaAPI) -> None:
    @api.exception_handler(DomainError)
    def domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
        errors = [{"field": e.field, "message": e.message} for e in exc.all() if e.field]
        detail = "; ".join(f"{e.field}: {e.message}" if e.field else e.message for e in exc.all())
        return problem(request, exc.status, detail, errors or None)

    @api.exception_handler(ValidationError)
    def validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
        errors = [
            {"field": field_path(e.get("loc", ())), "message": e.get("msg", "is invalid")}
            for e in exc.errors
        ]
        detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors)
        return problem(request, 422, detail, errors)

    @api.exception_handler(AuthenticationError)
    def unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        return problem(
            request, 401, "sign in, or send a valid API token as 'Authorization: Bearer …'"
        )

    @api.exception_handler(HttpError)
    def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        return problem(request, exc.status_code, str(exc))
