#!/bin/sh
# `just bench-metrics`: what recording metrics (APP_METRICS_ADDR) costs. Two release servers on
# one seeded SQLite file, one with metrics and one without, loaded in turn (wrk, 64 connections,
# 6 s, five rounds each, alternating so drift on a shared machine hits both): GET /health and
# GET /api/products/{id}. Prints every run and each side's median.
set -eu
cd "$(dirname "$0")/.."
app=${CARGO_TARGET_DIR:-target}/release/app
dir=$(mktemp -d)
trap 'kill $off $on 2>/dev/null; rm -rf "$dir"' EXIT
export APP_ENV=production APP_SECRET_KEY=bench-only-secret-key-0123456789abcdef \
    APP_ALLOWED_HOSTS=127.0.0.1,localhost RUST_LOG=warn DATABASE_URL="sqlite://$dir/m.db?mode=rwc" \
    APP_TEMPLATES_DIR="$PWD/templates" APP_STATIC_DIR="$PWD/static" APP_DATA_DIR="$dir/data" \
    APP_JOBS_IN_PROCESS=false
"$app" migrate up >/dev/null
"$app" seed --products 10000 >/dev/null
APP_ADDR=127.0.0.1:18101 "$app" serve >/dev/null 2>&1 &
off=$!
APP_ADDR=127.0.0.1:18102 APP_METRICS_ADDR=127.0.0.1:18199 "$app" serve >/dev/null 2>&1 &
on=$!
until wrk -t1 -c1 -d1s http://127.0.0.1:18102/health >/dev/null 2>&1; do :; done
printf 'request = function() return wrk.format("GET", "/api/products/" .. math.random(1, 10000)) end\n' >"$dir/id.lua"
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
for row in health id; do
    : >"$dir/off" && : >"$dir/on"
    for round in 1 2 3 4 5; do
        for side in off on; do
            port=18101 && [ $side = on ] && port=18102
            if [ $row = id ]; then
                rate=$(wrk -t2 -c64 -d6s -s "$dir/id.lua" "http://127.0.0.1:$port" | awk '/Requests\/sec/ { print $2 }')
            else
                rate=$(wrk -t2 -c64 -d6s "http://127.0.0.1:$port/health" | awk '/Requests\/sec/ { print $2 }')
            fi
            echo "$rate" >>"$dir/$side"
            echo "$row round $round metrics $side: $rate req/s"
        done
    done
    a=$(median <"$dir/off") && b=$(median <"$dir/on")
    echo "$row: median $a req/s without metrics, $b with ($(awk "BEGIN { printf \"%+.1f\", ($b / $a - 1) * 100 }") %)"
done
