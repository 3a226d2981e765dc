"""Messages people read: bounded in length, and free of the portal's own paths.

A run's message is stored in ``state.db``, published in ``harvest_runs``,
printed by the command line and put in feeds. Two things went wrong there
(issue 15 case 14): a 20,000-column CSV gave a 189,702-character message
(its columns, every one of them), and a parser's error put the internal
``var/raw/<agency>/<run>/services.json`` path into a public message.

So lists in a message are written with ``listing`` ("a, b, c and 19,997
more"), and every message passes ``public`` where it is stored (and where
a staging report is written): any path under the data folder, absolute or
relative, becomes the file's own name, and the whole is cut to
``MAX_CHARS`` with a note of what was left out.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from pathlib import Path

MAX_CHARS = 2000  # a message longer than this is a list that should have been shortened
LISTED = 10  # items a message lists before "and N more"
_PATH_TAIL = r"(?:/[^\s'\"<>()\[\]{},;]*)?"  # what may follow a folder in a path, up to a quote or a space


def listing(items: Iterable[object], *, limit: int = LISTED, quote: bool = True, sep: str = ", ") -> str:
    """``'a', 'b', 'c' and 19,997 more``: at most ``limit`` items, each repr'd when ``quote``."""
    shown: list[str] = []
    more = 0
    for item in items:
        if len(shown) < limit:
            shown.append(repr(item) if quote else str(item))
        else:
            more += 1
    return sep.join(shown) + (f" and {more:,} more" if more else "")


def bounded(text: str, limit: int = MAX_CHARS) -> str:
    """``text`` cut to ``limit`` characters, saying how many were left out."""
    if len(text) <= limit:
        return text
    kept = limit - 40  # room for the note
    return f"{text[:kept]}... ({len(text) - kept:,} more characters)"


def without_paths(text: str, roots: Iterable[Path | str]) -> str:
    """Every path under one of ``roots`` (as given, absolute, resolved or relative to here) as its last part."""
    forms: set[str] = set()
    for root in roots:
        given = str(root).rstrip("/")
        absolute = os.path.abspath(given)
        forms.update({given, absolute, os.path.realpath(given)})
        try:
            forms.add(os.path.relpath(absolute))
        except ValueError:
            pass
    forms = {f for f in forms if f and f not in (".", "/", "..") and not f.startswith("../")}
    for form in sorted(forms, key=len, reverse=True):  # the longest first: /a/b before b
        pattern = re.compile(rf"(?<![\w.\-/]){re.escape(form)}{_PATH_TAIL}")
        text = pattern.sub(_last_part, text)
    return text


def _last_part(match: re.Match[str]) -> str:
    name = match.group(0).rstrip("/").rsplit("/", 1)[-1]
    return name or "the data folder"


def public(text: str, roots: Iterable[Path | str] = ()) -> str:
    """What may be stored and published: no path under ``roots``, at most ``MAX_CHARS`` characters."""
    return bounded(without_paths(text, roots)) if text else text
