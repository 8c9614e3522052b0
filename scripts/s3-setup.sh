#!/bin/sh
# What the S3 tests need: moto's S3 server (Python, from PyPI, pinned) in a virtualenv under
# ${CARGO_TARGET_DIR:-target}/s3/venv. Installs python3-venv with apt-get when venv is missing.
# Prints the server's path (MOTO_SERVER for the tests).
set -eu
cd "$(dirname "$0")/.."
MOTO_VERSION=5.2.5
venv="${CARGO_TARGET_DIR:-target}/s3/venv"
if [ ! -x "$venv/bin/moto_server" ] || ! "$venv/bin/pip" show moto 2>/dev/null | grep -q "^Version: $MOTO_VERSION\$"; then
    if ! python3 -m venv --help >/dev/null 2>&1 || ! python3 -c 'import ensurepip' 2>/dev/null; then
        echo "installing python3 and python3-venv (apt-get)" >&2
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq && apt-get install -y -qq --no-install-recommends python3 python3-venv >/dev/null
    fi
    rm -rf "$venv"
    python3 -m venv "$venv" >&2
    "$venv/bin/pip" install -q "moto[server]==$MOTO_VERSION" >&2
fi
echo "$(cd "$venv/bin" && pwd)/moto_server"
