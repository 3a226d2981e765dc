"""Reported against measured: an agency's own figure beside the one the portal computes from its published rows.

"Statistics from us and the agencies are not enough": where a targets row
reports an ``actual`` the portal can compute from the same agency's rows -
its smart share, GSB or national-portal connections (from the services
inventory), satisfaction, digital take-up, completion or complaints (from
service_performance over the row's own period) - both are published in
``discrepancies`` and a difference beyond the portal's
``discrepancy_tolerance`` is flagged: on shares and percentages the
tolerance is in percentage points (0.05: five points), on counts and rates
a share of the measured value. The inventory is today's, so it is compared
with the latest period the agency reported. Computed at publish time, one
agency at a time, inside the publisher's transaction.
"""

from __future__ import annotations

import dataclasses
import sqlite3
from typing import Any

from shafaf.core import units
from shafaf.standard import tables

SHARE, PERCENT, COUNT, RATE = "share", "percent", "services", "per_1000_applications"


@dataclasses.dataclass(frozen=True)
class Measure:
    """How the portal measures what a target names: from the inventory (today) or the period's performance rows."""

    source: str  # services or service_performance
    unit: str  # the measured value's unit: share (0-1), percent (0-100), services, per_1000_applications
    sql: str  # one value (and the rows counted) for :agency, and :start/:end for performance measures


_IN_PERIOD = (
    f"FROM service_performance WHERE agency_id = :agency AND {tables.IS_MONTH} "
    "AND date(julianday(period_start) + (julianday(period_end) - julianday(period_start)) / 2) "
    "BETWEEN :start AND :end"
)
_LIVE = "FROM services WHERE agency_id = :agency AND coalesce(withdrawn, 0) = 0"


def _share_of(flag: str) -> Measure:
    """The share of live services with ``flag`` true; an empty flag is not true (0 of n, never "no measure")."""
    return Measure("services", SHARE, f"SELECT 1.0 * total({flag} = 1) / count(*), count(*) {_LIVE}")


def _count_of(flag: str) -> Measure:
    return Measure("services", COUNT, f"SELECT coalesce(sum({flag} = 1), 0), count(*) {_LIVE}")


_TAKEUP = Measure(
    "service_performance",
    SHARE,
    f"SELECT 1.0 * coalesce(sum(CASE WHEN channel = 'online' THEN applications END), 0) "
    f"/ sum(applications), count(*) {_IN_PERIOD}",
)

# Target name -> how the portal measures it.
MEASURES: dict[str, Measure] = {
    "smart_services_share": _share_of("smart"),
    "share_smart": _share_of("smart"),
    "share_gsb": _share_of("via_gsb"),
    "share_national_portal": _share_of("on_national_portal"),
    "gsb_connected_services": _count_of("via_gsb"),
    "national_portal_services": _count_of("on_national_portal"),
    "smart_services": _count_of("smart"),
    "digital_uptake": _TAKEUP,
    "digital_takeup": _TAKEUP,
    "online_share": _TAKEUP,
    "satisfaction": Measure(
        "service_performance",
        PERCENT,
        "SELECT sum(CASE WHEN applications IS NOT NULL THEN satisfaction * applications END) "
        f"/ sum(CASE WHEN satisfaction IS NOT NULL THEN applications END), count(*) {_IN_PERIOD}",
    ),
    "completion_rate": Measure(
        "service_performance",
        SHARE,
        "SELECT 1.0 * sum(CASE WHEN applications IS NOT NULL THEN completed END) "
        f"/ sum(CASE WHEN completed IS NOT NULL THEN applications END), count(*) {_IN_PERIOD}",
    ),
    "complaints_per_1000": Measure(
        "service_performance",
        RATE,
        "SELECT 1000.0 * sum(CASE WHEN applications IS NOT NULL THEN complaints END) "
        f"/ sum(CASE WHEN complaints IS NOT NULL THEN applications END), count(*) {_IN_PERIOD}",
    ),
}


def as_measured(reported: float, unit: str | None, measured_unit: str) -> float:
    """A reported value in the measured value's unit: percent and shares converted (``units``), counts as they are."""
    if measured_unit == SHARE:
        return units.as_share(reported, unit)
    if measured_unit == PERCENT:
        return reported * 100 if units.written(unit) == units.SHARE_UNIT else reported
    return reported


def flagged(reported: float, measured: float, unit: str, tolerance: float) -> bool:
    """Beyond tolerance: ``tolerance`` × 100 points on shares and percentages, ``tolerance`` of the value otherwise."""
    if unit == SHARE:
        return abs(reported - measured) > tolerance + 1e-9
    if unit == PERCENT:
        return abs(reported - measured) > 100 * tolerance + 1e-9
    return abs(reported - measured) > tolerance * max(abs(measured), 1e-9) + 1e-9


def compute(conn: sqlite3.Connection, agency_id: str, *, tolerance: float) -> int:
    """Rebuild the agency's ``discrepancies`` rows; the caller owns the transaction. Returns the rows written."""
    conn.execute("DELETE FROM discrepancies WHERE agency_id = ?", (agency_id,))
    marks = ", ".join("?" * len(MEASURES))
    reported = conn.execute(
        f"SELECT indicator, period_start, period_end, period_label, actual, unit FROM targets "
        f"WHERE agency_id = ? AND actual IS NOT NULL AND indicator IN ({marks}) ORDER BY indicator, period_start",
        (agency_id, *MEASURES),
    ).fetchall()
    latest = {indicator: start for indicator, start, *_ in reported}  # the inventory is compared with this row only
    out: list[tuple[Any, ...]] = []
    for indicator, start, end, label, actual, unit in reported:
        measure = MEASURES[indicator]
        if measure.source == "services" and start != latest[indicator]:
            continue
        value, rows = conn.execute(measure.sql, {"agency": agency_id, "start": start, "end": end}).fetchone()
        if value is None or not rows:
            continue
        mine = as_measured(actual, unit, measure.unit)
        out.append(
            (
                agency_id,
                indicator,
                start,
                end,
                label,
                actual,
                unit,
                mine,
                value,
                measure.unit,
                value - mine,
                tolerance,
                int(flagged(mine, value, measure.unit, tolerance)),
                measure.source,
                rows,
            )
        )
    conn.executemany(
        "INSERT INTO discrepancies (agency_id, indicator, period_start, period_end, period_label, reported, "
        "reported_unit, reported_as_measured, measured, measured_unit, difference, tolerance, flagged, measured_from, "
        "measured_rows) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        out,
    )
    return len(out)
