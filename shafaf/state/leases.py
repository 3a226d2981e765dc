"""The rows of ``leases`` in ``state.db``: who holds a source, whether the holder is gone, and the clean-up.

Used inside ``StateStore``'s ``BEGIN IMMEDIATE`` transactions, so the check
for a lapsed lease, the abort of its run and the new lease are one step (see
``state``). Besides the next claim of the same source, every opening of
state.db (each command, each scheduler pass, the server's start) sweeps all
lapsed leases (``reap``): a SIGKILLed ``shafaf harvest`` shows as
``aborted`` in ``shafaf status``, the agency page and the next published
``harvest_runs``, not ``running`` until its source is next triggered.

A run is given its outcome before its lease goes (``end_run``, and
``StateStore.release`` frees only a finished run's lease), so a run is never
``running`` without a holder that the sweep can see is gone.
"""

from __future__ import annotations

import datetime as dt
import os
import socket
import sqlite3

from shafaf.core.models import Outcome, Reason


def expiry(now: dt.datetime, seconds: float) -> str:
    """A lease's expiry, stored to the microsecond so it compares with a moment in the same second."""
    return (now + dt.timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def lapsed(lease: sqlite3.Row, now: str) -> bool:
    """The holder is gone: its process no longer exists on this host, or it stopped renewing the lease.

    On the holder's own host the pid answers at once and no clock is
    involved, so a wall clock jumping forward never takes a live run's lease.
    """
    if lease["host"] == socket.gethostname() and lease["pid"]:
        return not _alive(lease["pid"])
    return lease["expires"] < now


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process with that pid
        return True
    return True


def abort_holder(conn: sqlite3.Connection, lease: sqlite3.Row, now: str) -> None:
    """Mark a dead holder's run, and the runs it split into, ``aborted``; free its lease."""
    message = (
        f"the harvester (pid {lease['pid']} on {lease['host']}) stopped before the run finished "
        f"(killed, or the machine restarted); the next run took over"
    )
    conn.execute(
        "UPDATE runs SET outcome = ?, reason = ?, finished = ?, message = ? WHERE run_id = ? AND outcome = ?",
        (str(Outcome.ABORTED), str(Reason.LEASE_EXPIRED), now, message, lease["run_id"], str(Outcome.RUNNING)),
    )
    conn.execute(
        "UPDATE runs SET outcome = ?, reason = ?, finished = ?, message = ? WHERE source_id = ? AND outcome = ? "
        "AND started >= ? AND run_id NOT IN (SELECT run_id FROM leases)",
        (
            str(Outcome.ABORTED),
            str(Reason.LEASE_EXPIRED),
            now,
            message,
            lease["source_id"],
            str(Outcome.RUNNING),
            lease["acquired"],
        ),
    )
    conn.execute("DELETE FROM leases WHERE run_id = ?", (lease["run_id"],))


def abort_orphans(conn: sqlite3.Connection, agency_id: str, source_id: str, now: str) -> None:
    """Runs left ``running`` with no lease at all (a Shafaf before leases was killed): never running forever."""
    conn.execute(
        "UPDATE runs SET outcome = ?, reason = ?, finished = ?, message = 'the harvester stopped before the run finished' "
        "WHERE agency_id = ? AND source_id = ? AND outcome = ? AND run_id NOT IN (SELECT run_id FROM leases) "
        "AND NOT EXISTS (SELECT 1 FROM leases WHERE leases.source_id = runs.source_id)",
        (str(Outcome.ABORTED), str(Reason.LEASE_EXPIRED), now, agency_id, source_id, str(Outcome.RUNNING)),
    )


def reap(conn: sqlite3.Connection, now: str) -> int:
    """Abort every run whose holder is gone, of any source; how many leases were lapsed."""
    gone = [
        lease for lease in conn.execute("SELECT * FROM leases WHERE state = 'running'").fetchall() if lapsed(lease, now)
    ]
    for lease in gone:
        abort_holder(conn, lease, now)
    for row in conn.execute(
        "SELECT DISTINCT agency_id, source_id FROM runs WHERE outcome = ?", (str(Outcome.RUNNING),)
    ).fetchall():
        abort_orphans(conn, row["agency_id"], row["source_id"], now)
    return len(gone)


def end_run(
    conn: sqlite3.Connection,
    run_id: str,
    *,
    source_id: str,
    location: str,
    started: str,
    outcome: Outcome,
    reason: Reason,
    message: str,
    now: str,
) -> bool:
    """Give a still-running run, and the runs it split into that are still running, an outcome, and free its
    lease; False when the run already had an outcome (it is kept)."""
    values = (str(outcome), str(reason), now, message)
    ended = conn.execute(
        "UPDATE runs SET outcome = ?, reason = ?, finished = ?, message = ? WHERE run_id = ? AND outcome = ?",
        (*values, run_id, str(Outcome.RUNNING)),
    ).rowcount
    conn.execute(
        "UPDATE runs SET outcome = ?, reason = ?, finished = ?, message = ? WHERE source_id = ? "
        "AND location = ? AND started >= ? AND outcome = ? AND run_id != ? "
        "AND run_id NOT IN (SELECT run_id FROM leases)",
        (*values, source_id, location, started, str(Outcome.RUNNING), run_id),
    )
    conn.execute("DELETE FROM leases WHERE run_id = ?", (run_id,))
    return ended == 1
