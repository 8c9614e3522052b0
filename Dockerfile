# syntax=docker/dockerfile:1
# Multi-stage build: compile in the Rust image, run in a slim Debian with only the binary,
# the templates and the static files. Migrations are Rust code compiled into the binary.

ARG RUST_VERSION=1.95

FROM rust:${RUST_VERSION}-slim-bookworm AS build
WORKDIR /src

# 1. Dependencies only. This layer is rebuilt when a manifest or Cargo.lock changes, not when
#    our code does: every crate gets an empty stand-in source file.
COPY Cargo.toml Cargo.lock ./
COPY crates/app/Cargo.toml crates/app/
COPY crates/web/Cargo.toml crates/web/
COPY crates/db/Cargo.toml crates/db/
COPY crates/jobs/Cargo.toml crates/jobs/
COPY crates/api-client/Cargo.toml crates/api-client/
COPY crates/offload/Cargo.toml crates/offload/
COPY migrations/Cargo.toml migrations/
COPY bench/Cargo.toml bench/
RUN for dir in crates/app crates/web crates/db crates/jobs crates/api-client crates/offload migrations bench; do \
        mkdir -p "$dir/src" && touch "$dir/src/lib.rs"; \
    done \
    && echo 'fn main() {}' > crates/app/src/main.rs \
    && cargo build --release --locked -p app \
    && rm -rf crates migrations bench

# 2. Our code. (bench/ is a workspace member cargo must see, though the image does not build it.)
COPY crates crates
COPY migrations migrations
COPY bench bench
RUN find crates migrations -name '*.rs' -exec touch {} + \
    && cargo build --release --locked -p app \
    && cp target/release/app /usr/local/bin/app

FROM debian:bookworm-slim AS runtime
# CA certificates for outbound HTTPS (rustls reads the system store); nothing else.
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --user-group --home-dir /app --shell /usr/sbin/nologin app
WORKDIR /app
COPY --from=build /usr/local/bin/app /usr/local/bin/app
COPY templates templates
COPY static static
RUN mkdir -p data && chown app:app data
USER app
ENV APP_ENV=production \
    APP_ADDR=0.0.0.0:3000
EXPOSE 3000
ENTRYPOINT ["app"]
CMD ["serve"]
