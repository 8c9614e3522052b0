# The menu. `just` lists the recipes; each says what it does.
# Install just itself with `cargo install just --locked` (about 1.5 min).

set dotenv-load := false
# Pass recipe arguments as "$@", so quoted arguments survive (e.g. --only "GET /health").
set positional-arguments := true

# PostgreSQL for `just test-pg` (any server you can create databases on).
pg_url := env_var_or_default("TEST_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")

# List the recipes
default:
    @just --list --unsorted

# Run the app, rebuilding and restarting on code changes when watchexec is installed (cargo install watchexec-cli --locked)
dev:
    #!/usr/bin/env sh
    if command -v watchexec >/dev/null 2>&1; then
        exec watchexec --restart --exts rs,toml --watch crates --watch migrations --watch Cargo.toml -- cargo run
    else
        echo "watchexec is not installed (cargo install watchexec-cli --locked): running without" >&2
        echo "restart on code change; templates still reload on their own" >&2
        exec cargo run
    fi

# Run every test on SQLite (no services needed)
test *args:
    cargo test --workspace "$@"

# Run every test on PostgreSQL: each test gets its own database on the server at TEST_DATABASE_URL
test-pg *args:
    TEST_DATABASE_URL={{pg_url}} cargo test --workspace "$@"

# Browser tests in Chromium, desktop and phone sizes (installs chromium, chromium-driver and axe-core when missing): just e2e [name filter]
e2e *args:
    sh scripts/e2e-setup.sh
    cargo test -p app --features e2e --test e2e -- "$@"

# The browser tests on PostgreSQL (TEST_DATABASE_URL, as for test-pg)
e2e-pg *args:
    sh scripts/e2e-setup.sh
    TEST_DATABASE_URL={{pg_url}} cargo test -p app --features e2e --test e2e -- "$@"

# The production topology from processes: HAProxy on :3000 -> 2 app replicas, 2 workers, PostgreSQL (TEST_DATABASE_URL's server, database `stack`); Ctrl-C stops it
stack:
    cargo build -p app
    sh scripts/stack.sh up

# The stack's tests on PostgreSQL with files in S3 (installs HAProxy and moto when missing): sessions, chat, SSE, jobs and files across replicas, a rolling restart under load
stack-test *args:
    sh scripts/stack.sh setup
    MOTO_SERVER="$(sh scripts/s3-setup.sh)" TEST_DATABASE_URL={{pg_url}} cargo test -p app --features stack --test stack -- "$@"

# The S3 storage backend against a real S3 server (moto, installed under target/ when missing)
s3-test *args:
    MOTO_SERVER="$(sh scripts/s3-setup.sh)" cargo test -p storage --features s3-tests --test s3 -- "$@"

# Format check and clippy with warnings as errors (the browser tests too)
lint:
    cargo fmt --all --check
    cargo clippy --workspace --all-targets -- -D warnings
    cargo clippy -p app --features e2e --tests -- -D warnings
    cargo clippy -p app --features stack --tests -- -D warnings

# Format the code
fmt:
    cargo fmt --all

# Apply pending migrations (or: just migrate status | down | fresh)
migrate *args="up":
    cargo run -- migrate "$@"

# Write new code, registered where it belongs: just generate job NAME | migration NAME [--dry-run]
generate *args:
    cargo run --quiet -- generate "$@"

# [demo:products begin]
# Insert demo products (idempotent)
seed products="100":
    cargo run -- seed --products {{products}}
# [demo:products end]

# Run background jobs only, no web server (`cargo run` already runs a worker in-process)
worker:
    cargo run -- worker

# Inspect and steer jobs: just jobs list | show ID | retry ID | cancel ID | purge
jobs *args="list":
    cargo run -- jobs "$@"

# Print the effective configuration
check:
    cargo run -- check

# Remove demo features with everything that registers them (see scripts/demos): just remove-demo all | products | export | todos | chat
remove-demo +names:
    sh scripts/remove-demo.sh "$@"

# Rename the project: page titles, compose project and images, SQLite file, session cookie
rename name:
    sh scripts/rename.sh "$1"

# Load-test the app against a bare axum + raw sqlx baseline, with budgets (BENCH_DATABASE_URL=postgres://... adds a PostgreSQL round)
bench *args: _wrk
    cargo build --release -p app -p bench
    target/release/bench "$@"

# The same, a few seconds per endpoint, for use while developing
bench-quick *args: _wrk
    cargo build --release -p app -p bench
    target/release/bench --quick "$@"

# The topology (HAProxy, 2 replicas, a worker) under mixed load on PostgreSQL for 10 minutes, the database restarted halfway: 5xx outside the restart, RSS drift, open files (just soak --minutes 2 for a short one)
soak *args: _wrk
    sh scripts/stack.sh setup
    cargo build --release -p app -p bench
    target/release/soak "$@"

# What metrics cost (APP_METRICS_ADDR on vs off, alternating runs, medians): GET /health and a product read
bench-metrics: _wrk
    cargo build --release -p app
    sh bench/metrics-overhead.sh

# Micro-benchmarks (divan) of hot paths the load test points at
bench-micro:
    cargo bench -p web

[private]
_wrk:
    #!/usr/bin/env sh
    command -v wrk >/dev/null 2>&1 && exit 0
    echo "wrk is not installed; installing it with apt-get" >&2
    if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
    $SUDO apt-get update -qq && $SUDO apt-get install -y -qq wrk

# Exactly what CI runs
ci:
    bash .ci/run
