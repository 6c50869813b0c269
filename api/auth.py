"""Who is calling: a signed-in session (pages) or a per-user bearer token (machine clients).

``caller_actor`` gives the ``Actor`` every context command and query takes. A route's ``auth``
is a first gate, checked before the body is read: ``allowed_by(policy)`` asks the context's own
named policy (so the refusal is the policy's words, as on the pages), ``roles(...)`` only the
caller's roles.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from ninja.errors import HttpError
from ninja.security import HttpBearer, SessionAuth

from api.models import ApiToken, TokenFailure
from api.problems import Forbidden
from config.actor import Actor
from config.client_ip import client_ip
from config.roles import Role, has_any_role
from identity.actors import actor_from_user

# A context's policy: refuses the actor with a ``config.errors.NotAllowed`` (403), or returns.
Policy = Callable[[Actor], object]


class TokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Any:
        address = client_ip(request)
        if TokenFailure.throttled(address):
            raise HttpError(
                429,
                "too many requests with a token that is not valid came from your address:"
                f" wait {settings.API_TOKEN_FAILURE_MINUTES} minutes, then use a valid token",
            )
        user = ApiToken.user_for(token)
        if user is None:
            TokenFailure.objects.create(address=address)  # unknown, revoked or expired
            return None
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


class PolicyTokenAuth(TokenAuth):
    """A bearer token whose user the context's policy lets in: checked before the body is read,
    as ``RoleTokenAuth`` is, and refused with the policy's own words (403)."""

    def __init__(self, policy: Policy) -> None:
        super().__init__()
        self.policy = policy

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        user = super().authenticate(request, token)
        if user:
            self.policy(actor_from_user(user))
        return user


class PolicySessionAuth(SessionAuth):
    """The signed-in session, with the same policy (CSRF still enforced)."""

    def __init__(self, policy: Policy) -> None:
        super().__init__()
        self.policy = policy

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = super().authenticate(request, key)
        if user:
            self.policy(actor_from_user(user))
        return user


def allowed_by(policy: Policy) -> list[Any]:
    """A route's ``auth``: signed in (token first, then session) and let in by the context's
    ``policy``, the same named check its command runs."""
    return [PolicyTokenAuth(policy), PolicySessionAuth(policy)]


def caller_actor(request: HttpRequest) -> Actor:
    """The ``Actor`` of an API request: the token's or the session's user (a route open to
    everyone, ``auth=None``: the session's user, or the public)."""
    user = getattr(request, "auth", None) or getattr(request, "user", None)
    return actor_from_user(user)


def caller(request: HttpRequest) -> Any:
    """The authenticated user of an API request (session or token)."""
    return request.auth  # type: ignore[attr-defined]
