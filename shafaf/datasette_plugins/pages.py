"""The transparency pages: home (national figures, league table), an agency's scorecard, a service.

Handlers declare only the arguments they use (``request, datasette``), read
the published ``shafaf`` database through ``queries`` (precomputed
``agency_scorecard`` and ``indicators`` rows) and render the plugin's
templates. Charts are drawn here by ``charts`` from the same rows the
tables beside them print.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

from datasette import Request, Response

from .. import tables
from ..indicator_defs import BY_NAME, LAST_12_MONTHS, SCORECARD, TARGET_PREFIX
from . import charts, harvest_status, i18n, language, page_cache, queries
from .common import (
    AGENCY_ID_PATTERN,
    DATABASE,
    SERVICE_ID_PATTERN,
    agency_href,
    http_url,
    name,
    not_found,
    render,
    service_href,
    sql_href,
    table_href,
)

if TYPE_CHECKING:
    from datasette.app import Datasette

SERVICES_SHOWN = 500
ACTIVITIES_SHOWN = 200
RUNS_SHOWN = 10
REJECTED_SHOWN = 50
TREND_MONTHS = 24
MARKED_COLUMNS: tuple[str, ...] = ("smart", "on_national_portal", "via_gsb")

# The league table's columns: (key, scorecard column, unit, higher is better). The key is ?sort=.
LEAGUE: tuple[tuple[str, str, str, bool], ...] = (
    ("transparency", "transparency_score", "score", True),
    ("smart", "share_smart", "share", True),
    ("online", "share_fully_online", "share", True),
    ("takeup", "digital_takeup_12m", "share", True),
    ("satisfaction", "satisfaction_12m", "percent", True),
    ("within_standard", "within_standard_12m", "share", True),
    ("freshness", "freshness_days", "days", False),
    ("validity", "validity", "share", True),
)
_LEAGUE_INDICATOR = {column.column: column.indicator for column in SCORECARD}

# Scorecard rows shown on the agency page, in reading order; each is one agency_scorecard column.
SCORECARD_SHOWN: tuple[str, ...] = (
    "services", "share_fully_online", "share_smart", "share_national_portal", "share_gsb",
    "applications_12m", "digital_takeup_12m", "completion_rate_12m", "within_standard_12m",
    "median_days_12m", "satisfaction_12m", "complaints_per_1000_12m", "availability_12m",
    "freshness_days", "validity", "coverage", "transparency_score",
)
_SCORECARD_COLUMNS = {column.column: column for column in SCORECARD}


# -- home


async def home(request: Request, datasette: Datasette) -> Response:
    """``/``: the national headline figures and the league table of agencies."""
    lang = language.request_language(request)
    db = datasette.get_database(DATABASE)
    sort = request.args.get("sort")
    sort = sort if sort in {key for key, *_ in LEAGUE} | {"name"} else "transparency"
    rows = await queries.scorecards(db)
    agencies = [_league_row(datasette, row, lang) for row in rows]
    stale = await harvest_status.stale_agencies(datasette)
    for league_row in agencies:
        league_row["stale"] = league_row["id"] in stale
    agencies.sort(key=_league_sort_key(sort))
    return await render(datasette, request, "shafaf_home.html", {
        "national": await queries.national(db),
        "agencies": agencies,
        "columns": [
            {
                "key": key,
                "title": i18n.indicator_title(_LEAGUE_INDICATOR.get(column, column), lang),
                "href": _sort_href(key, lang),
                "sorted": key == sort,
                "order": "descending" if higher else "ascending",
            }
            for key, column, _, higher in LEAGUE
        ],
        "name_sort_href": _sort_href("name", lang),
        "sorted_by_name": sort == "name",
        "search_action": datasette.urls.path("/search"),
        "scorecard_href": table_href(datasette, "agency_scorecard"),
    })


def _league_row(datasette: Datasette, row: dict[str, Any], lang: str) -> dict[str, Any]:
    return {
        "id": row["id"],
        "name": name(row, lang),
        "href": agency_href(datasette, row["id"], lang),
        "values": {key: row[column] for key, column, _, _ in LEAGUE},
        "cells": [i18n.format_value(row[column], unit, lang) for _, column, unit, _ in LEAGUE],
        "smart_status": row["smart_status"],
        "last_good_harvest": row["last_good_harvest"],
        "outcome": row["last_outcome"],
        "outcome_label": i18n.outcome_label(row["last_outcome"], lang),
    }


def _league_sort_key(sort: str) -> Any:
    """Best first on the chosen column; agencies with no value last; ties by id."""
    if sort == "name":
        return lambda row: (row["name"], row["id"])
    higher = next(better for key, _, _, better in LEAGUE if key == sort)

    def key(row: dict[str, Any]) -> tuple[Any, ...]:
        value = row["values"][sort]
        if value is None:
            return (1, 0.0, row["id"])
        return (0, -value if higher else value, row["id"])

    return key


def _sort_href(key: str, lang: str) -> str:
    query = {"sort": key} if lang == i18n.DEFAULT_LANGUAGE else {"sort": key, "lang": lang}
    return "?" + "&".join(f"{k}={v}" for k, v in query.items()) + "#league"


# -- agency


async def agency(request: Request, datasette: Datasette) -> Response:
    """``/agencies/<id>``: the agency's scorecard, trajectory, services, activities, data panel and downloads."""
    lang = language.request_language(request)
    db = datasette.get_database(DATABASE)
    agency_id = request.url_vars["agency_id"]
    row = await queries.agency(db, agency_id)
    if row is None:
        return await not_found(request, datasette)
    rtl = i18n.DIRECTION[lang] == "rtl"
    card = await queries.scorecard(db, agency_id) or {}
    trend_names = tuple(_SCORECARD_COLUMNS[c].indicator for c in SCORECARD_SHOWN
                        if _SCORECARD_COLUMNS[c].window == LAST_12_MONTHS)
    trends = await queries.monthly_indicators(db, agency_id, trend_names, months=TREND_MONTHS)
    services = await queries.services(db, agency_id, lang=lang, limit=SERVICES_SHOWN)
    activities = await queries.activities(db, agency_id, limit=ACTIVITIES_SHOWN)
    rejected = await queries.rejected_rows(db, agency_id, limit=REJECTED_SHOWN)
    context = {
        "agency": {
            "id": agency_id,
            "name": name(row, lang),
            "description": row["description_fa"] if lang == "fa" else row["description_en"],
            "website": http_url(row["website"]),
            "parent": await _parent(datasette, db, row["parent"], lang),
            "last_good_harvest": row["last_good_harvest"],
            "last_harvest": row["last_harvest"],
            "published_at": row["published_at"],
        },
        "card": card,
        "window": _window(card, lang),
        "agencies_scored": await queries.agencies_scored(db),
        "scorecard": [_scorecard_row(datasette, agency_id, column, card, trends, lang, rtl)
                      for column in SCORECARD_SHOWN],
        "trajectory": await _trajectory(db, agency_id, card, lang, rtl),
        "applications_chart": _applications_chart(trends.get("applications", []), lang, rtl),
        "services": [_service(datasette, agency_id, s, lang) for s in services[:SERVICES_SHOWN]],
        "services_truncated": len(services) > SERVICES_SHOWN,
        "services_href": table_href(datasette, "services", agency_id=agency_id),
        "service_columns": {
            column: i18n.field_title("services", column, lang)
            for column in (*MARKED_COLUMNS, "standard_days", "how_to_url")
        },
        "activities": [_activity(a, lang) for a in activities[:ACTIVITIES_SHOWN]],
        "activities_href": table_href(datasette, "activities", agency_id=agency_id),
        "targets": [_target(t, lang) for t in await queries.targets(db, agency_id)],
        "targets_href": table_href(datasette, "targets", agency_id=agency_id),
        "runs": [
            dict(run, outcome_label=i18n.outcome_label(run["outcome"], lang))
            for run in await queries.harvest_runs(db, agency_id, limit=RUNS_SHOWN)
        ],
        "runs_href": table_href(datasette, "harvest_runs", agency_id=agency_id),
        **await harvest_status.panel(datasette, agency_id, lang),  # schedules, next runs, stale, queued requests
        "rejected": [_rejected(r, lang) for r in rejected[:REJECTED_SHOWN]],
        "rejected_truncated": len(rejected) > REJECTED_SHOWN,
        "rejected_href": table_href(datasette, "validation_errors", agency_id=agency_id),
        "data_links": _data_links(datasette, agency_id, lang),
        "package_href": datasette.urls.path(f"/downloads/agencies/{agency_id}.zip"),
        "downloads_href": datasette.urls.path("/downloads/"),
        "sql_href": sql_href(
            datasette,
            "select indicator, window, period_start, period_end, value, numerator, denominator, unit\n"
            "from indicators where agency_id = :agency_id order by indicator, window, period_start",
            agency_id=agency_id,
        ),
    }
    return await render(datasette, request, "shafaf_agency.html", context)


def _window(card: dict[str, Any], lang: str) -> tuple[str, str] | None:
    """The last-12-months window as two dates in the page's calendar, or None when there is none."""
    start, end = (i18n.date_pair(card.get(key), lang) for key in ("period_start_12m", "period_end_12m"))
    return (start[0], end[0]) if start and end else None


def _scorecard_row(
    datasette: Datasette, agency_id: str, column: str, card: dict[str, Any],
    trends: dict[str, list[dict[str, Any]]], lang: str, rtl: bool,
) -> dict[str, Any]:
    spec = _SCORECARD_COLUMNS[column]
    definition = BY_NAME[spec.indicator]
    title = i18n.indicator_title(spec.indicator, lang)
    points = [(r["period_start"], r["value"]) for r in trends.get(spec.indicator, [])]
    return {
        "title": title,
        "formula": definition.formula_fa if lang == "fa" else definition.formula_en,
        "value": i18n.format_value(card.get(column), definition.unit, lang),
        "rank": card.get(spec.rank) if spec.rank else None,
        "trend": charts.sparkline(points, label=title, rtl=rtl) if points else "",
        "href": table_href(datasette, "indicators", agency_id=agency_id, indicator=spec.indicator,
                           window=spec.window),
    }


async def _trajectory(db: Any, agency_id: str, card: dict[str, Any], lang: str, rtl: bool) -> dict[str, Any] | None:
    """The 20%-a-year plan: required share of smart services per Jalali year against the actual share.

    Actual is the agency's own reported ``smart_services_share`` target row for
    past years and today's inventory for the current year.
    """
    rows = await queries.yearly_indicators(
        db, agency_id, ("smart_required_share", f"{TARGET_PREFIX}smart_services_share")
    )
    years: dict[str, dict[str, Any]] = {}
    for row in rows:
        year = i18n.fiscal_year_label(row["period_start"], lang)
        entry = years.setdefault(year, {"start": row["period_start"], "end": row["period_end"]})
        if row["indicator"] == "smart_required_share":
            entry["required"] = row["value"]
        elif row["value"] is not None:
            entry["actual"] = row["value"] / 100 if row["unit"] == "percent" else row["value"]
    if not years:
        return None
    today_year = i18n.fiscal_year_label(card.get("computed_at"), lang) if card.get("computed_at") else None
    if today_year in years and card.get("share_smart") is not None:
        years[today_year]["actual"] = card["share_smart"]
    ordered = sorted(years.items(), key=lambda item: item[1]["start"])
    required = charts.Series(i18n.gettext("Required by the plan", lang),
                             [(y, e.get("required")) for y, e in ordered], "required", dashed=True)
    actual = charts.Series(i18n.gettext("Actual", lang), [(y, e.get("actual")) for y, e in ordered], "actual")
    return {
        "chart": charts.line_chart(
            [required, actual],
            title=i18n.gettext("Smart services: required and actual share by year", lang),
            description=i18n.gettext("The development plan requires 20% more of the agency's services to be "
                                     "smart each year.", lang),
            rtl=rtl, digits=lambda text: i18n.digits(text, lang),
            y_format=lambda v: i18n.format_percent(v, lang, places=0), y_min=0.0, y_max=1.0,
        ),
        "rows": [(y, i18n.format_percent(e.get("required"), lang, places=0),
                  i18n.format_percent(e.get("actual"), lang, places=0)) for y, e in ordered],
    }


def _applications_chart(points: list[dict[str, Any]], lang: str, rtl: bool) -> dict[str, Any] | None:
    if not points:
        return None
    series = charts.Series(i18n.gettext("Applications", lang),
                           [(r["period_start"][:7], r["value"]) for r in points], "applications")
    return {
        "chart": charts.line_chart(
            [series],
            title=i18n.gettext("Applications by month", lang),
            description=i18n.gettext("Applications the agency reported for each month, all services and channels.",
                                     lang),
            rtl=rtl, digits=lambda text: i18n.digits(text, lang),
            y_format=lambda v: i18n.format_number(v, lang), y_min=0.0,
        ),
        "rows": [(i18n.month_label(r["period_start"], lang), i18n.format_number(r["value"], lang)) for r in points],
    }


def _service(datasette: Datasette, agency_id: str, row: dict[str, Any], lang: str) -> dict[str, Any]:
    return {
        "name": name(row, lang, id_key="service_id"),
        "href": service_href(datasette, agency_id, row["service_id"], lang),
        "online_stages": [i18n.gettext(label, lang) for column, label in i18n.ONLINE_STAGES if row[column] == 1],
        "marks": {column: row[column] for column in MARKED_COLUMNS},
        "standard_days": row["standard_days"],
        "how_to": http_url(row["how_to_url"]),
    }


def _activity(row: dict[str, Any], lang: str) -> dict[str, Any]:
    first, second = ("title_fa", "title_en") if lang == "fa" else ("title_en", "title_fa")
    return {
        "title": row[first] or row[second] or row["activity_id"],
        "kind": row["kind"],
        "status": row["status"],
        "start_date": row["start_date"],
        "end_date": row["end_date"],
        "budget": row["budget"],
        "spent": row["spent"],
        "progress": row["progress_pct"],
        "url": http_url(row["url"]),
    }


def _target(row: dict[str, Any], lang: str) -> dict[str, Any]:
    unit = row["unit"]
    return {
        "indicator": row["indicator"],
        "period": row["period_label"] or row["period_start"],
        "target": i18n.format_number(row["target"], lang, places=1) if unit != "share"
        else i18n.format_percent(row["target"], lang),
        "actual": i18n.format_number(row["actual"], lang, places=1) if unit != "share"
        else i18n.format_percent(row["actual"], lang),
        "met": None if row["actual"] is None or row["target"] is None else row["actual"] >= row["target"],
        "unit": unit,
        "source": row["source"],
    }


def _rejected(row: dict[str, Any], lang: str) -> dict[str, Any]:
    return dict(row, message=(row["message_fa"] or row["message"]) if lang == "fa" else row["message"])


def _data_links(datasette: Datasette, agency_id: str, lang: str) -> list[dict[str, str]]:
    out = []
    for table in tables.PUBLIC_TABLES:
        if table == "possible_duplicates":
            continue
        column = "id" if table == "agencies" else "agency_id"
        if column not in tables.columns(table):
            continue
        out.append({
            "title": i18n.table_title(table, lang),
            "html": table_href(datasette, table, **{column: agency_id}),
            "csv": table_href(datasette, table, format="csv", **{column: agency_id}),
            "json": table_href(datasette, table, format="json", **{column: agency_id}),
        })
    return out


async def _parent(datasette: Datasette, db: Any, parent: str | None, lang: str) -> dict[str, Any] | None:
    """The parent as a link when it is a published agency, else as the text the registry holds."""
    if not parent:
        return None
    row = await queries.agency_names(db, parent)
    if row is None:
        return {"name": parent, "href": None}
    return {"name": name(row, lang), "href": agency_href(datasette, row["id"], lang)}


# -- service


@dataclasses.dataclass
class _Month:
    period_start: str
    channels: dict[str, float]
    applications: float = 0.0
    completed: float = 0.0
    within_standard: float = 0.0
    satisfaction_weighted: float = 0.0
    satisfaction_applications: float = 0.0
    median_days: list[tuple[float, float]] = dataclasses.field(default_factory=list)

    def share(self, part: float) -> float | None:
        return part / self.applications if self.applications else None

    @property
    def satisfaction(self) -> float | None:
        return self.satisfaction_weighted / self.satisfaction_applications if self.satisfaction_applications else None

    @property
    def days(self) -> float | None:
        """Median days across channels, weighted by applications (an approximation, said on the page)."""
        weight = sum(w for _, w in self.median_days)
        return sum(d * w for d, w in self.median_days) / weight if weight else None


async def service(request: Request, datasette: Datasette) -> Response:
    """``/agencies/<id>/services/<service_id>``: one service's monthly figures, by channel."""
    lang = language.request_language(request)
    db = datasette.get_database(DATABASE)
    agency_id = request.url_vars["agency_id"]
    service_id = request.url_vars["service_id"]
    agency_row = await queries.agency(db, agency_id)
    row = await queries.service(db, agency_id, service_id) if agency_row else None
    if row is None:
        return await not_found(request, datasette)
    rtl = i18n.DIRECTION[lang] == "rtl"
    months = _months(await queries.service_months(db, agency_id, service_id, months=TREND_MONTHS))
    channels = sorted({c for m in months for c in m.channels})
    rows_href = table_href(datasette, "service_performance", agency_id=agency_id, service_id=service_id)
    context = {
        "agency": {"name": name(agency_row, lang), "href": agency_href(datasette, agency_id, lang)},
        "service": {
            "id": service_id,
            "name": name(row, lang, id_key="service_id"),
            "description": row["description"],
            "audience": row["audience"],
            "category": row["category"],
            "how_to": http_url(row["how_to_url"]),
            "standard_days": row["standard_days"],
            "fee": row["fee"],
            "withdrawn": row.get("withdrawn"),
            "online_stages": [
                {"label": i18n.gettext(label, lang), "online": row[column]} for column, label in i18n.ONLINE_STAGES
            ],
            "marks": {column: row[column] for column in MARKED_COLUMNS},
        },
        "field_titles": {
            column: i18n.field_title("services", column, lang)
            for column in ("description", "audience", "category", "standard_days", "fee", *MARKED_COLUMNS)
        },
        "months": months,
        "channels": [{"key": c, "label": i18n.channel_label(c, lang)} for c in channels],
        "table": [
            {
                "month": i18n.month_label(m.period_start, lang),
                "applications": i18n.format_number(m.applications, lang),
                "by_channel": [i18n.format_number(m.channels.get(c), lang) for c in channels],
                "completed": i18n.format_percent(m.share(m.completed), lang),
                "within_standard": i18n.format_percent(m.share(m.within_standard), lang),
                "satisfaction": i18n.format_number(m.satisfaction, lang, places=1),
                "days": i18n.format_number(m.days, lang, places=1),
            }
            for m in months
        ],
        "channels_chart": _channels_chart(months, channels, lang, rtl),
        "shares_chart": _shares_chart(months, lang, rtl),
        "days_chart": _days_chart(months, row["standard_days"], lang, rtl),
        "standards": await queries.service_standards(db, agency_id, service_id, limit=TREND_MONTHS),
        "rows_href": rows_href,
        "rows_csv_href": table_href(datasette, "service_performance", format="csv",
                                    agency_id=agency_id, service_id=service_id),
        "service_row_href": table_href(datasette, "services", agency_id=agency_id, service_id=service_id),
    }
    return await render(datasette, request, "shafaf_service.html", context)


def _months(rows: list[dict[str, Any]]) -> list[_Month]:
    months: dict[str, _Month] = {}
    for row in rows:
        month = months.setdefault(row["period_start"], _Month(row["period_start"], {}))
        applications = row["applications"] or 0
        month.channels[row["channel"] or "other"] = month.channels.get(row["channel"] or "other", 0) + applications
        month.applications += applications
        month.completed += row["completed"] or 0
        month.within_standard += row["within_standard"] or 0
        if row["satisfaction"] is not None and applications:
            month.satisfaction_weighted += row["satisfaction"] * applications
            month.satisfaction_applications += applications
        if row["median_days"] is not None and applications:
            month.median_days.append((row["median_days"], applications))
    return [months[key] for key in sorted(months)]


def _axis(month: _Month) -> str:
    return month.period_start[:7]


def _channels_chart(months: list[_Month], channels: list[str], lang: str, rtl: bool) -> Any:
    if not months:
        return ""
    return charts.bar_chart(
        [charts.Segment(i18n.channel_label(c, lang), charts.channel_class(c)) for c in channels],
        {_axis(m): [m.channels.get(c) for c in channels] for m in months},
        title=i18n.gettext("Applications by month and channel", lang),
        description=i18n.gettext("Each bar is one month; its parts are the channels the applications came by.", lang),
        rtl=rtl, digits=lambda text: i18n.digits(text, lang),
        y_format=lambda v: i18n.format_number(v, lang),
    )


def _shares_chart(months: list[_Month], lang: str, rtl: bool) -> Any:
    if not months:
        return ""
    return charts.line_chart(
        [
            charts.Series(i18n.gettext("Completed", lang), [(_axis(m), m.share(m.completed)) for m in months],
                          "completed"),
            charts.Series(i18n.gettext("Within the standard time", lang),
                          [(_axis(m), m.share(m.within_standard)) for m in months], "within_standard"),
        ],
        title=i18n.gettext("Completed, and completed within the standard time, by month", lang),
        description=i18n.gettext("Shares of the month's applications.", lang),
        rtl=rtl, digits=lambda text: i18n.digits(text, lang),
        y_format=lambda v: i18n.format_percent(v, lang, places=0), y_min=0.0, y_max=1.0,
    )


def _days_chart(months: list[_Month], standard_days: float | None, lang: str, rtl: bool) -> Any:
    if not months or all(m.days is None for m in months):
        return ""
    series = [charts.Series(i18n.gettext("Processing days", lang), [(_axis(m), m.days) for m in months], "days")]
    if standard_days is not None:
        series.append(charts.Series(i18n.gettext("Standard", lang),
                                    [(_axis(m), float(standard_days)) for m in months], "required", dashed=True))
    return charts.line_chart(
        series,
        title=i18n.gettext("Processing days against the standard", lang),
        description=i18n.gettext("Median days from application to decision each month, against the days the "
                                 "service standard promises.", lang),
        rtl=rtl, digits=lambda text: i18n.digits(text, lang),
        y_format=lambda v: i18n.format_number(v, lang, places=1), y_min=0.0,
    )


# Routes, most specific first. The last one answers every other /agencies/...
# path with our 404 instead of Datasette's %-to-~ redirect; paths ending in "/"
# are left to Datasette, which redirects them to the path without it.
# ``\Z`` rather than ``$``, which would also match before a trailing newline.
ROUTES: list[tuple[str, Any]] = [
    (r"^/\Z", page_cache.kept(home)),
    (rf"^/agencies/(?P<agency_id>{AGENCY_ID_PATTERN})\Z", page_cache.kept(agency)),
    (rf"^/agencies/(?P<agency_id>{AGENCY_ID_PATTERN})/services/(?P<service_id>{SERVICE_ID_PATTERN})\Z",
     page_cache.kept(service)),
    (r"^/agencies/.*[^/]\Z", not_found),
]
