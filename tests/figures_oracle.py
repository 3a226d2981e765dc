"""The independent check's own computation of every figure the pages show, from the published raw tables.

Written from docs/indicators.md (its rules read by ``figures_doc``), never by calling
``shafaf.indicators`` or reading the tables the publisher derives (``indicators``, ``agency_scorecard``,
``data_coverage``, ``discrepancies``) for a value: only ``agencies``, ``services``,
``service_performance``, ``targets`` and ``harvest_runs``, plus ``agency_scorecard.computed_at`` for the
publication time. ``Oracle.expect(figure_id)`` answers what a figure must say; an id it does not know
raises ``UnknownFigure``, so a new figure cannot appear on a page unchecked.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import json
import math
import sqlite3
from fractions import Fraction
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import figures_calendar as cal
from figures_doc import Rules, as_share, direction_and_rule, ratio, rules, target_met, weighted_median

SMART_SHARE_NAMES = ("smart_services_share", "share_smart", "smart_share")


class UnknownFigure(KeyError):
    """A figure id the oracle has no formula for."""


@dataclasses.dataclass(frozen=True)
class Settings:
    """The portal's settings the figures depend on (from its registry)."""

    timezone: str = "Asia/Tehran"
    calendar: str = "jalali"
    lag_months: int = 1
    stale_after_months: int = 3
    tolerance: float = 0.05
    plan: tuple[int, float, int] | None = None  # start year, yearly step, years


@dataclasses.dataclass(frozen=True)
class Expected:
    value: float | None
    unit: str | None
    covers: str | None = None
    better: str | None = None  # which way is better, as the document says (checked where ``judge_better``)
    judge_better: bool = False


def _d(text: str) -> dt.date:
    return dt.date.fromisoformat(text[:10])


def _span(start: Any, end: Any) -> str:
    return f"{start}/{end}"


class Oracle:
    def __init__(self, db_path: Path, settings: Settings, doc: Rules | None = None):
        self.conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
        self.conn.row_factory = sqlite3.Row
        self.settings = settings
        self.rules = doc or rules()
        self.agencies = [r["id"] for r in self.conn.execute("SELECT id FROM agencies ORDER BY id")]

    def q(self, sql: str, *params: Any) -> list[sqlite3.Row]:
        return self.conn.execute(sql, params).fetchall()

    # -- the publication day, the window, the plan's years

    @functools.cached_property
    def published(self) -> dt.datetime:
        """When the scorecards were computed, in the portal's timezone."""
        (stamp,) = self.conn.execute("SELECT max(computed_at) FROM agency_scorecard").fetchone()
        utc = dt.datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.UTC)
        return utc.astimezone(ZoneInfo(self.settings.timezone))

    @functools.cached_property
    def today(self) -> dt.date:
        return self.published.date()

    @functools.cached_property
    def window(self) -> cal.Window:
        return cal.Window(self.today, self.settings.calendar, self.settings.lag_months)

    @functools.cached_property
    def this_year(self) -> int:
        return cal.jalali_year(self.today)

    def year_covers(self, year: int) -> str:
        return _span(*(d.isoformat() for d in cal.jalali_year_bounds(year)))

    def required(self, year: int) -> Fraction | None:
        """min(1, p × (Y − S + 1)) for the plan's years (S .. the plan's last year, or on to this year)."""
        if self.settings.plan is None:
            return None
        start, step, years = self.settings.plan
        if not start <= year <= max(start + years - 1, self.this_year):
            return None
        return min(Fraction(1), Fraction(str(step)) * (year - start + 1))

    # -- one agency

    @functools.cache
    def inventory(self, agency: str) -> dict[str, Any]:
        stages = (
            "online_information",
            "online_application",
            "online_identity",
            "online_payment",
            "online_decision",
            "online_issuance",
        )
        applicable = " + ".join(f"({s} IS NOT NULL)" for s in stages)
        online = " + ".join(f"({s} IS 1)" for s in stages)
        row = self.q(
            f"""SELECT count(*) AS n, total(applicable > 0 AND online = applicable) AS fully,
                       total(applicable > 0) AS staged, total(smart IS 1) AS smart,
                       total(on_national_portal IS 1) AS portal, total(via_gsb IS 1) AS gsb,
                       count(nullif(how_to_url, '')) AS how_to, max(updated) AS updated
                FROM (SELECT {applicable} AS applicable, {online} AS online, * FROM services
                      WHERE agency_id = ? AND NOT coalesce(withdrawn, 0))""",
            agency,
        )[0]
        return dict(row)

    @functools.cache
    def periods(self, agency: str) -> list[tuple[dt.date, dt.date]]:
        return [
            (_d(s), _d(e))
            for s, e in self.q(
                "SELECT DISTINCT period_start, period_end FROM service_performance WHERE agency_id = ?", agency
            )
        ]

    @functools.cache
    def finest(self, agency: str) -> str | None:
        grains = {cal.grain(s, e) for s, e in self.periods(agency)}
        return next((g for g in ("month", "quarter", "year") if g in grains), None)

    @functools.cache
    def window_periods(self, agency: str) -> tuple[tuple[dt.date, dt.date], ...]:
        """The agency's periods of its finest grain whose midpoint lies in the reference window."""
        finest = self.finest(agency)
        return tuple(
            sorted((s, e) for s, e in self.periods(agency) if cal.grain(s, e) == finest and self.window.holds(s, e))
        )

    def sums(
        self, agency: str, periods: tuple[tuple[dt.date, dt.date], ...], service: str | None = None
    ) -> dict[str, Any]:
        """The documented performance formulas over the agency's rows of ``periods`` (and one service)."""
        keys = json.dumps([f"{s.isoformat()}/{e.isoformat()}" for s, e in periods])
        where = "agency_id = ? AND period_start || '/' || period_end IN (SELECT value FROM json_each(?))" + (
            " AND service_id = ?" if service is not None else ""
        )
        params = (agency, keys, *((service,) if service is not None else ()))
        row = dict(
            self.q(
                f"""SELECT sum(applications) AS applications,
                       total(CASE WHEN channel = 'online' THEN applications END) AS online,
                       sum(completed) FILTER (WHERE applications IS NOT NULL) AS done,
                       sum(applications) FILTER (WHERE completed IS NOT NULL) AS done_of,
                       sum(within_standard) FILTER (WHERE completed IS NOT NULL) AS within,
                       sum(completed) FILTER (WHERE within_standard IS NOT NULL) AS within_of,
                       sum(satisfaction * applications) AS sat,
                       sum(applications) FILTER (WHERE satisfaction IS NOT NULL) AS sat_of,
                       sum(complaints) FILTER (WHERE applications IS NOT NULL) AS complaints,
                       sum(applications) FILTER (WHERE complaints IS NOT NULL) AS complaints_of,
                       avg(availability_pct) AS availability, count(*) AS rows, count(satisfaction) AS with_sat,
                       count(cost) AS with_cost
                FROM service_performance WHERE {where}""",
                *params,
            )[0]
        )
        weights = self.q(
            f"SELECT median_days, completed FROM service_performance WHERE {where} "
            "AND median_days IS NOT NULL AND completed > 0 ORDER BY median_days",
            *params,
        )
        row["median_days"] = weighted_median([(r[0], r[1]) for r in weights])
        row["takeup"] = ratio(row["online"], row["applications"])
        row["completion"] = ratio(row["done"], row["done_of"])
        row["within_standard"] = ratio(row["within"], row["within_of"])
        row["satisfaction"] = ratio(row["sat"], row["sat_of"])
        row["complaints_per_1000"] = ratio(row["complaints"], row["complaints_of"], 1000)
        return row

    @functools.cache
    def card(self, agency: str) -> dict[str, Any]:
        """Every scorecard figure of the agency, by its agency_scorecard column, computed here."""
        inv = self.inventory(agency)
        w = self.sums(agency, self.window_periods(agency))
        n = inv["n"]
        out: dict[str, Any] = {
            "services": n,
            "share_fully_online": ratio(inv["fully"], inv["staged"]),
            "share_smart": ratio(inv["smart"], n),
            "share_national_portal": ratio(inv["portal"], n),
            "share_gsb": ratio(inv["gsb"], n),
            "applications_12m": w["applications"],
            "digital_takeup_12m": w["takeup"],
            "completion_rate_12m": w["completion"],
            "within_standard_12m": w["within_standard"],
            "median_days_12m": w["median_days"],
            "satisfaction_12m": w["satisfaction"],
            "complaints_per_1000_12m": w["complaints_per_1000"],
            "availability_12m": w["availability"],
        }
        (last_end,) = self.conn.execute(
            "SELECT max(period_end) FROM service_performance WHERE agency_id = ?", (agency,)
        ).fetchone()
        behind = None if last_end is None else self.window.months_behind(_d(last_end))
        out["data_months_behind"] = behind
        out["data_stale"] = None if behind is None else int(self.stale(agency, "service_performance", behind, last_end))
        (good,) = self.conn.execute(
            "SELECT max(started) FROM harvest_runs WHERE agency_id = ? AND outcome IN ('ok', 'unchanged')", (agency,)
        ).fetchone()
        out["freshness_days"] = None if good is None else float((self.today - self.local_day(good)).days)
        datasets = ("services", "service_performance", "service_standards", "activities", "targets")
        present = sum(1 for kind in datasets if self.rows(agency, kind))
        covered = self.window.months_covered(list(self.window_periods(agency)))
        passed, read = self.conn.execute(
            """SELECT total(coalesce(rows_passed, 0)), total(rows_read) FROM (
                 SELECT rows_passed, rows_read, row_number() OVER (
                     PARTITION BY source_id ORDER BY started DESC, run_id DESC) AS n
                 FROM harvest_runs WHERE agency_id = ? AND rows_read > 0) WHERE n = 1""",
            (agency,),
        ).fetchone()
        rows = w["rows"]
        if rows or n:
            filled = [
                ratio(w["with_sat"], rows) or 0.0,
                ratio(w["with_cost"], rows) or 0.0,
                ratio(inv["how_to"], n) or 0.0,
            ]
            citizen = sum(filled) / 3
        else:
            citizen = None
        out.update(
            {
                "coverage": present / len(datasets),
                "window_months": covered / 12,
                "data_age_score": None if behind is None else max(0.0, 1 - behind / 12),
                "validity": ratio(passed, read),
                "citizen_fields": citizen,
                "window_months_covered": covered,
            }
        )
        weights = self.rules.score_weights
        out["transparency_score"] = sum(weight * (out[part] or 0.0) for part, weight in weights.items())
        out["unranked_reason"] = (
            "no_performance_data"
            if not self.rows(agency, "service_performance")
            else "no_data_in_window"
            if not covered
            else "stale"
            if out["data_stale"]
            else None
        )
        out["ranked"] = int(out["unranked_reason"] is None)
        out.update(self.plan_figures(agency))
        return out

    def local_day(self, stamp: str) -> dt.date:
        utc = dt.datetime.strptime(stamp[:19], "%Y-%m-%dT%H:%M:%S").replace(tzinfo=dt.UTC)
        return utc.astimezone(ZoneInfo(self.settings.timezone)).date()

    def rows(self, agency: str, kind: str) -> int:
        live = " AND NOT coalesce(withdrawn, 0)" if kind == "services" else ""
        return self.conn.execute(f"SELECT count(*) FROM [{kind}] WHERE agency_id = ?{live}", (agency,)).fetchone()[0]

    def stale(self, agency: str, kind: str, behind: int, last_end: str) -> bool:
        """Past stale_after_months beyond the end of the latest period (a quarter's figures are due after it ends)."""
        if kind == "services":
            months = 12
        else:
            grains = {
                cal.grain(_d(s), _d(e))
                for s, e in self.q(
                    f"SELECT period_start, period_end FROM [{kind}] WHERE agency_id = ? AND period_end = ?",
                    agency,
                    last_end,
                )
            }
            months = min((cal.GRAIN_MONTHS.get(g, 1) for g in grains), default=1)
        return behind > self.settings.stale_after_months + months - 1

    @functools.cache
    def dataset_behind(self, agency: str, kind: str) -> int | None:
        """data_coverage's months behind of one dataset: from its last period end (the inventory's update)."""
        if kind == "activities":
            return None
        live = " AND NOT coalesce(withdrawn, 0)" if kind == "services" else ""
        column = "updated" if kind == "services" else "period_end"
        (last,) = self.conn.execute(
            f"SELECT max({column}) FROM [{kind}] WHERE agency_id = ?{live}", (agency,)
        ).fetchone()
        return None if last is None else self.window.months_behind(_d(last))

    # -- the smart-services plan

    def reported_smart(self, agency: str, year: int) -> float | None:
        """The agency's targets row over exactly that Jalali year: smart_services_share, else share_smart, else
        smart_share, read in its unit."""
        first, last = (d.isoformat() for d in cal.jalali_year_bounds(year))
        for name in SMART_SHARE_NAMES:
            rows = self.q(
                "SELECT actual, unit FROM targets WHERE agency_id = ? AND indicator = ? "
                "AND actual IS NOT NULL AND period_start = ? AND period_end = ?",
                agency,
                name,
                first,
                last,
            )
            if rows:
                return as_share(rows[0]["actual"], rows[0]["unit"])
        return None

    def plan_figures(self, agency: str) -> dict[str, Any]:
        out: dict[str, Any] = {}
        n = self.inventory(agency)["n"]
        smart = self.inventory(agency)["smart"]
        for suffix, year in (("", self.this_year), ("_previous", self.this_year - 1)):
            required = self.required(year)
            out[f"smart_required{suffix}"] = None if required is None else float(required)
            out[f"smart_share{suffix}"] = out[f"smart_gap{suffix}"] = out[f"smart_status{suffix}"] = None
            if required is None or not n or year < self.settings.plan[0]:
                continue
            reported = self.reported_smart(agency, year) if suffix else None
            count = math.floor(reported * n + 0.5) if reported is not None else smart
            needed = math.ceil(required * n)
            out[f"smart_share{suffix}"] = reported if reported is not None else smart / n
            out[f"smart_gap{suffix}"] = float(max(0, needed - count))
            out[f"smart_status{suffix}"] = "on_track" if count >= needed else "behind"
        return out

    @functools.cache
    def ranks(self, rank: str) -> dict[str, int]:
        """1 = best, ties share a rank, no value no rank; window figures among the compared agencies only."""
        column = next(c for c in self.rules.scorecard.values() if c.rank == rank)
        values = {
            a: self.card(a)[column.column]
            for a in self.agencies
            if self.card(a)[column.column] is not None and (column.among == "all" or self.card(a)["ranked"])
        }
        sign = -1 if column.better == "higher" else 1
        keyed = {a: sign * round(v, 9) for a, v in values.items()}
        return {a: 1 + sum(1 for other in keyed.values() if other < k) for a, k in keyed.items()}

    # -- what spans agencies

    @functools.cached_property
    def national(self) -> dict[str, Any]:
        cards = [self.card(a) for a in self.agencies]
        inv = [self.inventory(a) for a in self.agencies]
        window = [self.sums(a, self.window_periods(a)) for a in self.agencies]
        return {
            "services": float(sum(c["services"] for c in cards)),
            "share_fully_online": ratio(sum(i["fully"] for i in inv), sum(i["staged"] for i in inv)),
            "digital_takeup": ratio(
                sum(w["online"] for w in window if w["applications"] is not None),
                sum(w["applications"] or 0 for w in window),
            ),
            "satisfaction": ratio(sum(w["sat"] or 0 for w in window), sum(w["sat_of"] or 0 for w in window)),
        }

    def smart_year(self, year: int, what: str) -> float | None:
        suffix = "" if year == self.this_year else "_previous"
        if what == "required":
            required = self.required(year)
            return None if required is None else float(required)
        statuses = [self.card(a)[f"smart_status{suffix}"] for a in self.agencies]
        if what == "on_track":
            return float(sum(s == "on_track" for s in statuses))
        return float(sum(s is not None for s in statuses))

    # -- targets, reported against measured

    @functools.cache
    def targets(self, agency: str) -> dict[tuple[str, str], dict[str, Any]]:
        rows = {}
        for r in self.q("SELECT * FROM targets WHERE agency_id = ? ORDER BY indicator, period_start", agency):
            row = dict(r)
            row["direction_expected"], row["direction_rule"] = direction_and_rule(
                row["indicator"], row["unit"], row["direction"], self.rules
            )
            row["met_expected"] = target_met(row["target"], row["actual"], row["direction_expected"])
            rows[(row["indicator"], row["period_start"])] = row
        return rows

    @functools.cache
    def discrepancy(self, agency: str, indicator: str, start: str) -> dict[str, Any] | None:
        """The documented comparison of a targets row's actual with the portal's measure, or None if none is made."""
        measure = self.rules.measures.get(indicator)
        row = self.targets(agency).get((indicator, start))
        if measure is None or row is None or row["actual"] is None:
            return None
        if measure.source == "services":
            latest = max(s for (i, s), r in self.targets(agency).items() if i == indicator and r["actual"] is not None)
            if start != latest:
                return None
            inv, flag = self.inventory(agency), _FLAGS[indicator]
            rows = inv["n"]
            measured = ratio(inv[flag], rows) if measure.unit == "share" else inv[flag]
        else:
            periods = tuple(
                (s, e)
                for s, e in self.periods(agency)
                if cal.grain(s, e) == "month" and _d(row["period_start"]) <= cal.midpoint(s, e) <= _d(row["period_end"])
            )
            sums = self.sums(agency, periods)
            rows = sums["rows"]
            measured = {
                "digital_uptake": sums["takeup"],
                "digital_takeup": sums["takeup"],
                "online_share": sums["takeup"],
                "satisfaction": sums["satisfaction"],
                "completion_rate": sums["completion"],
                "complaints_per_1000": sums["complaints_per_1000"],
            }[indicator]
        if measured is None or not rows:
            return None
        reported = row["actual"]
        if measure.unit == "share":
            reported = as_share(reported, row["unit"])
        elif measure.unit == "percent" and (row["unit"] or "").strip().lower() == "share":
            reported = reported * 100
        difference = measured - reported
        tolerance = self.settings.tolerance
        limit = {"share": tolerance, "percent": 100 * tolerance}.get(measure.unit, tolerance * abs(measured))
        covers = _span(row["period_start"], row["period_end"]) if measure.source == "service_performance" else None
        return {
            "agency": agency,
            "indicator": indicator,
            "start": start,
            "rows": rows,
            "reported": reported,
            "measured": measured,
            "difference": difference,
            "unit": measure.unit,
            "flagged": int(abs(difference) > limit + 1e-9),
            "covers": covers,
        }

    def discrepancies(self) -> list[dict[str, Any]]:
        return [d for a in self.agencies for (i, s) in self.targets(a) if (d := self.discrepancy(a, i, s))]


_FLAGS = {
    "smart_services_share": "smart",
    "share_smart": "smart",
    "smart_services": "smart",
    "share_gsb": "gsb",
    "gsb_connected_services": "gsb",
    "share_national_portal": "portal",
    "national_portal_services": "portal",
}
