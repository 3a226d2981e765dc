"""What the search index is: its tables, the search form of a text, and the SQL function that makes it.

Defined below the stages (``publish.search`` builds and queries the index,
the web registers the function and hides the tables), so each reads one
definition: one normalization at index and query time.
"""

from __future__ import annotations

import dataclasses
import sqlite3
from typing import Any

from shafaf.normalize import search_form

SQL_FUNCTION = "shafaf_search_form"


@dataclasses.dataclass(frozen=True)
class Searchable:
    """A public table, the FTS5 table over it, the key that names a row, and the columns indexed."""

    table: str
    fts: str
    key: str
    columns: tuple[str, ...]
    weights: tuple[float, ...]  # bm25 weight of each indexed column: a match in a name counts more


SEARCHABLE: dict[str, Searchable] = {
    "services": Searchable(
        "services",
        "services_search",
        "service_id",
        ("name_fa", "name_en", "description", "category"),
        (10.0, 10.0, 1.0, 2.0),
    ),
    "activities": Searchable("activities", "activities_search", "activity_id", ("title_fa", "title_en"), (1.0, 1.0)),
}

# Tables FTS5 keeps behind each virtual table (https://sqlite.org/fts5.html, "shadow tables").
_SHADOW_SUFFIXES = ("_data", "_idx", "_content", "_docsize", "_config")

# Every table this module creates in the public file: the two virtual tables and their shadow tables.
SEARCH_TABLES: tuple[str, ...] = tuple(
    f"{spec.fts}{suffix}" for spec in SEARCHABLE.values() for suffix in ("", *_SHADOW_SUFFIXES)
)

# Table metadata for Datasette (serve.metadata): makes ?_search= on these tables use the index.
# searchmode stays Datasette's default ("escaped"): each word is quoted, so user input is never FTS syntax.
DATASETTE_METADATA: dict[str, dict[str, str]] = {
    name: {"fts_table": spec.fts, "fts_pk": "rowid"} for name, spec in SEARCHABLE.items()
}


# C0 controls (NUL above all, which ends an FTS5 query string early) are never part of a word.
# search_form leaves an all-ASCII text's controls alone, so they become spaces here first.
_CONTROLS = {c: " " for c in (*range(0x00, 0x20), 0x7F)}


def search_text(text: str) -> str:
    """What the index holds for a text and what a query becomes: ``search_form``, control characters as spaces."""
    return search_form(text.translate(_CONTROLS))


def sql_search_form(value: Any) -> str | None:
    """``search_text`` as a SQL function: NULL stays NULL, numbers become text, blobs are not text."""
    if value is None or isinstance(value, bytes):
        return None
    return search_text(value if isinstance(value, str) else str(value))


def register_function(conn: sqlite3.Connection) -> None:
    """Register ``shafaf_search_form(text)`` on ``conn`` (per connection, not stored in the file)."""
    conn.create_function(SQL_FUNCTION, 1, sql_search_form, deterministic=True)
