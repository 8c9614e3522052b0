#!/bin/sh
# Renames the project: `just rename "Acme Shop"` (or `sh scripts/rename.sh "Acme Shop"`).
#
# Changes what carries the project's name, and nothing else:
#   - the name people see: page titles and the brand in templates/base.html, the README's title
#   - the slug (acme-shop): the compose project and image names, the SQLite file (data/acme-shop.db)
#   - the session cookie (acme_shop_session), so two apps on one host (localhost:3000 and :3001
#     share cookies) do not sign each other out
# The crates (app, web, db, ...) and the binary keep their generic names. Run it again to rename
# again: it reads the current names from templates/base.html and docker-compose.yml.
set -eu
cd "$(dirname "$0")/.."

die() { printf 'rename: %s\n' "$*" >&2; exit 2; }

[ $# -eq 1 ] || die 'usage: just rename "Acme Shop"'
name=$1
case $name in
    *[!A-Za-z0-9\ ._-]*) die "\"$name\": use letters, digits, spaces, '.', '_' or '-'" ;;
esac
[ ${#name} -le 60 ] || die "\"$name\": at most 60 characters"
slug=$(printf '%s' "$name" | tr 'A-Z' 'a-z' | sed 's/[^a-z0-9][^a-z0-9]*/-/g; s/^-//; s/-$//')
[ -n "$slug" ] || die "\"$name\": needs a letter or a digit"
case $slug in
    [a-z]*) ;;
    *) die "\"$name\": must start with a letter (compose project names do)" ;;
esac
under=$(printf '%s' "$slug" | tr '-' '_')

old_name=$(sed -n 's|.*<a class="brand" href="/">\(.*\)</a>.*|\1|p' templates/base.html)
old_slug=$(sed -n 's/^name: //p' docker-compose.yml)
[ -n "$old_name" ] && [ -n "$old_slug" ] || die "cannot find the current names (templates/base.html brand, docker-compose.yml name:)"
old_under=$(printf '%s' "$old_slug" | tr '-' '_')

# Every file that carries a name, each replacement anchored to its context.
sed -i \
    -e "s|<a class=\"brand\" href=\"/\">$old_name</a>|<a class=\"brand\" href=\"/\">$name</a>|" \
    -e "s|{% endblock title %} · $old_name</title>|{% endblock title %} · $name</title>|" \
    templates/base.html
sed -i -e "1s|^# $old_name\$|# $name|" README.md
sed -i \
    -e "s|^name: $old_slug\$|name: $slug|" \
    -e "s|image: $old_slug:latest|image: $slug:latest|" \
    -e "s|image: $old_slug-proxy:latest|image: $slug-proxy:latest|" \
    docker-compose.yml
for file in crates/db/src/config.rs crates/db/src/connect.rs .env.example README.md docs/configuration.md; do
    sed -i -e "s|data/$old_slug\.db|data/$slug.db|g" "$file"
done
sed -i -e "s|${old_under}_session\"|${under}_session\"|g" crates/web/src/config.rs
sed -i -e "s|title = \"$old_name API\"|title = \"$name API\"|" crates/web/src/openapi.rs

# What is left of the old names, outside history (bench runs) and this script.
left=$(grep -rIl --exclude-dir=target --exclude-dir=.git --exclude-dir=data --exclude-dir=runs \
    --exclude=HISTORY.md --exclude=rename.sh \
    -e "$old_name" -e "$old_slug" -e "${old_under}_session" . || true)
if [ -n "$left" ] && [ "$old_slug" != "$slug" ]; then
    die "renamed, but the old name is still in: $left"
fi
printf 'renamed "%s" (%s) to "%s" (%s)\n' "$old_name" "$old_slug" "$name" "$slug"
