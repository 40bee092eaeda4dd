#!/usr/bin/env bash
# Throw-away PostgreSQL servers for the tests and benchmarks: one mechanism for every suite.
#   scripts/postgres.sh run CMD...       start two servers in temp dirs, run CMD, stop them and delete the
#                                        dirs afterwards (also when CMD fails or is interrupted); exit with
#                                        CMD's code. CMD gets:
#     COASSEMBLE_TEST_POSTGRES_URL       the trust server (no password, no TLS), as before
#     COASSEMBLE_TEST_POSTGRES_DIR       its dir (for `stop DIR` / `start DIR`)
#     COASSEMBLE_TEST_POSTGRES_TLS_URL   a TLS-only server: postgres://postgres:<password>@localhost:<port>/postgres
#                                        (no sslmode: each client says how it verifies)
#     COASSEMBLE_TEST_POSTGRES_TLS_ROOT  the PEM of its self-signed certificate, the root to trust
#                                        (CN=localhost, subjectAltName DNS:localhost, IP:127.0.0.1)
#     COASSEMBLE_TEST_POSTGRES_TLS_DIR   its dir
#   scripts/postgres.sh start DIR [tls]  initdb into DIR on first use, start on a free loopback port (the same
#                                        port again on a restart), print the connection URL. `tls` on first use
#                                        makes a TLS-only server (the mode is kept in DIR: a later `start DIR`
#                                        restarts it as it was made). A no-op when it is already running.
#   scripts/postgres.sh stop DIR         fast shutdown (no-op when it is not running)
#   scripts/postgres.sh url DIR          print the connection URL of the server in DIR
#   scripts/postgres.sh root DIR         print the path of the TLS server's certificate (the root to trust)
#   scripts/postgres.sh bin              print the directory of the server binaries (fails with what to install)
# The fault tests stop and restart a server mid-run with `stop DIR` / `start DIR`.
# TLS-only (what managed databases require): `ssl = on`, a password set by initdb --pwfile (scram-sha-256),
# pg_hba `hostssl ... scram-sha-256` and `hostnossl ... reject` (no unix-socket access either).
# Postgres refuses to run as root: as root, the server runs as the `postgres` user (runuser) and owns
# its data (the key too, mode 600); as a normal user, that user does.
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

mode_of() { cat "$1/mode" 2>/dev/null || echo trust; }

url_of() {
  if [ "$(mode_of "$1")" = tls ]; then
    # `localhost`, the certificate's name: verify-full checks it.
    echo "postgres://postgres:$(cat "$1/password")@localhost:$(cat "$1/port")/postgres"
  else
    echo "postgres://postgres@127.0.0.1:$(cat "$1/port")/postgres"
  fi
}

# The TLS-only configuration of a fresh cluster in $1/data (run once, right after initdb).
make_tls() {
  local dir=$1 data=$1/data
  command -v openssl >/dev/null || { say "openssl not found: needed for the TLS server (scripts/setup.sh postgres installs it as root on Debian)"; return 1; }
  # A self-signed certificate that is not a CA (basicConstraints CA:FALSE): a CA certificate used as the
  # server's own is refused by webpki (rustls: CaUsedAsEndEntity), while OpenSSL (libpq, Node) and
  # rustls both accept a trusted self-signed leaf. The names: CN and subjectAltName (rustls reads only
  # the latter). Short-lived: the servers live for one test run.
  cat >"$dir/openssl.cnf" <<'CNF'
[req]
distinguished_name = dn
prompt = no
x509_extensions = server
[dn]
CN = localhost
[server]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost, IP:127.0.0.1
subjectKeyIdentifier = hash
CNF
  openssl req -new -x509 -days 7 -nodes -newkey rsa:2048 -config "$dir/openssl.cnf" \
    -keyout "$dir/server.key" -out "$dir/server.crt" 2>"$dir/openssl.log" \
    || { cat "$dir/openssl.log" >&2; return 1; }
  install -m 600 "$dir/server.key" "$data/server.key"
  install -m 644 "$dir/server.crt" "$data/server.crt"
  rm -f "$dir/server.key"
  mv "$dir/server.crt" "$dir/root.crt"
  if [ "$(id -u)" = 0 ]; then chown postgres "$data/server.key" "$data/server.crt"; fi
  cat >>"$data/postgresql.conf" <<'CONF'

# scripts/postgres.sh: TLS only
ssl = on
ssl_cert_file = 'server.crt'
ssl_key_file = 'server.key'
password_encryption = 'scram-sha-256'
CONF
  # No `local` line: the unix socket is refused too. ::1 is listed for completeness (the server listens
  # on 127.0.0.1 only).
  cat >"$data/pg_hba.conf" <<'HBA'
# scripts/postgres.sh: TLS only, password (scram-sha-256) over TLS, everything else refused
hostssl   all all 127.0.0.1/32 scram-sha-256
hostnossl all all 127.0.0.1/32 reject
hostssl   all all ::1/128      scram-sha-256
hostnossl all all ::1/128      reject
HBA
}

running() { # the postmaster of $1 is alive
  local bin=$1 dir=$2
  [ -f "$dir/data/postmaster.pid" ] && as_owner "$bin/pg_ctl" -D "$dir/data" status >/dev/null 2>&1
}

start() {
  local dir=$1 mode=${2:-} bin
  bin=$(find_bin)
  mkdir -p "$dir"
  dir=$(cd "$dir" && pwd)
  if [ "$(id -u)" = 0 ]; then chown postgres "$dir"; fi
  if [ ! -f "$dir/data/PG_VERSION" ]; then
    rm -rf "$dir/data"
    if [ "$mode" = tls ]; then
      # The password: random, in a file only the owner reads (initdb --pwfile), and in the URL.
      (umask 077; openssl rand -hex 16 >"$dir/password")
      if [ "$(id -u)" = 0 ]; then chown postgres "$dir/password"; fi
      as_owner "$bin/initdb" -D "$dir/data" -A scram-sha-256 --pwfile="$dir/password" -U postgres --no-sync \
        >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; return 1; }
      make_tls "$dir"
      echo tls >"$dir/mode"
    else
      as_owner "$bin/initdb" -D "$dir/data" -A trust -U postgres --no-sync >"$dir/initdb.log" 2>&1 \
        || { cat "$dir/initdb.log" >&2; return 1; }
      echo trust >"$dir/mode"
    fi
  elif [ -n "$mode" ] && [ "$mode" != "$(mode_of "$dir")" ]; then
    say "$dir holds a $(mode_of "$dir") server, not $mode"; return 1
  fi
  [ -f "$dir/port" ] || free_port >"$dir/port"
  if ! running "$bin" "$dir"; then
    # Durability settings stay at their defaults (fsync, synchronous_commit on): the tests and the
    # benchmark measure a real commit. Enough connections for three receivers, their workers and a test.
    as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/log" -w -t 30 \
      -o "-p $(cat "$dir/port") -k $dir -c listen_addresses=127.0.0.1 -c max_connections=200" start >/dev/null \
      || { tail -n 20 "$dir/log" >&2; return 1; }
  fi
  url_of "$dir"
}

stop() {
  local dir=$1 bin
  [ -f "$dir/data/postmaster.pid" ] || return 0
  bin=$(find_bin)
  as_owner "$bin/pg_ctl" -D "$dir/data" -m fast -w -t 30 stop >/dev/null
}

root_of() {
  [ "$(mode_of "$1")" = tls ] || { say "$1 holds no TLS server"; return 1; }
  echo "$(cd "$1" && pwd)/root.crt"
}

case "${1:-}" in
  start) start "$2" "${3:-}" ;;
  stop) stop "$2" ;;
  url) url_of "$2" ;;
  root) root_of "$2" ;;
  bin) find_bin ;;
  run)
    shift
    DIR=$(mktemp -d "${TMPDIR:-/tmp}/coassemble-pg.XXXXXX")
    TLS_DIR=$(mktemp -d "${TMPDIR:-/tmp}/coassemble-pg-tls.XXXXXX")
    cleanup() {
      stop "$DIR" || true; stop "$TLS_DIR" || true
      rm -rf "$DIR" "$TLS_DIR"
    }
    trap cleanup EXIT
    trap 'exit 130' INT TERM
    URL=$(start "$DIR")
    say "server at $URL (data in $DIR)"
    TLS_URL=$(start "$TLS_DIR" tls)
    TLS_ROOT=$(root_of "$TLS_DIR")
    say "TLS-only server at $(echo "$TLS_URL" | sed 's/:[^:@/]*@/:***@/') (data in $TLS_DIR, root certificate $TLS_ROOT)"
    set +e
    COASSEMBLE_TEST_POSTGRES_URL=$URL COASSEMBLE_TEST_POSTGRES_DIR=$DIR \
      COASSEMBLE_TEST_POSTGRES_TLS_URL=$TLS_URL COASSEMBLE_TEST_POSTGRES_TLS_ROOT=$TLS_ROOT \
      COASSEMBLE_TEST_POSTGRES_TLS_DIR=$TLS_DIR "$@"
    code=$?
    set -e
    exit $code
    ;;
  *) sed -n '2,26p' "$0" >&2; exit 2 ;;
esac
