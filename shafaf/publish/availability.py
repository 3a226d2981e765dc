"""Each source's availability, published from its run history (``source_availability``, docs/indicators.md).

One row per source of the registry: the share of runs whose fetch
succeeded and the median and 95th-percentile fetch time over the 30 and 90
days before the publication, the last failure with its reason, and the
current streak of failures. The agency page shows the rows of its sources;
``/availability`` ranks every endpoint; the feeds announce a source that
starts failing and one that recovers (``status``, ``failing_since``).
"""

from __future__ import annotations

import datetime as dt
import math
import sqlite3
import statistics
from typing import Any

from shafaf.config.registry import Agency
from shafaf.standard.availability_defs import WINDOWS_DAYS
from shafaf.state.run_history import counted_runs, streaks
from shafaf.state.store import StateStore, wall_clock

TABLE = "source_availability"


def rows_for(agency: Agency, state: StateStore, *, now: dt.datetime | None = None) -> list[dict[str, Any]]:
    """The availability rows of ``agency``'s sources as of ``now`` (the publication)."""
    now = now or wall_clock()
    stamp = lambda t: t.strftime("%Y-%m-%dT%H:%M:%SZ")  # noqa: E731 - the stored form of run times
    history = counted_runs(state, agency.id, since=stamp(now - dt.timedelta(days=max(WINDOWS_DAYS))))
    streak = streaks(state, agency.id)
    out = []
    for source in agency.sources:
        runs = [r for r in history if r["source_id"] == source.id]
        row: dict[str, Any] = {
            "agency_id": agency.id,
            "source_id": source.id,
            "dataset": source.dataset,
            "kind": source.kind,
            "location": source.location,
        }
        for days in WINDOWS_DAYS:
            since = stamp(now - dt.timedelta(days=days))
            window = [r for r in runs if r["started"] >= since]
            fetched = [r for r in window if r["fetched"]]
            times = sorted(r["fetch_ms"] for r in fetched if r["fetch_ms"] is not None)
            row[f"runs_{days}d"] = len(window)
            row[f"fetched_{days}d"] = len(fetched)
            row[f"success_share_{days}d"] = len(fetched) / len(window) if window else None
            row[f"median_fetch_ms_{days}d"] = round(statistics.median(times)) if times else None
            row[f"p95_fetch_ms_{days}d"] = percentile(times, 0.95)
        s = streak.get(source.id, {})
        failures = s.get("consecutive_failures", 0)
        row.update(
            last_success=s.get("last_success"),
            last_failure=s.get("last_failure"),
            last_failure_reason=s.get("last_failure_reason"),
            last_failure_message=s.get("last_failure_message"),
            last_failure_run_id=s.get("last_failure_run_id"),
            consecutive_failures=failures,
            failing_since=s.get("failing_since") if failures else None,
            recovered=s.get("recovered") if not failures else None,
            status="failing" if failures else ("up" if s.get("last_success") else "unknown"),
            computed=stamp(now),
        )
        out.append(row)
    return out


def percentile(ordered: list[int], share: float) -> int | None:
    """The nearest-rank percentile of an ascending list: its ⌈share × n⌉-th value; None for no values."""
    if not ordered:
        return None
    return ordered[max(1, math.ceil(share * len(ordered))) - 1]


def replace(conn: sqlite3.Connection, agency: Agency, state: StateStore) -> None:
    """Inside the agency's publish transaction: its availability rows, rebuilt."""
    rows = rows_for(agency, state)
    conn.execute(f"DELETE FROM {TABLE} WHERE agency_id = ?", (agency.id,))
    if rows:
        names = list(rows[0])
        conn.executemany(
            f"INSERT INTO {TABLE} ({', '.join(names)}) VALUES ({', '.join('?' for _ in names)})",
            [[r[n] for n in names] for r in rows],
        )
