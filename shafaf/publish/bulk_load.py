"""The publisher's bulk load: a staged dataset's rows copied into the version being built by SQLite alone.

Why: most of a large publish was moving staged rows into SQLite, and most of
that was Python parsing the staged CSV and casting every cell again, work the
validation had just done. A dataset staged with its rows file
(``validate.rows_file``: the staged CSV's rows already typed for SQLite, by
the same casts as ``standard.sqlite_cells``) is attached to the build and
copied with one ``INSERT ... SELECT``: the columns the publisher adds (the
run, and the Jalali year, month and fiscal year of each period, from a small
table of the file's distinct periods, ``agency_rows.jalali_parts``) are joined in by SQLite, so no Python
runs per row (0.2 to 0.7 CPU s for 100k rows, against 2.2 s to parse, cast
and insert the CSV). A staged CSV without a rows file that describes it is
parsed and cast as before (``agency_rows``), one thread reading while the
other inserts (``insert``, from ``core.batch_insert``).

The build's connection is inside the agency's transaction, where an attached
file cannot be detached once read: each dataset attaches under its own name
(five at most, SQLite allows ten), and the writer detaches them all
(``detach_staged``) before the next agency's transaction begins.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

from shafaf.core.batch_insert import insert
from shafaf.core.errors import PublishError
from shafaf.core.models import Reason
from shafaf.validate.rows_file import TABLE

__all__ = ["copy_staged", "detach_staged", "insert"]
PREFIX = "staged_"


def detach_staged(conn: sqlite3.Connection) -> None:
    """Detach the rows files an earlier agency attached; called between agencies, outside a transaction.

    (Inside one, SQLite refuses: an attached file read in the transaction, or
    locked by a ``BEGIN IMMEDIATE`` taken while it was attached, is busy.)
    """
    for name in [row[1] for row in conn.execute("PRAGMA database_list")]:
        if name.startswith(PREFIX):
            conn.execute(f"DETACH DATABASE [{name}]")


def copy_staged(
    conn: sqlite3.Connection,
    table: str,
    rows_path: Path,
    *,
    header: list[str],
    names: list[str],
    extra: tuple[Any, ...],
    parts: Callable[[str], tuple[Any, ...]] | None,
    conflict: str = "",
    name: str,
) -> int:
    """The rows file's rows inserted into ``table`` in their order: the columns ``names`` are ``header``, then
    ``extra``'s values, then (with ``parts``) the three period columns of each row's period_start; ``conflict``:
    an ``ON CONFLICT`` clause. The rows copied. ``name``: the staged file, for a message."""
    schema = f"{PREFIX}{table}"
    conn.execute(f"ATTACH DATABASE ? AS [{schema}]", (str(rows_path),))
    select = ", ".join(f"s.[{h}]" for h in header) + "".join(", ?" for _ in extra)
    params: tuple[Any, ...] = extra
    with_parts, join = "", ""
    if parts is not None:
        known = conn.execute(f"SELECT periods FROM [{schema}].stamp").fetchall()  # the staging's, if it said
        starts = (
            json.loads(known[0][0])
            if known and known[0][0] is not None
            else [r[0] for r in conn.execute(f"SELECT DISTINCT period_start FROM [{schema}].[{TABLE}]")]
        )
        try:
            periods = json.dumps([[s, *parts(s or "")] for s in starts])
        except ValueError as e:
            raise PublishError(Reason.PUBLISH_ERROR, f"{name}: a period_start that is not a date: {e}") from e
        # A CTE, not a temporary table: a temporary table made inside the transaction keeps the attached file
        # locked after it, and the next agency could not detach it.
        with_parts = (
            "WITH p (period_start, a, b, c) AS MATERIALIZED "
            "(SELECT value ->> 0, value ->> 1, value ->> 2, value ->> 3 FROM json_each(?)) "
        )
        params = (periods, *extra)
        select += ", p.a, p.b, p.c"
        join = " LEFT JOIN p ON p.period_start IS s.period_start"
    columns = ", ".join(f"[{n}]" for n in names)
    inserted = conn.execute(
        f"{with_parts}INSERT INTO main.[{table}] ({columns}) SELECT {select} FROM [{schema}].[{TABLE}] s{join} "
        f"WHERE true ORDER BY s.rowid{conflict}",
        params,
    )
    # Each row inserted or (services) updated in place: one change each. Its count, rather than a count(*) of
    # the rows file: a statement left unfinished on the attached file would keep it locked after the commit.
    return inserted.rowcount
