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


def _with_role(user: Any, allowed: tuple[Role, ...]) -> Any:
    if user and not has_any_role(user, allowed):
        raise Forbidden("this needs the role of " + " or ".join(r.value for r in allowed))
    return user


class RoleTokenAuth(TokenAuth):
    """A bearer token whose user must hold one of the roles: checked before the body is read
    (django-ninja authenticates first), so a caller without the role gets 403 even when
    their body is malformed, and learns nothing from validation errors."""

    def __init__(self, allowed: tuple[Role, ...]) -> None:
        super().__init__()
        self.allowed = allowed

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        return _with_role(super().authenticate(request, token), self.allowed)


class RoleSessionAuth(SessionAuth):
    """The signed-in session, with the same role check (CSRF still enforced)."""

    def __init__(self, allowed: tuple[Role, ...]) -> None:
        super().__init__()
        self.allowed = allowed

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        return _with_role(super().authenticate(request, key), self.allowed)


def roles(*allowed: Role) -> list[Any]:
    """A route's ``auth``: signed in (token first, then session) with one of ``allowed``."""
    return [RoleTokenAuth(allowed), RoleSessionAuth(allowed)]


def actor_of(request: HttpRequest) -> str:
    """The caller's username, recorded as the actor (the route's ``auth`` checked the role)."""
    return str(caller(request).username)


def caller(request: HttpRequest) -> Any:
    """The authenticated user of an API request (session or token)."""
    return request.auth  # type: ignore[attr-defined]
