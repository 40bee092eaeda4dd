#!/usr/bin/env bash
# `npm test`: sets up what is missing (idempotent), builds, and runs every test suite, all of them
# with a throw-away PostgreSQL server (scripts/postgres.sh: COASSEMBLE_TEST_POSTGRES_URL), stopped and
# deleted afterwards, also when a suite fails.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${1:-}" != suites ]; then
  bash scripts/setup.sh browser postgres
  bash scripts/build.sh
  exec bash scripts/postgres.sh run bash "$0" suites
fi

echo "== size: gzipped bytes per entry point, against size-budget.json =="
node scripts/size.mjs --check

echo "== format: cargo fmt --check =="
cargo fmt --check

echo "== native: cargo test (decoder, progress rules, webhooks, inbox on SQLite and PostgreSQL) =="
cargo test --quiet --features inbox-sqlite,inbox-postgres

echo "== browser: the Rust API (tests/web.rs, wasm-bindgen-test in headless Chromium) =="
CACHE="${COASSEMBLE_EVENTS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/coassemble-events}"
WB_VERSION=$(awk '/^name = "wasm-bindgen"$/{getline; gsub(/version = |"/,""); print; exit}' Cargo.lock)
PATH="$CACHE/wasm-bindgen-$WB_VERSION/bin:$PATH" CHROMEDRIVER="$(cat "$CACHE/chromedriver-path")" \
  cargo test --target wasm32-unknown-unknown --no-default-features --features browser --test web

echo "== node + browser: node --test (package API in Node and in headless Chromium) =="
node --test --test-concurrency=1 tests/*/*.test.mjs
