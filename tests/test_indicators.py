"""Indicators against hand-computed figures, over a small SQLite file made by publish.ensure_schema.

Three agencies: alpha (Gregorian months, a month with zero applications, a quarter that must not be
double counted, targets, harvest runs), beta (Jalali months, an old harvest with half its rows
rejected) and gamma (services only, never harvested). Today is 2025-11-23 = 1404-09-02 and the plan
starts in 1403, so the required smart share is 2 × 20% = 40%. The portal's reference window (Jalali
months, a month's lag) is Aban 1403 – Mehr 1404: 2024-10-22 to 2025-10-22.
"""

from __future__ import annotations

import datetime as dt
import math
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from shafaf.config.registry import Portal, SmartPlan
from shafaf.publish.indicator_doc import render
from shafaf.publish.indicators import (
    column_descriptions,
    compute_agency,
    compute_scorecards,
    indicator_descriptions,
    indicators_column_descriptions,
)
from shafaf.publish.scorecard_defs import SCORECARD
from shafaf.publish.smart_plan import required_share
from shafaf.publish.writer import ensure_schema, jalali_parts
from shafaf.standard import tables
from shafaf.standard.indicator_defs import BY_NAME, DEFINITIONS, SCORE_WEIGHTS

TODAY = dt.date(2025, 11, 23)
PLAN = SmartPlan(start_year=1403)
PORTAL = Portal(smart_plan=PLAN)
AGENCIES = ("alpha", "beta", "gamma")
STAGES = (
    "online_information",
    "online_application",
    "online_identity",
    "online_payment",
    "online_decision",
    "online_issuance",
)


def _insert(conn: sqlite3.Connection, table: str, row: dict[str, Any]) -> None:
    if "period_start" in row and "jalali_year" in tables.columns(table):
        row = {**row, **dict(zip(tables.PERIOD_COLUMNS, jalali_parts(row["period_start"])))}
    conn.execute(f"INSERT INTO [{table}] ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})", tuple(row.values()))


def _service(conn, agency, sid, stages=(), *, smart=None, portal=None, gsb=None, withdrawn=0) -> None:
    """stages: (online_information, online_application, ...) in order, None = not applicable."""
    row = {
        "agency_id": agency,
        "service_id": sid,
        "smart": smart,
        "on_national_portal": portal,
        "via_gsb": gsb,
        "withdrawn": withdrawn,
    }
    row.update(dict(zip(STAGES, stages)))
    _insert(conn, "services", row)


def _perf(conn, agency, sid, start, end, channel, apps, done, within, median, sat, complaints, avail) -> None:
    _insert(
        conn,
        "service_performance",
        {
            "agency_id": agency,
            "service_id": sid,
            "period_start": start,
            "period_end": end,
            "channel": channel,
            "applications": apps,
            "completed": done,
            "within_standard": within,
            "median_days": median,
            "satisfaction": sat,
            "complaints": complaints,
            "availability_pct": avail,
        },
    )


def _run(conn, agency, run_id, source, started, outcome, read=None, passed=None) -> None:
    _insert(
        conn,
        "harvest_runs",
        {
            "run_id": run_id,
            "agency_id": agency,
            "source_id": source,
            "started": started,
            "outcome": outcome,
            "rows_read": read,
            "rows_passed": passed,
        },
    )


def _fixture(conn: sqlite3.Connection) -> None:
    for a in AGENCIES:
        _insert(conn, "agencies", {"id": a, "name_en": a.title()})

    # alpha: 5 counted services (A6 is withdrawn).
    _service(conn, "alpha", "A1", (1, 1), smart=1, portal=1, gsb=1)  # fully online (other stages n/a)
    _service(conn, "alpha", "A2", (1, 0), smart=0, portal=1, gsb=0)  # application offline
    _service(conn, "alpha", "A3", (), smart=None, portal=None, gsb=1)  # no applicable stage: out of fully-online
    _service(conn, "alpha", "A4", (1, 1, 1, 1, 1, 1), smart=1, portal=0, gsb=0)  # fully online
    _service(conn, "alpha", "A5", (0,), smart=0, portal=1, gsb=1)
    _service(conn, "alpha", "A6", (1,), smart=1, portal=1, gsb=1, withdrawn=1)
    # alpha performance, Gregorian months; 2024-10 falls outside the last 12 months (ends 2025-10-31).
    _perf(conn, "alpha", "A1", "2024-10-01", "2024-10-31", "online", 1000, 1000, 1000, 1, 50, 100, 90)
    _perf(conn, "alpha", "A1", "2025-08-01", "2025-08-31", "online", 100, 90, 80, 2, 80, 1, 99)
    _perf(conn, "alpha", "A1", "2025-08-01", "2025-08-31", "in_person", 100, 100, 50, 5, 60, 3, None)
    _perf(conn, "alpha", "A2", "2025-09-01", "2025-09-30", "online", 0, 0, 0, None, None, 0, 100)  # zero month
    _perf(conn, "alpha", "A1", "2025-10-01", "2025-10-31", "online", 200, 180, 170, 1, 90, 2, 98)
    _perf(conn, "alpha", "A2", "2025-10-01", "2025-10-31", "in_person", 100, 90, None, 10, None, 5, None)
    # a quarter besides the months: alpha's grain is month, so it must count nowhere
    _perf(conn, "alpha", "A4", "2025-07-01", "2025-09-30", "online", 5000, 5000, 5000, 1, 100, 0, 100)
    _insert(
        conn,
        "targets",
        {
            "agency_id": "alpha",
            "indicator": "smart_services_share",
            "period_start": "2025-03-21",
            "period_end": "2026-03-20",
            "target": 40,
            "actual": 44.4,
            "unit": "percent",
        },
    )
    _insert(
        conn,
        "targets",
        {
            "agency_id": "alpha",
            "indicator": "satisfaction",
            "period_start": "2025-10-01",
            "period_end": "2025-10-31",
            "target": 85,
            "actual": None,
            "unit": "percent",
        },
    )
    _insert(
        conn,
        "targets",
        {
            "agency_id": "alpha",
            "indicator": "digital_uptake",
            "period_start": "2025-01-01",
            "period_end": "2025-06-30",
            "target": 70,
            "actual": 71,
            "unit": "percent",
        },
    )
    _run(conn, "alpha", "a0", "svc", "2025-10-01T08:00:00Z", "failed", 7, 0)  # superseded by a1
    _run(conn, "alpha", "a1", "svc", "2025-11-01T08:00:00Z", "ok", 7, 6)
    _run(conn, "alpha", "a2", "svc", "2025-11-20T08:00:00Z", "unchanged")  # the last good harvest
    _run(conn, "alpha", "a3", "perf", "2025-11-10T08:00:00Z", "ok", 10, 10)
    _run(conn, "alpha", "a4", "perf", "2025-11-22T08:00:00Z", "failed")  # newer but not good, read nothing

    # beta: 4 services, 1 smart.
    _service(conn, "beta", "B1", (1, 1), smart=1, portal=1, gsb=1)  # fully online
    _service(conn, "beta", "B2", (1, 0), smart=0, portal=1, gsb=0)
    _service(conn, "beta", "B3", (0,), smart=0, portal=0, gsb=0)
    _service(conn, "beta", "B4", (), smart=0, portal=0, gsb=0)  # no applicable stage
    # beta performance, Jalali months Shahrivar (31 days) and Mehr (30 days) 1404.
    shahrivar, mehr = ("2025-08-23", "2025-09-22"), ("2025-09-23", "2025-10-22")
    _perf(conn, "beta", "B1", *shahrivar, "online", 300, 300, 300, 1, 90, 0, 99.5)
    _perf(conn, "beta", "B2", *shahrivar, "in_person", 100, 80, 40, 8, 40, 4, None)
    _perf(conn, "beta", "B1", *mehr, "online", 600, 590, 500, 1, 95, 3, 99.9)
    _perf(conn, "beta", "B2", *mehr, "in_person", 400, 300, 200, 6, 50, 6, None)
    _insert(conn, "activities", {"agency_id": "beta", "activity_id": "X1", "status": "planned"})
    _run(conn, "beta", "b1", "svc", "2025-06-01T00:00:00Z", "ok", 10, 5)

    # gamma: services only, no stage applicable anywhere, never harvested.
    for n, smart in enumerate((1, 1, 0, 0, 0), start=1):
        _service(conn, "gamma", f"G{n}", (), smart=smart, portal=None, gsb=0)


def _open(path: Path) -> sqlite3.Connection:
    """A real file in autocommit mode, as publish.connect opens it; no fsync, this is a test."""
    c = sqlite3.connect(path, isolation_level=None)
    c.execute("PRAGMA synchronous=OFF")
    ensure_schema(c)
    return c


@pytest.fixture()
def conn(tmp_path: Path):
    c = _open(tmp_path / "shafaf.db")
    c.execute("BEGIN")
    _fixture(c)
    c.execute("COMMIT")
    for agency in AGENCIES:  # one transaction per agency, as the publisher does
        c.execute("BEGIN IMMEDIATE")
        compute_agency(c, agency, portal=PORTAL, today=TODAY)
        c.execute("COMMIT")
    c.execute("BEGIN IMMEDIATE")
    compute_scorecards(c)
    c.execute("COMMIT")
    yield c
    c.close()


def ind(conn, agency: str, indicator: str, window: str = "current", period_start: str | None = None) -> dict:
    sql = "SELECT * FROM indicators WHERE agency_id = ? AND indicator = ? AND [window] = ?"
    args: list[Any] = [agency, indicator, window]
    if period_start is not None:
        sql += " AND period_start = ?"
        args.append(period_start)
    conn.row_factory = sqlite3.Row
    rows = [dict(r) for r in conn.execute(sql, args)]
    conn.row_factory = None
    assert len(rows) == 1, (agency, indicator, window, period_start, rows)
    return rows[0]


def val(conn, *args) -> Any:
    return ind(conn, *args)["value"]


def card(conn, agency: str) -> dict:
    conn.row_factory = sqlite3.Row
    row = dict(conn.execute("SELECT * FROM agency_scorecard WHERE agency_id = ?", (agency,)).fetchone())
    conn.row_factory = None
    return row


def test_service_shares(conn):
    # alpha: A1..A5 count (A6 withdrawn). Fully online: A1, A4 of the 4 with an applicable stage (A3 has none).
    assert val(conn, "alpha", "services") == 5
    row = ind(conn, "alpha", "share_fully_online")
    assert (row["numerator"], row["denominator"], row["value"]) == (2, 4, 0.5)
    assert ind(conn, "alpha", "share_smart")["numerator"] == 2 and val(conn, "alpha", "share_smart") == 2 / 5
    assert val(conn, "alpha", "share_national_portal") == 3 / 5  # A1, A2, A5; A3's empty flag is "not"
    assert val(conn, "alpha", "share_gsb") == 3 / 5  # A1, A3, A5
    # beta: B1 fully online, B2 not, B3 not, B4 no applicable stage -> 1/3
    assert val(conn, "beta", "share_fully_online") == pytest.approx(1 / 3)
    assert ind(conn, "alpha", "services")["period_end"] == "2025-11-23"


def test_division_by_zero_is_null_not_zero(conn):
    # gamma: no service has an applicable stage -> 0/0 -> NULL; national portal flags empty -> 0/5 = 0.0
    row = ind(conn, "gamma", "share_fully_online")
    assert (row["value"], row["numerator"], row["denominator"]) == (None, 0, 0)
    assert val(conn, "gamma", "share_national_portal") == 0.0
    # alpha's September 2025: zero applications -> no take-up, completion, complaints rate or satisfaction
    for name in ("digital_takeup", "completion_rate", "complaints_per_1000", "satisfaction", "within_standard"):
        assert val(conn, "alpha", name, "month", "2025-09-01") is None, name
    assert val(conn, "alpha", "applications", "month", "2025-09-01") == 0  # a count of 0 is data
    assert val(conn, "alpha", "median_days", "month", "2025-09-01") is None
    assert val(conn, "alpha", "availability", "month", "2025-09-01") == 100
    # gamma has no performance rows at all: no performance indicators rather than zeros
    assert (
        conn.execute(
            "SELECT count(*) FROM indicators WHERE agency_id = 'gamma' AND indicator = 'applications'"
        ).fetchone()[0]
        == 0
    )


def test_month_window(conn):
    # August 2025: online 100 (sat 80, done 90, within 80, median 2), in person 100 (sat 60, done 100, within 50,
    # median 5)
    aug = "2025-08-01"
    assert val(conn, "alpha", "applications", "month", aug) == 200
    assert val(conn, "alpha", "digital_takeup", "month", aug) == 100 / 200
    assert val(conn, "alpha", "completion_rate", "month", aug) == (90 + 100) / 200
    assert val(conn, "alpha", "within_standard", "month", aug) == (80 + 50) / (90 + 100)
    assert val(conn, "alpha", "satisfaction", "month", aug) == (80 * 100 + 60 * 100) / 200  # 70
    assert val(conn, "alpha", "complaints_per_1000", "month", aug) == 1000 * (1 + 3) / 200  # 20
    # weighted median: (2 days × 90 done), (5 × 100); half of 190 is 95, reached at the 5-day row
    assert val(conn, "alpha", "median_days", "month", aug) == 5
    # Jalali months are months too: beta's Mehr 1404 runs 2025-09-23..2025-10-22 (30 days)
    mehr = ind(conn, "beta", "applications", "month", "2025-09-23")
    assert (mehr["period_end"], mehr["value"]) == ("2025-10-22", 600 + 400)
    # the quarter is not a month
    assert (
        conn.execute(
            "SELECT count(*) FROM indicators WHERE agency_id = 'alpha' AND [window] = 'month' "
            "AND period_start = '2025-07-01'"
        ).fetchone()[0]
        == 0
    )


def test_last_12_months(conn):
    # The reference window (2024-10-22..2025-10-22) holds alpha's Aug, Sep and Oct 2025 (their midpoints lie in
    # it); Oct 2024's midpoint (Oct 16) is before it; the 2025-Q3 quarter is another grain.
    w = "last_12_months"
    apps = ind(conn, "alpha", "applications", w)
    assert (apps["period_start"], apps["period_end"], apps["value"]) == ("2025-08-01", "2025-10-31", 200 + 0 + 300)
    assert val(conn, "alpha", "digital_takeup", w) == (100 + 0 + 200) / 500  # 0.6
    assert val(conn, "alpha", "completion_rate", w) == (90 + 100 + 0 + 180 + 90) / 500  # 460 / 500 = 0.92
    # within standard: October's A2 row has no within_standard, so its 90 completed are left out
    row = ind(conn, "alpha", "within_standard", w)
    assert (row["numerator"], row["denominator"]) == (80 + 50 + 0 + 170, 90 + 100 + 0 + 180)
    # satisfaction weighted by applications over rows reporting it: (80×100 + 60×100 + 90×200) / 400 = 80
    row = ind(conn, "alpha", "satisfaction", w)
    assert (row["numerator"], row["denominator"], row["value"]) == (32000, 400, 80.0)
    # complaints per 1000: 1000 × (1 + 3 + 0 + 2 + 5) / 500 = 22
    row = ind(conn, "alpha", "complaints_per_1000", w)
    assert (row["numerator"], row["denominator"], row["value"]) == (11, 500, 22.0)
    assert val(conn, "alpha", "availability", w) == (99 + 100 + 98) / 3
    # median: sorted (1 d × 180), (2 × 90), (5 × 100), (10 × 90); total 460, half 230 first reached at 2 days
    assert val(conn, "alpha", "median_days", w) == 2
    # beta: satisfaction (90×300 + 40×100 + 95×600 + 50×400) / 1400 = 108000 / 1400
    assert val(conn, "beta", "satisfaction", w) == pytest.approx(108000 / 1400)
    assert val(conn, "beta", "digital_takeup", w) == pytest.approx(900 / 1400)


def test_year_window(conn):
    # fiscal year 1404 of alpha = Aug..Oct 2025 (not the quarter); 1403 = October 2024 alone
    assert val(conn, "alpha", "applications", "year", "2025-08-01") == 500
    assert val(conn, "alpha", "applications", "year", "2024-10-01") == 1000


def test_smart_trajectory(conn):
    # required share: 1403 -> 20%, 1404 -> 40%, ... 1407 -> 100%; one row per plan year
    rows = conn.execute(
        "SELECT period_start, period_end, value FROM indicators WHERE agency_id = 'alpha' "
        "AND indicator = 'smart_required_share' ORDER BY period_start"
    ).fetchall()
    assert [r[2] for r in rows] == [0.2, 0.4, 0.6, 0.8, 1.0]
    assert rows[1][:2] == ("2025-03-21", "2026-03-20")  # Jalali 1404
    y1404, y1403 = "2025-03-21", "2024-03-20"
    # 1404, the current year, by today's inventory: alpha ⌈0.4 × 5⌉ = 2 needed, 2 smart -> on track, gap 0
    row = ind(conn, "alpha", "smart_on_track", "year", y1404)
    assert (row["value"], row["numerator"], row["denominator"]) == (1, 2, 2)
    assert val(conn, "alpha", "smart_gap_services", "year", y1404) == 0
    assert val(conn, "alpha", "smart_share_reported", "year", y1404) == 0
    # beta: ⌈0.4 × 4⌉ = ⌈1.6⌉ = 2 needed, 1 smart -> behind by 1
    assert val(conn, "beta", "smart_on_track", "year", y1404) == 0
    assert val(conn, "beta", "smart_gap_services", "year", y1404) == 1
    sc = card(conn, "beta")
    assert (sc["smart_year"], sc["smart_status"], sc["smart_gap_services"], sc["smart_required_share"]) == (
        1404,
        "behind",
        1,
        0.4,
    )
    # 1403, the year before: no reported share for it, so today's inventory against 20%: ⌈0.2 × 4⌉ = 1 -> on track
    assert (
        sc["smart_year_previous"],
        sc["smart_status_previous"],
        sc["smart_required_previous"],
        sc["smart_basis_previous"],
    ) == (1403, "on_track", 0.2, "inventory")
    assert val(conn, "beta", "smart_on_track", "year", y1403) == 1
    assert card(conn, "alpha")["smart_status"] == "on_track"


def test_the_year_before_is_judged_on_the_agency_s_reported_share(tmp_path):
    """The previous year's verdict reads the same as the agency's targets table: its own reported share for that year."""
    c = _open(tmp_path / "r.db")
    c.execute("BEGIN")
    _insert(c, "agencies", {"id": "tax"})
    for n in range(9):
        _service(c, "tax", f"T{n}", (1,), smart=int(n < 4))  # 4 of 9 smart today: 44.4%
    _insert(
        c,
        "targets",
        {
            "agency_id": "tax",
            "indicator": "smart_services_share",
            "period_start": "2025-03-21",
            "period_end": "2026-03-20",
            "target": 40,
            "actual": 44.4,
            "unit": "percent",
        },
    )
    c.execute("COMMIT")
    compute_agency(c, "tax", portal=PORTAL, today=dt.date(2026, 12, 3))  # 1405: the plan requires 60%
    compute_scorecards(c)
    sc = card(c, "tax")
    assert (sc["smart_year"], sc["smart_required_share"], sc["smart_status"], sc["smart_gap_services"]) == (
        1405,
        pytest.approx(0.6),
        "behind",
        2,
    )  # ⌈0.6 × 9⌉ = 6 needed, 4 smart
    assert (
        sc["smart_year_previous"],
        sc["smart_required_previous"],
        sc["smart_share_previous"],
        sc["smart_status_previous"],
        sc["smart_basis_previous"],
    ) == (1404, 0.4, 0.444, "on_track", "reported")
    c.close()


def test_required_share_is_exact():
    # 3 × 0.2 in floats is 0.6000000000000001 and × 10 would need 7 services; the plan asks 6
    assert math.ceil(required_share(1405, PLAN) * 10) == 6
    assert required_share(1402, PLAN) == 0 and required_share(1410, PLAN) == 1
    assert required_share(1404, SmartPlan(start_year=1403, step=0.25)) == 0.5


def test_before_the_plan_nothing_to_judge(tmp_path):
    c = _open(tmp_path / "x.db")
    c.execute("BEGIN")
    _fixture(c)
    c.execute("COMMIT")
    compute_agency(c, "alpha", portal=Portal(smart_plan=SmartPlan(start_year=1405)), today=TODAY)
    compute_scorecards(c)
    assert (
        c.execute(
            "SELECT count(*) FROM indicators WHERE indicator IN ('smart_on_track', 'smart_gap_services')"
        ).fetchone()[0]
        == 0
    )
    assert card(c, "alpha")["smart_status"] is None
    c.close()


def test_a_portal_without_a_plan_judges_no_trajectory(tmp_path):
    """A plan is a setting: a portal outside Iran's 7th plan (the Canada example) shows none."""
    c = _open(tmp_path / "n.db")
    c.execute("BEGIN")
    _fixture(c)
    c.execute("COMMIT")
    compute_agency(c, "alpha", portal=Portal(), today=TODAY)
    compute_scorecards(c)
    assert c.execute("SELECT count(*) FROM indicators WHERE indicator LIKE 'smart_%'").fetchone()[0] == 0
    sc = card(c, "alpha")
    assert sc["smart_year"] is None and sc["smart_status"] is None and sc["smart_required_share"] is None
    c.close()


def test_yearly_and_quarterly_grains(tmp_path):
    """An agency reporting fiscal years (as the Canadian inventory does) or quarters still gets 12-month figures."""
    c = _open(tmp_path / "y.db")
    c.execute("BEGIN")
    _insert(c, "agencies", {"id": "delta"})
    _perf(c, "delta", "D1", "2023-04-01", "2024-03-31", "online", 100, 100, 90, 3, 70, 1, None)  # 366 days
    _perf(c, "delta", "D1", "2024-04-01", "2025-03-31", "online", 200, 150, 100, 4, 80, 2, None)  # 365 days
    _perf(c, "delta", "D1", "2024-04-01", "2025-03-31", "in_person", 200, 200, 200, 9, None, 2, None)
    _insert(c, "agencies", {"id": "epsilon"})
    for start, end, apps in (
        ("2024-07-01", "2024-09-30", 10),
        ("2024-10-01", "2024-12-31", 20),
        ("2025-01-01", "2025-03-31", 30),
        ("2025-04-01", "2025-06-30", 40),
        ("2025-07-01", "2025-09-30", 50),
    ):  # five quarters, the last four count
        _perf(c, "epsilon", "E1", start, end, "online", apps, apps, apps, 1, 50, 0, None)
    c.execute("COMMIT")
    for agency in ("delta", "epsilon"):
        compute_agency(c, agency, portal=PORTAL, today=TODAY)
    compute_scorecards(c)
    # delta: its latest fiscal year (midpoint 2024-09-30) lies before the reference window: no window figures, and
    # it is listed apart rather than ranked on an older year; its data ends Esfand 1403, 7 months behind Mehr 1404
    assert (
        c.execute(
            "SELECT count(*) FROM indicators WHERE agency_id = 'delta' AND [window] = 'last_12_months'"
        ).fetchone()[0]
        == 0
    )
    sc = card(c, "delta")
    assert (sc["ranked"], sc["unranked_reason"], sc["data_months_behind"], sc["data_last_month"]) == (
        0,
        "no_data_in_window",
        7,
        "1403-12",
    )
    assert val(c, "delta", "applications", "year", "2023-04-01") == 100  # fiscal (Jalali) year 1402
    assert val(c, "delta", "applications", "year", "2024-04-01") == 400
    assert (
        c.execute("SELECT count(*) FROM indicators WHERE agency_id = 'delta' AND [window] = 'month'").fetchone()[0] == 0
    )
    # epsilon: quarters; the four whose midpoints lie in the window, from 2024-10-01
    row = ind(c, "epsilon", "applications", "last_12_months")
    assert (row["period_start"], row["value"]) == ("2024-10-01", 20 + 30 + 40 + 50)
    assert val(c, "epsilon", "completion_rate", "last_12_months") == 1
    # four quarters to 2025-09-30 cover the window's months but Mehr 1404 (its midpoint is 2025-10-07)
    sc = card(c, "epsilon")
    assert (sc["window_months_covered"], sc["data_months_behind"], sc["data_stale"], sc["ranked"]) == (11, 1, 0, 1)
    c.close()


def test_targets(conn):
    row = ind(conn, "alpha", "target:smart_services_share", "year")
    assert (row["value"], row["numerator"], row["denominator"], row["unit"]) == (44.4, 44.4, 40, "percent")
    row = ind(conn, "alpha", "target:satisfaction", "month")
    assert (row["value"], row["denominator"]) == (None, 85)  # the result was never reported
    assert val(conn, "alpha", "target:digital_uptake", "period") == 71  # a half year: window "period"


def test_data_indicators_and_score(conn):
    # alpha: last good run 2025-11-20 (unchanged) -> 3 days; the failed run of 2025-11-22 does not count
    assert val(conn, "alpha", "freshness_days") == 3
    # data age: alpha's months end 2025-10-31, past the end of Mehr 1404 (the reference month): 0 behind
    assert val(conn, "alpha", "data_months_behind") == 0 and val(conn, "alpha", "data_stale") == 0
    assert val(conn, "alpha", "data_age_score") == 1
    # validity over the latest run of each source that read rows: svc a1 (6/7), perf a3 (10/10) -> 16/17
    row = ind(conn, "alpha", "validity")
    assert (row["numerator"], row["denominator"]) == (16, 17)
    # coverage: services, service_performance, targets -> 3/5
    assert val(conn, "alpha", "coverage") == 0.6
    # window months: Mordad, Shahrivar and Mehr 1404 have their midpoints in alpha's Aug, Sep and Oct 2025
    row = ind(conn, "alpha", "window_months")
    assert (row["numerator"], row["denominator"], row["value"]) == (3, 12, 0.25)
    # citizen fields over the window's monthly rows (5): satisfaction 3, cost 0; how-to links 0 of 5 services
    row = ind(conn, "alpha", "citizen_fields")
    assert (row["numerator"], row["denominator"]) == (3, 15) and row["value"] == pytest.approx((3 / 5 + 0 + 0) / 3)
    assert val(conn, "alpha", "transparency_score") == pytest.approx(
        20 * 0.6 + 20 * 0.25 + 20 * 1 + 20 * 16 / 17 + 20 * 0.2
    )
    # beta: 2025-06-01 -> 2025-11-23 is 175 days since its harvest, yet its data (to the end of Mehr) is current
    assert val(conn, "beta", "freshness_days") == 175
    assert val(conn, "beta", "data_months_behind") == 0
    assert val(conn, "beta", "validity") == 0.5
    assert val(conn, "beta", "window_months") == pytest.approx(2 / 12)
    assert val(conn, "beta", "citizen_fields") == pytest.approx((1 + 0 + 0) / 3)
    assert val(conn, "beta", "transparency_score") == pytest.approx(20 * 0.6 + 20 * 2 / 12 + 20 + 20 * 0.5 + 20 / 3)
    # gamma: never harvested, no performance -> those parts are empty (0 in the score); coverage 1/5
    assert val(conn, "gamma", "freshness_days") is None and val(conn, "gamma", "validity") is None
    assert val(conn, "gamma", "data_months_behind") is None and val(conn, "gamma", "window_months") == 0
    assert val(conn, "gamma", "transparency_score") == pytest.approx(20 * 0.2)


def test_data_coverage_per_dataset(conn):
    rows = {
        r[0]: r[1:]
        for r in conn.execute(
            "SELECT dataset, rows, last_date, last_month, months_behind, stale, reference_month FROM data_coverage "
            "WHERE agency_id = 'alpha'"
        )
    }
    assert set(rows) == set(tables.DATASET_TABLES)
    assert rows["service_performance"] == (7, "2025-10-31", "1404-07", 0, 0, "1404-07")
    # targets are yearly: 1404 ends 2026-03-20, in the future, so nothing is behind
    assert rows["targets"][3:5] == (0, 0)
    assert rows["activities"] == (0, None, None, None, None, "1404-07")


def test_scorecard_copies_indicator_rows(conn):
    sc = card(conn, "alpha")
    assert sc["services"] == 5 and sc["share_smart"] == 0.4 and sc["applications_12m"] == 500
    assert (sc["period_start_12m"], sc["period_end_12m"], sc["reference_month"]) == (
        "2024-10-22",
        "2025-10-22",
        "1404-07",
    )
    assert sc["satisfaction_12m"] == 80 and sc["complaints_per_1000_12m"] == 22 and sc["median_days_12m"] == 2
    assert (sc["ranked"], sc["unranked_reason"], sc["window_months_covered"]) == (1, None, 3)
    assert sc["computed_at"]
    assert [r[0] for r in conn.execute("SELECT agency_id FROM agency_scorecard ORDER BY agency_id")] == list(AGENCIES)
    for col in SCORECARD:  # every scorecard value is an indicators row
        if col.window != "year" and sc[col.column] is not None:
            assert sc[col.column] == pytest.approx(val(conn, "alpha", col.indicator, col.window)), col.column
    assert (card(conn, "gamma")["ranked"], card(conn, "gamma")["unranked_reason"]) == (0, "no_performance_data")


def test_ranks(conn):
    rank = {a: card(conn, a) for a in AGENCIES}
    # share smart (the inventory, every agency): alpha 0.4, beta 0.25, gamma 0.4 -> a tie for 1st, then 3rd
    assert [rank[a]["rank_smart"] for a in AGENCIES] == [1, 3, 1]
    # satisfaction: alpha 80 > beta 77.1; gamma has no value -> no rank
    assert [rank[a]["rank_satisfaction"] for a in AGENCIES] == [1, 2, None]
    # lower is better: complaints (alpha 22, beta 9.3), median days (alpha 2, beta 1)
    assert [rank[a]["rank_complaints"] for a in AGENCIES] == [2, 1, None]
    assert [rank[a]["rank_median_days"] for a in AGENCIES] == [2, 1, None]
    # transparency: 59.8, 52.0, 4.0
    assert [rank[a]["rank_transparency"] for a in AGENCIES] == [1, 2, 3]
    # within standard: beta 1040/1270 = 0.819 > alpha 300/370 = 0.811
    assert [rank[a]["rank_within_standard"] for a in AGENCIES] == [2, 1, None]
    # nobody is ranked on when the portal last harvested them
    assert "rank_freshness" not in tables.AGENCY_SCORECARD_COLUMNS


def test_window_figures_rank_only_the_agencies_compared(conn):
    """An agency listed apart (stale, or no data in the window) gets no rank on window figures."""
    conn.execute("UPDATE agency_scorecard SET ranked = 0, unranked_reason = 'stale' WHERE agency_id = 'beta'")
    compute_scorecards(conn)
    beta = card(conn, "beta")
    assert beta["rank_satisfaction"] is None and beta["rank_complaints"] is None
    assert beta["rank_smart"] == 3 and beta["rank_transparency"] == 2  # inventory and score still rank everyone
    assert card(conn, "alpha")["rank_complaints"] == 1


def test_recompute_replaces(conn):
    before = conn.execute("SELECT count(*) FROM indicators WHERE agency_id = 'alpha'").fetchone()[0]
    compute_agency(conn, "alpha", portal=PORTAL, today=TODAY)
    compute_scorecards(conn)
    assert conn.execute("SELECT count(*) FROM indicators WHERE agency_id = 'alpha'").fetchone()[0] == before
    assert conn.execute("SELECT count(*) FROM agency_scorecard").fetchone()[0] == 3


# -- the definitions, the doc and the metadata


def test_doc_is_generated_from_the_definitions():
    doc = (Path(__file__).resolve().parent.parent / "docs" / "indicators.md").read_text(encoding="utf-8")
    assert doc == render(), "docs/indicators.md is out of date: run python scripts/make_indicators_doc.py"
    for d in DEFINITIONS:
        for text in (f"`{d.name}`", d.title_en, d.title_fa, d.formula_en, d.formula_fa):
            assert text in doc, (d.name, text)


def test_definitions_cover_what_is_computed(conn):
    names = {r[0] for r in conn.execute("SELECT DISTINCT indicator FROM indicators")}
    assert {n for n in names if not n.startswith("target:")} == {d.name for d in DEFINITIONS} - {"target:<indicator>"}
    units = dict(conn.execute("SELECT DISTINCT indicator, unit FROM indicators WHERE indicator NOT LIKE 'target:%'"))
    assert all(units[n] == BY_NAME[n].unit for n in units)
    windows = set(
        conn.execute("SELECT DISTINCT indicator, [window] FROM indicators WHERE indicator NOT LIKE 'target:%'")
    )
    assert all(w in BY_NAME[n].windows for n, w in windows)


def test_score_formula_text_matches_weights():
    weights = " + ".join(f"{w} × {name}" for name, w in SCORE_WEIGHTS.items())
    assert sum(SCORE_WEIGHTS.values()) == 100
    assert BY_NAME["transparency_score"].formula_en.startswith(weights)


def test_metadata_descriptions():
    for lang in ("en", "fa"):
        cols = column_descriptions(lang)
        assert set(cols) == set(tables.AGENCY_SCORECARD_COLUMNS), set(tables.AGENCY_SCORECARD_COLUMNS) ^ set(cols)
        assert all(cols.values())
        assert set(indicator_descriptions(lang)) == {d.name for d in DEFINITIONS}
        assert set(indicators_column_descriptions(lang)) == set(tables.INDICATORS_COLUMNS)
    assert "lower" in column_descriptions()["rank_complaints"]
    assert "compared on the reference window" in column_descriptions()["rank_complaints"]
    assert {c.column for c in SCORECARD} <= set(tables.AGENCY_SCORECARD_COLUMNS)
