"""``run_newest``: the newest run of each outcome of each source, kept by triggers on ``runs``.

``shafaf status``, the scheduler and the pages ask of every source when it
last ran, succeeded and was attempted (``StateStore.latest``). Asked of the
run history, that is one index seek per outcome per source: 45,000 seeks at
1,000 agencies x 5 sources. This table holds the answer, so all of it is one
read. Triggers keep it, so no writer of ``runs`` (``StateStore``, ``leases``,
``agency_requests``) can forget to: every insert (``INSERT OR REPLACE``
included, whose delete fires no trigger) and every change of a run's
outcome or start recomputes that source's rows from ``runs``, one index
seek per outcome (``runs_source_outcome``). Ties on ``started`` go to the
greatest ``run_id``, as they did.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable

from shafaf.core.models import Outcome

_OUTCOMES = ", ".join(f"'{o}'" for o in Outcome)


def _recompute(who: str) -> str:
    """The statements that rebuild the rows of ``who``'s source (``NEW`` or ``OLD``), inside a trigger."""
    key = f"agency_id = {who}.agency_id AND source_id = {who}.source_id"
    steps = [f"DELETE FROM run_newest WHERE {key};"]
    steps += [
        f"INSERT INTO run_newest SELECT * FROM (SELECT agency_id, source_id, outcome, started, run_id FROM runs "
        f"WHERE {key} AND outcome = '{o}' ORDER BY started DESC, run_id DESC LIMIT 1);"
        for o in Outcome
    ]
    return "\n    ".join(steps)


SCHEMA = f"""
CREATE TABLE IF NOT EXISTS run_newest (
    agency_id TEXT NOT NULL, source_id TEXT NOT NULL, outcome TEXT NOT NULL, started TEXT, run_id TEXT,
    PRIMARY KEY (agency_id, source_id, outcome)
) WITHOUT ROWID;
CREATE TRIGGER IF NOT EXISTS run_newest_insert AFTER INSERT ON runs BEGIN
    {_recompute("NEW")}
END;
CREATE TRIGGER IF NOT EXISTS run_newest_update AFTER UPDATE OF agency_id, source_id, outcome, started ON runs BEGIN
    {_recompute("OLD")}
    {_recompute("NEW")}
END;
CREATE TRIGGER IF NOT EXISTS run_newest_delete AFTER DELETE ON runs BEGIN
    {_recompute("OLD")}
END;
"""

# A state.db made before this table: filled once from the history, as the triggers would have.
_FILL = f"""
INSERT OR REPLACE INTO run_newest
SELECT agency_id, source_id, outcome, started, run_id FROM (
    SELECT agency_id, source_id, outcome, started, run_id, row_number() OVER (
        PARTITION BY agency_id, source_id, outcome ORDER BY started DESC, run_id DESC) AS n
    FROM runs WHERE outcome IN ({_OUTCOMES}) AND started IS NOT NULL
) WHERE n = 1
"""

# Past this many sources, one scan of the table is cheaper than a seek per source.
_SCAN_FROM = 200


def create(conn: sqlite3.Connection) -> None:
    """Make the table and its triggers; fill it from the history when it is new."""
    new = conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'run_newest'").fetchone() is None
    conn.executescript(SCHEMA)
    if new:
        with conn:
            conn.execute(_FILL)


def newest(
    conn: sqlite3.Connection, keys: Iterable[tuple[str, str]]
) -> dict[tuple[str, str], dict[Outcome, tuple[str, str]]]:
    """(agency, source) -> outcome -> (start, run id) of its newest run of that outcome; keys with no run absent."""
    wanted = set(keys)
    if len(wanted) > _SCAN_FROM:
        rows: Iterable[sqlite3.Row] = conn.execute("SELECT * FROM run_newest")
    else:
        rows = [
            row
            for key in wanted
            for row in conn.execute("SELECT * FROM run_newest WHERE agency_id = ? AND source_id = ?", key)
        ]
    out: dict[tuple[str, str], dict[Outcome, tuple[str, str]]] = {}
    for agency_id, source_id, outcome, started, run_id in rows:
        key = (agency_id, source_id)
        if key in wanted and started is not None:
            out.setdefault(key, {})[Outcome(outcome)] = (started, run_id)
    return out
