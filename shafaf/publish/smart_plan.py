"""A smart-services plan's trajectory, judged in its own terms: the year, the share it requires, the agency's share.

Only a portal whose registry sets ``smart_plan`` judges one (Iran's 7th
development plan asks 20% more of each agency's services to be smart each
Jalali year from 1403; a portal elsewhere is under no such plan). Two years
are judged: the current Jalali year (against today's inventory: the share it
must reach by the year's end) and the year before (against the agency's own
reported share for that year, from its targets, else today's inventory), so
the verdict reads the same as the agency's targets table.
"""

from __future__ import annotations

import datetime as dt
import math
import sqlite3
from fractions import Fraction
from typing import Any

import jdatetime

from shafaf.config.registry import SmartPlan
from shafaf.core import units
from shafaf.normalize.periods import fiscal_year
from shafaf.standard.indicator_defs import YEAR

Row = tuple[Any, ...]

# Target names agencies report their smart share under (unit percent or share), the first one found counting.
SMART_TARGETS = ("smart_services_share", "share_smart", "smart_share")

TargetRow = tuple[str, str, str, float | None, str | None]  # indicator, period_start, period_end, actual, unit


def required_share(year: int, plan: SmartPlan) -> Fraction:
    """The share of services that must be smart in Jalali ``year``: ``step`` a year from the start, at most all."""
    if year < plan.start_year:
        return Fraction(0)
    step = Fraction(str(plan.step)).limit_denominator(10_000)  # 0.2 is exactly 1/5: no 0.6000000000000001
    return min(Fraction(1), step * (year - plan.start_year + 1))


def jalali_year_bounds(year: int) -> tuple[str, str]:
    """First and last Gregorian day of a Jalali year, as ISO dates."""
    first = jdatetime.date(year, 1, 1).togregorian()
    last = jdatetime.date(year + 1, 1, 1).togregorian() - dt.timedelta(days=1)
    return first.isoformat(), last.isoformat()


def rows(conn: sqlite3.Connection, agency_id: str, plan: SmartPlan | None, today: dt.date) -> list[Row]:
    """The plan's rows for one agency: the required share of each year, and the verdicts of this year and the last."""
    if plan is None:
        return []
    current = fiscal_year(today)
    out: list[Row] = []
    for year in range(plan.start_year, max(plan.start_year + plan.years - 1, current) + 1):
        first, last = jalali_year_bounds(year)
        out.append(
            (
                agency_id,
                "smart_required_share",
                YEAR,
                first,
                last,
                float(required_share(year, plan)),
                None,
                None,
                "share",
            )
        )
    reported_rows = conn.execute(
        f"SELECT indicator, period_start, period_end, actual, unit FROM targets WHERE agency_id = ? "
        f"AND indicator IN ({', '.join('?' * len(SMART_TARGETS))})",
        (agency_id, *SMART_TARGETS),
    ).fetchall()
    n, smart = conn.execute(
        "SELECT count(*), coalesce(sum(smart = 1), 0) FROM services WHERE agency_id = ? AND coalesce(withdrawn, 0) = 0",
        (agency_id,),
    ).fetchone()
    for year in (current - 1, current):
        if year < plan.start_year or not n:
            continue
        first, last = jalali_year_bounds(year)
        reported = reported_share(reported_rows, year) if year < current else None
        count = round(reported * n) if reported is not None else smart
        share = reported if reported is not None else smart / n
        needed = math.ceil(required_share(year, plan) * n)  # exact: a Fraction
        out += [
            (agency_id, "smart_share_judged", YEAR, first, last, share, count, n, "share"),
            (agency_id, "smart_share_reported", YEAR, first, last, float(reported is not None), None, None, "boolean"),
            (agency_id, "smart_on_track", YEAR, first, last, float(count >= needed), count, needed, "boolean"),
            (agency_id, "smart_gap_services", YEAR, first, last, float(max(0, needed - count)), None, None, "services"),
        ]
    return out


def reported_share(targets: list[TargetRow], year: int) -> float | None:
    """The agency's own reported smart share for Jalali ``year``, as a share (0-1), or None.

    From its targets row over exactly that year with an actual, named as in SMART_TARGETS (the first name
    found counts), read in its unit (``units.as_share``). The verdict and the agency page's trajectory both
    read it here.
    """
    first, last = jalali_year_bounds(year)
    found = {
        name: (actual, unit)
        for name, start, end, actual, unit in targets
        if name in SMART_TARGETS and actual is not None and (start, end) == (first, last)
    }
    for name in SMART_TARGETS:
        if name in found:
            return units.as_share(*found[name])
    return None


def jalali_year_of(day: str) -> int:
    """The plan's year of an ISO date: the fiscal (Jalali) year it falls in."""
    return fiscal_year(day)
