#!/usr/bin/env bash
# A throw-away PostgreSQL server for the tests and benchmarks: one mechanism for every suite.
#   scripts/postgres.sh run CMD...   start a server in a temp dir, run CMD with COASSEMBLE_TEST_POSTGRES_URL
#                                    and COASSEMBLE_TEST_POSTGRES_DIR set, stop it and delete the dir
#                                    afterwards (also when CMD fails or is interrupted); exit with CMD's code
#   scripts/postgres.sh start DIR    initdb into DIR on first use, start on a free loopback port (the same
#                                    port again on a restart), print the connection URL
#   scripts/postgres.sh stop DIR     fast shutdown (no-op when it is not running)
#   scripts/postgres.sh url DIR      print the connection URL of the server in DIR
#   scripts/postgres.sh bin          print the directory of the server binaries (fails with what to install)
# The fault tests stop and restart the server mid-run with `stop DIR` / `start DIR`.
# Postgres refuses to run as root: as root, the server runs as the `postgres` user (runuser).
# Binaries: $PG_BIN, else `pg_config --bindir`, else Debian's /usr/lib/postgresql/<newest>/bin, else PATH.
set -euo pipefail
say() { echo "[postgres] $*" >&2; }

find_bin() {
  local d
  for d in "${PG_BIN:-}" "$(pg_config --bindir 2>/dev/null || true)" \
           $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    [ -n "$d" ] && [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ] && { echo "$d"; return 0; }
  done
  command -v initdb >/dev/null && command -v pg_ctl >/dev/null && { dirname "$(command -v initdb)"; return 0; }
  say "PostgreSQL server binaries (initdb, pg_ctl) not found. Run scripts/setup.sh as root on Debian,"
  say "or install PostgreSQL (Debian/Ubuntu: 'postgresql'; macOS: 'brew install postgresql'),"
  say "or set PG_BIN to the directory holding initdb and pg_ctl."
  return 1
}

as_owner() { # runs a server binary as the user that owns the cluster
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

free_port() {
  node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}

url_of() { echo "postgres://postgres@127.0.0.1:$(cat "$1/port")/postgres"; }

start() {
  local dir=$1 bin
  bin=$(find_bin)
  mkdir -p "$dir"
  dir=$(cd "$dir" && pwd)
  if [ "$(id -u)" = 0 ]; then chown postgres "$dir"; fi
  if [ ! -f "$dir/data/PG_VERSION" ]; then
    as_owner "$bin/initdb" -D "$dir/data" -A trust -U postgres --no-sync >"$dir/initdb.log" 2>&1 \
      || { cat "$dir/initdb.log" >&2; return 1; }
  fi
  [ -f "$dir/port" ] || free_port >"$dir/port"
  # Durability settings stay at their defaults (fsync, synchronous_commit on): the tests and the
  # benchmark measure a real commit. Enough connections for three receivers, their workers and a test.
  as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/log" -w -t 30 \
    -o "-p $(cat "$dir/port") -k $dir -c listen_addresses=127.0.0.1 -c max_connections=200" start >/dev/null \
    || { tail -n 20 "$dir/log" >&2; return 1; }
  url_of "$dir"
}

stop() {
  local dir=$1 bin
  [ -f "$dir/data/postmaster.pid" ] || return 0
  bin=$(find_bin)
  as_owner "$bin/pg_ctl" -D "$dir/data" -m fast -w -t 30 stop >/dev/null
}

case "${1:-}" in
  start) start "$2" ;;
  stop) stop "$2" ;;
  url) url_of "$2" ;;
  bin) find_bin ;;
  run)
    shift
    DIR=$(mktemp -d "${TMPDIR:-/tmp}/coassemble-pg.XXXXXX")
    cleanup() { stop "$DIR" || true; rm -rf "$DIR"; }
    trap cleanup EXIT
    trap 'exit 130' INT TERM
    URL=$(start "$DIR")
    say "server at $URL (data in $DIR)"
    set +e
    COASSEMBLE_TEST_POSTGRES_URL=$URL COASSEMBLE_TEST_POSTGRES_DIR=$DIR "$@"
    code=$?
    set -e
    exit $code
    ;;
  *) sed -n '2,13p' "$0" >&2; exit 2 ;;
esac
