"""Limits on every SQL the server runs: per value, per row, per result, and SQLite's heap (docs/reliability.md S2).

Public SQL (``?sql=``, ``_where=``, ``_sort=`` and the rest) is arbitrary
read-only SQL, and SQLite computes what it is asked: ``zeroblob(1e9)`` took
the server to 23.9 GB, ``randomblob(1e9)`` sent 1.3 GB, and one function call
is one VM instruction, so the time limit cannot stop it midway. Each layer
below bounds what the one before cannot, and each bound is chosen from the
largest legitimate thing the portal serves:

``SQLITE_LIMITS`` (``limit_connection``, on every connection through the
``prepare_connection`` hook):
    ``LENGTH`` 1,000,000 bytes per string or blob: 50 times the largest cell
    the standard allows (5,000 characters, at most 20 KB in UTF-8), room for a
    ``group_concat``/``json_group_array`` of a whole agency's inventory. A
    longer value fails at once with "string or blob too big" (no memory, no
    time). ``COLUMN`` 100: the widest public table has 39 columns, so a join of
    two of the widest fits; with ``LENGTH`` it bounds one row to 100 MB.
    ``SQL_LENGTH`` 100,000: a URL carries at most 16 KB (h11's limit), our
    SQL is under 5 KB. ``ATTACHED`` 0: the portal serves one database.
    ``WORKER_THREADS`` 0: a sort stays on the thread that the pools count.
    ``LIKE_PATTERN_LENGTH`` 128: one ``LIKE``/``GLOB`` costs value x pattern
    and is one VM instruction, which the time limit cannot interrupt; 1 MB x
    128 is 0.7 s (``sql_functions`` has the measurements). A filter
    ``?col__contains=`` is a pattern of its value and two ``%``: 126 characters.

``sql_functions`` replaces the built-ins whose one call can loop past the
time limit (``printf``, ``format``, two-argument ``trim``, ``instr``,
``replace``) by ones that check the cost of their arguments first.

``RESULT_MAX_BYTES`` (``fetch_rows``, in ``ServedDatabase.execute``):
    16,000,000: the text and blob bytes of one result, counted while the rows
    are fetched, so a result is stopped before it is all in memory. The
    largest legitimate result is 1,000 rows (``max_returned_rows``) of
    services at the standard's maxima, about 9 MB; real pages are far
    smaller. A larger result answers 400 "query result too large".

``HEAP_LIMIT_BYTES`` (``limit_process``, called by ``serve.serve``):
    256 MB for all of SQLite's memory in the server process (``PRAGMA
    hard_heap_limit``). The portal's own use is about 50 MB (a 2 MB page
    cache per connection, eight connections, sorts that spill to disk past
    their cache). It is what stops the bombs the limits above do not: a
    ``json_group_array`` grows past ``LENGTH`` until its end (400 MB in 0.7 s
    measured), three wide rows at once are 300 MB. Past it a query fails:
    public SQL with 400 "query used too much memory", our pages' with 503.

``execute`` maps SQLite's "too big" and out-of-memory failures to
``errors.QueryTooLarge``, a ``sqlite3.OperationalError``, which Datasette's
table and query views already answer with 400 in their error shape.
"""

from __future__ import annotations

import sqlite3
import sys
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from datasette.database import QueryInterrupted, Results
from datasette.utils import sqlite_timelimit

from shafaf.core.errors import BadQuery, QueryTooLarge, ServerBusy
from shafaf.datasette_plugins.security import sql_functions
from shafaf.datasette_plugins.security.sql_functions import SQLITE_LIMITS, limit_connection
from shafaf.datasette_plugins.security.sql_pools import RETRY_AFTER_S

RESULT_MAX_BYTES = 16_000_000
HEAP_LIMIT_BYTES = 256 * 1024 * 1024

MAX_VALUE_BYTES = SQLITE_LIMITS[sqlite3.SQLITE_LIMIT_LENGTH]
_NUMBER_BYTES = 8  # what a number or NULL is counted as
# sqlite3.ProgrammingError of SQL the request wrote or shaped: a row URL with fewer primary-key parts than the
# table has (Datasette binds :p0, :p1 ... for the parts it got), NUL in SQL text. Our own SQL keeps them as
# they are: there they are a bug.
_CLIENT_PROGRAMMING_ERRORS = (
    "You did not supply a value for binding parameter",
    "Incorrect number of bindings",
    "the query contains a null character",
)
_LOGGED_SQL_CHARS = 200


def guard_connection(conn: sqlite3.Connection) -> None:
    """Every serving limit on ``conn``: ``SQLITE_LIMITS`` and the guarded functions of ``sql_functions``."""
    limit_connection(conn)
    sql_functions.register(conn)


def limit_process(conn: sqlite3.Connection) -> None:
    """Cap SQLite's heap for the whole process (``hard_heap_limit`` is process-wide; any connection sets it)."""
    conn.execute(f"PRAGMA hard_heap_limit = {HEAP_LIMIT_BYTES}")


def row_bytes(row: Iterable[Any]) -> int:
    """What a row costs: the length of its texts and blobs, 8 bytes for anything else."""
    return sum(len(v) if isinstance(v, (str, bytes)) else _NUMBER_BYTES for v in row)


def fetch_rows(cursor: sqlite3.Cursor, limit: int | None, *, max_bytes: int = RESULT_MAX_BYTES) -> list[Any]:
    """Up to ``limit`` rows (all with None), stopping with ``QueryTooLarge`` once they pass ``max_bytes``.

    One row at a time: a batch of rows would be in memory before it is counted.
    """
    rows: list[Any] = []
    size = 0
    for row in cursor:
        size += row_bytes(row)
        if size > max_bytes:
            raise QueryTooLarge(
                f"query result too large: more than {max_bytes:,} bytes of values; ask for "
                f"fewer rows or columns (?_size=, LIMIT), or use the full files in /downloads/"
            )
        rows.append(row)
        if limit is not None and len(rows) >= limit:
            break
    return rows


def execute(
    conn: sqlite3.Connection,
    sql: str,
    params: Sequence[Any] | Mapping[str, Any] | None,
    *,
    time_limit_ms: int,
    max_returned_rows: int | None,
    page_size: int,
    truncate: bool,
    log_sql_errors: bool = True,
    public: bool = True,
) -> Results:
    """Datasette 0.65's ``Database.execute`` (pinned) in one thread, with the result cap and limit errors.

    Like Datasette: the time limit, ``max_returned_rows`` (one more when it
    equals the page size, to know there is a next page), ``truncated``, and
    ``QueryInterrupted`` for the time limit. Unlike it: rows are counted in
    bytes as they come, SQLite's "too big" and out-of-memory failures are
    ``QueryTooLarge`` (a 400 in Datasette's views), a ``public`` query's
    binding errors are ``BadQuery`` (400), and a failed query is logged in
    one short line (Datasette logs the whole SQL and parameters).
    """
    sql_functions.take_refusal()  # none left from a query that did not come through here
    with sqlite_timelimit(conn, time_limit_ms):
        try:
            cursor = conn.cursor()
            cursor.execute(sql, params if params is not None else {})
            if max_returned_rows == page_size:
                max_returned_rows += 1
            if max_returned_rows and truncate:
                rows = fetch_rows(cursor, max_returned_rows + 1)
                truncated = len(rows) > max_returned_rows
                rows = rows[:max_returned_rows]
            else:
                rows = fetch_rows(cursor, None)
                truncated = False
        except QueryTooLarge:
            raise
        except sqlite3.DataError as e:  # SQLITE_TOOBIG: a value past SQLITE_LIMIT_LENGTH, or a refused function
            refusal = sql_functions.take_refusal()
            raise QueryTooLarge(refusal or f"{e}: a value may be at most {MAX_VALUE_BYTES:,} bytes") from e
        except MemoryError as e:  # SQLITE_NOMEM past the heap limit, or the process's own limit
            if public:
                raise QueryTooLarge("query used too much memory") from e
            raise ServerBusy("the server is short of memory; try again shortly", retry_after=RETRY_AFTER_S) from e
        except sqlite3.ProgrammingError as e:
            if public and str(e).startswith(_CLIENT_PROGRAMMING_ERRORS):
                raise BadQuery(str(e)) from e
            raise
        except (sqlite3.OperationalError, sqlite3.DatabaseError) as e:
            if e.args == ("interrupted",):
                raise QueryInterrupted(e, sql, params) from e
            if log_sql_errors:
                log_line(f"SQL error: {e} in {sql[:_LOGGED_SQL_CHARS]!r}")
            raise
    return Results(rows, truncated, cursor.description)


def log_line(text: str) -> None:
    """One line on stderr (where Datasette and uvicorn log), newlines and all control characters escaped."""
    sys.stderr.write(text.encode("unicode_escape", "backslashreplace").decode("ascii")[:1000] + "\n")
    sys.stderr.flush()
