#!/usr/bin/env bash
# Installs what building and testing need, idempotently; slow installs are cached outside the repo.
#   scripts/setup.sh          toolchain for building (wasm target, wasm-bindgen CLI, npm packages)
#   scripts/setup.sh browser  also the three browser engines for the browser tests: Chromium, Firefox
#                             ESR (+ geckodriver) and WebKitGTK (WebKitWebDriver, under Xvfb)
#   scripts/setup.sh postgres also a PostgreSQL server (15 on Debian) and openssl for the webhook inbox
#                             tests, whose second server is TLS-only
#   scripts/setup.sh prometheus  also Prometheus (`prometheus`, `promtool`) for the inbox metrics tests
#                             (modes combine: `scripts/setup.sh browser postgres prometheus` is what
#                             npm test runs)
# Browser mode records the paths it found in $CACHE/chrome-path and $CACHE/chromedriver-path. As root on
# Debian it installs what is missing; elsewhere it uses what is installed and says which engine it skips.
set -euo pipefail
cd "$(dirname "$0")/.."
say() { echo "[setup] $*" >&2; }
CACHE="${COASSEMBLE_EVENTS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/coassemble-events}"
mkdir -p "$CACHE"

# 1. Rust target for wasm.
if ! rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then
  say "adding the wasm32-unknown-unknown Rust target"
  rustup target add wasm32-unknown-unknown >&2
fi

# rustfmt: npm test checks formatting (absent from rustup's minimal profile).
if ! cargo fmt --version >/dev/null 2>&1; then
  say "adding the rustfmt component"
  rustup component add rustfmt >&2
fi

# 2. The wasm-bindgen CLI at exactly the version in Cargo.lock (a mismatch fails at bind time).
WB_VERSION=$(awk '/^name = "wasm-bindgen"$/{getline; gsub(/version = |"/,""); print; exit}' Cargo.lock)
WB_ROOT="$CACHE/wasm-bindgen-$WB_VERSION"
if [ ! -x "$WB_ROOT/bin/wasm-bindgen" ]; then
  say "installing wasm-bindgen-cli $WB_VERSION into $WB_ROOT (one time, about 4 minutes)"
  # No --locked: one of its locked dependency versions is no longer on the registry.
  cargo install wasm-bindgen-cli --version "$WB_VERSION" --root "$WB_ROOT" >&2
fi

# 3. npm packages (playwright-core, binaryen for wasm-opt). The lock file pins them.
if [ ! -d node_modules/playwright-core ] || [ ! -d node_modules/binaryen ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  say "installing npm packages"
  npm ci --no-audit --no-fund >&2
fi

# 4. Chromium (+ ChromeDriver for the Rust wasm-bindgen tests): use what is there; as root on Debian,
#    install Debian's.
wants() { local m; for m in "${MODES[@]}"; do [ "$m" = "$1" ] && return 0; done; return 1; }
MODES=("$@")
if wants browser; then
  find_chrome() {
    for c in "${CHROME_PATH:-}" /usr/bin/chromium /usr/bin/chromium-browser /usr/bin/google-chrome \
             /usr/bin/google-chrome-stable "/Applications/Google Chrome.app/Contents/MacOS/Google Chrome" \
             "/Applications/Chromium.app/Contents/MacOS/Chromium"; do
      [ -n "$c" ] && [ -x "$c" ] && { echo "$c"; return 0; }
    done
    for n in chromium chromium-browser google-chrome google-chrome-stable; do
      command -v "$n" 2>/dev/null && return 0
    done
    return 1
  }
  find_driver() {
    for c in "${CHROMEDRIVER:-}" /usr/bin/chromedriver; do
      [ -n "$c" ] && [ -x "$c" ] && { echo "$c"; return 0; }
    done
    command -v chromedriver 2>/dev/null
  }
  if ! CHROME=$(find_chrome) || ! DRIVER=$(find_driver); then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
      say "installing Debian chromium and chromium-driver (apt-get)"
      (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver) >&2
      CHROME=$(find_chrome); DRIVER=$(find_driver)
    elif [ -z "${CHROME:-}" ]; then
      say "No Chrome or Chromium found. Install one (e.g. your package manager's 'chromium'),"
      say "or set CHROME_PATH=/path/to/chrome, then run this again."
      exit 1
    else
      say "No chromedriver found (needed by the Rust browser tests, tests/web.rs). Install the"
      say "chromedriver matching $CHROME (e.g. package 'chromium-driver'), or set CHROMEDRIVER=/path/to/it."
      exit 1
    fi
  fi
  echo "$CHROME" > "$CACHE/chrome-path"
  echo "$DRIVER" > "$CACHE/chromedriver-path"
  say "browser: $CHROME, driver: $DRIVER"

  # 5. Firefox ESR and WebKitGTK. --no-install-recommends: without it Firefox pulls 32 codec packages
  #    and upgrades mesa under Chromium. Tests look for the same paths (tests/support/engines.mjs).
  missing_debs=()
  [ -x /usr/bin/firefox-esr ] || missing_debs+=(firefox-esr)
  [ -x /usr/bin/WebKitWebDriver ] || missing_debs+=(webkit2gtk-driver)
  [ -x /usr/bin/Xvfb ] || missing_debs+=(xvfb)
  if [ ${#missing_debs[@]} -gt 0 ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
      say "installing ${missing_debs[*]} (apt-get, --no-install-recommends)"
      (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing_debs[@]}") >&2
    else
      say "not root on Debian: cannot install ${missing_debs[*]}."
      [ -x /usr/bin/firefox-esr ] || say "  Firefox tests are SKIPPED: install firefox-esr (or set FIREFOX_PATH)."
      [ -x /usr/bin/WebKitWebDriver ] || say "  WebKit tests are SKIPPED: install webkit2gtk-driver (or set WEBKIT_DRIVER)."
      [ -x /usr/bin/Xvfb ] || say "  WebKit tests are SKIPPED: install xvfb (WebKitGTK has no headless mode)."
    fi
  fi

  # 6. geckodriver, for the Rust wasm-bindgen tests in Firefox (about 2 minutes to compile, once).
  GECKO_ROOT="$CACHE/geckodriver"
  if [ ! -x "$GECKO_ROOT/bin/geckodriver" ] && ! command -v geckodriver >/dev/null; then
    say "installing geckodriver into $GECKO_ROOT (one time, about 2 minutes)"
    cargo install geckodriver --locked --root "$GECKO_ROOT" >&2
  fi
fi

# 7. PostgreSQL server binaries (initdb, pg_ctl) for the inbox tests, and openssl for the TLS-only server's
#    certificate; scripts/postgres.sh runs them. Use what is there; as root on Debian, install Debian's
#    (its default cluster stays down: the tests initdb their own into temp dirs).
if wants postgres; then
  missing_debs=()
  bash scripts/postgres.sh bin >/dev/null 2>&1 || missing_debs+=(postgresql)
  command -v openssl >/dev/null || missing_debs+=(openssl)
  if [ ${#missing_debs[@]} -gt 0 ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
      say "installing ${missing_debs[*]} (apt-get, --no-install-recommends)"
      (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing_debs[@]}") >&2
    else
      say "not root on Debian: cannot install ${missing_debs[*]}."
    fi
  fi
  bash scripts/postgres.sh bin >/dev/null || exit 1
  if ! command -v openssl >/dev/null; then
    say "openssl not found: the TLS-only PostgreSQL of the tests needs it to make its certificate."
    say "Install it (Debian/Ubuntu: 'openssl'; macOS: 'brew install openssl') and run this again."
    exit 1
  fi
  say "postgres: $(bash scripts/postgres.sh bin), openssl: $(command -v openssl)"
fi

# 8. Prometheus (server + promtool) for the inbox metrics test (tests/node/inbox-metrics.test.mjs): a
#    real server scrapes a receiver. Use what is there; as root on Debian, install Debian's (no service
#    starts in a container: the test runs its own server on a free port). Elsewhere the test skips and
#    says so.
if wants prometheus; then
  if ! command -v prometheus >/dev/null || ! command -v promtool >/dev/null; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
      say "installing Debian prometheus (apt-get, --no-install-recommends)"
      (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus) >&2
    else
      say "not root on Debian: cannot install prometheus. The metrics test against a real Prometheus is"
      say "  SKIPPED: install Prometheus 2.x so that 'prometheus' and 'promtool' are on PATH."
    fi
  fi
  if command -v prometheus >/dev/null; then say "prometheus: $(command -v prometheus)"; fi
fi
