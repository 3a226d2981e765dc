#!/usr/bin/env bash
# Re-extract the pages' strings and merge them into the Persian catalogue (docs/translating.md).
set -euo pipefail
cd "$(dirname "$0")/.."
pybabel extract -F babel.cfg -k N_ --no-location --sort-output --project Shafaf \
    -o shafaf/datasette_plugins/locale/shafaf.pot .
pybabel update -i shafaf/datasette_plugins/locale/shafaf.pot \
    -d shafaf/datasette_plugins/locale -D shafaf -l fa --no-fuzzy-matching --ignore-obsolete
