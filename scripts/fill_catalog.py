"""Fill untranslated entries of a language's catalogue from another .po file (a branch's, an older copy's).

    python scripts/fill_catalog.py fa OTHER.po [OTHER2.po ...]

Only empty msgstr are filled, and only with msgids the catalogue already has
(run scripts/update_catalog.sh first, and again after, to compile). Prints
how many were filled and which msgids are still untranslated.
"""

from __future__ import annotations

import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

LOCALE = Path(__file__).resolve().parent.parent / "shafaf" / "core" / "locale"


def main(lang: str, sources: list[str]) -> int:
    target = LOCALE / lang / "LC_MESSAGES" / "shafaf.po"
    with target.open("rb") as f:
        catalog = read_po(f, locale=lang)
    known: dict[object, object] = {}
    for source in sources:
        with open(source, "rb") as f:
            known.update({m.id: m.string for m in read_po(f, locale=lang) if m.id and m.string and not m.fuzzy})
    filled, missing = 0, []
    for message in catalog:
        if not message.id or (message.string if isinstance(message.string, str) else any(message.string)):
            continue
        if message.id in known:
            message.string, filled = known[message.id], filled + 1
        else:
            missing.append(message.id)
    with target.open("wb") as f:
        write_po(f, catalog, width=76)
    print(f"{filled} filled in {target}; {len(missing)} still untranslated")
    for msgid in missing:
        print(f"  {msgid!r}")
    return 0


if __name__ == "__main__":
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    sys.exit(main(sys.argv[1], sys.argv[2:]))
