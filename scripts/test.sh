#!/usr/bin/env bash
# `npm test`: sets up what is missing (idempotent), builds, and runs every test suite, all of them
# with two throw-away PostgreSQL servers (scripts/postgres.sh run), stopped and deleted afterwards, also
# when a suite fails: a plain one (COASSEMBLE_TEST_POSTGRES_URL, trust) and a TLS-only one as managed
# databases are (COASSEMBLE_TEST_POSTGRES_TLS_URL with a password and no sslmode; its self-signed root
# certificate at COASSEMBLE_TEST_POSTGRES_TLS_ROOT).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${1:-}" != suites ]; then
  bash scripts/setup.sh browser postgres prometheus
  bash scripts/build.sh
  exec bash scripts/postgres.sh run bash "$0" suites
fi

# Both servers are up, or scripts/postgres.sh run has failed already; a suite must not skip either.
: "${COASSEMBLE_TEST_POSTGRES_URL:?} ${COASSEMBLE_TEST_POSTGRES_TLS_URL:?} ${COASSEMBLE_TEST_POSTGRES_TLS_ROOT:?}"
export COASSEMBLE_TEST_POSTGRES_URL COASSEMBLE_TEST_POSTGRES_TLS_URL COASSEMBLE_TEST_POSTGRES_TLS_ROOT

echo "== size: gzipped bytes per entry point, against size-budget.json =="
node scripts/size.mjs --check

echo "== format: cargo fmt --check =="
cargo fmt --check

echo "== native: cargo test (decoder, progress rules, webhooks, inbox on SQLite and PostgreSQL) =="
cargo test --quiet --features inbox-sqlite,inbox-postgres

# As root on Debian, setup installed every engine: a missing one is then a failure, never a skip.
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then export COASSEMBLE_EVENTS_REQUIRE_ENGINES=1; fi
skip_engine() {
  if [ "${COASSEMBLE_EVENTS_REQUIRE_ENGINES:-}" = 1 ]; then echo "[test] $1 missing: $2" >&2; exit 1; fi
  echo "[test] SKIPPING $1: $2" >&2
}

echo "== browser: the Rust API (tests/web.rs, wasm-bindgen-test) in Chromium, Firefox and WebKit =="
CACHE="${COASSEMBLE_EVENTS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/coassemble-events}"
WB_VERSION=$(awk '/^name = "wasm-bindgen"$/{getline; gsub(/version = |"/,""); print; exit}' Cargo.lock)
web_tests() {
  PATH="$CACHE/wasm-bindgen-$WB_VERSION/bin:$PATH" \
    cargo test --target wasm32-unknown-unknown --no-default-features --features browser --test web
}
echo "-- chromium"
CHROMEDRIVER="$(cat "$CACHE/chromedriver-path")" web_tests

echo "-- firefox"
GECKODRIVER_BIN="$CACHE/geckodriver/bin/geckodriver"
[ -x "$GECKODRIVER_BIN" ] || GECKODRIVER_BIN="$(command -v geckodriver || true)"
if [ -n "$GECKODRIVER_BIN" ] && { [ -x /usr/bin/firefox-esr ] || command -v firefox >/dev/null; }; then
  # Firefox writes into $HOME even with a temporary profile: a throwaway HOME (cargo keeps its own).
  FIREFOX_HOME=$(mktemp -d)
  CARGO_HOME="${CARGO_HOME:-$HOME/.cargo}" RUSTUP_HOME="${RUSTUP_HOME:-$HOME/.rustup}" HOME="$FIREFOX_HOME" \
    GECKODRIVER="$GECKODRIVER_BIN" web_tests
  rm -rf "$FIREFOX_HOME"
else
  skip_engine firefox "needs firefox-esr and geckodriver (bash scripts/setup.sh browser, as root on Debian)"
fi

echo "-- webkit"
if [ -x /usr/bin/WebKitWebDriver ] && command -v Xvfb >/dev/null; then
  # WebKitGTK has no headless mode: a private Xvfb display, and WebKitWebDriver on a free port.
  WEBKIT_TMP=$(mktemp -d)
  Xvfb -displayfd 1 -nolisten tcp >"$WEBKIT_TMP/display" 2>/dev/null & XVFB_PID=$!
  WEBKIT_PORT=$(node -e "const s = require('net').createServer().listen(0, '127.0.0.1', () => { console.log(s.address().port); s.close(); })")
  trap 'kill ${WEBDRIVER_PID:-} $XVFB_PID 2>/dev/null || true; rm -rf "$WEBKIT_TMP"' EXIT
  for _ in $(seq 100); do [ -s "$WEBKIT_TMP/display" ] && break; sleep 0.1; done
  DISPLAY=":$(cat "$WEBKIT_TMP/display")" /usr/bin/WebKitWebDriver --port="$WEBKIT_PORT" >/dev/null 2>&1 & WEBDRIVER_PID=$!
  for _ in $(seq 100); do node -e "fetch('http://127.0.0.1:$WEBKIT_PORT/status').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))" && break; sleep 0.1; done
  SAFARIDRIVER_REMOTE="http://127.0.0.1:$WEBKIT_PORT" web_tests
  kill "$WEBDRIVER_PID" "$XVFB_PID" 2>/dev/null || true
  trap - EXIT
  rm -rf "$WEBKIT_TMP"
else
  skip_engine webkit "needs WebKitWebDriver (webkit2gtk-driver) and Xvfb (bash scripts/setup.sh browser, as root on Debian)"
fi

echo "== node + browser: node --test (package API in Node; browser suites in Chromium, Firefox and WebKit) =="
node --test --test-concurrency=1 tests/*/*.test.mjs
