#!/usr/bin/env bash
# `npm test`: sets up what is missing (idempotent), builds, and runs every test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh browser
bash scripts/build.sh

echo "== native: cargo test (decoder, progress rules, webhooks) =="
cargo test --quiet --features webhook

echo "== node + browser: node --test (package API in Node and in headless Chromium) =="
node --test --test-concurrency=1 tests/*/*.test.mjs
