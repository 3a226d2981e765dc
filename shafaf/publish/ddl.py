"""Creating the public tables with their keys (``standard.keys``), and giving keys to tables that lack them.

A database published by an older Shafaf has rowid tables without keys, and
each publish starts from a copy of the served version, so its tables are
rebuilt once with the keys: a new table, the rows copied by column name,
the old one dropped and the new one renamed, inside one savepoint. If the
old rows break the new key (they never should: validation refuses repeated
keys), the savepoint is rolled back and the table stays as it was, keyless
but whole: no row is ever dropped to make a key fit.
"""

from __future__ import annotations

import sqlite3

from shafaf.standard import keys

_REBUILT = "_shafaf_rebuilt"


def create_table(conn: sqlite3.Connection, table: str) -> None:
    """The table with its keys, unless it exists already."""
    if not _exists(conn, table):
        conn.execute(keys.create_table_sql(table))


def declared_keys(conn: sqlite3.Connection, table: str) -> tuple[tuple[str, ...], set[keys.ForeignKey]]:
    """The primary key and the foreign keys SQLite has for ``table``."""
    info = conn.execute(f"PRAGMA table_info([{table}])").fetchall()
    pk = tuple(row[1] for row in sorted((r for r in info if r[5]), key=lambda r: r[5]))
    grouped: dict[int, list[tuple]] = {}
    for row in conn.execute(f"PRAGMA foreign_key_list([{table}])").fetchall():
        grouped.setdefault(row[0], []).append(row)
    fks = {
        keys.ForeignKey(
            tuple(r[3] for r in sorted(rows, key=lambda r: r[1])),
            rows[0][2],
            tuple(r[4] for r in sorted(rows, key=lambda r: r[1])),
        )
        for rows in grouped.values()
    }
    return pk, fks


def ensure_keys(conn: sqlite3.Connection, table: str) -> bool:
    """Rebuild ``table`` with the standard's keys if it lacks them; False if its rows could not take them."""
    want = (keys.primary_key(table), set(keys.foreign_keys(table)))
    if declared_keys(conn, table) == want:
        return True
    have = [r[1] for r in conn.execute(f"PRAGMA table_info([{table}])").fetchall()]
    indexes = [
        sql
        for (sql,) in conn.execute(
            "SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL", (table,)
        )
    ]
    shared = ", ".join(f"[{c}]" for c in have)
    conn.execute("SAVEPOINT shafaf_keys")
    try:
        conn.execute(f"DROP TABLE IF EXISTS [{_REBUILT}]")
        conn.execute(keys.create_table_sql(table, name=_REBUILT))
        conn.execute(f"INSERT INTO [{_REBUILT}] ({shared}) SELECT {shared} FROM [{table}]")
        conn.execute(f"DROP TABLE [{table}]")
        conn.execute(f"ALTER TABLE [{_REBUILT}] RENAME TO [{table}]")
        for sql in indexes:
            conn.execute(sql)
    except sqlite3.IntegrityError:
        conn.execute("ROLLBACK TO shafaf_keys")
        conn.execute("RELEASE shafaf_keys")
        return False
    conn.execute("RELEASE shafaf_keys")
    return True


def _exists(conn: sqlite3.Connection, table: str) -> bool:
    return (
        conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)).fetchone() is not None
    )
