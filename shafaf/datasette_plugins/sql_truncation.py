"""Saying out of band that a CSV of arbitrary SQL was cut at ``max_returned_rows``.

Datasette streams a table's CSV page by page (``_stream=on``: every row),
but the CSV of a query (``/shafaf.csv?sql=...``) is one page of at most
``max_returned_rows`` (1,000) rows, and the file says nothing: a reader
cannot tell 1,000 rows from the first 1,000 of many. A CSV has no place for
that inside it, so the response says it in its headers:
``X-Shafaf-Truncated: <rows>`` and a ``Link`` to the full downloads
(``/downloads/``, rel ``alternate``). JSON answers already carry
``"truncated": true``.

How: the wrapper puts an empty list in a context variable for the request;
``ServedDatabase.execute`` (``mark``) appends to it when a public query's
result was truncated; Datasette sends the response's start only after that
first query, so the wrapper sees the mark in time.
"""

from __future__ import annotations

import contextvars
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from datasette.app import Datasette

Asgi = Callable[[dict[str, Any], Any, Any], Awaitable[None]]
HEADER = b"x-shafaf-truncated"
_marks: contextvars.ContextVar[list[int] | None] = contextvars.ContextVar("shafaf_sql_truncated", default=None)


def mark(truncated: bool, rows: int) -> None:
    """Called for every public query: remember a truncated result for the response being made."""
    marks = _marks.get()
    if truncated and marks is not None:
        marks.append(rows)


def wrap(app: Asgi, datasette: Datasette) -> Asgi:
    async def marked(scope: dict[str, Any], receive: Any, send: Any) -> None:
        path = scope.get("path", "") if scope.get("type") == "http" else ""
        if not path.endswith(".csv") or path.startswith("/downloads/"):
            await app(scope, receive, send)
            return
        marks: list[int] = []
        token = _marks.set(marks)

        async def send_marked(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start" and marks:
                downloads = datasette.urls.path("/downloads/")
                message = dict(
                    message,
                    headers=[
                        *message.get("headers", []),
                        (HEADER, str(marks[0]).encode()),
                        (b"link", f'<{downloads}>; rel="alternate"; title="every row: the full downloads"'.encode()),
                    ],
                )
            await send(message)

        try:
            await app(scope, receive, send_marked)
        finally:
            _marks.reset(token)

    return marked
