"""The rows of ``leases`` in ``state.db``: who holds a source, whether the holder is gone, and the clean-up.

Used inside ``StateStore.claim``'s ``BEGIN IMMEDIATE`` transaction, so the
check for a lapsed lease, the abort of its run and the new lease are one
step (see ``state``).
"""

from __future__ import annotations

import datetime as dt
import os
import socket
import sqlite3

from .models import Outcome, Reason

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
    message = (f"the harvester (pid {lease['pid']} on {lease['host']}) stopped before the run finished "
               f"(killed, or the machine restarted); the next run took over")
    conn.execute("UPDATE runs SET outcome = ?, reason = ?, finished = ?, message = ? WHERE run_id = ? AND outcome = ?",
                 (str(Outcome.ABORTED), str(Reason.LEASE_EXPIRED), now, message, lease["run_id"], str(Outcome.RUNNING)))
    conn.execute(
        "UPDATE runs SET outcome = ?, reason = ?, finished = ?, message = ? WHERE source_id = ? AND outcome = ? "
        "AND started >= ? AND run_id NOT IN (SELECT run_id FROM leases)",
        (str(Outcome.ABORTED), str(Reason.LEASE_EXPIRED), now, message, lease["source_id"], str(Outcome.RUNNING),
         lease["acquired"]))
    conn.execute("DELETE FROM leases WHERE run_id = ?", (lease["run_id"],))


def abort_orphans(conn: sqlite3.Connection, agency_id: str, source_id: str, now: str) -> None:
    """Runs left ``running`` with no lease at all (a Shafaf before leases was killed): never running forever."""
    conn.execute(
        "UPDATE runs SET outcome = ?, reason = ?, finished = ?, message = 'the harvester stopped before the run finished' "
        "WHERE agency_id = ? AND source_id = ? AND outcome = ? AND run_id NOT IN (SELECT run_id FROM leases) "
        "AND NOT EXISTS (SELECT 1 FROM leases WHERE leases.source_id = runs.source_id)",
        (str(Outcome.ABORTED), str(Reason.LEASE_EXPIRED), now, agency_id, source_id, str(Outcome.RUNNING)))
