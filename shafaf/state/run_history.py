"""What the run history says of each source's endpoint: its runs in a window, its current streak.

The queries behind ``publish/availability.py``. A run "failed to fetch"
when it failed in the harvest phase; runs that say nothing of the endpoint
(queued, running, skipped, aborted) are left out everywhere
(``standard/availability_defs.py``).
"""

from __future__ import annotations

from typing import Any

from shafaf.standard.availability_defs import FAILED_FETCH, NOT_COUNTED
from shafaf.state.store import StateStore

_COUNTED = f"outcome NOT IN ({', '.join(repr(str(o)) for o in NOT_COUNTED)})"
_FAILED = f"(outcome = '{FAILED_FETCH[0]}' AND phase = '{FAILED_FETCH[1]}')"


def counted_runs(state: StateStore, agency_id: str, *, since: str) -> list[dict[str, Any]]:
    """The agency's counted runs started at or after ``since`` (UTC ISO text), oldest first, with ``fetched``."""
    sql = (f"SELECT source_id, started, fetch_ms, NOT {_FAILED} AS fetched FROM runs "
           f"WHERE agency_id = ? AND started >= ? AND {_COUNTED} ORDER BY started, run_id")
    with state.connect() as conn:
        return [dict(r) for r in conn.execute(sql, (agency_id, since))]


def streaks(state: StateStore, agency_id: str) -> dict[str, dict[str, Any]]:
    """Per source: the last successful fetch, the newest failure (when, reason, message, run), the failures since."""
    out: dict[str, dict[str, Any]] = {}
    with state.connect() as conn:
        for row in conn.execute(f"SELECT source_id, max(started) AS last_success FROM runs WHERE agency_id = ? "
                                f"AND {_COUNTED} AND NOT {_FAILED} GROUP BY source_id", (agency_id,)):
            out.setdefault(row["source_id"], {})["last_success"] = row["last_success"]
        for row in conn.execute(f"SELECT source_id, started, reason, message, run_id FROM runs WHERE agency_id = ? "
                                f"AND {_FAILED} ORDER BY started DESC, run_id DESC", (agency_id,)):
            entry = out.setdefault(row["source_id"], {})
            if "last_failure" not in entry:
                entry.update(last_failure=row["started"], last_failure_reason=row["reason"],
                             last_failure_message=row["message"], last_failure_run_id=row["run_id"])
            if row["started"] > (entry.get("last_success") or ""):
                entry["consecutive_failures"] = entry.get("consecutive_failures", 0) + 1
                entry["failing_since"] = row["started"]
        for source_id, entry in out.items():
            if entry.get("last_failure") and not entry.get("consecutive_failures"):
                (entry["recovered"],) = conn.execute(
                    f"SELECT min(started) FROM runs WHERE agency_id = ? AND source_id = ? AND started > ? "
                    f"AND {_COUNTED} AND NOT {_FAILED}", (agency_id, source_id, entry["last_failure"])).fetchone()
    return out


def change(state: StateStore, run: Any) -> str | None:
    """``failing`` when ``run`` failed to fetch and the counted run before it did not (or there was none),
    ``recovered`` when it fetched and the one before it had failed; None otherwise (or when not counted)."""
    if str(run.outcome) in {str(o) for o in NOT_COUNTED}:
        return None
    failed = str(run.outcome) == str(FAILED_FETCH[0]) and str(run.phase) == str(FAILED_FETCH[1])
    with state.connect() as conn:
        before = conn.execute(f"SELECT {_FAILED} FROM runs WHERE agency_id = ? AND source_id = ? AND "
                              f"(started < ? OR (started = ? AND run_id < ?)) AND {_COUNTED} "
                              f"ORDER BY started DESC, run_id DESC LIMIT 1",
                              (run.agency_id, run.source_id, run.started, run.started, run.run_id)).fetchone()
    if failed and (before is None or not before[0]):
        return "failing"
    if not failed and before is not None and before[0]:
        return "recovered"
    return None
