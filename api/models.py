"""Per-user API tokens for machine clients (a provider's finance system, say).

Only a SHA-256 of each token is stored; the token itself is shown once, when made.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def max_days() -> int:
    """The longest a token lives (the council's API_TOKEN_MAX_DAYS): it must be made again."""
    return int(getattr(settings, "API_TOKEN_MAX_DAYS", 90))


class ApiToken(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=8)
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True)
    revoked_at = models.DateTimeField(null=True)
    # None: made before tokens expired, so it lives its maximum from when it was made.
    expires_at = models.DateTimeField(null=True)

    class Meta:
        ordering = ["-created_at"]

    @classmethod
    def issue(cls, user: object, name: str, *, days: int | None = None) -> tuple[ApiToken, str]:
        """A new token for ``user``, living ``days`` (at most the council's maximum)."""
        lives = min(days or max_days(), max_days())
        token = "cl_" + secrets.token_urlsafe(32)
        made = cls.objects.create(
            user=user,
            name=name,
            prefix=token[:8],
            token_hash=digest(token),
            expires_at=timezone.now() + timedelta(days=lives),
        )
        return made, token

    @classmethod
    def user_for(cls, token: str) -> object | None:
        """The active user whose live token this is: not revoked, not expired."""
        now = timezone.now()
        live = models.Q(expires_at__gt=now) | models.Q(
            expires_at=None, created_at__gt=now - timedelta(days=max_days())
        )
        found = (
            cls.objects.select_related("user")
            .filter(live, token_hash=digest(token), revoked_at=None)
            .first()
        )
        if found is None or not found.user.is_active:
            return None
        cls.objects.filter(pk=found.pk).update(last_used_at=now)
        return found.user


class TokenFailure(models.Model):
    """A request with a bearer token that is no live token, by the address it came from: a
    storm of them from one address is refused for a while (api/auth.py)."""

    address = models.CharField(max_length=64, db_index=True)
    at = models.DateTimeField(default=timezone.now, db_index=True)

    @classmethod
    def throttled(cls, address: str) -> bool:
        since = timezone.now() - timedelta(minutes=int(settings.API_TOKEN_FAILURE_MINUTES))
        recent = cls.objects.filter(address=address, at__gt=since)
        return recent.count() >= int(settings.API_TOKEN_FAILURE_LIMIT)


class PersonalDataRead(models.Model):
    """Who among the council's staff read whose personal data, where and when.

    Written whenever staff open a person's budget accounts, entries or engagements; kept
    for auditors, never edited (DESIGN.md, Security).
    """

    at = models.DateTimeField(default=timezone.now, db_index=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    roles = models.CharField(max_length=200)
    subject = models.CharField(max_length=64, db_index=True)  # a person's council reference
    what = models.CharField(max_length=200)  # the page or route that was read

    class Meta:
        ordering = ["-at"]
