"""``var/state.db``: the private record of harvest runs, leases, tokens and agencies' requests.

The public database only ever receives a copy of the run columns listed in
``tables.HARVEST_RUNS_COLUMNS``; anything private (leases, token hashes,
harvest requests, schedule overrides) stays here.

One run of a source at a time is enforced by SQLite itself: a run holds a
row of ``leases``, whose unique partial index allows one ``running`` row per
source, inserted inside ``BEGIN IMMEDIATE`` (so the check for a lapsed lease
and the insert are one step, never check-then-insert). A lease is renewed
by a heartbeat; one whose holder died (its pid is gone on this host, or it
was not renewed in time) is taken over and its run marked ``aborted``; so is
every lapsed lease whenever state.db is opened (``leases.reap``).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import secrets
import socket
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from shafaf.core import durable
from shafaf.core.models import Claim, Outcome, Reason
from shafaf.core.public_message import public
from shafaf.state import leases, newest_runs, schema
from shafaf.state.asked_by import accepts_shrink, requested_by
from shafaf.state.run_record import Run, SourceRuns

__all__ = ["Run", "SourceRuns", "StateStore", "new_run_id", "utc_now", "wall_clock"]


def wall_clock() -> dt.datetime:
    """The wall clock in UTC: the one source of every stored time (tests replace it to make the clock jump)."""
    return dt.datetime.now(dt.UTC)


def utc_now() -> str:
    """Stored times are UTC, ISO 8601, to the second."""
    return wall_clock().strftime("%Y-%m-%dT%H:%M:%SZ")


def new_run_id() -> str:
    """Sortable by start time to the microsecond, unique without coordination."""
    now = wall_clock()
    return f"{now:%Y%m%dT%H%M%S%f}-{secrets.token_hex(3)}"


class StateStore:
    """Run records in ``state.db``; every write is its own short transaction."""

    def __init__(self, path: Path):
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as conn:
            schema.create(conn)
        self.reap()

    def reap(self) -> int:
        """Mark ``aborted`` the runs whose harvester is gone (SIGKILL, a reboot); how many leases had lapsed."""
        with self.immediate() as conn:
            return leases.reap(conn, leases.expiry(wall_clock(), 0))

    @contextlib.contextmanager
    def immediate(self) -> Iterator[sqlite3.Connection]:
        """One write transaction that holds the write lock from its first statement (``BEGIN IMMEDIATE``)."""
        conn = sqlite3.connect(self.path, timeout=60, isolation_level=None)
        conn.row_factory = sqlite3.Row
        try:
            with durable.transaction(conn):
                yield conn
        finally:
            conn.close()

    def connect(self) -> contextlib.AbstractContextManager[sqlite3.Connection]:
        """A connection in a transaction that commits on leaving, for the modules beside this one."""
        return self._connect()

    @contextlib.contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        conn = sqlite3.connect(self.path, timeout=30)
        conn.row_factory = sqlite3.Row
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            with conn:
                yield conn
        finally:
            conn.close()

    # -- one run at a time

    def claim(
        self, run: Run, *, lease_s: float, due_after: str | None = None, queued: bool = False
    ) -> tuple[Claim, str | None]:
        """Start ``run`` holding its source's lease, or say why not (and which run holds it).

        ``due_after`` (a stored UTC time) makes a scheduled trigger idempotent:
        when a run of the source started at or after it (and not after now),
        the slot is covered and nothing is started. ``queued``: ``run`` is an
        agency's queued run, started only while it is still queued, so two
        schedulers never both take it and one killed before starting it
        leaves it queued for the next.
        """
        now = utc_now()
        key = (run.agency_id, run.source_id)
        with self.immediate() as conn:
            waiting = (
                conn.execute(
                    "SELECT message FROM runs WHERE run_id = ? AND outcome = ?", (run.run_id, str(Outcome.QUEUED))
                ).fetchone()
                if queued
                else None
            )
            if queued and waiting is None:
                return Claim.NOT_DUE, None
            if waiting is not None:
                run.requested_by = requested_by(waiting["message"] or "")
                run.accept_shrink = accepts_shrink(run.requested_by)
            holder = conn.execute(
                "SELECT * FROM leases WHERE agency_id = ? AND source_id = ? AND state = 'running'", key
            ).fetchone()
            if holder is not None and leases.lapsed(holder, leases.expiry(wall_clock(), 0)):
                leases.abort_holder(conn, holder, now)
                holder = None
            if holder is not None:
                return Claim.ALREADY_RUNNING, holder["run_id"]
            leases.abort_orphans(conn, run.agency_id, run.source_id, now)
            if (
                due_after is not None
                and conn.execute(
                    "SELECT 1 FROM runs WHERE agency_id = ? AND source_id = ? AND started >= ? AND started <= ? "
                    "AND outcome NOT IN (?, ?, ?)",  # a run stamped in the future (the clock went back) covers nothing
                    (*key, due_after, now, str(Outcome.SKIPPED), str(Outcome.QUEUED), str(Outcome.ABORTED)),
                ).fetchone()
            ):
                return Claim.NOT_DUE, None
            conn.execute(
                "INSERT INTO leases VALUES (?, ?, ?, 'running', ?, ?, ?, ?)",
                (run.run_id, *key, socket.gethostname(), os.getpid(), now, leases.expiry(wall_clock(), lease_s)),
            )
            run.started = now
            row = run.as_row()
            conn.execute(
                f"INSERT OR REPLACE INTO runs ({', '.join(row)}) VALUES ({', '.join(':' + k for k in row)})", row
            )
        return Claim.CLAIMED, run.run_id

    def renew(self, run_id: str, *, lease_s: float) -> bool:
        """The heartbeat: push the lease's expiry on; False when the lease was lost (taken over)."""
        with self._connect() as conn:
            return (
                conn.execute(
                    "UPDATE leases SET expires = ? WHERE run_id = ? AND state = 'running'",
                    (leases.expiry(wall_clock(), lease_s), run_id),
                ).rowcount
                == 1
            )

    def latest(self, keys: list[tuple[str, str]]) -> dict[tuple[str, str], SourceRuns]:
        """Per (agency, source): the newest start of each outcome and the newest run.

        Read from ``run_newest`` (kept by triggers, ``newest_runs``): one read
        for every source, and one lookup by run id per source for its newest
        run, whatever the length of the history.
        """
        out: dict[tuple[str, str], SourceRuns] = {}
        with self._connect() as conn:
            found = newest_runs.newest(conn, keys)
            picked: dict[tuple[str, str], str] = {}
            for key in keys:
                of_key = found.get(key, {})
                newest = {o: of_key[o][0] for o in Outcome if o in of_key}  # in the enum's order, as ties go
                ran = {o: started for o, started in newest.items() if o != Outcome.QUEUED}
                if ran:
                    picked[key] = of_key[max(ran, key=lambda o: ran[o])][1]
                out[key] = SourceRuns(newest=newest, last=None)
            ids = list(picked.values())
            rows = {}
            for i in range(0, len(ids), 500):
                chunk = ids[i : i + 500]
                marks = ", ".join("?" * len(chunk))
                rows.update(
                    {r["run_id"]: dict(r) for r in conn.execute(f"SELECT * FROM runs WHERE run_id IN ({marks})", chunk)}
                )
        for key, run_id in picked.items():
            out[key] = SourceRuns(newest=out[key].newest, last=rows.get(run_id))
        return out

    def release(self, run_id: str) -> None:
        """Free a finished run's lease; a run still ``running`` keeps it, for the sweep to see its holder go."""
        with self._connect() as conn:
            conn.execute(
                "DELETE FROM leases WHERE run_id = ? AND NOT EXISTS "
                "(SELECT 1 FROM runs WHERE run_id = ? AND outcome = ?)",
                (run_id, run_id, str(Outcome.RUNNING)),
            )

    def end_run(self, run: Run, outcome: Outcome, *, reason: Reason, message: str) -> bool:
        """The outcome of a run that could not finish normally, with its split runs and its lease, in one step.

        Writes only the outcome columns, so text in the run that cannot be
        stored never stops it; False (and ``run`` unchanged) when the run
        already had its outcome.
        """
        now = utc_now()
        with self.immediate() as conn:
            ended = leases.end_run(
                conn,
                run.run_id,
                source_id=run.source_id,
                location=run.location,
                started=run.started,
                outcome=outcome,
                reason=reason,
                message=message,
                now=now,
            )
        if ended:
            run.outcome, run.reason, run.message, run.finished = outcome, reason, message, now
        return ended

    def leases(self) -> list[dict[str, Any]]:
        with self._connect() as conn:
            return [dict(r) for r in conn.execute("SELECT * FROM leases ORDER BY acquired")]

    def start(self, *, agency_id: str, source_id: str, dataset: str, kind: str, location: str) -> Run:
        run = Run(
            run_id=new_run_id(),
            agency_id=agency_id,
            source_id=source_id,
            dataset=dataset,
            kind=kind,
            location=location,
            started=utc_now(),
        )
        self.save(run)
        return run

    def save(self, run: Run) -> None:
        row = run.as_row()
        names = ", ".join(row)
        marks = ", ".join(f":{k}" for k in row)
        with self._connect() as conn:
            conn.execute(f"INSERT OR REPLACE INTO runs ({names}) VALUES ({marks})", row)

    def finish(self, run: Run, outcome: Outcome, *, reason: Reason | None = None, message: str = "") -> Run:
        run.outcome = outcome
        run.reason = reason
        if run.requested_by and not message.startswith(run.requested_by):
            message = f"{run.requested_by}; {message}" if message else run.requested_by
        run.message = public(message, roots=(self.path.parent,))  # bounded, and no path of the data folder
        run.finished = utc_now()
        self.save(run)
        return run

    def runs(self, agency_id: str | None = None, *, limit: int | None = None) -> list[dict[str, Any]]:
        """Runs, newest first, as plain rows."""
        sql = "SELECT * FROM runs"
        params: list[Any] = []
        if agency_id is not None:
            sql += " WHERE agency_id = ?"
            params.append(agency_id)
        sql += " ORDER BY started DESC, run_id DESC"
        if limit is not None:
            sql += " LIMIT ?"
            params.append(limit)
        with self._connect() as conn:
            return [dict(r) for r in conn.execute(sql, params)]

    # -- what the last accepted capture of a source was

    def source_state(self, agency_id: str, source_id: str) -> dict[str, Any] | None:
        with self._connect() as conn:
            row = conn.execute(
                "SELECT * FROM source_state WHERE agency_id = ? AND source_id = ?", (agency_id, source_id)
            ).fetchone()
        return dict(row) if row else None

    def remember_source(
        self,
        agency_id: str,
        source_id: str,
        *,
        fingerprint: str,
        sha256: str | None,
        etag: str | None,
        last_modified: str | None,
    ) -> None:
        with self._connect() as conn:
            conn.execute(
                "INSERT OR REPLACE INTO source_state VALUES (?, ?, ?, ?, ?, ?, ?)",
                (agency_id, source_id, fingerprint, sha256, etag, last_modified, utc_now()),
            )

    # -- agencies found in multi-agency files

    def found_agency(self, agency_id: str, names: dict[str, str], found_by: str) -> None:
        now = utc_now()
        with self._connect() as conn:
            conn.execute(
                """INSERT INTO found_agencies VALUES (?, ?, ?, ?, ?, ?, ?)
                   ON CONFLICT (id) DO UPDATE SET name_en = excluded.name_en, name_fa = excluded.name_fa,
                   website = excluded.website, last_seen = excluded.last_seen""",
                (agency_id, names.get("name_en"), names.get("name_fa"), names.get("website"), found_by, now, now),
            )

    def found_agencies(self) -> list[dict[str, Any]]:
        with self._connect() as conn:
            return [dict(r) for r in conn.execute("SELECT * FROM found_agencies ORDER BY id")]

    # -- publishes

    def abort_stale_publishes(self) -> int:
        """Mark publishes left 'running' by a killed publisher; call only while holding the publish lock."""
        with self._connect() as conn:
            return conn.execute(
                "UPDATE publishes SET outcome = ?, finished = ?, message = 'the publisher was killed before it finished' "
                "WHERE outcome = ?",
                (str(Outcome.ABORTED), utc_now(), str(Outcome.RUNNING)),
            ).rowcount

    def start_publish(self, *, rebuild: bool, agencies: int) -> str:
        publish_id = new_run_id()
        with self._connect() as conn:
            conn.execute(
                "INSERT INTO publishes (publish_id, started, outcome, rebuild, agencies) VALUES (?, ?, ?, ?, ?)",
                (publish_id, utc_now(), str(Outcome.RUNNING), int(rebuild), agencies),
            )
        return publish_id

    def finish_publish(self, publish_id: str, outcome: Outcome, *, version: str | None, message: str) -> None:
        with self._connect() as conn:
            conn.execute(
                "UPDATE publishes SET finished = ?, outcome = ?, version = ?, message = ? WHERE publish_id = ?",
                (utc_now(), str(outcome), version, message, publish_id),
            )

    def publishes(self) -> list[dict[str, Any]]:
        with self._connect() as conn:
            return [dict(r) for r in conn.execute("SELECT * FROM publishes ORDER BY publish_id")]
