"""Settings for a council's deployment behind a TLS proxy (docker-compose.yml, the image's
default): the embedded demo's settings (config/settings.py), then what a service on the
internet needs. ``manage.py check --deploy`` prints no warning with these.

It refuses to start without DJANGO_SECRET_KEY (the demo's key is public) or with an
ALLOWED_HOSTS left at the demo's loopback names.
"""

from __future__ import annotations

import os

from django.core.exceptions import ImproperlyConfigured

from config.settings import *  # noqa: F403

DEBUG = False
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if len(SECRET_KEY) < 50 or SECRET_KEY.startswith("careledger-embedded-demo"):
    raise ImproperlyConfigured(
        "DJANGO_SECRET_KEY is unset or too short: set it to 50 or more random characters"
        " (python -c 'import secrets; print(secrets.token_urlsafe(64))')"
    )
ALLOWED_HOSTS = [h for h in os.environ.get("DJANGO_ALLOWED_HOSTS", "").split(",") if h]
if not ALLOWED_HOSTS:
    raise ImproperlyConfigured("DJANGO_ALLOWED_HOSTS is unset: the names the service answers to")
# The proxy ends TLS and says so: X-Forwarded-Proto: https (docs: docker-compose.yml).
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
CSRF_TRUSTED_ORIGINS = [
    o for o in os.environ.get("DJANGO_CSRF_TRUSTED_ORIGINS", "").split(",") if o
] or [f"https://{host}" for host in ALLOWED_HOSTS]
# The TLS proxy appends the client's address to X-Forwarded-For: sign-in and token throttles
# count that address, not the proxy's (config/client_ip.py).
CARELEDGER_TRUSTED_PROXIES = int(os.environ.get("CARELEDGER_TRUSTED_PROXIES", "1"))
SECURE_SSL_REDIRECT = True
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]  # the container's own health check, on plain HTTP
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_HSTS_SECONDS = int(os.environ.get("DJANGO_HSTS_SECONDS", str(365 * 24 * 60 * 60)))
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
# HTTPS only, for browsers that preload the policy too; a council not yet on HTTPS everywhere
# under its domain sets DJANGO_HSTS_PRELOAD=0 (and then sees Django's warning).
SECURE_HSTS_PRELOAD = os.environ.get("DJANGO_HSTS_PRELOAD", "1") == "1"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
