#!/usr/bin/env bash
# Install what wangge needs on Debian 12, and nothing that is already there.
#
# usage: scripts/setup.sh run|check|bench
#   run    build tools and libraries: enough to build and serve
#   check  + test tools: cmocka, Node.js (for the API tests), Chromium and
#          the Noto CJK fonts (for the browser tests: Chinese must render)
#   bench  + load tools and anchors: wrk, nginx (bench/http), PostgreSQL 15 +
#          PostGIS 3 (bench/locate)
#
# Idempotent and non-interactive: it asks dpkg what is missing, and only
# then runs apt-get update (once) and apt-get install.
set -euo pipefail
cd "$(dirname "$0")/.."

profile=${1:-run}
pkgs=(gcc libc6-dev pkg-config meson ninja-build python3
      libmicrohttpd-dev libjansson-dev libsqlite3-dev libsodium-dev libcsv-dev
      libgeos-dev libproj-dev libxlsxwriter-dev zlib1g-dev)
case "$profile" in
    run) ;;
    check) pkgs+=(libcmocka-dev curl sqlite3 chromium fonts-noto-cjk unzip) ;;
    bench) pkgs+=(wrk nginx-light curl postgresql-15 postgresql-15-postgis-3 postgresql-client-15) ;;
    *) echo "usage: $0 run|check|bench" >&2; exit 2 ;;
esac

missing=()
for p in "${pkgs[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
        missing+=("$p")
    fi
done

# Node.js 18+ with npm runs the API tests and installs the npm packages.
# The machine may bring its own (not from Debian's package); only install
# Debian's when there is none.
if ! command -v node >/dev/null 2>&1; then
    missing+=(nodejs)
fi

if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" -ne 0 ]; then
        echo "setup: missing packages: ${missing[*]}; run as root or install them" >&2
        exit 1
    fi
    echo "setup: installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# npm packages (data for the demo; the console's libraries, Leaflet and
# ECharts; playwright-core, which drives Debian's chromium in the browser
# tests and downloads no browser; axe-core, the accessibility checker the
# browser tests run in the page): only when the lock file changed since
# the last install.
if [ "$profile" != bench ]; then
    if ! command -v npm >/dev/null 2>&1; then
        echo "setup: npm is needed for the demo data and the console (install Node.js with npm)" >&2
        exit 1
    fi
    if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
        echo "setup: npm ci"
        npm ci --no-audit --no-fund --ignore-scripts --loglevel=error
    fi
fi

if [ "$profile" = check ]; then
    major=$(node -e 'console.log(process.versions.node.split(".")[0])')
    if [ "$major" -lt 18 ]; then
        echo "setup: Node.js $major is too old for the API tests (need 18+)" >&2
        exit 1
    fi
fi
