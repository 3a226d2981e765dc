"""Datasette's table search (``?_search=``) on the search form, like ``shafaf.search``.

Datasette passes ``_search`` straight to ``MATCH`` (quoting each word in its
default "escaped" mode), so «كارت ملي» would not find «کارت ملی» in an index
that holds search forms. ``wrap`` (installed by the package's one
``asgi_wrapper``) rewrites the values of ``_search``
and ``_search_<column>`` in the query string into their search form before
Datasette reads them; every other byte of the request stays as it came.
The package's ``prepare_connection`` hook registers
``shafaf_search_form(text)`` (``standard.search_index.register_function``) for SQL
written by hand (``... match shafaf_search_form(:q)``).
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Awaitable, Callable
from typing import Any

from shafaf.standard.search_index import search_text

Asgi = Callable[[dict[str, Any], Callable[..., Awaitable[Any]], Callable[..., Awaitable[Any]]], Awaitable[None]]

# FTS5 operators that Datasette's raw search mode (?_searchmode=raw) understands; kept as typed
# because casefolding them would turn them into words.
_OPERATORS = frozenset({"AND", "OR", "NOT"})


def wrap(app: Asgi) -> Asgi:
    """The ASGI app that hands ``app`` requests whose search parameters are in the search form."""

    async def normalized_search(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope.get("type") == "http" and b"_search" in scope.get("query_string", b""):
            query_string = rewrite_query_string(scope["query_string"])
            if query_string != scope["query_string"]:
                scope = dict(scope, query_string=query_string)
        await app(scope, receive, send)

    return normalized_search


def is_search_key(key: str) -> bool:
    """The parameters Datasette sends to MATCH: ``_search`` and ``_search_<column>`` (not ``_searchmode``)."""
    return key == "_search" or key.startswith("_search_")


def rewrite_query_string(query_string: bytes) -> bytes:
    """``query_string`` with each search value in its search form; a value with no words is dropped.

    Only the ``key=value`` pairs of search parameters are re-encoded; the
    others are copied byte for byte. An empty search (``?_search=`` from an
    empty box, or only ``"``) would be an FTS5 syntax error in Datasette, so
    it is removed: no words, no search filter.
    """
    parts = query_string.split(b"&")
    out = []
    for part in parts:
        raw_key, equals, raw_value = part.partition(b"=")
        key = _decode(raw_key)
        if not is_search_key(key):
            out.append(part)
            continue
        value = normalize_search_value(_decode(raw_value))
        if value:
            out.append(raw_key + b"=" + urllib.parse.quote_plus(value).encode("ascii"))
    return b"&".join(out)


def normalize_search_value(value: str) -> str:
    """The search form of each word; FTS5 operators (``AND``, ``OR``, ``NOT``, ``NEAR(``) kept as typed.

    Quotes pass through (Datasette balances them); a value left with no
    letter or digit becomes empty.
    """
    words = []
    for word in value.split():
        words.append(word if word in _OPERATORS or word.startswith("NEAR(") else search_text(word))
    normalized = " ".join(w for w in words if w)
    return normalized if any(c.isalnum() for c in normalized) else ""


def _decode(raw: bytes) -> str:
    """Percent-decoded UTF-8, as Datasette reads parameters; raw non-ASCII bytes are read as UTF-8 too."""
    return urllib.parse.unquote_to_bytes(raw.replace(b"+", b" ")).decode("utf-8", "replace")
