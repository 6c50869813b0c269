"""Who is calling: a signed-in session (pages) or a per-user bearer token (machine clients)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja.security import HttpBearer, SessionAuth

from api.models import ApiToken
from api.problems import Forbidden
from config.roles import Role, has_any_role


class TokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Any:
        user = ApiToken.user_for(token)
        if user is not None:
            request.user = user  # type: ignore[assignment]
        return user


def session_or_token() -> list[Any]:
    # The token goes first: session auth enforces CSRF and would refuse a bearer client.
    return [TokenAuth(), SessionAuth()]


class RoleGate:
    """An authentication that also checks the caller's role, before the body is read.

    django-ninja authenticates before it parses the body, so a caller without the role gets
    403 even when their body is malformed, and learns nothing from validation errors.
    """

    def __init__(self, inner: Any, allowed: tuple[Role, ...]) -> None:
        self.inner, self.allowed = inner, allowed

    def __call__(self, request: HttpRequest) -> Any:
        user = self.inner(request)
        if not user:
            return None  # not this way of signing in: the next is tried, then 401
        if not has_any_role(user, self.allowed):
            raise Forbidden("this needs the role of " + " or ".join(r.value for r in self.allowed))
        return user


def roles(*allowed: Role) -> list[Any]:
    """A route's ``auth``: signed in (token or session) with one of ``allowed``."""
    return [RoleGate(inner, allowed) for inner in session_or_token()]


def require(request: HttpRequest, roles: tuple[Role, ...]) -> str:
    """Refuse callers without one of ``roles``; return the caller's username as the actor."""
    user = caller(request)
    if not has_any_role(user, roles):
        raise Forbidden("this needs the role of " + " or ".join(r.value for r in roles))
    return str(user.username)


def caller(request: HttpRequest) -> Any:
    """The authenticated user of an API request (session or token)."""
    return request.auth  # type: ignore[attr-defined]
