"""The small Django project in which bench/hordak_peer.py runs django-hordak.

Only what hordak needs (mptt, contenttypes, auth), on the database named by HORDAK_DATABASE_URL
(a database of its own on the benchmark's PostgreSQL cluster). Amounts in pounds and pence.
"""

from __future__ import annotations

import os
from urllib.parse import unquote, urlsplit

_url = urlsplit(os.environ["HORDAK_DATABASE_URL"])

SECRET_KEY = "bench-only"
DEBUG = False
USE_TZ = True
TIME_ZONE = "UTC"
INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "mptt",
    "hordak",
]
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": _url.path.lstrip("/"),
        "USER": unquote(_url.username or ""),
        "PASSWORD": unquote(_url.password or ""),
        "HOST": _url.hostname or "127.0.0.1",
        "PORT": str(_url.port or 5432),
        "CONN_MAX_AGE": None,
    }
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
DEFAULT_CURRENCY = "GBP"
CURRENCIES = ["GBP"]
HORDAK_INTERNAL_CURRENCY = "GBP"
HORDAK_CURRENCIES = ["GBP"]
HORDAK_DECIMAL_PLACES = 2
HORDAK_MAX_DIGITS = 20
