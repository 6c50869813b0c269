"""Safe to deploy behind a TLS proxy (config/production.py): `manage.py check --deploy` prints
no warning; the service refuses to start without a secret key; every page and API answer has a
Content-Security-Policy whose nonce is the one its inline scripts carry; and with the
production settings the cookies are secure, HSTS is sent, plain HTTP is redirected (but for the
health check), and the proxy's X-Forwarded-Proto is believed."""

from __future__ import annotations

import importlib
import re
import secrets
import subprocess
import sys
from typing import Any

import pytest
from django.test import override_settings

from config.roles import Role
from tests.integration.child import ROOT

pytestmark = pytest.mark.django_db
KEY = secrets.token_urlsafe(64)


def manage(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    import os

    clean = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_prints_no_warning_and_no_key_no_start() -> None:
    hosts = {"DJANGO_ALLOWED_HOSTS": "careledger.example.gov.uk"}
    done = manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        "--settings=config.production",
        DJANGO_SECRET_KEY=KEY,
        **hosts,
    )
    assert done.returncode == 0, done.stderr + done.stdout
    assert "System check identified no issues (0 silenced)." in done.stdout
    for env in ({}, {"DJANGO_SECRET_KEY": "short"}):
        refused = manage("check", "--settings=config.production", **env, **hosts)
        assert (
            refused.returncode != 0 and "DJANGO_SECRET_KEY is unset or too short" in refused.stderr
        )
    nohost = manage("check", "--settings=config.production", DJANGO_SECRET_KEY=KEY)
    assert nohost.returncode != 0 and "DJANGO_ALLOWED_HOSTS is unset" in nohost.stderr


def test_every_answer_has_a_content_security_policy_and_inline_scripts_its_nonce(
    client: Any, make_user: Any
) -> None:
    from tests.integration.helpers import signed_in

    page = client.get("/register/")
    policy = page["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert "unsafe-inline" not in policy and "object-src 'none'" in policy
    [nonce] = re.findall(r"'nonce-([^']+)'", policy)
    html = page.content.decode()
    scripts = re.findall(r"<script(?![^>]*\bsrc=)([^>]*)>", html)
    assert scripts and all(f'nonce="{nonce}"' in attrs for attrs in scripts if "json" not in attrs)
    assert 'style="' not in html  # no inline style: the policy would refuse it
    api = signed_in(make_user, "f.officer", Role.FINANCE_OFFICER).get("/api/v1/docs")
    assert "Content-Security-Policy" in api and "cdn" not in api.content.decode().lower()


def production() -> Any:
    import os

    os.environ["DJANGO_SECRET_KEY"] = KEY
    os.environ["DJANGO_ALLOWED_HOSTS"] = "careledger.example.gov.uk,testserver"
    try:
        module = importlib.import_module("config.production")
        return importlib.reload(module)
    finally:
        del os.environ["DJANGO_SECRET_KEY"]
        del os.environ["DJANGO_ALLOWED_HOSTS"]


def test_behind_the_proxy_the_cookies_are_secure_and_plain_http_is_sent_to_https(
    client: Any, make_user: Any
) -> None:
    from tests.e2e.test_choosing_support import PASSWORD

    prod = production()
    names = [
        "SECURE_PROXY_SSL_HEADER",
        "SECURE_SSL_REDIRECT",
        "SECURE_REDIRECT_EXEMPT",
        "SESSION_COOKIE_SECURE",
        "CSRF_COOKIE_SECURE",
        "SECURE_HSTS_SECONDS",
        "SECURE_HSTS_INCLUDE_SUBDOMAINS",
        "SECURE_HSTS_PRELOAD",
        "CSRF_TRUSTED_ORIGINS",
    ]
    with override_settings(**{name: getattr(prod, name) for name in names}):
        plain = client.get("/register/")
        assert plain.status_code == 301 and plain["Location"].startswith("https://")
        assert client.get("/healthz").content == b"ok"  # the container's check, on HTTP
        https = {"HTTP_X_FORWARDED_PROTO": "https"}
        page = client.get("/sign-in/", **https)
        assert page.status_code == 200
        assert "max-age=31536000; includeSubDomains; preload" in page["Strict-Transport-Security"]
        make_user("asha", Role.SOCIAL_WORKER.value, password=PASSWORD)
        token = page.cookies["csrftoken"].value
        signed = client.post(
            "/sign-in/",
            {"username": "asha", "password": PASSWORD, "csrfmiddlewaretoken": token},
            HTTP_REFERER="https://testserver/sign-in/",
            **https,
        )
        assert signed.status_code == 302, signed.content
        assert signed.cookies["sessionid"]["secure"] and page.cookies["csrftoken"]["secure"]
        assert signed.cookies["sessionid"]["httponly"]


def test_a_session_is_kept_alive_on_request_and_ends_on_time(client: Any, make_user: Any) -> None:
    import time

    from django.conf import settings
    from django.contrib.sessions.models import Session

    from config.middleware import TOUCHED

    assert settings.SESSION_COOKIE_AGE == 30 * 60
    assert client.post("/session/keep-alive/").status_code == 401  # not signed in
    client.force_login(make_user("asha", Role.SOCIAL_WORKER.value))
    page = client.get("/cases/").content.decode()
    assert 'id="timeout-warning"' in page and f'data-seconds="{30 * 60}"' in page

    def touched(seconds_ago: int) -> Any:
        session = client.session
        session[TOUCHED] = int(time.time()) - seconds_ago
        session.save()
        return Session.objects.get(session_key=session.session_key).expire_date

    # Renewed at most once a minute: 30 s after the last, the page is told 29½ minutes left
    # and nothing is written; 2 minutes after, the session is saved with its full time again.
    before = touched(30)
    page = client.get("/cases/").content.decode()
    left = int(page.split('data-seconds="')[1].split('"')[0])
    assert 30 * 60 - 32 <= left <= 30 * 60 - 30  # a second may pass between the two
    assert Session.objects.get(session_key=client.session.session_key).expire_date == before
    before = touched(120)
    page = client.get("/cases/").content.decode()
    assert f'data-seconds="{30 * 60}"' in page
    assert Session.objects.get(session_key=client.session.session_key).expire_date > before
    touched(120)
    assert client.post("/session/keep-alive/").status_code == 204  # "Stay signed in"
    assert int(time.time()) - client.session[TOUCHED] <= 1  # renewed now, in full
    assert client.post("/session/keep-alive/").status_code == 204
    assert "You have been signed out" in client.get("/signed-out/").content.decode()
    assert client.post("/session/keep-alive/").status_code == 401  # ended
