"""Derived indicators, computed at publish time so pages never scan raw rows.

``compute_agency`` rebuilds one agency's ``indicators`` rows inside the
publisher's open transaction; ``compute_scorecards`` rebuilds
``agency_scorecard`` (one row per agency, with ranks) from those rows once all
agencies are published. Aggregation runs in SQL over the agency's published
rows; Python only turns the few aggregate rows into indicator rows. Formulas:
``shafaf/standard/indicator_defs.py`` and the generated ``docs/indicators.md``.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from typing import Any

from shafaf.config.registry import Portal
from shafaf.core.catalogue import gettext, say
from shafaf.normalize.periods import fiscal_year
from shafaf.publish import data_quality, discrepancies, smart_plan
from shafaf.publish.performance import RATIOS, SUMS, ratio
from shafaf.publish.reference import ReferenceWindow, reference_window
from shafaf.publish.scorecard_defs import (
    AMONG_TEXT,
    BETTER_TEXT,
    COMPARED,
    LAST_YEAR,
    RANK_NOTE,
    SCORECARD,
    SCORECARD_EXTRA,
    THIS_YEAR,
    WINDOW_NOTE,
)
from shafaf.standard import field_names, tables
from shafaf.standard.indicator_defs import BY_NAME, CURRENT, LAST_12_MONTHS, TARGET_PREFIX, YEAR
from shafaf.state.store import utc_now

Row = tuple[Any, ...]  # agency_id, indicator, window, period_start, period_end, value, numerator, denominator, unit

STAGES: tuple[str, ...] = tuple(f for f in field_names("services") if f.startswith("online_"))


def window_for(portal: Portal, today: dt.date) -> ReferenceWindow:
    """The portal's reference window on ``today`` (its calendar and reporting lag are settings)."""
    return reference_window(_day(today), calendar=portal.calendar, lag_months=portal.reference_lag_months)


def compute_agency(
    conn: sqlite3.Connection, agency_id: str, *, portal: Portal, today: dt.date, window: ReferenceWindow | None = None
) -> int:
    """Replace the agency's indicators, data coverage, discrepancies and scorecard row; the caller owns the transaction.

    Returns the indicators rows written.
    """
    today = _day(today)
    window = window or window_for(portal, today)
    conn.execute("DELETE FROM indicators WHERE agency_id = ?", (agency_id,))
    coverage = data_quality.dataset_coverage(conn, agency_id, window, stale_after_months=portal.stale_after_months)
    rows = [
        *_service_rows(conn, agency_id, today),
        *_performance_rows(conn, agency_id, window),
        *smart_plan.rows(conn, agency_id, portal.smart_plan, today),
        *data_quality.data_rows(conn, agency_id, window, coverage, today, timezone=portal.timezone),
    ]
    conn.executemany(
        f"INSERT INTO indicators ({', '.join(_q(c) for c in tables.INDICATORS_COLUMNS)}) "
        f"VALUES ({', '.join('?' * len(tables.INDICATORS_COLUMNS))})",
        rows,
    )
    written = len(rows) + _insert_targets(conn, agency_id)
    computed_at = utc_now()
    data_quality.write_coverage(conn, agency_id, coverage, window, computed_at)
    discrepancies.compute(conn, agency_id, tolerance=portal.discrepancy_tolerance)
    _write_scorecard(conn, agency_id, window, coverage, today, computed_at)
    return written


def _day(today: dt.date) -> dt.date:
    """A date, even when handed a datetime (whose isoformat would carry a time into the SQL)."""
    return today.date() if isinstance(today, dt.datetime) else today


def _q(name: str) -> str:
    return f"[{name}]"


def _unit(name: str) -> str:
    return BY_NAME[name].unit


# -- services


def _service_rows(conn: sqlite3.Connection, agency_id: str, today: dt.date) -> list[Row]:
    applicable = " + ".join(f"({s} IS NOT NULL)" for s in STAGES)
    online = " + ".join(f"(coalesce({s}, 0) = 1)" for s in STAGES)
    n, fully, with_stages, smart, portal, gsb = conn.execute(
        f"""
        SELECT count(*), coalesce(sum(applicable > 0 AND online = applicable), 0),
               coalesce(sum(applicable > 0), 0), coalesce(sum(smart = 1), 0),
               coalesce(sum(on_national_portal = 1), 0), coalesce(sum(via_gsb = 1), 0)
        FROM (SELECT {applicable} AS applicable, {online} AS online, smart, on_national_portal, via_gsb
              FROM services WHERE agency_id = ? AND coalesce(withdrawn, 0) = 0)
        """,
        (agency_id,),
    ).fetchone()
    now = today.isoformat()
    snap = (agency_id, CURRENT, None, now)
    return [
        (*_name(snap, "services"), n, None, None, _unit("services")),
        (*_name(snap, "share_fully_online"), ratio(fully, with_stages), fully, with_stages, "share"),
        (*_name(snap, "share_smart"), ratio(smart, n), smart, n, "share"),
        (*_name(snap, "share_national_portal"), ratio(portal, n), portal, n, "share"),
        (*_name(snap, "share_gsb"), ratio(gsb, n), gsb, n, "share"),
    ]


def _name(key: tuple[Any, ...], indicator: str) -> tuple[Any, ...]:
    """(agency_id, indicator, window, period_start, period_end) from (agency_id, window, start, end)."""
    return (key[0], indicator, *key[1:])


# -- performance

# Every measure is a sum (performance.SUMS, shared with the service page), so the agency's rows are first summed
# per period (an index scan, no sort), then the few period rows are tagged with the windows they fall in and summed
# again. The finest grain is month, else quarter, else year. Weighted medians go the same way over (period,
# median_days) weights.
_AGGREGATES = f"""
WITH p AS (
    SELECT period_start, period_end, max(fiscal_year) AS fiscal_year, {tables.PERIOD_CLASS} AS grain, {SUMS}
    FROM service_performance WHERE agency_id = :agency
    GROUP BY period_start, period_end
),
g AS (
    SELECT grain FROM p WHERE grain IS NOT NULL
    ORDER BY CASE grain WHEN 'month' THEN 1 WHEN 'quarter' THEN 2 ELSE 3 END LIMIT 1
),
fine AS (SELECT p.* FROM p JOIN g USING (grain)),
w AS (
    SELECT 'month' AS win, period_start || '/' || period_end AS k, p.* FROM p WHERE grain = 'month'
    UNION ALL
    SELECT '{LAST_12_MONTHS}', '', fine.* FROM fine
    WHERE date(julianday(period_start) + (julianday(period_end) - julianday(period_start)) / 2)
          BETWEEN :ref_start AND :ref_end
    UNION ALL
    SELECT '{YEAR}', CAST(fiscal_year AS TEXT), fine.* FROM fine WHERE fiscal_year IS NOT NULL
),
pm AS (
    SELECT period_start, period_end, median_days, sum(completed) AS weight
    FROM service_performance WHERE agency_id = :agency AND median_days IS NOT NULL AND completed > 0
    GROUP BY period_start, period_end, median_days
),
wm AS (
    SELECT w.win, w.k, pm.median_days, sum(pm.weight) AS weight
    FROM w JOIN pm USING (period_start, period_end) GROUP BY w.win, w.k, pm.median_days
),
med AS (
    SELECT win, k, median_days,
           sum(weight) OVER (PARTITION BY win, k ORDER BY median_days ROWS UNBOUNDED PRECEDING) AS running,
           sum(weight) OVER (PARTITION BY win, k) AS total
    FROM wm
),
medians AS (SELECT win, k, min(median_days) AS median_days FROM med WHERE 2 * running >= total GROUP BY win, k),
agg AS (
    SELECT win, k, min(period_start) AS period_start, max(period_end) AS period_end,
           sum(applications) AS applications, sum(online) AS online, sum(done_num) AS done_num,
           sum(done_den) AS done_den, sum(ws_num) AS ws_num, sum(ws_den) AS ws_den, sum(sat_num) AS sat_num,
           sum(sat_den) AS sat_den, sum(comp_num) AS comp_num, sum(comp_den) AS comp_den,
           sum(avail_num) AS avail_num, sum(avail_den) AS avail_den
    FROM w GROUP BY win, k
)
SELECT agg.*, medians.median_days FROM agg LEFT JOIN medians USING (win, k) ORDER BY agg.win, agg.period_start
"""


def _performance_rows(conn: sqlite3.Connection, agency_id: str, window: ReferenceWindow) -> list[Row]:
    conn_rows = conn.execute(
        _AGGREGATES, {"agency": agency_id, "ref_start": window.start.isoformat(), "ref_end": window.end.isoformat()}
    )
    names = [d[0] for d in conn_rows.description]
    out: list[Row] = []
    for values in conn_rows:
        a = dict(zip(names, values))
        if a["online"] is None and a["applications"] is not None:
            a["online"] = 0  # applications reported, none of them online
        key = (agency_id, a["win"], a["period_start"], a["period_end"])
        out.append((*_name(key, "applications"), a["applications"], None, None, _unit("applications")))
        for name, (num, den, scale) in RATIOS.items():
            out.append((*_name(key, name), ratio(a[num], a[den], scale), a[num], a[den], _unit(name)))
        out.append((*_name(key, "median_days"), a["median_days"], None, None, _unit("median_days")))
    return out


# -- targets


def _insert_targets(conn: sqlite3.Connection, agency_id: str) -> int:
    """Each targets row as ``target:<indicator>``: value = numerator = actual, denominator = target."""
    cur = conn.execute(
        f"""
        INSERT INTO indicators ({", ".join(_q(c) for c in tables.INDICATORS_COLUMNS)})
        SELECT agency_id, '{TARGET_PREFIX}' || indicator, coalesce({tables.PERIOD_CLASS}, 'period'),
               period_start, period_end, actual, actual, target, unit
        FROM targets WHERE agency_id = ? ORDER BY indicator, period_start
        """,
        (agency_id,),
    )
    return cur.rowcount


# -- scorecard


def _write_scorecard(
    conn: sqlite3.Connection,
    agency_id: str,
    window: ReferenceWindow,
    coverage: list[data_quality.Coverage],
    today: dt.date,
    computed_at: str,
) -> None:
    """The agency's agency_scorecard row, every figure copied from one of its indicators rows (ranks come after)."""
    values = {
        (indicator, window_, start if window_ == YEAR else None): value
        for indicator, window_, start, value in conn.execute(
            "SELECT indicator, [window], period_start, value FROM indicators WHERE agency_id = ? "
            "AND [window] IN (?, ?, ?)",
            (agency_id, CURRENT, LAST_12_MONTHS, YEAR),
        )
    }
    numerators = {
        indicator: numerator
        for indicator, numerator in conn.execute(
            "SELECT indicator, numerator FROM indicators WHERE agency_id = ? AND [window] = ?", (agency_id, CURRENT)
        )
    }
    this_year = fiscal_year(today)
    year_start = {
        THIS_YEAR: smart_plan.jalali_year_bounds(this_year)[0],
        LAST_YEAR: smart_plan.jalali_year_bounds(this_year - 1)[0],
    }
    row: dict[str, Any] = {
        "agency_id": agency_id,
        "computed_at": computed_at,
        "period_start_12m": window.start.isoformat(),
        "period_end_12m": window.end.isoformat(),
        "reference_month": window.reference.label,
    }
    for col in SCORECARD:
        key = (col.indicator, col.window, year_start[col.year] if col.year else None)
        value = values.get(key)
        if col.column.startswith("smart_status"):
            value = None if value is None else ("on_track" if value == 1 else "behind")
        elif value is not None and tables.AGENCY_SCORECARD_COLUMNS[col.column] == "INTEGER":
            value = int(value)
        row[col.column] = value
    performance = next(c for c in coverage if c.dataset == "service_performance")
    covered = numerators.get("window_months")
    row["window_months_covered"] = None if covered is None else int(covered)
    row["data_last_month"] = performance.last_month
    row["unranked_reason"] = (
        "no_performance_data"
        if not performance.rows
        else "no_data_in_window"
        if not covered
        else "stale"
        if performance.stale
        else None
    )
    row["ranked"] = int(row["unranked_reason"] is None)
    if row["smart_status"] is not None or row["smart_required_share"] is not None:
        row["smart_year"] = this_year
    if row["smart_status_previous"] is not None:
        row["smart_year_previous"] = this_year - 1
        reported = values.get(("smart_share_reported", YEAR, year_start[LAST_YEAR]))
        row["smart_basis_previous"] = "reported" if reported == 1 else "inventory"
    conn.execute("DELETE FROM agency_scorecard WHERE agency_id = ?", (agency_id,))
    names = list(row)
    conn.execute(
        f"INSERT INTO agency_scorecard ({', '.join(_q(n) for n in names)}) VALUES ({', '.join('?' * len(names))})",
        [row[n] for n in names],
    )


def compute_scorecards(conn: sqlite3.Connection) -> None:
    """What spans agencies: drop the rows of agencies gone from the registry, then rank. The caller owns the transaction.

    Each agency's own scorecard row is written with its indicators (``compute_agency``), so this costs a
    few window functions over one row per agency, whatever changed.
    """
    for table in ("indicators", "agency_scorecard", "data_coverage", "discrepancies"):
        conn.execute(f"DELETE FROM {table} WHERE agency_id NOT IN (SELECT id FROM agencies)")
    for col in SCORECARD:
        if col.rank:
            _rank(conn, col.rank, col.column, col.better or "higher", compared_only=col.among == COMPARED)


def _rank(conn: sqlite3.Connection, rank: str, column: str, better: str, *, compared_only: bool) -> None:
    """1 = best; ties share a rank (1, 1, 3); no value (or not compared), no rank. Rounded so float noise makes no order."""
    order = "DESC" if better == "higher" else "ASC"
    among = " AND ranked = 1" if compared_only else ""
    conn.execute(f"UPDATE agency_scorecard SET [{rank}] = NULL")
    conn.execute(
        f"""
        UPDATE agency_scorecard SET [{rank}] = t.r
        FROM (SELECT agency_id, rank() OVER (ORDER BY round([{column}], 9) {order}) AS r
              FROM agency_scorecard WHERE [{column}] IS NOT NULL{among}) AS t
        WHERE t.agency_id = agency_scorecard.agency_id
        """
    )


# -- descriptions for the Datasette metadata


def indicator_descriptions(lang: str = "en") -> dict[str, str]:
    """Indicator name -> "title: formula" in one language, for the ``indicators`` table's metadata."""
    from shafaf.standard.indicator_defs import DEFINITIONS

    return {d.name: f"{d.title_in(lang)}: {d.formula_in(lang)}" for d in DEFINITIONS}


def indicators_column_descriptions(lang: str = "en") -> dict[str, str]:
    """indicators column -> what it holds, in one language."""
    from shafaf.publish.scorecard_defs import INDICATORS_TABLE_TEXT

    return {name: gettext(INDICATORS_TABLE_TEXT[name], lang) for name in tables.INDICATORS_COLUMNS}


def column_descriptions(lang: str = "en") -> dict[str, str]:
    """agency_scorecard column -> what it holds and its formula, in one language."""
    out = {name: gettext(text, lang) for name, text in SCORECARD_EXTRA.items()}
    for col in SCORECARD:
        d = BY_NAME[col.indicator]
        if col.column not in out:
            note = WINDOW_NOTE[(col.window, (col.year or THIS_YEAR) if col.window == YEAR else None)]
            out[col.column] = say(lang, note, title=d.title_in(lang), formula=d.formula_in(lang))
        if col.rank:
            out[col.rank] = say(
                lang,
                RANK_NOTE,
                column=col.column,
                better=gettext(BETTER_TEXT[col.better or "higher"], lang),
                among=gettext(AMONG_TEXT[col.among], lang),
            )
    return {name: out[name] for name in tables.AGENCY_SCORECARD_COLUMNS if name in out}
