"""The publisher's bulk load: batches made on a second thread, inserted in order, errors kept whichever side raised."""

from __future__ import annotations

import sqlite3
import threading

import pytest

from shafaf.core.errors import PublishError
from shafaf.core.models import Reason
from shafaf.publish import bulk_load


def _db() -> sqlite3.Connection:
    conn = sqlite3.connect(":memory:", isolation_level=None)
    conn.execute("CREATE TABLE t (n INTEGER PRIMARY KEY, s TEXT)")
    return conn


def test_every_batch_is_inserted_in_order():
    conn = _db()
    batches = ([(i * 10 + j, f"r{i}.{j}") for j in range(10)] for i in range(50))
    assert bulk_load.insert(conn, "INSERT INTO t VALUES (?, ?)", batches) == 500
    assert [r[0] for r in conn.execute("SELECT n FROM t ORDER BY rowid")] == list(range(500))


def test_a_bad_row_found_by_the_reader_is_raised_as_it_was_and_the_thread_ends():
    conn = _db()

    def batches():
        yield [(1, "a")]
        raise PublishError(Reason.PUBLISH_ERROR, "services.csv, row 3: invalid literal")

    conn.execute("BEGIN")
    with pytest.raises(PublishError, match="row 3"):
        bulk_load.insert(conn, "INSERT INTO t VALUES (?, ?)", batches())
    conn.execute("ROLLBACK")
    assert not [t for t in threading.enumerate() if t.name == "shafaf-bulk-load"]


def test_an_sqlite_error_stops_the_reader_however_many_batches_it_has_left():
    conn = _db()
    made = []

    def batches():
        for i in range(1000):
            made.append(i)
            yield [(1, "same key")]  # the second batch breaks the primary key

    with pytest.raises(sqlite3.IntegrityError):
        bulk_load.insert(conn, "INSERT INTO t VALUES (?, ?)", batches())
    assert len(made) < 10  # the reader stopped a few batches ahead, not at the end
    assert not [t for t in threading.enumerate() if t.name == "shafaf-bulk-load"]
