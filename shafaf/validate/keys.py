"""Primary keys seen so far in a file: the on-disk index of the row engines.

Memory stays flat for any number of rows: frictionless' in-memory index holds
every key (490 MB for a million-row performance file).
"""

from __future__ import annotations

import contextlib
import sqlite3
from pathlib import Path
from typing import Any

KEY_SEPARATOR = "\x1f"


class KeyIndex:
    """Primary keys seen so far, in a throwaway SQLite file: memory stays flat for any number of rows."""

    def __init__(self, path: Path):
        self.path = path

    def __enter__(self) -> "KeyIndex":
        self.db = sqlite3.connect(self.path, isolation_level=None)
        for pragma in ("journal_mode=OFF", "synchronous=OFF", "cache_size=-8000", "temp_store=FILE"):
            self.db.execute(f"PRAGMA {pragma}")
        self.db.execute("CREATE TABLE keys (key TEXT PRIMARY KEY, row INTEGER) WITHOUT ROWID")
        self.db.execute("BEGIN")
        return self

    def __exit__(self, *exc: Any) -> None:
        with contextlib.suppress(sqlite3.Error):
            self.db.execute("ROLLBACK")
        self.db.close()

    def first_row(self, key: str, row: int, *, register: bool) -> int | None:
        """The row that had ``key`` before, if any; otherwise remember ``row`` for it when ``register``."""
        if register:
            try:
                self.db.execute("INSERT INTO keys VALUES (?, ?)", (key, row))
                return None
            except sqlite3.IntegrityError:
                pass
        found = self.db.execute("SELECT row FROM keys WHERE key = ?", (key,)).fetchone()
        return found[0] if found else None
