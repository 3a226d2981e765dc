"""Full-text search over services and activities, on the search form of their text.

SQLite's ``unicode61`` tokenizer folds case and Latin accents only: to it
«كارت ملي» (Arabic yeh and kaf), «کارت ملی» and «کارت‌ملی» (one word joined by
a ZWNJ) are three different texts. So the index never holds the text as
published: it holds ``search_text`` (``normalize.search_form``, controls as
spaces) of each column, and every query goes through the same function before
it reaches ``MATCH`` — here in ``search``, in Datasette through the plugin's
``asgi_wrapper`` and the SQL function ``shafaf_search_form``. One
normalization, at index and query time.

Layout: one FTS5 table per searchable table (``services_search``,
``activities_search``) that keeps its own copy of the normalized text (a
regular FTS5 table, so deleting an agency's entries is a plain DELETE), plus
``agency_id`` and the row's key as UNINDEXED columns. Its rowid is the rowid
of the original row, because Datasette's table search joins on that
(``rowid in (select rowid from <fts> where <fts> match ...)``). The original
text stays in ``services``/``activities`` for display.

Rowids of tables without an INTEGER PRIMARY KEY may change on VACUUM: after a
VACUUM of the public file, call ``rebuild``. ``search`` also checks the key,
so a stale index can miss rows but never return the wrong one.

What the index is (its tables, the search form, the SQL function) is defined in
``standard.search_index``, so the web can read it without the writer.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from shafaf.core.durable import transaction
from shafaf.standard.search_index import SEARCHABLE, Searchable, search_text, sql_search_form


def _exists(conn: sqlite3.Connection, name: str) -> bool:
    return bool(conn.execute("SELECT 1 FROM sqlite_master WHERE name = ?", (name,)).fetchall())


def _fts_columns(spec: Searchable) -> list[str]:
    return [*spec.columns, "agency_id", spec.key]


def create(conn: sqlite3.Connection) -> list[str]:
    """Create the search tables if missing (or rebuilt if their columns changed) and index existing rows.

    Idempotent: a second call changes nothing. A public file published before
    search existed gets its index on the first call. Returns the FTS tables
    created.
    """
    created = []
    with transaction(conn):
        for spec in SEARCHABLE.values():
            if _exists(conn, spec.fts):
                have = [row[1] for row in conn.execute(f"PRAGMA table_info([{spec.fts}])")]
                if have == _fts_columns(spec):
                    continue
                conn.execute(f"DROP TABLE [{spec.fts}]")  # columns changed in a newer Shafaf: start again
            columns = ", ".join([*(f"[{c}]" for c in spec.columns), "[agency_id] UNINDEXED", f"[{spec.key}] UNINDEXED"])
            conn.execute(f"CREATE VIRTUAL TABLE [{spec.fts}] USING fts5({columns}, tokenize = 'unicode61')")
            weights = ", ".join(str(w) for w in spec.weights)
            conn.execute(f"INSERT INTO [{spec.fts}]([{spec.fts}], rank) VALUES ('rank', 'bm25({weights})')")
            created.append(spec.fts)
            if _exists(conn, spec.table):
                _index(conn, spec, None)
    return created


def _index(conn: sqlite3.Connection, spec: Searchable, agency_id: str | None) -> int:
    """Replace the entries of one agency (or of all, when None) by the search form of its current rows.

    Normalized in Python, streamed row by row: no SQL function needs to be
    registered on the caller's connection.
    """
    where, params = ("WHERE agency_id = ?", (agency_id,)) if agency_id is not None else ("", ())
    conn.execute(f"DELETE FROM [{spec.fts}] {where}", params)
    source = ", ".join(["rowid", *(f"[{c}]" for c in spec.columns), "agency_id", f"[{spec.key}]"])
    rows = conn.execute(f"SELECT {source} FROM [{spec.table}] {where}", params)
    n = len(spec.columns)
    entries = ((row[0], *(sql_search_form(v) for v in row[1 : n + 1]), *row[n + 1 :]) for row in rows)
    names = ", ".join(["rowid", *(f"[{c}]" for c in _fts_columns(spec))])
    # OR REPLACE: an entry left by a row deleted without reindexing must not block a reused rowid.
    cursor = conn.executemany(
        f"INSERT OR REPLACE INTO [{spec.fts}]({names}) VALUES ({', '.join('?' * (n + 3))})", entries
    )
    return cursor.rowcount


def index_agency(conn: sqlite3.Connection, agency_id: str) -> dict[str, int]:
    """Re-index one agency's services and activities; runs inside the caller's transaction if there is one.

    Call it after the agency's rows were replaced, before COMMIT, so readers
    never see rows and index disagree. Returns the entries written per table.
    """
    with transaction(conn):
        return {spec.table: _index(conn, spec, agency_id) for spec in SEARCHABLE.values()}


def rebuild(conn: sqlite3.Connection) -> dict[str, int]:
    """Re-index every row (after a VACUUM, or a change to ``search_form``)."""
    create(conn)
    with transaction(conn):
        return {spec.table: _index(conn, spec, None) for spec in SEARCHABLE.values()}


def match_expression(query: str) -> str | None:
    """An FTS5 MATCH expression that finds rows holding every word of ``query``; None when it has no words.

    The query is plain words, never FTS5 syntax: each whitespace-separated
    chunk of its search form becomes a quoted string (``"`` doubled), so
    ``AND``, ``NEAR(``, ``*``, ``"`` and ``:`` are only characters. A chunk
    the tokenizer reads as no token at all (``*``) is an empty phrase, which
    FTS5 ignores.
    """
    chunks = search_text(query).split()
    if not chunks:
        return None
    return " ".join('"' + chunk.replace('"', '""') + '"' for chunk in chunks)


def search(conn: sqlite3.Connection, query: str, *, table: str = "services", limit: int = 50) -> list[dict[str, Any]]:
    """Rows of ``table`` matching every word of ``query``, best first, with their original text.

    Each row is the original row as a dict (``rowid`` included) plus ``rank``
    (FTS5 bm25, lower is better).
    """
    spec = SEARCHABLE.get(table)
    if spec is None:
        raise ValueError(f"{table!r} is not searchable; searchable tables: {', '.join(SEARCHABLE)}")
    expression = match_expression(query)
    if expression is None or limit <= 0:
        return []
    cursor = conn.execute(
        f"""
        SELECT t.rowid AS rowid, t.*, f.rank AS rank
        FROM [{spec.fts}] f
        JOIN [{spec.table}] t ON t.rowid = f.rowid AND t.agency_id IS f.agency_id AND t.[{spec.key}] IS f.[{spec.key}]
        WHERE f.[{spec.fts}] MATCH ?
        ORDER BY f.rank, t.agency_id, t.[{spec.key}]
        LIMIT ?
        """,
        (expression, limit),
    )
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row)) for row in cursor]
