"""How well an agency publishes: what it covers, how old its data is, and the transparency score built from it.

Computed at publish time, per agency, inside the publisher's transaction.
``data_coverage`` gets one row per dataset of the standard (rows, the first
and last date covered, the last month covered to its end, how many months
that is behind the portal's reference month, stale or not). The agency's
``indicators`` rows here are the parts of the transparency score, each a
share from 0 to 1 an agency can act on, and the score itself:

- ``coverage``: the standard's datasets with at least one row, of five;
- ``window_months``: months of the reference window its performance data covers, of twelve;
- ``data_age_score``: 1 when its performance data reaches the reference month, 1/12 less for each month behind;
- ``validity``: rows that passed validation, of the rows read (the latest run of each source);
- ``citizen_fields``: how much of what citizens ask is filled in: satisfaction and cost on the window's
  performance rows, the how-to link on the services (the mean of the three shares).

Harvest freshness (days since the last good harvest) stays beside them, as
what it is: when the portal last read the agency, not how old its data is.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import sqlite3
from typing import Any
from zoneinfo import ZoneInfo

from shafaf.core.models import Outcome
from shafaf.publish.reference import ReferenceWindow
from shafaf.standard import tables
from shafaf.standard.indicator_defs import CURRENT, SCORE_PARTS, SCORE_WEIGHTS

Row = tuple[Any, ...]

# The date each dataset's rows are "as of", for data age: the period's end, or the inventory's update date.
_AS_OF: dict[str, tuple[str, str]] = {
    "services": ("updated", "updated"),
    "service_performance": ("period_start", "period_end"),
    "service_standards": ("period_start", "period_end"),
    "activities": ("start_date", "end_date"),
    "targets": ("period_start", "period_end"),
}


_GRAIN_MONTHS = {"month": 1, "quarter": 3, "year": 12}


@dataclasses.dataclass(frozen=True)
class Coverage:
    """One dataset of one agency in ``data_coverage``."""

    dataset: str
    rows: int
    first_date: str | None
    last_date: str | None
    last_month: str | None
    months_behind: int | None
    stale: int | None


def dataset_coverage(
    conn: sqlite3.Connection, agency_id: str, window: ReferenceWindow, *, stale_after_months: int
) -> list[Coverage]:
    """Rows and dates of each dataset the agency publishes; data age only where the dates are periods or updates."""
    out = []
    for kind in tables.DATASET_TABLES:
        first_col, last_col = _AS_OF[kind]
        live = " AND coalesce(withdrawn, 0) = 0" if kind == "services" else ""
        rows, first, last = conn.execute(
            f"SELECT count(*), min([{first_col}]), max([{last_col}]) FROM [{kind}] WHERE agency_id = ?{live}",
            (agency_id,),
        ).fetchone()
        behind = last_month = stale = None
        if last and kind != "activities":  # a project's end date says when it ends, not how old the data is
            last_day = dt.date.fromisoformat(last[:10])
            behind = window.months_behind(last_day)
            last_month = _last_month_label(window, last_day)
            stale = int(behind > stale_after_months + _grain_months(conn, kind, agency_id, last) - 1)
        out.append(Coverage(kind, rows, first, last, last_month, behind, stale))
    return out


def _grain_months(conn: sqlite3.Connection, kind: str, agency_id: str, last: str) -> int:
    """How many months the dataset's latest period spans: a year's figures cannot be due before the year ends.

    Staleness allows ``stale_after_months`` past the end of the period a dataset
    reports in: months for monthly figures, a year for yearly targets and for
    a services inventory (reviewed once a year). Of periods of several lengths
    ending on the last day, the shortest counts.
    """
    if kind == "services":
        return 12
    grains = conn.execute(
        f"SELECT DISTINCT {tables.PERIOD_CLASS} FROM [{kind}] WHERE agency_id = ? AND period_end = ?", (agency_id, last)
    ).fetchall()
    # Months and a quarter ending the same day: the months were due first (any one row was taken before).
    return min((_GRAIN_MONTHS.get(grain, 1) for (grain,) in grains), default=1)


def _last_month_label(window: ReferenceWindow, last_day: dt.date) -> str:
    from shafaf.publish.reference import month_of, shift

    following = month_of(last_day + dt.timedelta(days=1), window.calendar)
    return shift(following, -1, window.calendar).label


def write_coverage(
    conn: sqlite3.Connection, agency_id: str, coverage: list[Coverage], window: ReferenceWindow, computed_at: str
) -> None:
    conn.execute("DELETE FROM data_coverage WHERE agency_id = ?", (agency_id,))
    conn.executemany(
        "INSERT INTO data_coverage (agency_id, dataset, rows, first_date, last_date, last_month, months_behind, "
        "stale, reference_month, computed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (
                agency_id,
                c.dataset,
                c.rows,
                c.first_date,
                c.last_date,
                c.last_month,
                c.months_behind,
                c.stale,
                window.reference.label,
                computed_at,
            )
            for c in coverage
        ],
    )


def finest_grain(conn: sqlite3.Connection, agency_id: str) -> str | None:
    """The agency's finest performance grain (month, else quarter, else year): the rows window figures use."""
    grains = {
        g
        for (g,) in conn.execute(
            f"SELECT DISTINCT {tables.PERIOD_CLASS} FROM service_performance WHERE agency_id = ?", (agency_id,)
        )
    }
    return next((g for g in ("month", "quarter", "year") if g in grains), None)


def window_periods(conn: sqlite3.Connection, agency_id: str, grain: str | None) -> list[tuple[dt.date, dt.date]]:
    """The agency's distinct performance periods of ``grain``."""
    rows = conn.execute(
        f"SELECT DISTINCT period_start, period_end FROM service_performance WHERE agency_id = ? "
        f"AND {tables.PERIOD_CLASS} = ?",
        (agency_id, grain),
    ).fetchall()
    return [(dt.date.fromisoformat(s), dt.date.fromisoformat(e)) for s, e in rows]


def data_age_score(months_behind: int | None) -> float | None:
    """1 when the data reaches the reference month, 1/12 less for each month behind, 0 from a year behind."""
    if months_behind is None:
        return None
    return max(0.0, 1.0 - months_behind / 12)


def transparency_score(parts: dict[str, float | None]) -> float:
    """Σ weight × part over the score's parts, 0-100; a part with no value counts as 0."""
    return float(sum(SCORE_WEIGHTS[name] * (parts.get(name) or 0.0) for name in SCORE_PARTS))


def ratio(numerator: float | None, denominator: float | None) -> float | None:
    if numerator is None or not denominator:
        return None
    return numerator / denominator


def freshness_days(conn: sqlite3.Connection, agency_id: str, today: dt.date, timezone: str) -> float | None:
    """Days from the agency's latest good harvest to ``today``, both days of the portal's timezone.

    ``started`` is UTC: its date is the portal's day only where the portal is on UTC (in Tehran a harvest
    at 21:00 UTC is already the next day; in Toronto one at 01:00 UTC is still the day before).
    """
    (latest,) = conn.execute(
        "SELECT max(started) FROM harvest_runs WHERE agency_id = ? AND outcome IN (?, ?)",
        (agency_id, Outcome.OK, Outcome.UNCHANGED),
    ).fetchone()
    if latest is None:
        return None
    started = dt.datetime.fromisoformat(latest.replace("Z", "+00:00"))
    if started.tzinfo is None:
        started = started.replace(tzinfo=dt.UTC)
    return float(max(0, (today - started.astimezone(ZoneInfo(timezone)).date()).days))


def data_rows(
    conn: sqlite3.Connection,
    agency_id: str,
    window: ReferenceWindow,
    coverage: list[Coverage],
    today: dt.date,
    *,
    timezone: str,
) -> list[Row]:
    """The agency's data indicators (current snapshot): harvest freshness, data age, the score's parts and the score."""
    days = freshness_days(conn, agency_id, today, timezone)
    passed, read = conn.execute(
        """
        WITH r AS (
            SELECT rows_read, min(coalesce(rows_passed, 0), rows_read) AS rows_passed,
                   row_number() OVER (PARTITION BY source_id ORDER BY started DESC, run_id DESC) AS n
            FROM harvest_runs WHERE agency_id = ? AND rows_read > 0
        )
        SELECT sum(rows_passed), sum(rows_read) FROM r WHERE n = 1
        """,
        (agency_id,),
    ).fetchone()
    present = sum(1 for c in coverage if c.rows)
    performance = next(c for c in coverage if c.dataset == "service_performance")
    grain = finest_grain(conn, agency_id)
    covered = window.months_covered(window_periods(conn, agency_id, grain))
    filled = _citizen_fields(conn, agency_id, window, grain)
    parts = {
        "coverage": ratio(present, len(coverage)),
        "window_months": covered / len(window.months),
        "data_age_score": data_age_score(performance.months_behind),
        "validity": ratio(passed, read),
        "citizen_fields": filled[0],
    }
    snap = (agency_id, CURRENT, None, today.isoformat())
    return [
        (agency_id, "freshness_days", *snap[1:], days, None, None, "days"),
        (agency_id, "data_months_behind", *snap[1:], performance.months_behind, None, None, "months"),
        (agency_id, "data_stale", *snap[1:], performance.stale, None, None, "boolean"),
        (agency_id, "coverage", *snap[1:], parts["coverage"], present, len(coverage), "share"),
        (agency_id, "window_months", *snap[1:], parts["window_months"], covered, len(window.months), "share"),
        (agency_id, "data_age_score", *snap[1:], parts["data_age_score"], None, None, "share"),
        (agency_id, "validity", *snap[1:], parts["validity"], passed, read, "share"),
        (agency_id, "citizen_fields", *snap[1:], parts["citizen_fields"], filled[1], filled[2], "share"),
        (agency_id, "transparency_score", *snap[1:], transparency_score(parts), None, None, "score"),
    ]


def _citizen_fields(
    conn: sqlite3.Connection, agency_id: str, window: ReferenceWindow, grain: str | None
) -> tuple[float | None, float | None, float | None]:
    """Mean of the shares filled of satisfaction and cost (window rows of the agency's finest grain) and how_to_url
    (current services); with Σ filled and Σ cells."""
    sat, cost, rows = conn.execute(
        "SELECT count(satisfaction), count(cost), count(*) FROM service_performance WHERE agency_id = :agency "
        f"AND {tables.PERIOD_CLASS} = :grain "
        "AND date(julianday(period_start) + (julianday(period_end) - julianday(period_start)) / 2) "
        "BETWEEN :start AND :end",
        {"agency": agency_id, "grain": grain, "start": window.start.isoformat(), "end": window.end.isoformat()},
    ).fetchone()
    how_to, services = conn.execute(
        "SELECT count(nullif(how_to_url, '')), count(*) FROM services WHERE agency_id = ? AND coalesce(withdrawn, 0) = 0",
        (agency_id,),
    ).fetchone()
    shares = [ratio(sat, rows) or 0.0, ratio(cost, rows) or 0.0, ratio(how_to, services) or 0.0]
    if not rows and not services:
        return None, None, None
    return sum(shares) / 3, float(sat + cost + how_to), float(2 * rows + services)
