#!/usr/bin/env bash
# Builds the npm package:
#   pkg/web/       in-page wasm (feature "npm-bundle")       } skipped when the Rust sources and
#   pkg/webhooks/  webhook verifier wasm (feature "webhook-js") } these scripts are unchanged
#   dist/          the shipped JavaScript: one minified file per entry point (scripts/bundle.mjs)
# Both wasm bundles are wasm-bindgen --target web glue whose wasm is inlined (wasm-bytes.js) and
# instantiated with initSync. Why inline: `new URL('x.wasm', import.meta.url)` breaks in Vite's dev
# server (pre-bundled deps lose the file, vitejs/vite#8427) and needs a fetch; inlined bytes work
# unchanged in plain browsers, Vite, webpack 5, Node and edge runtimes, and a synchronous init means
# the listener is live in the same task as attach, so no message can slip past while wasm loads.
# The cost (a few % over the gzipped binary, see scripts/pack-wasm.mjs) is measured by `npm run size`.
set -euo pipefail
cd "$(dirname "$0")/.."
CACHE="${COASSEMBLE_EVENTS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/coassemble-events}"
WB_VERSION=$(awk '/^name = "wasm-bindgen"$/{getline; gsub(/version = |"/,""); print; exit}' Cargo.lock)
WB="$CACHE/wasm-bindgen-$WB_VERSION/bin/wasm-bindgen"
[ -x "$WB" ] || { echo "[build] wasm-bindgen $WB_VERSION missing: run scripts/setup.sh" >&2; exit 1; }
WASM_OPT="node_modules/.bin/wasm-opt"
[ -x "$WASM_OPT" ] || { echo "[build] wasm-opt missing: run scripts/setup.sh" >&2; exit 1; }

bundle() { # <out dir> <out name> <cargo feature args...>
  local out=$1 name=$2; shift 2
  echo "[build] $name: cargo build --release --target wasm32-unknown-unknown $*" >&2
  cargo build --quiet --release --target wasm32-unknown-unknown --lib "$@"
  rm -rf "$out" && mkdir -p "$out"
  "$WB" --target web --no-typescript --out-dir "$out" --out-name "$name" \
    target/wasm32-unknown-unknown/release/coassemble_events.wasm
  # -Oz, then short import/export names (the mapping goes to the glue: scripts/pack-wasm.mjs).
  "$WASM_OPT" -Oz --enable-bulk-memory --enable-sign-ext --enable-nontrapping-float-to-int \
    --enable-mutable-globals --enable-reference-types --strip-debug --strip-producers \
    --minify-imports-and-exports-and-modules \
    "$out/${name}_bg.wasm" -o "$out/${name}_bg.wasm" > "$out/names.json"
  node scripts/pack-wasm.mjs "$out" "$name" "$out/names.json"
  rm "$out/names.json"
}

stamp=$(cat Cargo.toml Cargo.lock $(find src -type f | sort) scripts/build.sh scripts/pack-wasm.mjs | cksum | cut -d' ' -f1)
if [ -f pkg/.stamp ] && [ "$(cat pkg/.stamp)" = "$stamp" ]; then
  echo "[build] pkg/ is up to date" >&2
else
  bundle pkg/web coassemble_events --no-default-features --features npm-bundle
  bundle pkg/webhooks coassemble_events_webhooks --no-default-features --features webhook-js
  echo "$stamp" > pkg/.stamp
  echo "[build] wasm: $(wc -c < pkg/web/coassemble_events_bg.wasm) B in-page" >&2
fi
# Fast (well under a second): always run, so an edit in js/ is never shipped stale.
node scripts/bundle.mjs
echo "[build] done: dist/" >&2
