#!/usr/bin/env bash
# Builds the npm package:
#   pkg/web/       in-page wasm (feature "npm-bundle", its own C ABI: src/abi.rs)  } skipped when the
#   pkg/webhooks/  webhook verifier wasm (feature "webhook-js", wasm-bindgen)      } Rust sources and
#   dist/          the shipped JavaScript: one minified file per entry point        } these scripts are
#                  (scripts/bundle.mjs)                                               unchanged
# Both wasm files are inlined as a module of bytes (wasm-bytes.js, scripts/inline-wasm.mjs) and
# instantiated synchronously. Why inline: `new URL('x.wasm', import.meta.url)` breaks in Vite's dev
# server (pre-bundled deps lose the file, vitejs/vite#8427) and needs a fetch; inlined bytes work
# unchanged in plain browsers, Vite, webpack 5, Node and edge runtimes, and a synchronous init means
# the listener is live in the same task as attach, so no message can slip past while wasm loads.
# The cost (a few % over the gzipped binary) is measured by `npm run size`.
set -euo pipefail
cd "$(dirname "$0")/.."
CACHE="${COASSEMBLE_EVENTS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/coassemble-events}"
WB_VERSION=$(awk '/^name = "wasm-bindgen"$/{getline; gsub(/version = |"/,""); print; exit}' Cargo.lock)
WB="$CACHE/wasm-bindgen-$WB_VERSION/bin/wasm-bindgen"
[ -x "$WB" ] || { echo "[build] wasm-bindgen $WB_VERSION missing: run scripts/setup.sh" >&2; exit 1; }
WASM_OPT="node_modules/.bin/wasm-opt"
[ -x "$WASM_OPT" ] || { echo "[build] wasm-opt missing: run scripts/setup.sh" >&2; exit 1; }

WASM_OPT_FLAGS=(-Oz --enable-bulk-memory --enable-sign-ext --enable-nontrapping-float-to-int
  --enable-mutable-globals --strip-debug --strip-producers)
WASM_OUT=target/wasm32-unknown-unknown/release/coassemble_events.wasm

in_page() { # the npm package's in-page wasm: six exports (src/abi.rs), no generated glue
  # The profile's opt-level "z"; the JSON reader's few hot helpers are `#[inline(always)]` instead:
  # measured on a progress message, "s" made it 1.7x faster for 1.1 KB more gzipped, and the helpers
  # alone get most of that for 0.3 KB (CONTRIBUTING.md, Size).
  echo "[build] in-page: cargo build --release --target wasm32-unknown-unknown --features npm-bundle" >&2
  # Its memory may grow to 16 MiB, no further (the linker's default is 4 GiB): trusted messages are
  # envelopes of a few KB, and a page must not lose gigabytes to one iframe posting a huge string.
  # A trusted message of more than about 5 million characters then exhausts it and the core traps
  # (reported as internal_error, the embed carries on in a new instance: js/page/embed-handle.js);
  # tests/browser/trap.test.mjs makes it trap that way, the one path to a trap with no test hook.
  cargo rustc --quiet --release --target wasm32-unknown-unknown --lib --no-default-features --features npm-bundle \
    -- -C link-arg=--max-memory=16777216
  rm -rf pkg/web && mkdir -p pkg/web
  # (--converge and no target-features section: 290 B less gzipped; the memory is the module's own,
  # so zero-filled at start.)
  "$WASM_OPT" "${WASM_OPT_FLAGS[@]}" --converge --strip-target-features --zero-filled-memory \
    "$WASM_OUT" -o pkg/web/coassemble_events_bg.wasm
  node scripts/inline-wasm.mjs pkg/web/coassemble_events_bg.wasm pkg/web/wasm-bytes.js
}

webhooks() { # the webhooks entry's wasm: wasm-bindgen --target web glue (scripts/pack-wasm.mjs)
  local out=pkg/webhooks name=coassemble_events_webhooks
  # Built for speed (Cargo.toml, profile server-wasm): it runs once per delivery on a server.
  echo "[build] webhooks: cargo build --profile server-wasm --target wasm32-unknown-unknown --features webhook-js" >&2
  cargo build --quiet --profile server-wasm --target wasm32-unknown-unknown --lib --no-default-features --features webhook-js
  rm -rf "$out" && mkdir -p "$out"
  "$WB" --target web --no-typescript --out-dir "$out" --out-name "$name" target/wasm32-unknown-unknown/server-wasm/coassemble_events.wasm
  # -O3, then short import/export names (the mapping goes to the glue: scripts/pack-wasm.mjs).
  "$WASM_OPT" "${WASM_OPT_FLAGS[@]/-Oz/-O3}" --enable-reference-types --minify-imports-and-exports-and-modules \
    "$out/${name}_bg.wasm" -o "$out/${name}_bg.wasm" > "$out/names.json"
  node scripts/pack-wasm.mjs "$out" "$name" "$out/names.json"
  rm "$out/names.json"
}

stamp=$(cat Cargo.toml Cargo.lock $(find src -type f | sort) scripts/build.sh scripts/pack-wasm.mjs scripts/inline-wasm.mjs js/page/listen.js js/page/origin.js | cksum | cut -d' ' -f1)
if [ -f pkg/.stamp ] && [ "$(cat pkg/.stamp)" = "$stamp" ]; then
  echo "[build] pkg/ is up to date" >&2
else
  in_page
  webhooks
  echo "$stamp" > pkg/.stamp
  echo "[build] wasm: $(wc -c < pkg/web/coassemble_events_bg.wasm) B in-page" >&2
fi
# Fast (well under a second): always run, so an edit in js/ is never shipped stale.
node scripts/bundle.mjs
echo "[build] done: dist/" >&2
