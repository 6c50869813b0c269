"""Per-user API tokens for machine clients (a provider's finance system, say).

Only a SHA-256 of each token is stored; the token itself is shown once, when made.
"""

from __future__ import annotations

import hashlib
import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


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

    @classmethod
    def issue(cls, user: object, name: str) -> tuple[ApiToken, str]:
        token = "cl_" + secrets.token_urlsafe(32)
        return cls.objects.create(
            user=user, name=name, prefix=token[:8], token_hash=digest(token)
        ), token

    @classmethod
    def user_for(cls, token: str) -> object | None:
        found = (
            cls.objects.select_related("user")
            .filter(token_hash=digest(token), revoked_at=None)
            .first()
        )
        if found is None or not found.user.is_active:
            return None
        cls.objects.filter(pk=found.pk).update(last_used_at=timezone.now())
        return found.user


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
