#!/usr/bin/env bash
# Fuzzes the wire decoder, the webhook verifier and the JSON text reader against serde_json (json_differential) with libFuzzer (cargo-fuzz) for a fixed budget,
# and prints how many inputs each target ran. Not part of `npm test` (minutes, not seconds).
#   bash scripts/fuzz.sh              1,000,000 inputs per target
#   RUNS=100000 bash scripts/fuzz.sh  a shorter run
# cargo-fuzz needs nightly-only compiler flags (sanitizer coverage); RUSTC_BOOTSTRAP=1 lets the
# stable toolchain accept them, for this build only. The seed corpus (fuzz/corpus/*/seed-*) comes
# from tests/vectors (node fuzz/seed.mjs); inputs libFuzzer adds next to it are not committed.
set -euo pipefail
cd "$(dirname "$0")/.."
CACHE="${COASSEMBLE_EVENTS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/coassemble-events}"
RUNS="${RUNS:-1000000}"
if [ ! -x "$CACHE/cargo-fuzz/bin/cargo-fuzz" ]; then
  echo "[fuzz] installing cargo-fuzz into $CACHE/cargo-fuzz (one time, a few minutes)" >&2
  cargo install cargo-fuzz --root "$CACHE/cargo-fuzz" >&2
fi
export PATH="$CACHE/cargo-fuzz/bin:$PATH" RUSTC_BOOTSTRAP=1
cd fuzz
for target in decode webhook_verify json_differential; do
  log=$(mktemp)
  if ! cargo fuzz run -O "$target" -- -runs="$RUNS" -print_final_stats=1 >"$log" 2>&1; then
    tail -40 "$log" >&2
    echo "[fuzz] $target: FAILED (crash input saved under fuzz/artifacts/$target/)" >&2
    exit 1
  fi
  done_line=$(grep -E '^Done [0-9]+ runs' "$log" | tail -1)
  echo "[fuzz] $target: ${done_line#Done }, 0 crashes"
  rm -f "$log"
done
