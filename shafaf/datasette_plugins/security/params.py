"""Datasette's query parameters checked before it reads them: a malformed one is a 400, never a 500 (docs/reliability.md S10).

Datasette 0.65 turns some request parameters into Python values without a
check, and the exception became a 500 (found by fuzzing every table, row
and SQL page with every documented parameter, ``tests/test_bad_requests.py``):

* ``_timelimit=abc``: ``int()`` in the table and query views;
* ``_through=`` that is not a JSON object with a string ``table`` and
  ``column`` and a scalar ``value``: ``json.loads`` and ``["column"]``;
* ``<col>__in=[...`` / ``__notin=``: a ``[``-value is ``json.loads``-ed, and
  its items bound as SQL parameters (a nested list cannot be);
* any value that ``str.isdigit()`` accepts but ``int()`` does not (more than
  Python's 4,300 digits, or digits like ``²``): the numeric filters
  (``__gt=`` ...), ``_facet_size`` and ``_ttl`` call ``int()`` on them;
* a ``_facet*`` value starting with ``{`` is ``json.loads``-ed and its
  ``"simple"`` read;
* ``_where`` is written into the SQL text: a parameter in it (``:x``,
  ``$x``, ``@x``, ``?``) is one Datasette does not bind;
* NUL in a parameter's name or in a special (``_``-prefixed) parameter's
  value: column names and ``_where`` are written into the SQL text, which
  SQLite's API cannot hold NUL in.

Only the database's own pages (``/shafaf``, ``/shafaf.json``, ``/shafaf/...``:
Datasette's table, row and query views) are checked; our routes read their
parameters themselves. The check reads the query string as Datasette does (``parse_qs`` with
``keep_blank_values``, UTF-8 with replacement) and answers 400 in
Datasette's error shape: JSON for ``.json`` paths, else the error page. It
runs inside ``search.wrap``, which has already turned ``_search`` values
into their search form (NUL included). The table- and column-dependent
checks (``_sort`` naming no column, ``_through`` naming no foreign key) stay
with Datasette, whose ``DatasetteError`` ``exceptions`` answers with 400.
"""

from __future__ import annotations

import json
import re
import sys
import urllib.parse
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from datasette.utils.asgi import BadRequest, Request

from shafaf.datasette_plugins import common
from shafaf.datasette_plugins.security import exceptions

if TYPE_CHECKING:
    from datasette.app import Datasette

Asgi = Callable[[dict[str, Any], Callable[..., Awaitable[Any]], Callable[..., Awaitable[Any]]], Awaitable[None]]

_SCALARS = (str, int, float, bool, type(None))
# SQLite's quoted strings and identifiers ('...', "...", [...], `...`), and what is a parameter outside them.
_QUOTED = re.compile(r"'(?:[^']|'')*'?|\"(?:[^\"]|\"\")*\"?|\[[^\]]*\]?|`(?:[^`]|``)*`?")
_SQL_PARAMETER = re.compile(r"[?:@$]")


def problem(query_string: str) -> str | None:
    """What is wrong with the first malformed parameter of ``query_string``, or None when Datasette can read them all."""
    for key, values in urllib.parse.parse_qs(query_string, keep_blank_values=True).items():
        if "\x00" in key:
            return "a parameter name may not contain NUL"
        for value in values:
            wrong = _value_problem(key, value)
            if wrong:
                return f"{key[:100]}: {wrong}"
    return None


def _value_problem(key: str, value: str) -> str | None:
    if value.isdigit() and not _is_int(value):
        return f"not a number Datasette can read (at most {sys.get_int_max_str_digits():,} ASCII digits)"
    if key.startswith("_") and "\x00" in value:
        return "may not contain NUL"
    if key == "_timelimit" and value and not _is_int(value):
        return "must be a whole number of milliseconds"
    if key == "_through":
        return _through_problem(value)
    if key.startswith("_facet") and value.startswith("{"):
        try:
            config = json.loads(value)
        except ValueError:
            config = None
        if not isinstance(config, dict) or not isinstance(config.get("simple"), str):
            return 'a value starting with { must be a JSON object {"simple": <column>}'
    if key == "_where" and _SQL_PARAMETER.search(_QUOTED.sub(" ", value)):
        return "may not hold SQL parameters (?, :name, @name, $name)"
    if key.endswith(("__in", "__notin")) and value.startswith("["):
        try:
            items = json.loads(value)
        except ValueError:
            return "a value starting with [ must be a JSON list"
        if not isinstance(items, list) or not all(isinstance(item, _SCALARS) for item in items):
            return "must be a JSON list of strings and numbers"
    return None


def _through_problem(value: str) -> str | None:
    try:
        through = json.loads(value)
    except ValueError:
        through = None
    if (
        not isinstance(through, dict)
        or not isinstance(through.get("table"), str)
        or not isinstance(through.get("column"), str)
        or not isinstance(through.get("value", None), _SCALARS)
        or "value" not in through
    ):
        return 'must be a JSON object {"table": ..., "column": ..., "value": ...}'
    return None


def _is_int(value: str) -> bool:
    try:
        int(value)
    except ValueError:
        return False
    return True


def wrap(app: Asgi, datasette: Datasette) -> Asgi:
    """``app`` behind the check: a request with a malformed parameter gets a 400 and never reaches Datasette."""

    async def checked(scope: dict[str, Any], receive: Any, send: Any) -> None:
        path = scope.get("path", "")
        database = datasette.urls.path(f"/{common.DATABASE}")  # the database may be added after the wrapper
        if (
            scope.get("type") == "http"
            and scope.get("query_string")
            and (path == database or path.startswith((database + "/", database + ".")))
        ):
            wrong = problem(scope["query_string"].decode("latin-1"))
            if wrong:
                await datasette.invoke_startup()  # a no-op after the first request
                request = Request(scope, receive)
                response = await exceptions.error_response(datasette, request, BadRequest(f"Invalid parameter {wrong}"))
                await response.asgi_send(send)
                return
        await app(scope, receive, send)

    return checked
