#!/usr/bin/env bash
# Installs what careledger needs into .venv and builds the GOV.UK Frontend assets.
# Sourced by run.sh and test.sh; safe to run again (it skips what is already there).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
apt_updated=""
apt_install() {
  [ -n "$apt_updated" ] || { as_root apt-get update -qq; apt_updated=1; }
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv 2>/dev/null || { apt_install python3-venv; rm -rf .venv; "$PYTHON" -m venv .venv; }
fi
stamp=.venv/.installed-$(sha1sum pyproject.toml | cut -c1-12)
if [ ! -f "$stamp" ]; then
  .venv/bin/pip install -q --upgrade pip >/dev/null
  .venv/bin/pip install -q -e ".[dev]"
  touch "$stamp"
fi

# GOV.UK Frontend from npm, copied into the static folder Django serves.
if [ ! -f frontend/static/govuk/govuk-frontend.min.css ]; then
  command -v npm >/dev/null || apt_install nodejs npm
  npm ci --silent --no-audit --no-fund >/dev/null
  rm -rf frontend/static/govuk && mkdir -p frontend/static/govuk
  dist=node_modules/govuk-frontend/dist/govuk
  cp "$dist/govuk-frontend.min.css" "$dist/govuk-frontend.min.js" frontend/static/govuk/
  cp -r "$dist/assets" frontend/static/govuk/assets
fi
