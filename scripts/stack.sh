#!/bin/sh
# The production topology from processes on this machine (`just stack`):
#
#   HAProxy on :3000, with the config compose ships (docker/proxy/haproxy.cfg)
#     -> two `app serve` replicas (:3101, :3102; jobs off, metrics on :9101, :9102)
#   two `app worker`s (metrics on :9201, :9202)
#   one PostgreSQL database (STACK_DATABASE_URL, default: database `stack` on the server at
#   TEST_DATABASE_URL or postgres://postgres@127.0.0.1:5432), migrated once before anything starts
#   mail: APP_MAILER (default `log`; point it at an SMTP sink, e.g. smtp://127.0.0.1:1025)
#
# Ctrl-C stops everything. Logs go to target/stack/*.log. `cargo build` first (or `just stack`).
#
#   sh scripts/stack.sh [up]                       run the stack
#   sh scripts/stack.sh haproxy-config PORT ADDR…  print the proxy's config for fixed backends
#   sh scripts/stack.sh setup                      install HAProxy (Debian's) when missing
set -eu
cd "$(dirname "$0")/.."

# The shipped config, with fixed backends instead of Docker's DNS: the same timeouts, retry
# rules and health checks as in compose.
haproxy_config() {
    port=$1
    shift
    sed -e '/^resolvers docker/,/^$/d' \
        -e "s/^    bind :8080\$/    bind 127.0.0.1:$port/" \
        -e 's/ resolvers docker resolve-prefer ipv4 init-addr none//' \
        -e '/^    # Up to 20 replicas/d' \
        -e '/server-template/d' \
        docker/proxy/haproxy.cfg
    n=0
    for backend in "$@"; do
        n=$((n + 1))
        echo "    server app$n $backend"
    done
}

setup() {
    command -v haproxy >/dev/null 2>&1 && return 0
    echo "installing HAProxy (apt-get)" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq && apt-get install -y -qq --no-install-recommends haproxy >/dev/null
}

up() {
    setup
    target=${CARGO_TARGET_DIR:-target}
    app="$target/debug/app"
    [ -x "$app" ] || cargo build -p app
    server=${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}
    base=${server%%\?*}
    query=""
    [ "$base" = "$server" ] || query="?${server#*\?}"
    url=${STACK_DATABASE_URL:-${base%/*}/stack$query}
    psql "${base}${query}" -Atc "SELECT 1 FROM pg_database WHERE datname = 'stack'" | grep -q 1 \
        || psql "${base}${query}" -qc 'CREATE DATABASE stack'
    logs="$target/stack"
    mkdir -p "$logs" "$logs/data"
    export DATABASE_URL="$url" APP_MIGRATE_ON_START=false APP_DATA_DIR="$PWD/$logs/data" \
        APP_TRUSTED_PROXIES=127.0.0.1 APP_SHUTDOWN_DELAY_SECS=4 APP_MAILER="${APP_MAILER:-log}" \
        CHECK_HOST=localhost
    "$app" migrate up
    pids=""
    trap 'kill $pids 2>/dev/null; wait; echo "stack stopped"' INT TERM EXIT
    for n in 1 2; do
        APP_ADDR=127.0.0.1:310$n APP_METRICS_ADDR=127.0.0.1:910$n APP_JOBS_IN_PROCESS=false \
            "$app" serve >"$logs/app$n.log" 2>&1 &
        pids="$pids $!"
        APP_METRICS_ADDR=127.0.0.1:920$n "$app" worker >"$logs/worker$n.log" 2>&1 &
        pids="$pids $!"
    done
    haproxy_config 3000 127.0.0.1:3101 127.0.0.1:3102 >"$logs/haproxy.cfg"
    haproxy -db -f "$logs/haproxy.cfg" >"$logs/haproxy.log" 2>&1 &
    pids="$pids $!"
    echo "http://127.0.0.1:3000 (HAProxy) -> app :3101 :3102; workers x2; logs in $logs/"
    echo "metrics: http://127.0.0.1:9101/metrics :9102 (replicas), :9201 :9202 (workers)"
    wait
}

case "${1:-up}" in
    up) up ;;
    setup) setup ;;
    haproxy-config) shift && haproxy_config "$@" ;;
    *) echo "usage: $0 [up | setup | haproxy-config PORT ADDR...]" >&2 && exit 2 ;;
esac
