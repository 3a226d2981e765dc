"""Text the portal can store, send and show: no lone surrogates, no control characters.

PyYAML turns ``"\\ud800"`` in the registry, and ``json.loads`` turns
``"\\ud800"`` in an agency's request, into a lone surrogate: a str that UTF-8
cannot encode, so it fails far from where it came in (a ``UnicodeEncodeError``
writing state.db, run.json, a package or an HTTP answer). Such text is
refused where it enters, with the line or the JSON key it is at.

Control characters are refused too, for a reason each:

- NUL (U+0000) ends a string in C (SQLite's command line, many tools) and is
  refused in file paths;
- the other C0 controls (U+0001-U+001F) but tab, line feed and carriage
  return, DEL (U+007F) and the C1 controls (U+0080-U+009F) are invisible,
  and ESC or CSI would drive the operator's terminal when ``shafaf status``
  prints a name;
- names and titles are one line, so tab, line feed and carriage return are
  refused in them as well (a newline in a name splits CSV rows and log lines).

Bidirectional marks (U+200E, U+202E...) and joiners are text Persian needs,
and are kept: the pages isolate harvested text (docs/reliability.md S11).
"""

from __future__ import annotations

import re
from typing import Any

_LINE_BREAKS = "\t\n\r"
REPLACEMENT = "\ufffd"


# Any character ``text_problem`` may refuse: one regex pass (in C) clears almost every text, so the loop
# below runs only on the rare text that has one (a national registry holds tens of thousands of values).
_SUSPECT = re.compile("[\ud800-\udfff\x00-\x1f\x7f-\x9f]")
_SUSPECT_IN_TEXT = re.compile("[\ud800-\udfff\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def text_problem(text: str, *, one_line: bool = False) -> str | None:
    """What makes ``text`` unusable, naming the first bad character and its position, or None."""
    if (_SUSPECT if one_line else _SUSPECT_IN_TEXT).search(text) is None:
        return None
    for index, char in enumerate(text):
        code = ord(char)
        if 0xD800 <= code <= 0xDFFF:
            return f"a lone surrogate (U+{code:04X}) at character {index + 1}, which cannot be stored as UTF-8"
        if code < 0x20 or 0x7F <= code <= 0x9F:
            if char in _LINE_BREAKS and not one_line:
                continue
            what = "a line break or tab" if char in _LINE_BREAKS else "a control character"
            return f"{what} (U+{code:04X}) at character {index + 1}"
    return None


def cleaned(text: str, *, one_line: bool = False) -> str:
    """``text`` with every refused character replaced by U+FFFD, so later checks never trip over it."""
    return "".join(REPLACEMENT if text_problem(c, one_line=one_line) else c for c in text)


def json_problem(value: Any) -> str | None:
    """The first refused text anywhere in a decoded JSON value, keys included, named by its path."""
    stack: list[tuple[Any, str]] = [(value, "")]
    while stack:
        item, path = stack.pop()
        where = f"'{path}'" if path else "the body"
        if isinstance(item, str):
            problem = text_problem(item)
            if problem:
                return f"{where} has {problem}"
        elif isinstance(item, dict):
            for key, inner in item.items():
                problem = text_problem(str(key), one_line=True)
                if problem:
                    return f"a key of {where} has {problem}"
                stack.append((inner, f"{path}.{key}" if path else str(key)))
        elif isinstance(item, list):
            stack.extend((inner, f"{path}[{i}]") for i, inner in enumerate(item))
    return None
