"""A person's own API tokens: listed (never the token itself), made (shown once: only a
signed-in session may make one, so a token cannot make more) and revoked. Each expires."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja import Router, Schema, Status
from ninja.security import SessionAuth

from api.auth import caller
from api.models import ApiToken, max_days
from config.errors import DomainError, NotFound

router = Router(tags=["tokens"])


class TokenError(DomainError):
    pass


class TokenOut(Schema):
    id: int
    name: str
    prefix: str
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None
    revoked_at: datetime | None


class MadeOut(TokenOut):
    token: str  # shown this once; only its hash is kept


class TokenIn(Schema):
    name: str
    days: int = 90


def token_out(t: ApiToken) -> dict[str, Any]:
    return {
        "id": t.pk,
        "name": t.name,
        "prefix": t.prefix,
        "created_at": t.created_at,
        "expires_at": t.expires_at,
        "last_used_at": t.last_used_at,
        "revoked_at": t.revoked_at,
    }


@router.get("", response=list[TokenOut])
def my_tokens(request: HttpRequest) -> list[dict[str, Any]]:
    """The caller's own tokens, newest first."""
    return [token_out(t) for t in ApiToken.objects.filter(user=caller(request))]


@router.post("", response={201: MadeOut}, auth=SessionAuth())
def make_token(request: HttpRequest, payload: TokenIn) -> Any:
    """A new token for the signed-in person, living ``days`` (at most the council's maximum)."""
    name = payload.name.strip()
    if not 0 < len(name) <= 100:
        raise TokenError("give the token a name of up to 100 characters", field="name")
    if not 1 <= payload.days <= max_days():
        raise TokenError(f"a token lives from 1 to {max_days()} days", field="days")
    made, token = ApiToken.issue(caller(request), name, days=payload.days)
    return Status(201, {**token_out(made), "token": token})


@router.post("/{token_id}/revoke", response=TokenOut)
def revoke_token(request: HttpRequest, token_id: int) -> dict[str, Any]:
    """Revoke one of the caller's own tokens: it works no more, at once."""
    found = ApiToken.objects.filter(pk=token_id, user=caller(request)).first()
    if found is None:
        raise NotFound(f"you have no token {token_id}", field="token_id")
    if found.revoked_at is None:
        found.revoked_at = timezone.now()
        found.save(update_fields=["revoked_at"])
    return token_out(found)
