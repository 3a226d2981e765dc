"""A staged cell as the public tables hold it: the one map from the staged CSV's text to SQLite's values.

Why one place: the staging of typed rows (``validate.rows_file``) and the
publisher's reading of a staged CSV (``publish.agency_rows``) must give
SQLite the same value for the same cell, or a publish from one would differ
from a publish from the other.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def caster(kind: str) -> Callable[[str], Any]:
    """The SQLite value of a canonical staged cell in a column of SQLite type ``kind``; a ValueError if none."""
    if kind == "INTEGER":
        return lambda v: None if v == "" else 1 if v == "true" else 0 if v == "false" else _integer(v)
    if kind == "REAL":
        return lambda v: None if v == "" else float(v)
    return lambda v: None if v == "" else v


def _integer(text: str) -> int:
    """``int(text)``, which SQLite must hold in 64 bits (``sqlite3`` would raise OverflowError binding it)."""
    value = int(text)
    if not -(1 << 63) <= value < 1 << 63:
        raise ValueError(f"{text} is past the 64-bit integers SQLite holds")
    return value
