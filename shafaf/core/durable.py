"""Small building blocks for writes that must survive a crash: fsync, atomic files, one SQLite transaction.

Shared by the publisher (``dbfile``), the staged packages, the exports,
search, duplicates and ``state.db``, so each of them means the same thing by
"durable", "replaced atomically" and "in one transaction".
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path


def fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_dir(path: Path) -> None:
    """Make a rename in ``path`` durable; some filesystems refuse fsync on a folder (the rename stays atomic)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def pending(path: Path, data: bytes) -> Path:
    """``data`` written and fsynced beside ``path`` (``.<name>.<pid>.tmp``) for ``replace`` later.

    Nothing is left behind if the write fails (a full disk).
    """
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return tmp


def replace(tmp: Path, path: Path) -> None:
    """``tmp`` renamed over ``path`` in one step, and the rename made durable."""
    os.replace(tmp, path)
    fsync_dir(path.parent)


def write_atomic(path: Path, data: bytes) -> None:
    """``path`` holds the old bytes or ``data``, never a part, and survives a crash once this returns."""
    replace(pending(path, data), path)


@contextlib.contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[None]:
    """Join the caller's transaction, or run in one of our own (``BEGIN IMMEDIATE``)."""
    if conn.in_transaction:
        yield
        return
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        if conn.in_transaction:  # SQLite may have rolled back already (SQLITE_FULL)
            conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")
