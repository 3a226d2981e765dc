"""The staged rows typed for SQLite, beside the staged CSV: what the publisher loads without parsing again.

Why: a publish of a million staged rows spent half its time parsing the
staged CSV and casting every cell again, work the validation had just done.
The columnar engine writes each staged row a second time, as SQLite values
(``standard.sqlite_cells``: the same map the publisher applies to the CSV),
into ``<dataset>.rows.db``; the publisher streams them out of it with one
query and inserts them with one prepared statement (``publish.bulk_load``).

The CSV stays the staged package's record (its bytes are promised); the rows
file is a cache of it, trusted only while it describes that very file: it
records the CSV's size, modification time (in nanoseconds) and header, and a
CSV changed or replaced since makes the publisher read the CSV instead (a
copy that keeps the times, ``cp -p`` or a backup, keeps both in step).
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from shafaf.core import batch_insert

SUFFIX = ".rows.db"
TABLE = "staged"


def path_for(csv_path: Path) -> Path:
    """``services.csv`` → ``services.rows.db``."""
    return csv_path.with_suffix(SUFFIX)


def _stamp(csv_path: Path) -> list[int]:
    st = csv_path.stat()
    return [st.st_size, st.st_mtime_ns]


@contextlib.contextmanager
def writing(path: Path, names: list[str]) -> Iterator[sqlite3.Connection]:
    """A new rows file for the columns ``names``; removed if anything fails before ``seal``."""
    path.unlink(missing_ok=True)
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    try:
        for pragma in ("journal_mode=OFF", "synchronous=OFF", "cache_size=-4000"):
            conn.execute(f"PRAGMA {pragma}")
        columns = ", ".join(f"[{n}]" for n in names)  # no declared types: each value kept as it was bound
        conn.execute(f"CREATE TABLE [{TABLE}] ({columns})")
        conn.execute("CREATE TABLE stamp (csv TEXT, names TEXT, rows INTEGER, periods TEXT)")
        conn.execute("BEGIN")
        yield conn
    except BaseException:
        conn.close()
        path.unlink(missing_ok=True)
        raise
    conn.close()


def insert(conn: sqlite3.Connection, names: list[str], batches: Iterable[list[tuple[Any, ...]]]) -> int:
    """The batches inserted (made on another thread while SQLite inserts the previous one)."""
    sql = f"INSERT INTO [{TABLE}] VALUES ({', '.join('?' * len(names))})"
    return batch_insert.insert(conn, sql, batches)


def seal(
    conn: sqlite3.Connection, csv_path: Path, names: list[str], rows: int, *, periods: list[Any] | None = None
) -> None:
    """Record which CSV the rows describe (once it is written whole), and ``periods``, the distinct period_start
    of its rows (None: not known, or no such column); commit."""
    conn.execute(
        "INSERT INTO stamp VALUES (?, ?, ?, ?)",
        (json.dumps(_stamp(csv_path)), json.dumps(names), rows, None if periods is None else json.dumps(periods)),
    )
    conn.execute("COMMIT")


def describes(path: Path, csv_path: Path, names: list[str]) -> bool:
    """Whether the rows file ``path`` holds the rows of ``csv_path`` as it is now, in the columns ``names``."""
    if not path.exists():
        return False
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    except sqlite3.Error:
        return False
    try:
        found = conn.execute("SELECT csv, names FROM stamp").fetchall()
        return len(found) == 1 and json.loads(found[0][0]) == _stamp(csv_path) and json.loads(found[0][1]) == names
    except (sqlite3.Error, ValueError, OSError):
        return False
    finally:
        conn.close()
