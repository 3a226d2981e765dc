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
"""


def utc_now() -> str:
    """Stored times are UTC, ISO 8601, to the second."""
    return dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def new_run_id() -> str:
    """Sortable by start time, unique without coordination."""
    now = dt.datetime.now(dt.timezone.utc)
    return f"{now:%Y%m%dT%H%M%S}-{secrets.token_hex(3)}"


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
    reason: Reason | None = None
    phase: Phase = Phase.HARVEST
    message: str = ""
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

    def finish(self, run: Run, outcome: Outcome, *, reason: Reason | None = None, message: str = "") -> Run:
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
