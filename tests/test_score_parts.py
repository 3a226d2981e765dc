"""The transparency score's parts each move it the right way, and reported-against-measured flags what differs.

One agency in a real SQLite file, published rows written directly; each test
makes one part better (or the reported figure further from the measured one)
and recomputes with the publisher's own code.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from shafaf.config.registry import Portal
from shafaf.publish.indicators import compute_agency, compute_scorecards
from shafaf.publish.writer import ensure_schema, jalali_parts
from shafaf.standard import tables

TODAY = dt.date(2026, 12, 3)  # reference window: Aban 1404 .. Mehr 1405 = 2025-10-23 .. 2026-10-22
PORTAL = Portal()


def _insert(conn: sqlite3.Connection, table: str, row: dict[str, Any]) -> None:
    if "period_start" in row and "jalali_year" in tables.columns(table):
        row = {**row, **dict(zip(tables.PERIOD_COLUMNS, jalali_parts(row["period_start"])))}
    conn.execute(f"INSERT INTO [{table}] ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})", tuple(row.values()))


def _month(year: int, month: int) -> tuple[str, str]:
    start = dt.date(year, month, 1)
    end = (start.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)
    return start.isoformat(), end.isoformat()


def _perf(conn, months: list[tuple[int, int]], *, satisfaction=None, cost=None) -> None:
    for year, month in months:
        start, end = _month(year, month)
        _insert(
            conn,
            "service_performance",
            {
                "agency_id": "a",
                "service_id": "S1",
                "period_start": start,
                "period_end": end,
                "channel": "online",
                "applications": 100,
                "completed": 90,
                "satisfaction": satisfaction,
                "cost": cost,
            },
        )


@pytest.fixture
def base(tmp_path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(tmp_path / "s.db", isolation_level=None)
    conn.execute("PRAGMA synchronous=OFF")  # a test file: no fsync per statement
    ensure_schema(conn)
    _insert(conn, "agencies", {"id": "a"})
    _insert(conn, "services", {"agency_id": "a", "service_id": "S1", "smart": 0, "withdrawn": 0})
    _insert(conn, "services", {"agency_id": "a", "service_id": "S2", "smart": 0, "withdrawn": 0})
    _perf(conn, [(2026, 1), (2026, 2), (2026, 3)])  # three months, three months behind (Jan..Mar 2026)
    _insert(
        conn,
        "harvest_runs",
        {
            "run_id": "r1",
            "agency_id": "a",
            "source_id": "perf",
            "started": "2026-12-01",
            "outcome": "ok",
            "rows_read": 10,
            "rows_passed": 5,
        },
    )
    return conn


def _score(conn: sqlite3.Connection) -> dict[str, float]:
    compute_agency(conn, "a", portal=PORTAL, today=TODAY)
    compute_scorecards(conn)
    conn.row_factory = sqlite3.Row
    row = dict(conn.execute("SELECT * FROM agency_scorecard WHERE agency_id = 'a'").fetchone())
    conn.row_factory = None
    return row


def _more_datasets(conn):
    _insert(conn, "activities", {"agency_id": "a", "activity_id": "X"})


def _more_months(conn):
    _perf(conn, [(2025, 11), (2025, 12)])


def _newer_data(conn):
    _perf(conn, [(2026, m) for m in range(4, 11)])


def _fewer_rejected_rows(conn):
    conn.execute("UPDATE harvest_runs SET rows_passed = 9")


def _citizen_fields(conn):
    conn.execute("UPDATE service_performance SET satisfaction = 80, cost = 1000")
    conn.execute("UPDATE services SET how_to_url = 'https://a.example.ir/s'")


@pytest.mark.parametrize(
    "part, change",
    [
        ("coverage", _more_datasets),
        ("window_months", _more_months),
        ("data_age_score", _newer_data),
        ("validity", _fewer_rejected_rows),
        ("citizen_fields", _citizen_fields),
    ],
)
def test_each_part_moves_the_score_the_right_way(base, part, change: Callable[[sqlite3.Connection], None]):
    before = _score(base)
    change(base)
    after = _score(base)
    assert after[part] > before[part], part
    assert after["transparency_score"] > before["transparency_score"], part
    assert 0 <= after["transparency_score"] <= 100


def test_stale_data_is_listed_apart_and_new_data_brings_it_back(base):
    first = _score(base)  # data to March 2026 is seven months behind Mehr 1405
    assert (first["data_months_behind"], first["data_stale"], first["ranked"], first["unranked_reason"]) == (
        7,
        1,
        0,
        "stale",
    )
    _newer_data(base)
    again = _score(base)
    assert (again["data_months_behind"], again["data_stale"], again["ranked"]) == (0, 0, 1)


@pytest.mark.parametrize(
    "indicator, unit, actual, flagged",
    [
        ("satisfaction", "percent", 80.0, 0),  # measured 80: the same
        ("satisfaction", "percent", 84.9, 0),  # within five points
        ("satisfaction", "percent", 85.1, 1),  # beyond
        ("digital_uptake", "percent", 100.0, 0),  # everything online
        ("digital_uptake", "percent", 90.0, 1),
        ("smart_services_share", "percent", 0.0, 0),  # today's inventory: none smart
        ("smart_services_share", "share", 0.5, 1),
        ("gsb_connected_services", "services", 2, 1),  # none via the GSB: a count off by two
    ],
)
def test_reported_against_measured(base, indicator, unit, actual, flagged):
    base.execute("UPDATE service_performance SET satisfaction = 80")
    _insert(
        base,
        "targets",
        {
            "agency_id": "a",
            "indicator": indicator,
            "period_start": "2025-03-21",
            "period_end": "2026-03-20",
            "target": 1,
            "actual": actual,
            "unit": unit,
        },
    )
    _score(base)
    rows = base.execute(
        "SELECT reported, measured, flagged, measured_from FROM discrepancies WHERE agency_id = 'a'"
    ).fetchall()
    assert len(rows) == 1 and rows[0][2] == flagged, rows
