#!/usr/bin/env bash
# Serves careledger on the embedded default (SQLite under var/) at http://127.0.0.1:8000,
# with the demo council loaded. Everything it needs it installs first.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/setup.sh
export DJANGO_SETTINGS_MODULE=config.settings
.venv/bin/python manage.py migrate --noinput -v0
.venv/bin/python manage.py collectstatic --noinput -v0
.venv/bin/python manage.py load_demo
echo "careledger: http://127.0.0.1:8000  (API docs: http://127.0.0.1:8000/api/docs)"
exec .venv/bin/gunicorn config.wsgi --bind "${BIND:-127.0.0.1:8000}" --workers 2 --threads 4 \
  --access-logfile -
