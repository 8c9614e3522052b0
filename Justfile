# The menu. `just` lists the recipes; each says what it does.
# Install just itself with `cargo install just --locked` (about 1.5 min).

set dotenv-load := false

# PostgreSQL for `just test-pg` (any server you can create databases on).
pg_url := env_var_or_default("TEST_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")

# List the recipes
default:
    @just --list --unsorted

# Run the app, restarting on code changes when cargo-watch is installed (cargo install cargo-watch --locked)
dev:
    #!/usr/bin/env sh
    if command -v cargo-watch >/dev/null 2>&1; then
        exec cargo watch --why -w crates -w migrations -w Cargo.toml -x run
    else
        echo "cargo-watch not installed (cargo install cargo-watch --locked): plain run, templates still reload" >&2
        exec cargo run
    fi

# Run every test on SQLite (no services needed)
test *args:
    cargo test --workspace {{args}}

# Run every test on PostgreSQL: each test gets its own database on the server at TEST_DATABASE_URL
test-pg *args:
    TEST_DATABASE_URL={{pg_url}} cargo test --workspace {{args}}

# Format check and clippy with warnings as errors
lint:
    cargo fmt --all --check
    cargo clippy --workspace --all-targets -- -D warnings

# Format the code
fmt:
    cargo fmt --all

# Apply pending migrations (or: just migrate status | down | fresh)
migrate *args="up":
    cargo run -- migrate {{args}}

# Insert demo products (idempotent)
seed products="100":
    cargo run -- seed --products {{products}}

# Print the effective configuration
check:
    cargo run -- check

# Exactly what CI runs
ci:
    bash .ci/run
