"""Rows into SQLite on both cores: one thread makes the next batch while SQLite inserts this one.

Why: a publish of a million staged rows, or the staging of a million
validated ones, spends its time in two halves, the Python work of making each
row and SQLite's own work of inserting it. ``sqlite3`` releases the GIL while SQLite steps a statement
(``executemany`` binds a row, then steps it without the GIL), so a reader
thread preparing batch n+1 overlaps SQLite writing batch n. One prepared
``INSERT`` serves every batch (the connection's statement cache keeps it);
the caller owns the transaction. The publisher (``publish.bulk_load``) and
the staging of typed rows (``validate.rows_file``) both insert through it.

Errors keep their type and message whichever thread raised them: the
producer's (a bad row of a staged file, a file refused while validating) or
SQLite's (a full disk).
The queue holds at most ``DEPTH`` batches, so memory stays at a few batches.
"""

from __future__ import annotations

import queue
import sqlite3
import threading
from collections.abc import Iterable, Iterator
from typing import Any

DEPTH = 2
_DONE = object()


def insert(conn: sqlite3.Connection, sql: str, batches: Iterable[list[tuple[Any, ...]]]) -> int:
    """``executemany(sql, batch)`` for each batch, the batches made on another thread; the rows inserted."""
    handoff: queue.Queue[Any] = queue.Queue(maxsize=DEPTH)
    stop = threading.Event()

    def offer(item: Any) -> bool:
        while not stop.is_set():
            try:
                handoff.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False  # the inserting thread has stopped: nobody will take it

    def produce() -> None:
        try:
            for batch in batches:
                if not offer(batch):
                    return
            offer(_DONE)
        except BaseException as e:  # noqa: BLE001 - handed to the inserting thread, which raises it
            offer(e)

    reader = threading.Thread(target=produce, name="shafaf-bulk-load", daemon=True)
    reader.start()
    count = 0
    try:
        for item in _items(handoff):
            conn.executemany(sql, item)
            count += len(item)
    finally:
        stop.set()
        _drain(handoff)
        reader.join()
    return count


def _items(handoff: queue.Queue[Any]) -> Iterator[list[tuple[Any, ...]]]:
    while (item := handoff.get()) is not _DONE:
        if isinstance(item, BaseException):
            raise item
        yield item


def _drain(handoff: queue.Queue[Any]) -> None:
    """Empty the queue so a reader blocked on a full one can see ``stop`` and end."""
    try:
        while True:
            handoff.get_nowait()
    except queue.Empty:
        pass
