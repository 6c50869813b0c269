#!/usr/bin/env bash
# Runs every test: once on the embedded default (SQLite) with the browser tests, then again
# on a throwaway PostgreSQL cluster that this script starts and removes itself.
# Everything it needs (venv, Chromium, the PostgreSQL server) it installs first.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/setup.sh
source scripts/lib/postgres.sh

ensure_chromium
ensure_postgres_server

export PYTHONDONTWRITEBYTECODE=1
echo "== pass 1: SQLite (unit, integration, browser)"
.venv/bin/python -m pytest -m "not postgres" "$@"

echo "== pass 2: PostgreSQL (integration and concurrency)"
start_throwaway_postgres
trap stop_throwaway_postgres EXIT
DATABASE_URL="$PG_URL" .venv/bin/python -m pytest -m "not browser" -p no:cacheprovider "$@"
