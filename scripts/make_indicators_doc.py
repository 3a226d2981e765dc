#!/usr/bin/env python3
"""Write docs/indicators.md from shafaf/standard/indicator_defs.py (the formulas are written once, there).

python scripts/make_indicators_doc.py          # write the file
python scripts/make_indicators_doc.py --check  # exit 1 when the file is out of date
"""

from __future__ import annotations

import sys
from pathlib import Path

from shafaf.publish.indicator_doc import render

DOC = Path(__file__).resolve().parent.parent / "docs" / "indicators.md"


def main(argv: list[str]) -> int:
    text = render()
    if "--check" in argv:
        if DOC.read_text(encoding="utf-8") != text:
            print(f"{DOC} is out of date: run scripts/make_indicators_doc.py", file=sys.stderr)
            return 1
        return 0
    DOC.write_text(text, encoding="utf-8")
    print(f"wrote {DOC}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
