#!/bin/sh
# Removes demo features: `sh scripts/remove-demo.sh NAME...` or `... all` (`just remove-demo`).
#
# For each demo it deletes the files and folders `scripts/demos` lists for it, then, in every
# text file of the project, each line tagged with the demo's name and each block between its
# begin and end tags (see `scripts/demos`), and finally runs `cargo fmt`. Registration lines are
# deleted whole; no code is rewritten. Run it on a clean working tree, so `git diff` shows it all.
set -eu
cd "$(dirname "$0")/.."
manifest=scripts/demos

known() { awk '!/^#/ && NF == 2 { print $1 }' "$manifest" | uniq; }
# The demos built on $1 (listed with the path @$1), which go with it.
dependents() { awk -v n="@$1" '!/^#/ && $2 == n { print $1 }' "$manifest"; }

if [ $# -eq 0 ]; then
    echo "usage: just remove-demo NAME... | all   (demos: $(known | tr '\n' ' '))" >&2
    exit 2
fi
if [ "$1" = all ]; then
    set -- $(known)
fi
for name in "$@"; do
    if ! known | grep -qx "$name"; then
        echo "remove-demo: no demo named '$name' (demos: $(known | tr '\n' ' '))" >&2
        exit 2
    fi
done
# A demo's dependents go first, each once.
order=""
add() {
    for dependent in $(dependents "$1"); do add "$dependent"; done
    case " $order " in *" $1 "*) ;; *) order="$order $1" ;; esac
}
for name in "$@"; do add "$name"; done
set -- $order

# Every text file that may carry a tag: not the build output, not VCS data.
tagged_files() {
    grep -rlI --exclude-dir=target --exclude-dir=.git --exclude-dir=node_modules \
        -e "\[demo:$1\]" -e "\[demo:$1 begin\]" . || true
}

for name in "$@"; do
    awk -v n="$name" '!/^#/ && $1 == n && $2 !~ /^@/ { print $2 }' "$manifest" | while read -r path; do
        rm -rf "$path"
        echo "removed $path"
    done
    for file in $(tagged_files "$name"); do
        tmp=$(mktemp)
        awk -v n="$name" '
            index($0, "[demo:" n " begin]") { skip = 1; next }
            index($0, "[demo:" n " end]") { skip = 0; next }
            skip { next }
            index($0, "[demo:" n "]") { next }
            { print }
        ' "$file" >"$tmp"
        cat "$tmp" >"$file"
        rm -f "$tmp"
        echo "edited  $file"
    done
    tmp=$(mktemp)
    awk -v n="$name" '/^#/ || $1 != n' "$manifest" >"$tmp"
    cat "$tmp" >"$manifest"
    rm -f "$tmp"
    left=$(tagged_files "$name")
    if [ -n "$left" ]; then
        echo "remove-demo: tags of '$name' left in: $left" >&2
        exit 1
    fi
done

if command -v cargo >/dev/null 2>&1; then
    cargo fmt --all
fi
echo "Removed: $*. Next: cargo test --workspace"
