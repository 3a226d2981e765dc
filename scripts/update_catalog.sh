#!/usr/bin/env bash
# Re-extract every msgid of the one catalogue, merge them into each language's .po, and compile the .mo files
# (docs/translating.md). Fill in the new msgstr, then run it again to compile them.
set -euo pipefail
cd "$(dirname "$0")/.."
LOCALE=shafaf/core/locale
pybabel extract -F babel.cfg -k N_ -k N_n:1,2 -k Phrase -k say:2 -k say_n:2,3 --no-location --sort-output \
    --add-comments TRANSLATORS: --project Shafaf -o "$LOCALE/shafaf.pot" .
pybabel update -i "$LOCALE/shafaf.pot" -d "$LOCALE" -D shafaf --no-fuzzy-matching --ignore-obsolete
pybabel compile -d "$LOCALE" -D shafaf --statistics
