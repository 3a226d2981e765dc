"""Derived indicators, computed at publish time so pages never scan raw rows.

``compute_agency`` rebuilds one agency's ``indicators`` rows inside the
publisher's open transaction; ``compute_scorecards`` rebuilds
``agency_scorecard`` (one row per agency, with ranks) from those rows once all
agencies are published. Aggregation runs in SQL over the agency's published
rows; Python only turns the few aggregate rows into indicator rows. Formulas:
``shafaf/indicator_defs.py`` and the generated ``docs/indicators.md``.
"""

from __future__ import annotations

import datetime as dt
import math
import sqlite3
from fractions import Fraction
from typing import Any

import jdatetime

from . import tables
from .indicator_defs import (
    BETTER_FA,
    BY_NAME,
    CURRENT,
    FRESH_FULL_DAYS,
    FRESH_ZERO_DAYS,
    LAST_12_MONTHS,
    PLAN_YEARS,
    RANK_NOTE,
    SCORECARD,
    SCORECARD_EXTRA,
    SCORE_WEIGHTS,
    SMART_STEP,
    TARGET_PREFIX,
    YEAR,
)
from .registry import Portal
from .standard import field_names
from .state import utc_now

Row = tuple[Any, ...]  # agency_id, indicator, window, period_start, period_end, value, numerator, denominator, unit

STAGES: tuple[str, ...] = tuple(f for f in field_names("services") if f.startswith("online_"))



def compute_agency(conn: sqlite3.Connection, agency_id: str, *, portal: Portal, today: dt.date) -> int:
    """Replace the agency's ``indicators`` rows; the caller owns the transaction. Returns the rows written."""
    today = _day(today)
    conn.execute("DELETE FROM indicators WHERE agency_id = ?", (agency_id,))
    rows = [
        *_service_rows(conn, agency_id, today),
        *_performance_rows(conn, agency_id),
        *_trajectory_rows(conn, agency_id, portal, today),
        *_data_rows(conn, agency_id, today),
    ]
    conn.executemany(f"INSERT INTO indicators ({', '.join(_q(c) for c in tables.INDICATORS_COLUMNS)}) "
                     f"VALUES ({', '.join('?' * len(tables.INDICATORS_COLUMNS))})", rows)
    return len(rows) + _insert_targets(conn, agency_id)


def _day(today: dt.date) -> dt.date:
    """A date, even when handed a datetime (whose isoformat would carry a time into the SQL)."""
    return today.date() if isinstance(today, dt.datetime) else today


def ratio(numerator: float | None, denominator: float | None, scale: float = 1.0) -> float | None:
    """scale × numerator ÷ denominator, or None when there is nothing to divide by (never 0 for no data)."""
    if numerator is None or not denominator:
        return None
    return scale * numerator / denominator


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

# Every measure is a sum, so the agency's rows are first summed per period (an index scan, no sort), then
# the few period rows are tagged with the windows they fall in and summed again. The finest grain is month,
# else quarter, else year. Weighted medians go the same way over (period, median_days) weights.
_AGGREGATES = f"""
WITH p AS (
    SELECT period_start, period_end, max(fiscal_year) AS fiscal_year, {tables.PERIOD_CLASS} AS grain,
           sum(applications) AS applications,
           sum(CASE WHEN channel = 'online' THEN applications END) AS online,
           sum(CASE WHEN completed IS NOT NULL THEN applications END) AS done_den,
           sum(CASE WHEN applications IS NOT NULL THEN completed END) AS done_num,
           sum(CASE WHEN within_standard IS NOT NULL THEN completed END) AS ws_den,
           sum(CASE WHEN completed IS NOT NULL THEN within_standard END) AS ws_num,
           sum(CASE WHEN applications IS NOT NULL THEN satisfaction * applications END) AS sat_num,
           sum(CASE WHEN satisfaction IS NOT NULL THEN applications END) AS sat_den,
           sum(CASE WHEN applications IS NOT NULL THEN complaints END) AS comp_num,
           sum(CASE WHEN complaints IS NOT NULL THEN applications END) AS comp_den,
           sum(availability_pct) AS avail_num, count(availability_pct) AS avail_den
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
    WHERE period_start > (SELECT date(max(period_end), '-1 year', '-7 days') FROM fine)
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

# indicator -> (numerator column, denominator column, scale); None columns mean a plain value.
_RATIOS: dict[str, tuple[str, str, float]] = {
    "digital_takeup": ("online", "applications", 1.0),
    "completion_rate": ("done_num", "done_den", 1.0),
    "within_standard": ("ws_num", "ws_den", 1.0),
    "satisfaction": ("sat_num", "sat_den", 1.0),
    "complaints_per_1000": ("comp_num", "comp_den", 1000.0),
    "availability": ("avail_num", "avail_den", 1.0),
}


def _performance_rows(conn: sqlite3.Connection, agency_id: str) -> list[Row]:
    conn_rows = conn.execute(_AGGREGATES, {"agency": agency_id})
    names = [d[0] for d in conn_rows.description]
    out: list[Row] = []
    for values in conn_rows:
        a = dict(zip(names, values))
        if a["online"] is None and a["applications"] is not None:
            a["online"] = 0  # applications reported, none of them online
        key = (agency_id, a["win"], a["period_start"], a["period_end"])
        out.append((*_name(key, "applications"), a["applications"], None, None, _unit("applications")))
        for name, (num, den, scale) in _RATIOS.items():
            out.append((*_name(key, name), ratio(a[num], a[den], scale), a[num], a[den], _unit(name)))
        out.append((*_name(key, "median_days"), a["median_days"], None, None, _unit("median_days")))
    return out


# -- targets


def required_share(year: int, plan_start_year: int) -> Fraction:
    """The 7th plan's required share of smart services in a Jalali year: 20% a year, at most all of them."""
    if year < plan_start_year:
        return Fraction(0)
    return min(Fraction(1), SMART_STEP * (year - plan_start_year + 1))


def jalali_year_bounds(year: int) -> tuple[str, str]:
    """First and last Gregorian day of a Jalali year, as ISO dates."""
    first = jdatetime.date(year, 1, 1).togregorian()
    last = jdatetime.date(year + 1, 1, 1).togregorian() - dt.timedelta(days=1)
    return first.isoformat(), last.isoformat()


def _trajectory_rows(conn: sqlite3.Connection, agency_id: str, portal: Portal, today: dt.date) -> list[Row]:
    start = portal.plan_start_year
    current = jdatetime.date.fromgregorian(date=today).year
    out: list[Row] = []
    for year in range(start, max(start + PLAN_YEARS - 1, current) + 1):
        first, last = jalali_year_bounds(year)
        out.append((agency_id, "smart_required_share", YEAR, first, last,
                    float(required_share(year, start)), None, None, _unit("smart_required_share")))
    n, smart = conn.execute(
        "SELECT count(*), coalesce(sum(smart = 1), 0) FROM services WHERE agency_id = ? AND coalesce(withdrawn, 0) = 0",
        (agency_id,),
    ).fetchone()
    on_track = gap = needed = None
    if n and current >= start:
        needed = math.ceil(required_share(current, start) * n)  # exact: a Fraction, no 0.6000000000000001
        on_track = 1.0 if smart >= needed else 0.0
        gap = max(0, needed - smart)
    snap = (agency_id, CURRENT, None, today.isoformat())
    return [
        *out,
        (*_name(snap, "smart_on_track"), on_track, smart if needed is not None else None, needed, "boolean"),
        (*_name(snap, "smart_gap_services"), gap, None, None, _unit("smart_gap_services")),
    ]


def _insert_targets(conn: sqlite3.Connection, agency_id: str) -> int:
    """Each targets row as ``target:<indicator>``: value = numerator = actual, denominator = target."""
    cur = conn.execute(
        f"""
        INSERT INTO indicators ({', '.join(_q(c) for c in tables.INDICATORS_COLUMNS)})
        SELECT agency_id, '{TARGET_PREFIX}' || indicator, coalesce({tables.PERIOD_CLASS}, 'period'),
               period_start, period_end, actual, actual, target, unit
        FROM targets WHERE agency_id = ? ORDER BY indicator, period_start
        """,
        (agency_id,),
    )
    return cur.rowcount


# -- data


def freshness_score(days: float | None) -> float | None:
    """1 up to FRESH_FULL_DAYS old, falling linearly to 0 at FRESH_ZERO_DAYS."""
    if days is None:
        return None
    return min(1.0, max(0.0, (FRESH_ZERO_DAYS - days) / (FRESH_ZERO_DAYS - FRESH_FULL_DAYS)))


def transparency_score(coverage: float | None, freshness: float | None, validity: float | None) -> float:
    """The weighted composite, 0-100; an empty part counts as 0."""
    parts = {"coverage": coverage, "freshness_score": freshness, "validity": validity}
    return float(sum(weight * (parts[name] or 0.0) for name, weight in SCORE_WEIGHTS.items()))


def _data_rows(conn: sqlite3.Connection, agency_id: str, today: dt.date) -> list[Row]:
    (days,) = conn.execute(
        """
        SELECT max(0, julianday(:today) - julianday(date(max(started))))
        FROM harvest_runs WHERE agency_id = :agency AND outcome IN ('ok', 'unchanged')
        """,
        {"today": today.isoformat(), "agency": agency_id},
    ).fetchone()
    passed, read = conn.execute(
        """
        WITH r AS (
            SELECT rows_read, rows_passed,
                   row_number() OVER (PARTITION BY source_id ORDER BY started DESC, run_id DESC) AS n
            FROM harvest_runs WHERE agency_id = ? AND rows_read > 0
        )
        SELECT sum(coalesce(rows_passed, 0)), sum(rows_read) FROM r WHERE n = 1
        """,
        (agency_id,),
    ).fetchone()
    kinds = tables.DATASET_TABLES
    (covered,) = conn.execute(
        "SELECT " + " + ".join(f"EXISTS (SELECT 1 FROM [{t}] WHERE agency_id = :agency)" for t in kinds),
        {"agency": agency_id},
    ).fetchone()
    fresh = freshness_score(days)
    validity = ratio(passed, read)
    coverage = ratio(covered, len(kinds))
    snap = (agency_id, CURRENT, None, today.isoformat())
    return [
        (*_name(snap, "freshness_days"), days, None, None, _unit("freshness_days")),
        (*_name(snap, "freshness_score"), fresh, None, None, _unit("freshness_score")),
        (*_name(snap, "validity"), validity, passed, read, _unit("validity")),
        (*_name(snap, "coverage"), coverage, covered, len(kinds), _unit("coverage")),
        (*_name(snap, "transparency_score"), transparency_score(coverage, fresh, validity), None, None,
         _unit("transparency_score")),
    ]


# -- scorecards


def compute_scorecards(conn: sqlite3.Connection, *, portal: Portal, today: dt.date) -> int:
    """Rebuild ``agency_scorecard`` from ``indicators`` (never raw rows), then rank; the caller owns the transaction.

    ``portal`` is accepted for symmetry with ``compute_agency``; the plan year already lives in the rows.
    """
    del portal
    today = _day(today)
    conn.execute("DELETE FROM indicators WHERE agency_id NOT IN (SELECT id FROM agencies)")  # agencies gone
    columns = ["agency_id", "computed_at", "period_start_12m", "period_end_12m"]
    selects = [
        "a.id", ":computed_at",
        f"(SELECT min(period_start) FROM indicators i WHERE i.agency_id = a.id AND i.[window] = '{LAST_12_MONTHS}')",
        f"(SELECT max(period_end) FROM indicators i WHERE i.agency_id = a.id AND i.[window] = '{LAST_12_MONTHS}')",
    ]
    params: dict[str, Any] = {"computed_at": utc_now(), "today": today.isoformat()}
    for n, col in enumerate(SCORECARD):
        params[f"i{n}"], params[f"w{n}"] = col.indicator, col.window
        value = (f"(SELECT value FROM indicators i WHERE i.agency_id = a.id AND i.indicator = :i{n} "
                 f"AND i.[window] = :w{n}")
        if col.window == YEAR:  # the year containing the publication day
            value += " AND i.period_start <= :today AND i.period_end >= :today"
        value += ")"
        kind = tables.AGENCY_SCORECARD_COLUMNS[col.column]
        if col.column == "smart_status":
            value = f"CASE {value} WHEN 1 THEN 'on_track' WHEN 0 THEN 'behind' END"
        elif kind == "INTEGER":
            value = f"CAST({value} AS INTEGER)"
        columns.append(col.column)
        selects.append(value)
    conn.execute("DELETE FROM agency_scorecard")
    cur = conn.execute(f"INSERT INTO agency_scorecard ({', '.join(_q(c) for c in columns)}) "
                       f"SELECT {', '.join(selects)} FROM agencies a ORDER BY a.id", params)
    for col in SCORECARD:
        if col.rank:
            _rank(conn, col.rank, col.column, col.better or "higher")
    return cur.rowcount


def _rank(conn: sqlite3.Connection, rank: str, column: str, better: str) -> None:
    """1 = best; ties share a rank (1, 1, 3); no value, no rank. Rounded so float noise makes no order."""
    order = "DESC" if better == "higher" else "ASC"
    conn.execute(
        f"""
        UPDATE agency_scorecard SET [{rank}] = (
            SELECT r FROM (
                SELECT agency_id, rank() OVER (ORDER BY round([{column}], 9) {order}) AS r
                FROM agency_scorecard WHERE [{column}] IS NOT NULL
            ) t WHERE t.agency_id = agency_scorecard.agency_id
        )
        """
    )


# -- descriptions for the Datasette metadata


def indicator_descriptions(lang: str = "en") -> dict[str, str]:
    """Indicator name -> "title: formula" in one language, for the ``indicators`` table's metadata."""
    from .indicator_defs import DEFINITIONS

    fa = lang == "fa"
    return {d.name: f"{d.title_fa if fa else d.title_en}: {d.formula_fa if fa else d.formula_en}"
            for d in DEFINITIONS}


def indicators_column_descriptions(lang: str = "en") -> dict[str, str]:
    """indicators column -> what it holds, in one language."""
    from .indicator_defs import INDICATORS_TABLE_TEXT

    return {name: INDICATORS_TABLE_TEXT[name][1 if lang == "fa" else 0] for name in tables.INDICATORS_COLUMNS}


def column_descriptions(lang: str = "en") -> dict[str, str]:
    """agency_scorecard column -> what it holds and its formula, in one language."""
    fa = lang == "fa"
    out = {name: texts[1 if fa else 0] for name, texts in SCORECARD_EXTRA.items()}
    for col in SCORECARD:
        d = BY_NAME[col.indicator]
        if col.column not in out:
            where = {"current": ("", ""), LAST_12_MONTHS: (", last 12 months", "، ۱۲ ماه اخیر")}[col.window]
            out[col.column] = (f"{d.title_fa}{where[1]}: {d.formula_fa}" if fa
                               else f"{d.title_en}{where[0]}: {d.formula_en}")
        if col.rank:
            out[col.rank] = RANK_NOTE[1 if fa else 0].format(
                column=col.column, better=col.better, better_fa=BETTER_FA[col.better or "higher"])
    return {name: out[name] for name in tables.AGENCY_SCORECARD_COLUMNS if name in out}
