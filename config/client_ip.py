"""The address a request came from: behind ``CARELEDGER_TRUSTED_PROXIES`` proxies (each
appending to X-Forwarded-For) the address the nearest trusted one saw; else the socket's.
A client's own X-Forwarded-For entries are never believed, so an attacker cannot name a
fresh address per try to escape the login and token throttles."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str:
    proxies = int(getattr(settings, "CARELEDGER_TRUSTED_PROXIES", 0))
    if proxies > 0:
        hops = [h.strip() for h in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        hops = [h for h in hops if h]
        if len(hops) >= proxies:
            return hops[-proxies]
    return str(request.META.get("REMOTE_ADDR", ""))
