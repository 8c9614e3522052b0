#!/bin/sh
# skeleton.sh OUT_DIR — the workspace with every manifest and an empty stand-in for every target
# source (libraries empty, binaries, benches, tests and build scripts `fn main() {}`), read from
# `cargo metadata`: what the Dockerfile builds first, so dependencies are compiled in a layer that
# changes only when a manifest or Cargo.lock does. Also run by .ci/run, so a manifest the
# skeleton cannot build (say a `[[bench]]` with an unusual path) fails CI, not `docker compose up`.
set -eu
out=$1
root=$(pwd)
mkdir -p "$out"
cp Cargo.toml Cargo.lock "$out/"
find . -name Cargo.toml -not -path './target/*' -not -path "./${out#./}/*" | while read -r manifest; do
    mkdir -p "$out/$(dirname "$manifest")"
    cp "$manifest" "$out/$manifest"
done
cargo metadata --no-deps --format-version 1 \
    | grep -o '"src_path":"[^"]*"' | cut -d'"' -f4 | while read -r path; do
    relative=${path#"$root"/}
    mkdir -p "$out/$(dirname "$relative")"
    case $relative in
        */lib.rs) : >"$out/$relative" ;;
        *) echo 'fn main() {}' >"$out/$relative" ;;
    esac
done
