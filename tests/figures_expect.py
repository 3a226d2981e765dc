"""What a figure id must show: its value, unit and the period it covers, from the oracle's own computation.

Figure ids are ``<scope>:<what>`` (datasette_plugins/figures.py); every id the pages print must be one of
the shapes below, else ``UnknownFigure``.
"""

from __future__ import annotations

import datetime as dt
import functools

import figures_calendar as cal
from figures_oracle import Expected, Oracle, UnknownFigure

SERVICE_MONTHS = 24  # the service page's months
AGENCY_MONTHS = 24  # the agency page's applications by month


def expect(oracle: Oracle, figure_id: str) -> Expected:
    scope, _, rest = figure_id.partition(":")
    handler = {
        "national": _national,
        "agency": _agency,
        "coverage": _coverage,
        "discrepancy": _discrepancy,
        "discrepancies": _discrepancies,
        "service": _service,
        "ranked": _ranked,
        "availability": _availability,
    }.get(scope)
    if handler is None:
        raise UnknownFigure(figure_id)
    try:
        return handler(oracle, rest.split(":"))
    except (KeyError, ValueError, IndexError, StopIteration) as e:
        raise UnknownFigure(figure_id) from e


def _national(o: Oracle, parts: list[str]) -> Expected:
    what = parts[0]
    if what.startswith("smart_") and len(parts) == 2:
        year = int(parts[1])
        unit = {"smart_required": "share", "smart_on_track": "agencies", "smart_judged": "agencies"}[what]
        return Expected(o.smart_year(year, what.removeprefix("smart_")), unit, o.year_covers(year))
    unit = {
        "services": "services",
        "share_fully_online": "share",
        "digital_takeup": "share",
        "satisfaction": "percent",
    }[what]
    covers = o.window.covers if what in ("digital_takeup", "satisfaction") else None
    return Expected(o.national[what], unit, covers)


SMART = {"smart_required": "share", "smart_share": "share", "smart_gap": "services"}


def _agency(o: Oracle, parts: list[str]) -> Expected:
    agency, what = parts[0], parts[1]
    if agency not in o.agencies:
        raise KeyError(agency)
    card = o.card(agency)
    if what == "points":
        part = parts[2]
        value = card[part]
        return Expected(None if value is None else o.rules.score_weights[part] * value, "score")
    if what == "rank":
        return Expected(o.ranks(parts[2]).get(agency), "rank")
    if what == "target":
        row = o.targets(agency)[(parts[2], parts[3])]
        return Expected(
            row[parts[4]],
            "share" if row["unit"] == "share" else row["unit"],
            f"{row['period_start']}/{row['period_end']}",
        )
    if what == "month":
        start = dt.date.fromisoformat(parts[2])
        period = next(p for p in o.periods(agency) if p[0] == start and cal.grain(*p) == "month")
        if parts[3] != "applications":
            raise KeyError(parts[3])
        return Expected(
            o.sums(agency, (period,))["applications"],
            "applications",
            f"{period[0].isoformat()}/{period[1].isoformat()}",
        )
    if what == "plan":
        return _plan_year(o, agency, int(parts[2]), parts[3])
    if what == "window_months_covered":  # "this agency's data covers N of its 12 months"
        return Expected(float(card[what]), "months", o.window.covers)
    base = what.removesuffix("_previous")
    if base in SMART:
        year = o.this_year - (what != base)
        return Expected(card[what], SMART[base], o.year_covers(year))
    column = o.rules.scorecard[what]
    unit = o.rules.indicators[column.indicator].unit
    covers = o.window.covers if column.window == "last_12_months" else None
    value = card[what]
    return Expected(None if value is None else float(value), unit, covers, column.better, judge_better=True)


def _plan_year(o: Oracle, agency: str, year: int, what: str) -> Expected:
    """The trajectory table: the share the plan requires each year, and the agency's: reported, or today's."""
    if what == "required":
        required = o.required(year)
        return Expected(None if required is None else float(required), "share", o.year_covers(year))
    if year == o.this_year and o.card(agency)["smart_share"] is not None:
        return Expected(o.card(agency)["smart_share"], "share", o.year_covers(year))
    return Expected(o.reported_smart(agency, year), "share", o.year_covers(year))


def _ranked(o: Oracle, parts: list[str]) -> Expected:
    """How many agencies a rank is among (the "of N")."""
    return Expected(float(len(o.ranks(parts[0]))), "agencies")


def _coverage(o: Oracle, parts: list[str]) -> Expected:
    agency, dataset = parts[:2]
    if agency not in o.agencies:
        raise KeyError(agency)
    if parts[2:] == ["rows"]:
        return Expected(float(o.rows(agency, dataset)), "rows")
    if parts[2:]:
        raise KeyError(parts[2])
    value = o.dataset_behind(agency, dataset)
    return Expected(None if value is None else float(value), "months")


def _discrepancy(o: Oracle, parts: list[str]) -> Expected:
    agency, indicator, start, what = parts
    found = o.discrepancy(agency, indicator, start)
    if found is None:
        raise KeyError(":".join(parts))
    if what == "rows":
        return Expected(float(found["rows"]), "rows")
    if what == "difference":
        share = found["unit"] == "share"
        return Expected(
            found["difference"] * (100 if share else 1), "percent" if share else found["unit"], found["covers"]
        )
    return Expected(found[what], found["unit"], found["covers"])


def _discrepancies(o: Oracle, parts: list[str]) -> Expected:
    found = o.discrepancies()
    if parts == ["flagged"]:
        return Expected(float(sum(d["flagged"] for d in found)), "figures")
    if parts == ["reported"]:
        return Expected(float(len(found)), "figures")
    raise KeyError(parts[0])


def _availability(o: Oracle, parts: list[str]) -> Expected:
    """A source's availability from the published harvest_runs, by docs/indicators.md's definitions."""
    agency, source, what = parts
    (computed,) = o.conn.execute(
        "SELECT computed FROM source_availability WHERE agency_id = ? AND source_id = ?", (agency, source)
    ).fetchone()
    now = dt.datetime.strptime(computed, "%Y-%m-%dT%H:%M:%SZ")
    runs = o.q(
        "SELECT started, outcome, phase, fetch_ms FROM harvest_runs WHERE agency_id = ? AND source_id = ? "
        "AND outcome NOT IN ('queued', 'running', 'skipped', 'aborted') ORDER BY started, run_id",
        agency,
        source,
    )
    failed = [r["outcome"] == "failed" and r["phase"] == "harvest" for r in runs]
    if what == "consecutive_failures":
        streak = len(failed) - (max(i for i, f in enumerate(failed) if not f) + 1 if not all(failed) else 0)
        return Expected(float(streak), "runs")
    name, days = what.rsplit("_", 1)
    since = (now - dt.timedelta(days=int(days.removesuffix("d")))).strftime("%Y-%m-%dT%H:%M:%SZ")
    window = [(r, f) for r, f in zip(runs, failed) if r["started"] >= since]
    times = sorted(r["fetch_ms"] for r, f in window if not f and r["fetch_ms"] is not None)
    if name == "runs":
        return Expected(float(len(window)), "runs")
    if name == "share":
        return Expected(sum(1 for _, f in window if not f) / len(window) if window else None, "share")
    if not times:
        return Expected(None, "milliseconds")
    if name == "median":
        middle = len(times) // 2
        median = times[middle] if len(times) % 2 else (times[middle - 1] + times[middle]) / 2
        return Expected(float(round(median)), "milliseconds")
    if name == "p95":
        return Expected(float(times[-(-95 * len(times) // 100) - 1]), "milliseconds")
    raise KeyError(what)


# -- the service page: one service's months, by the documented formulas


def _service(o: Oracle, parts: list[str]) -> Expected:
    if len(parts) == 3:  # the inventory's promise and fee, as the agency wrote them
        column = {"standard_days": "standard_days", "fee": "fee"}[parts[2]]
        (value,) = o.conn.execute(
            f"SELECT {column} FROM services WHERE agency_id = ? AND service_id = ?", (parts[0], parts[1])
        ).fetchone()
        return Expected(None if value is None else float(value), "days" if column == "standard_days" else "rials")
    agency, service, start, what = parts[0], parts[1], parts[2], parts[3]
    months = service_months(o, agency, service)
    period = months[dt.date.fromisoformat(start)]
    covers = f"{period[0].isoformat()}/{period[1].isoformat()}"
    if what == "channel":
        (value,) = o.conn.execute(
            "SELECT sum(applications) FROM service_performance WHERE agency_id = ? AND service_id = ? "
            "AND period_start = ? AND period_end = ? AND coalesce(channel, 'other') = ?",
            (agency, service, period[0].isoformat(), period[1].isoformat(), parts[4]),
        ).fetchone()
        return Expected(None if value is None else float(value), "applications", covers)
    sums = o.sums(agency, (period,), service=service)
    value, unit = {
        "applications": (sums["applications"], "applications"),
        "completed": (sums["completion"], "share"),
        "within_standard": (sums["within_standard"], "share"),
        "satisfaction": (sums["satisfaction"], "percent"),
        "days": (sums["median_days"], "days"),
    }[what]
    return Expected(None if value is None else float(value), unit, covers)


@functools.cache
def _months(o: Oracle, agency: str, service: str) -> dict[dt.date, tuple[dt.date, dt.date]]:
    rows = o.q(
        "SELECT DISTINCT period_start, period_end FROM service_performance WHERE agency_id = ? AND service_id = ?",
        agency,
        service,
    )
    months = sorted((dt.date.fromisoformat(s), dt.date.fromisoformat(e)) for s, e in rows)
    months = [p for p in months if cal.grain(*p) == "month"][-SERVICE_MONTHS:]
    return {s: (s, e) for s, e in months}


def service_months(o: Oracle, agency: str, service: str) -> dict[dt.date, tuple[dt.date, dt.date]]:
    return _months(o, agency, service)
