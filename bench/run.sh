#!/usr/bin/env bash
# Runs bench/ledger.py against a throwaway PostgreSQL cluster and against SQLite, each in its
# own process (Django reads its settings once), then prints both tables together.
# Extra arguments go to both runs, e.g.  bash bench/run.sh --entries 200000
#
# With --peers it runs bench/peers.py instead: careledger against raw INSERT/COPY, the
# eventsourcing library alone and django-hordak (in its own venv under .bench-venvs/, made on
# first use), all on one throwaway cluster; the rest of the arguments go to bench/peers.py,
# e.g.  bash bench/run.sh --peers --quick
#
# With --payments it runs bench/payments.py (payment runs on each rail, invoice validations) on
# the cluster; the rest of the arguments go to it, e.g.  bash bench/run.sh --payments --count 500
#
# With --load it runs bench/load.py (50 users for 60 s against gunicorn, the projections and a
# Celery worker, loopback only) on the cluster, e.g.  bash bench/run.sh --load --users 20
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/lib/postgres.sh

OUT=${BENCH_OUT:-$(mktemp -d /tmp/careledger-bench.XXXXXX)}
mkdir -p "$OUT"
ensure_postgres_server
trap stop_throwaway_postgres EXIT
start_throwaway_postgres

if [ "${1:-}" = "--payments" ]; then
  shift
  echo "machine: $(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p'), $(free -g | awk '/^Mem:/ {print $2}') GiB;" \
    "$(.venv/bin/python --version); $("$(pg_bindir)/postgres" --version)"
  DATABASE_URL="$PG_URL" .venv/bin/python bench/payments.py --json "$OUT/payments.json" "$@"
  echo "(results in $OUT/payments.json)"
  exit 0
fi

if [ "${1:-}" = "--load" ]; then
  shift
  echo "machine: $(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p'), $(free -g | awk '/^Mem:/ {print $2}') GiB;" \
    "$(.venv/bin/python --version); $("$(pg_bindir)/postgres" --version)"
  CARELEDGER_VAR="$OUT/var" DATABASE_URL="$PG_URL" .venv/bin/python bench/load.py --json "$OUT/load.json" "$@"
  echo "(results in $OUT/load.json)"
  exit 0
fi

if [ "${1:-}" = "--peers" ]; then
  shift
  echo "machine: $(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p'), $(free -g | awk '/^Mem:/ {print $2}') GiB;" \
    "$(.venv/bin/python --version); $("$(pg_bindir)/postgres" --version)"
  .venv/bin/python bench/peers.py --url "$PG_URL" --json "$OUT/peers.json" "$@"
  echo "(results in $OUT/peers.json; again: .venv/bin/python bench/peers.py --summary $OUT/peers.json)"
  exit 0
fi

echo "machine: $(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p'), $(free -g | awk '/^Mem:/ {print $2}') GiB;" \
  "$(.venv/bin/python --version); $("$(pg_bindir)/postgres" --version)"
DATABASE_URL="$PG_URL" .venv/bin/python bench/ledger.py --store postgres --json "$OUT/postgres.json" "$@"
stop_throwaway_postgres
env -u DATABASE_URL .venv/bin/python bench/ledger.py --store sqlite --json "$OUT/sqlite.json" "$@"
echo
echo "=== summary (results in $OUT) ==="
.venv/bin/python bench/ledger.py --summary "$OUT/postgres.json" "$OUT/sqlite.json"
