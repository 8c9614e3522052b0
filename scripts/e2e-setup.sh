#!/bin/sh
# What the browser tests (`just e2e`) need besides cargo: Debian's Chromium and chromedriver, and
# axe-core from npm (pinned by crates/app/tests/e2e/package-lock.json), installed under
# target/e2e/js (or $CARGO_TARGET_DIR/e2e/js), where the tests read it. Safe to run again: it
# installs only what is missing.
set -eu
cd "$(dirname "$0")/.."

if ! command -v chromium >/dev/null 2>&1 || ! command -v chromedriver >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "installing chromium and chromium-driver with apt-get" >&2
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null
    else
        echo "the browser tests need chromium and chromedriver on PATH" >&2
        echo "(Debian/Ubuntu: sudo apt-get install chromium chromium-driver)" >&2
        exit 1
    fi
fi

js="${CARGO_TARGET_DIR:-target}/e2e/js"
if [ ! -f "$js/node_modules/axe-core/axe.min.js" ]; then
    if ! command -v npm >/dev/null 2>&1; then
        if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
            apt-get update -qq
            DEBIAN_FRONTEND=noninteractive apt-get install -y -qq npm >/dev/null
        else
            echo "the browser tests need npm to fetch axe-core (sudo apt-get install npm)" >&2
            exit 1
        fi
    fi
    mkdir -p "$js"
    cp crates/app/tests/e2e/package.json crates/app/tests/e2e/package-lock.json "$js/"
    (cd "$js" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error)
fi
