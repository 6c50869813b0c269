#!/usr/bin/env bash
# Serves careledger on the embedded default (SQLite under var/) at http://127.0.0.1:8000,
# with the demo council loaded, and the local Stripe server (devtools/stripe_server) beside
# it for payments, the local GOV.UK Notify server (devtools/notify_server) for notices, the
# projections process and a Celery worker with beat. Everything it needs it installs first.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/setup.sh
export DJANGO_SETTINGS_MODULE=config.settings
BIND=${BIND:-127.0.0.1:8000}
STRIPE_PORT=${STRIPE_PORT:-8420}
# The local Stripe server only when no real key is given (production sets STRIPE_API_KEY).
if [ -z "${STRIPE_API_KEY:-}" ]; then
  export STRIPE_API_KEY=sk_test_local STRIPE_WEBHOOK_SECRET=whsec_local
  export STRIPE_API_BASE="http://127.0.0.1:$STRIPE_PORT"
  mkdir -p var
  .venv/bin/python -m devtools.stripe_server --port "$STRIPE_PORT" --quiet \
    --state-file var/stripe_server.pickle --webhook-secret "$STRIPE_WEBHOOK_SECRET" \
    --opening-topup 100000000 \
    --webhook "http://$BIND/api/v1/payments/stripe/webhook" &
fi
# The local GOV.UK Notify server only when no real key is given (production sets
# NOTIFY_API_KEY): what careledger sends is kept there, at its outbox page.
NOTIFY_PORT=${NOTIFY_PORT:-8430}
if [ -z "${NOTIFY_API_KEY:-}" ]; then
  export NOTIFY_API_KEY=careledger_local-7d4c2a10-5b6e-4f8a-9c3d-2e1f0a9b8c7d-3f2e1d0c-9b8a-4c7d-8e6f-5a4b3c2d1e0f
  export NOTIFY_API_BASE="http://127.0.0.1:$NOTIFY_PORT" NOTIFY_CALLBACK_TOKEN=local-notify-callback-token
  .venv/bin/python -m devtools.notify_server --port "$NOTIFY_PORT" --quiet --api-key "$NOTIFY_API_KEY" \
    --callback "http://$BIND/api/v1/notifications/notify-callback" \
    --callback-token "$NOTIFY_CALLBACK_TOKEN" &
fi
export CARELEDGER_BASE_URL=${CARELEDGER_BASE_URL:-http://$BIND}
trap 'kill $(jobs -p) 2>/dev/null' EXIT
.venv/bin/python manage.py migrate --noinput -v0
.venv/bin/python manage.py collectstatic --noinput -v0
.venv/bin/python manage.py load_demo
# The projections process: read models, and the process managers that finish a step one
# context began in another (a budget's ledger entry), whatever stopped the request between.
.venv/bin/python manage.py run_projections &
# A Celery worker with beat: the scheduled payment runs, Stripe's stored webhooks acted on,
# reminders, hold expiry. No page or API request waits on Stripe: they hand work to it.
.venv/bin/celery -A config worker --beat --pool=solo --concurrency=1 --loglevel=WARNING \
  --schedule var/celery-beat-schedule --without-heartbeat --without-gossip --without-mingle &
echo "careledger: http://$BIND  (API docs: http://$BIND/api/docs; notices sent: ${NOTIFY_API_BASE:-GOV.UK Notify}/)"
# Keep-alive 75 s: gunicorn's 2 s closed connections between requests, and a post sent on one
# as it closed was reset (bench/load.py found it).
.venv/bin/gunicorn config.wsgi --bind "$BIND" --workers 2 --threads 4 --keep-alive 75 --access-logfile -
