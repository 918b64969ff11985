#!/bin/sh
# Refresh the catalogs after changing user-visible strings: extract every _(), __() and N_() from the
# code, then merge into bot/locales/*.po (translate the new Russian entries by hand;
# tests/test_i18n.py fails while one is missing). Nothing to compile: bot/telegram/i18n.py reads .po directly.
set -eu
cd "$(dirname "$0")/.."
pot=$(mktemp)
.venv/bin/pybabel extract --no-location --sort-output -k _ -k __:1,2 -k N_ -o "$pot" bot handlers >/dev/null 2>&1
for lang in ru en; do
    po=bot/locales/$lang.po
    if [ -f "$po" ]; then
        .venv/bin/pybabel update --no-fuzzy-matching --ignore-obsolete --width 110 -i "$pot" -o "$po" -l "$lang" >/dev/null 2>&1
    else
        .venv/bin/pybabel init --width 110 -i "$pot" -o "$po" -l "$lang" >/dev/null 2>&1
    fi
done
rm -f "$pot"
