#!/usr/bin/env bash
# `npm run docs`: builds the documentation site into docs/.vitepress/dist.
#   1. the TypeScript API reference: TypeDoc over the package's .d.ts entry points → docs/api (Markdown)
#   2. the site: VitePress (guides, API pages, performance page from bench/results/*.json, local search)
#   3. the Rust API: rustdoc of the native features (the server side) → dist/rust/
# Then read it with `npx vitepress preview docs` (it prints the URL).
set -euo pipefail
cd "$(dirname "$0")/.."
say() { echo "[docs] $*" >&2; }

say "typedoc → docs/api"
rm -rf docs/api
npx typedoc --options docs/.vitepress/typedoc.config.mjs --logLevel Warn

say "vitepress build → docs/.vitepress/dist"
npx vitepress build docs >&2

# The browser-only module (`web`, wasm32) is not in a native build; every other public item is.
say "cargo doc --no-deps --no-default-features --features webhook,json,inbox-sqlite,inbox-postgres → dist/rust"
cargo doc --no-deps --no-default-features --features webhook,json,inbox-sqlite,inbox-postgres --quiet
rm -rf docs/.vitepress/dist/rust
cp -r target/doc docs/.vitepress/dist/rust
say "done: docs/.vitepress/dist"
