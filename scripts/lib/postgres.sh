# Helpers for scripts/test.sh and bench/: Chromium and a throwaway PostgreSQL cluster.
# initdb refuses to run as root, so the cluster runs as the 'postgres' user on a
# private socket directory and a free port, and is removed on exit.

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
_apt_updated=""
apt_install() {
  [ -n "$_apt_updated" ] || { as_root apt-get update -qq; _apt_updated=1; }
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

ensure_chromium() {
  [ -x /usr/bin/chromium ] || apt_install chromium fonts-liberation
}

pg_bindir() {
  local d
  for d in /usr/lib/postgresql/*/bin; do
    [ -x "$d/initdb" ] && { echo "$d"; return; }
  done
  command -v initdb >/dev/null && dirname "$(command -v initdb)"
}

ensure_postgres_server() {
  [ -n "$(pg_bindir)" ] || apt_install postgresql
}

start_throwaway_postgres() {
  local bindir run_as
  bindir=$(pg_bindir)
  PG_DIR=$(mktemp -d /tmp/careledger-pg.XXXXXX)
  PG_PORT=$(.venv/bin/python -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  run_as=()
  if [ "$(id -u)" = 0 ]; then
    id -u postgres >/dev/null 2>&1 || useradd --system --no-create-home postgres
    chown postgres "$PG_DIR"
    run_as=(runuser -u postgres --)
  fi
  "${run_as[@]}" "$bindir/initdb" -D "$PG_DIR/data" -U postgres --auth=trust -E UTF8 >/dev/null
  "${run_as[@]}" "$bindir/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/log" -w start \
    -o "-p $PG_PORT -k $PG_DIR -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200" >/dev/null
  "$bindir/psql" -h 127.0.0.1 -p "$PG_PORT" -U postgres -qc "CREATE DATABASE careledger" >/dev/null
  PG_URL="postgresql://postgres@127.0.0.1:$PG_PORT/careledger"
  export PG_DIR PG_PORT PG_URL
  echo "throwaway PostgreSQL at $PG_URL"
}

stop_throwaway_postgres() {
  [ -n "${PG_DIR:-}" ] || return 0
  local run_as=()
  [ "$(id -u)" = 0 ] && run_as=(runuser -u postgres --)
  "${run_as[@]}" "$(pg_bindir)/pg_ctl" -D "$PG_DIR/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$PG_DIR"
}
