# Multi-stage build: compile in the Rust image, run in a slim Debian with only the binary,
# the templates and the static files. Migrations are Rust code compiled into the binary.

ARG RUST_VERSION=1.95

# 1. The recipe: every manifest, and an empty stand-in for every target's source, worked out
#    from `cargo metadata` (docker/skeleton.sh), so a crate, bench or binary added to the
#    workspace needs no change here. This stage re-runs on any change, but its output changes only
#    with a manifest or Cargo.lock, and so does everything built from it below.
FROM rust:${RUST_VERSION}-slim-bookworm AS recipe
WORKDIR /src
COPY . .
RUN sh docker/skeleton.sh /skeleton

# 2. Dependencies only, from the recipe: cached until a manifest or Cargo.lock changes.
FROM rust:${RUST_VERSION}-slim-bookworm AS build
WORKDIR /src
COPY --from=recipe /skeleton/ ./
RUN cargo build --release --locked -p app

# 3. Our code. The stand-ins are older than nothing: touch the real sources so cargo rebuilds them.
COPY Cargo.toml Cargo.lock ./
COPY crates crates
COPY migrations migrations
COPY bench bench
RUN find crates migrations bench -name '*.rs' -exec touch {} + \
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
