"""``var/state.db``: the private record of harvest runs.

The public database only ever receives a copy of the run columns listed in
``tables.HARVEST_RUNS_COLUMNS``; anything private (later: leases, token
hashes, requests) stays here.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import secrets
import sqlite3
from pathlib import Path
from typing import Any, Iterator

from .models import Outcome, Phase, Reason
from .tables import HARVEST_RUNS_COLUMNS

_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS runs (
    {", ".join(f"{name} {kind}" for name, kind in HARVEST_RUNS_COLUMNS.items())},
    PRIMARY KEY (run_id)
);
CREATE INDEX IF NOT EXISTS runs_agency ON runs (agency_id, started);
-- What the last ACCEPTED capture of each source was, for conditional requests and "unchanged".
CREATE TABLE IF NOT EXISTS source_state (
    agency_id TEXT, source_id TEXT, fingerprint TEXT, sha256 TEXT, etag TEXT, last_modified TEXT, updated TEXT,
    PRIMARY KEY (agency_id, source_id)
);
-- Every publish: a killed publisher leaves 'running', which the next publish marks 'aborted'.
CREATE TABLE IF NOT EXISTS publishes (
    publish_id TEXT PRIMARY KEY, started TEXT, finished TEXT, outcome TEXT, rebuild INTEGER,
    agencies INTEGER, version TEXT, message TEXT
);
-- Agencies met in multi-agency files that the registry does not list (new_agencies).
CREATE TABLE IF NOT EXISTS found_agencies (
    id TEXT PRIMARY KEY, name_en TEXT, name_fa TEXT, website TEXT, found_by TEXT, first_seen TEXT, last_seen TEXT
);
"""


def utc_now() -> str:
    """Stored times are UTC, ISO 8601, to the second."""
    return dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def new_run_id() -> str:
    """Sortable by start time to the microsecond, unique without coordination."""
    now = dt.datetime.now(dt.timezone.utc)
    return f"{now:%Y%m%dT%H%M%S%f}-{secrets.token_hex(3)}"


@dataclasses.dataclass
class Run:
    """One harvest of one source, from capture through staging."""

    run_id: str
    agency_id: str
    source_id: str
    dataset: str
    kind: str
    location: str
    started: str
    finished: str | None = None
    outcome: Outcome = Outcome.RUNNING
    reason: Reason | str | None = None
    phase: Phase = Phase.HARVEST
    message: str = ""
    http_status: int | None = None
    bytes: int | None = None
    sha256: str | None = None
    rows_read: int | None = None
    rows_passed: int | None = None
    rows_failed: int | None = None

    def as_row(self) -> dict[str, Any]:
        row = dataclasses.asdict(self)
        for key in ("outcome", "reason", "phase"):
            row[key] = None if row[key] is None else str(row[key])
        return row


class StateStore:
    """Run records in ``state.db``; every write is its own short transaction."""

    def __init__(self, path: Path):
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as conn:
            conn.executescript(_SCHEMA)
            have = {row[1] for row in conn.execute("PRAGMA table_info(runs)")}
            for name, kind in HARVEST_RUNS_COLUMNS.items():
                if name not in have:  # a state.db made by an older Shafaf
                    conn.execute(f"ALTER TABLE runs ADD COLUMN {name} {kind}")

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

    def start(self, *, agency_id: str, source_id: str, dataset: str, kind: str, location: str) -> Run:
        run = Run(
            run_id=new_run_id(), agency_id=agency_id, source_id=source_id, dataset=dataset,
            kind=kind, location=location, started=utc_now(),
        )
        self.save(run)
        return run

    def save(self, run: Run) -> None:
        row = run.as_row()
        names = ", ".join(row)
        marks = ", ".join(f":{k}" for k in row)
        with self._connect() as conn:
            conn.execute(f"INSERT OR REPLACE INTO runs ({names}) VALUES ({marks})", row)

    def finish(self, run: Run, outcome: Outcome, *, reason: Reason | str | None = None, message: str = "") -> Run:
        run.outcome = outcome
        run.reason = reason
        run.message = message
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
            row = conn.execute("SELECT * FROM source_state WHERE agency_id = ? AND source_id = ?", (agency_id, source_id)).fetchone()
        return dict(row) if row else None

    def remember_source(self, agency_id: str, source_id: str, *, fingerprint: str, sha256: str | None,
                        etag: str | None, last_modified: str | None) -> None:
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
                "WHERE outcome = ?", (str(Outcome.ABORTED), utc_now(), str(Outcome.RUNNING)),
            ).rowcount

    def start_publish(self, *, rebuild: bool, agencies: int) -> str:
        publish_id = new_run_id()
        with self._connect() as conn:
            conn.execute("INSERT INTO publishes (publish_id, started, outcome, rebuild, agencies) VALUES (?, ?, ?, ?, ?)",
                         (publish_id, utc_now(), str(Outcome.RUNNING), int(rebuild), agencies))
        return publish_id

    def finish_publish(self, publish_id: str, outcome: Outcome, *, version: str | None, message: str) -> None:
        with self._connect() as conn:
            conn.execute("UPDATE publishes SET finished = ?, outcome = ?, version = ?, message = ? WHERE publish_id = ?",
                         (utc_now(), str(outcome), version, message, publish_id))

    def publishes(self) -> list[dict[str, Any]]:
        with self._connect() as conn:
            return [dict(r) for r in conn.execute("SELECT * FROM publishes ORDER BY publish_id")]
