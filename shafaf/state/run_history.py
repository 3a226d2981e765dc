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
_AFTER = "(started > ? OR (started = ? AND run_id > ?))"  # after a run, in (started, run_id) order


def counted_runs(state: StateStore, agency_id: str, *, since: str) -> list[dict[str, Any]]:
    """The agency's counted runs started at or after ``since`` (UTC ISO text), oldest first, with ``fetched``."""
    sql = (
        f"SELECT source_id, started, fetch_ms, NOT {_FAILED} AS fetched FROM runs "
        f"WHERE agency_id = ? AND started >= ? AND {_COUNTED} ORDER BY started, run_id"
    )
    with state.connect() as conn:
        return [dict(r) for r in conn.execute(sql, (agency_id, since))]


def streaks(state: StateStore, agency_id: str) -> dict[str, dict[str, Any]]:
    """Per source: the last successful fetch, the newest failure (when, reason, message, run), the failures since.

    Runs are ordered by (started, run_id): two runs in the same second keep their order.
    """
    out: dict[str, dict[str, Any]] = {}
    with state.connect() as conn:
        sources = [r[0] for r in conn.execute("SELECT DISTINCT source_id FROM runs WHERE agency_id = ?", (agency_id,))]
        for source_id in sources:
            key = (agency_id, source_id)
            entry: dict[str, Any] = {}
            success = conn.execute(
                f"SELECT started, run_id FROM runs WHERE agency_id = ? AND source_id = ? AND {_COUNTED} "
                f"AND NOT {_FAILED} ORDER BY started DESC, run_id DESC LIMIT 1",
                key,
            ).fetchone()
            failure = conn.execute(
                f"SELECT started, reason, message, run_id FROM runs WHERE agency_id = ? AND source_id = ? "
                f"AND {_FAILED} ORDER BY started DESC, run_id DESC LIMIT 1",
                key,
            ).fetchone()
            if success is not None:
                entry["last_success"] = success["started"]
            if failure is not None:
                entry.update(
                    last_failure=failure["started"],
                    last_failure_reason=failure["reason"],
                    last_failure_message=failure["message"],
                    last_failure_run_id=failure["run_id"],
                )
                after = success if success is not None else {"started": "", "run_id": ""}
                count, since = conn.execute(
                    f"SELECT count(*), min(started) FROM runs WHERE agency_id = ? AND source_id = ? AND {_FAILED} "
                    f"AND {_AFTER}",
                    (*key, after["started"], after["started"], after["run_id"]),
                ).fetchone()
                entry["consecutive_failures"] = count
                if count:
                    entry["failing_since"] = since
                else:
                    (entry["recovered"],) = conn.execute(
                        f"SELECT min(started) FROM runs WHERE agency_id = ? AND source_id = ? AND {_COUNTED} "
                        f"AND NOT {_FAILED} AND {_AFTER}",
                        (*key, failure["started"], failure["started"], failure["run_id"]),
                    ).fetchone()
            out[source_id] = entry
    return out


def change(state: StateStore, run: Any) -> str | None:
    """``failing`` when ``run`` failed to fetch and the counted run before it did not (or there was none),
    ``recovered`` when it fetched and the one before it had failed; None otherwise (or when not counted)."""
    if str(run.outcome) in {str(o) for o in NOT_COUNTED}:
        return None
    failed = str(run.outcome) == str(FAILED_FETCH[0]) and str(run.phase) == str(FAILED_FETCH[1])
    with state.connect() as conn:
        before = conn.execute(
            f"SELECT {_FAILED} FROM runs WHERE agency_id = ? AND source_id = ? AND "
            f"(started < ? OR (started = ? AND run_id < ?)) AND {_COUNTED} "
            f"ORDER BY started DESC, run_id DESC LIMIT 1",
            (run.agency_id, run.source_id, run.started, run.started, run.run_id),
        ).fetchone()
    if failed and (before is None or not before[0]):
        return "failing"
    if not failed and before is not None and before[0]:
        return "recovered"
    return None
