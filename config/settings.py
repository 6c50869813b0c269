"""Settings from the environment, with safe defaults for the embedded run (SQLite under var/)."""

from __future__ import annotations

import importlib.util
import os
from datetime import date, timedelta
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from csp.constants import NONCE, NONE, SELF

from config.eventstore import eventstore_env

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("CARELEDGER_VAR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = os.environ.get("DJANGO_DEBUG", "0") == "1"
# The default key is only for the embedded demo; production sets DJANGO_SECRET_KEY.
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "careledger-embedded-demo-key-not-for-production")
ALLOWED_HOSTS = os.environ.get("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "csp",
    "axes",
    "ninja",  # the API docs' Swagger UI from its own static files, not a CDN (CSP: 'self')
    "ledger",
    "accreditation",
    "marketplace",
    "budgets",
    "payments",
    "notifications",
    "api",
    "frontend",
]
# The demo council (demo/, manage.py load_demo) is not part of the distribution: its app is
# listed only where it can be imported, as in a checkout. Nothing else imports it.
if importlib.util.find_spec("demo") is not None:
    INSTALLED_APPS.append("demo")

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "config.middleware.LimitBodySizeMiddleware",  # before anything reads the body
    "config.middleware.RejectNulMiddleware",
    "config.middleware.CorrelationMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "config.middleware.SlidingSessionMiddleware",  # after auth: it renews signed-in sessions
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "frontend.middleware.NotAllowedPageMiddleware",  # inside CSP: its page gets the header
    "axes.middleware.AxesMiddleware",  # last: it answers a locked-out sign-in
]

# Sign-in throttling (django-axes): 10 wrong passwords for one account, or from one address,
# lock it for 15 minutes (the page says so, 429). The address is the client's, not a proxy's
# (config/client_ip.py); a right password does not reset the count an attacker has built.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = int(os.environ.get("CARELEDGER_SIGN_IN_ATTEMPTS", "10"))
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("CARELEDGER_LOCKOUT_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_CLIENT_IP_CALLABLE = "config.client_ip.client_ip"
AXES_LOCKOUT_TEMPLATE = "frontend/locked_out.html"
AXES_RESET_ON_SUCCESS = False
# API tokens live at most this many days, and 20 requests with a bad token from one address
# within 15 minutes have that address refused (429) until the storm has passed.
API_TOKEN_MAX_DAYS = int(os.environ.get("CARELEDGER_API_TOKEN_MAX_DAYS", "90"))
API_TOKEN_FAILURE_LIMIT = int(os.environ.get("CARELEDGER_API_TOKEN_FAILURES", "20"))
API_TOKEN_FAILURE_MINUTES = 15
AXES_VERBOSE = False
# How many proxies in front append to X-Forwarded-For (production: the TLS proxy, 1).
CARELEDGER_TRUSTED_PROXIES = int(os.environ.get("CARELEDGER_TRUSTED_PROXIES", "0"))

# Content-Security-Policy (django-csp), on every run: only careledger's own scripts, styles and
# images; an inline script only with the request's nonce; no frames, no plug-ins, forms posted
# back to careledger alone. The API docs are Swagger UI's own files (ninja's static), no CDN.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

# The largest body a request may carry, refused over it with 413 naming the limit
# (config.middleware, config.urls.bad_request): a form or JSON body 2.5 MB (Django's default,
# made explicit); a multipart upload 6 MB in all (an evidence document is at most 5 MB).
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
UPLOAD_MAX_BODY_SIZE = 6 * 1024 * 1024

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "frontend.context.service",
            ],
            "builtins": ["frontend.templatetags.form_fields"],
        },
    },
]

DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{VAR_DIR / 'careledger.sqlite3'}", conn_max_age=60
    )
}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # IMMEDIATE takes the write lock at BEGIN, so two projection runners queue instead of
    # failing on lock upgrade; WAL lets pages read while a projection writes.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0

EVENTSTORE = eventstore_env(DATABASES["default"], VAR_DIR)

# The ledger's bounds on effective dates (ledger.domain.EffectiveDates, docs/ledger.md): no
# entry takes effect before the ledger opened (the demo's 2026/27 financial year), nor more than
# this many days after it is recorded. config.applications hands them to the ledger.
LEDGER_OPENING_DATE = date.fromisoformat(os.environ.get("LEDGER_OPENING_DATE", "2026-04-01"))
LEDGER_MAX_DAYS_AHEAD = int(os.environ.get("LEDGER_MAX_DAYS_AHEAD", "90"))

# Statements anyone can verify (ledger/transparency.py, docs/verify.md): the council's Ed25519
# key that signs checkpoints and statements (the embedded demo makes one here), and the name
# its checkpoints carry.
CARELEDGER_SIGNING_KEY = os.environ.get(
    "CARELEDGER_SIGNING_KEY", str(VAR_DIR / "transparency-ed25519.pem")
)
CARELEDGER_ORIGIN = os.environ.get("CARELEDGER_ORIGIN", "careledger demo council")
# Where the phase banner's feedback goes, and who answers the privacy notice (the council).
CARELEDGER_FEEDBACK_EMAIL = os.environ.get("CARELEDGER_FEEDBACK_EMAIL", "feedback@council.example")
CARELEDGER_DATA_PROTECTION_EMAIL = os.environ.get(
    "CARELEDGER_DATA_PROTECTION_EMAIL", "dataprotection@council.example"
)

# The council's surplus policy for direct payments (payments/surplus.py): weeks of payments a
# person keeps, and a contingency (pence) on top, before anything counts as surplus.
SURPLUS_WEEKS_KEPT = int(os.environ.get("CARELEDGER_SURPLUS_WEEKS", "8"))
SURPLUS_CONTINGENCY = int(os.environ.get("CARELEDGER_SURPLUS_CONTINGENCY", "0"))
# A direct-payment return asks for evidence of one payment over this (pence), of cash taken
# out, and of money to someone the agreement does not name; nothing else.
RETURN_EVIDENCE_OVER = int(os.environ.get("CARELEDGER_RETURN_EVIDENCE_OVER", "50000"))
# Bank reconciliation's tolerances (payments/reconciliation.py): days either side of a
# payment's window for a suggestion, and pence a line may be off its payment to be offered
# as an amount difference (never matched without the difference written off).
RECONCILE_TOLERANCE_DAYS = int(os.environ.get("CARELEDGER_RECONCILE_TOLERANCE_DAYS", "3"))
RECONCILE_TOLERANCE_PENCE = int(os.environ.get("CARELEDGER_RECONCILE_TOLERANCE_PENCE", "100"))
# A statement of more lines than this is matched by a worker, its progress shown.
RECONCILE_MATCH_IN_REQUEST = int(os.environ.get("CARELEDGER_RECONCILE_MATCH_IN_REQUEST", "2000"))

# The council's recorded choice for people's assessed contributions (DOMAIN.md, money rules):
# "net" takes the contribution off each direct payment; "gross" pays the direct payment whole
# and invoices the person. Each budget records the choice in force when it was allocated.
CONTRIBUTION_METHOD = os.environ.get("CARELEDGER_CONTRIBUTIONS", "net")

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]
LOGIN_URL = "/sign-in/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/sign-in/"

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)  # whitenoise warns on every request when it is missing

SESSION_COOKIE_HTTPONLY = True
CSRF_FAILURE_VIEW = "frontend.error_views.csrf_failure"
# A signed-in session ends after 30 minutes without a request (each request renews it); the
# pages warn two minutes before, with the GOV.UK timeout warning (frontend/static/careledger).
SESSION_COOKIE_AGE = int(os.environ.get("CARELEDGER_SESSION_MINUTES", "30")) * 60
SESSION_SAVE_EVERY_REQUEST = False  # renewed once a minute (config/middleware.py)
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "DENY"

CELERY_BROKER_URL = os.environ.get(
    "CELERY_BROKER_URL", f"sqla+sqlite:///{VAR_DIR / 'broker.sqlite3'}"
)
CELERY_RESULT_BACKEND = os.environ.get(
    "CELERY_RESULT_BACKEND", f"db+sqlite:///{VAR_DIR / 'results.sqlite3'}"
)
CELERY_TASK_ALWAYS_EAGER = os.environ.get("CELERY_TASK_ALWAYS_EAGER", "0") == "1"
CELERY_BEAT_SCHEDULE = {
    "catch-up-projections": {"task": "ledger.tasks.catch_up_projections", "schedule": 5.0},
    # Holds past their expiry count against a budget until released: every 5 minutes.
    "expire-pending-holds": {"task": "ledger.tasks.expire_pending_holds", "schedule": 300.0},
    "publish-checkpoint": {"task": "ledger.tasks.publish_checkpoint", "schedule": 3600.0},
    "expire-and-remind-accreditations": {
        "task": "accreditation.tasks.expire_and_remind_accreditations",
        "schedule": crontab(hour=2, minute=0),
    },
    # The day's direct payments, on the council's rail (PAYMENT_RAIL), before the banks open.
    "run-due-payments": {
        "task": "payments.tasks.run_due_payments",
        "schedule": crontab(hour=6, minute=0),
    },
    # Fees committed against budgets stay held until owed (payments/commitments.py).
    "keep-commitments": {
        "task": "payments.tasks.keep_commitments",
        "schedule": crontab(hour=5, minute=30),
    },
    "act-on-stored-stripe-events": {
        "task": "payments.tasks.act_on_stored_stripe_events",
        "schedule": 60.0,
    },
    "remind-dp-reviews-due": {
        "task": "payments.tasks.remind_dp_reviews",
        "schedule": crontab(hour=7, minute=5),
    },
    # Notices not yet sent (their first task lost, or a failure to try again): every 30 s.
    "send-waiting-notices": {"task": "notifications.tasks.send_waiting_notices", "schedule": 30.0},
    # Where sent messages stand, for those no receipt has moved (letters have none).
    "check-sent-notices": {"task": "notifications.tasks.check_sent_notices", "schedule": 300.0},
    "remind-reviews-due": {
        "task": "budgets.tasks.remind_reviews_due",
        "schedule": crontab(hour=7, minute=0),
    },
}

# How the council pays (payments/rails.py): "stripe" (Stripe Connect transfers) or "bacs" (a
# Standard 18 file for the council's own bank to submit). BACS is the council's originator.
PAYMENT_RAIL = os.environ.get("CARELEDGER_RAIL", "stripe")
BACS = {
    "SUN": os.environ.get("CARELEDGER_BACS_SUN", "123456"),
    "NAME": os.environ.get("CARELEDGER_BACS_NAME", "Careledger Council"),
    "SORT_CODE": os.environ.get("CARELEDGER_BACS_SORT_CODE", "400000"),
    "ACCOUNT_NUMBER": os.environ.get("CARELEDGER_BACS_ACCOUNT", "00000000"),
    "DIR": os.environ.get("CARELEDGER_BACS_DIR", str(VAR_DIR / "bacs")),
    # Bacs is a three-day cycle: the file runs this many working days before the pay date.
    "LEAD_DAYS": int(os.environ.get("CARELEDGER_BACS_LEAD_DAYS", "3")),
}

# How many finance officers approve an invoice before it is payable (two where the council's
# financial regulations ask for it; never the same person twice).
INVOICE_APPROVALS = int(os.environ.get("CARELEDGER_INVOICE_APPROVALS", "1"))

# Stripe: real keys in production; the local server (devtools/stripe_server) in the demo run.
STRIPE_API_KEY = os.environ.get("STRIPE_API_KEY", "")
STRIPE_API_BASE = os.environ.get("STRIPE_API_BASE", "")
STRIPE_WEBHOOK_SECRET = os.environ.get("STRIPE_WEBHOOK_SECRET", "")
STRIPE_TIMEOUT = float(os.environ.get("STRIPE_TIMEOUT", "10"))

# GOV.UK Notify (notifications/notify.py): the service's API key, and Notify's address (the
# local server, devtools/notify_server, in the demo run and tests). Without a key, notices are
# recorded and wait: nothing is sent. NOTIFY_CALLBACK_TOKEN is the bearer token set in Notify
# for its delivery receipts (POST /api/v1/notifications/notify-callback).
NOTIFY_API_KEY = os.environ.get("NOTIFY_API_KEY", "")
NOTIFY_API_BASE = os.environ.get("NOTIFY_API_BASE", "")
NOTIFY_TEMPLATE_IDS = os.environ.get("NOTIFY_TEMPLATE_IDS", "")
NOTIFY_CALLBACK_TOKEN = os.environ.get("NOTIFY_CALLBACK_TOKEN", "")
NOTIFY_TIMEOUT = float(os.environ.get("NOTIFY_TIMEOUT", "10"))
# Where links in notices point: the service's own address.
CARELEDGER_BASE_URL = os.environ.get("CARELEDGER_BASE_URL", "http://127.0.0.1:8000")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
}
