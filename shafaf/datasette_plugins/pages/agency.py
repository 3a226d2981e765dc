"""An agency's transparency page: its scorecard (each figure with the months it covers), the score's parts, its data
age, the smart-services plan in its own terms, services, activities, targets judged in their direction and beside
what the portal measures, harvests, rejected rows and downloads.

Reads only precomputed tables (``agency_scorecard``, ``indicators``, ``data_coverage``, ``discrepancies``)
through ``queries``; the plan's terms are in ``agency_plan``.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from datasette import Request, Response

from shafaf.datasette_plugins import i18n, labels, language
from shafaf.datasette_plugins.common import (
    DATABASE,
    agency_href,
    bilingual,
    http_url,
    name,
    not_found,
    render,
    service_href,
    sql_href,
    table_href,
)
from shafaf.datasette_plugins.i18n import N_
from shafaf.datasette_plugins.pages import agency_plan, availability, charts, harvest_status, queries
from shafaf.datasette_plugins.pages.discrepancies import discrepancy_figures
from shafaf.datasette_plugins.pages.figures import covers, figure
from shafaf.publish.reference import month_of
from shafaf.publish.scorecard_defs import BY_COLUMN
from shafaf.standard import tables
from shafaf.standard.indicator_defs import BY_NAME, LAST_12_MONTHS, SCORE_PARTS, SCORE_WEIGHTS

if TYPE_CHECKING:
    from datasette.app import Datasette

SERVICES_SHOWN = 500
ACTIVITIES_SHOWN = 200
RUNS_SHOWN = 10
REJECTED_SHOWN = 50
TREND_MONTHS = 24
MARKED_COLUMNS: tuple[str, ...] = ("smart", "on_national_portal", "via_gsb")

# Scorecard rows shown on the agency page, in reading order; each is one agency_scorecard column.
SCORECARD_SHOWN: tuple[str, ...] = (
    "services",
    "share_fully_online",
    "share_smart",
    "share_national_portal",
    "share_gsb",
    "applications_12m",
    "digital_takeup_12m",
    "completion_rate_12m",
    "within_standard_12m",
    "median_days_12m",
    "satisfaction_12m",
    "complaints_per_1000_12m",
    "availability_12m",
    "data_months_behind",
    "freshness_days",
    "transparency_score",
)
BETTER_TEXT = {"higher": N_("higher is better"), "lower": N_("lower is better")}


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
    trend_names = tuple(BY_COLUMN[c].indicator for c in SCORECARD_SHOWN if BY_COLUMN[c].window == LAST_12_MONTHS)
    trends = await queries.monthly_indicators(db, agency_id, trend_names, months=TREND_MONTHS)
    services = await queries.services(db, agency_id, lang=lang, limit=SERVICES_SHOWN)
    activities = await queries.activities(db, agency_id, limit=ACTIVITIES_SHOWN)
    rejected = await queries.rejected_rows(db, agency_id, limit=REJECTED_SHOWN)
    populations = await queries.rank_populations(db)
    measured = {(d["indicator"], d["period_start"]): d for d in await queries.discrepancies(db, agency_id=agency_id)}
    targets = await queries.targets(db, agency_id)
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
        "validity": figure(f"agency:{agency_id}:validity", card.get("validity"), "share", lang, better="higher"),
        "window": _window_text(card, lang),
        "compared": _compared(card, lang),
        "scorecard": [
            _scorecard_row(datasette, agency_id, column, card, trends, populations, lang, rtl)
            for column in SCORECARD_SHOWN
        ],
        "score_parts": _score_parts(agency_id, card, lang),
        "coverage": [_coverage_row(c, lang) for c in await queries.data_coverage(db, agency_id)],
        "trajectory": await agency_plan.trajectory(db, agency_id, card, targets, lang, rtl),
        "plan": agency_plan.terms(agency_id, card, lang),
        "applications_chart": _applications_chart(agency_id, trends.get("applications", []), lang, rtl),
        "services": [_service(datasette, agency_id, s, lang) for s in services[:SERVICES_SHOWN]],
        "services_truncated": len(services) > SERVICES_SHOWN,
        "services_href": table_href(datasette, "services", agency_id=agency_id),
        "service_columns": {
            column: i18n.field_title("services", column, lang)
            for column in (*MARKED_COLUMNS, "standard_days", "how_to_url")
        },
        "activities": [_activity(a, lang) for a in activities[:ACTIVITIES_SHOWN]],
        "activities_href": table_href(datasette, "activities", agency_id=agency_id),
        "targets": [_target(agency_id, t, measured, lang) for t in targets],
        "targets_href": table_href(datasette, "targets", agency_id=agency_id),
        "discrepancies_href": table_href(datasette, "discrepancies", agency_id=agency_id),
        "runs": [
            dict(
                run,
                outcome_label=i18n.outcome_label(run["outcome"], lang),
                dataset_title=labels.dataset(run["dataset"], lang),
            )
            for run in await queries.harvest_runs(db, agency_id, limit=RUNS_SHOWN)
        ],
        "runs_href": table_href(datasette, "harvest_runs", agency_id=agency_id),
        **await harvest_status.panel(datasette, agency_id, lang),  # schedules, next runs, stale, queued requests
        **await availability.panel(datasette, agency_id, lang),  # each source's availability (issue 23)
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


def _window_text(card: dict[str, Any], lang: str) -> dict[str, Any] | None:
    """The reference window the *_12m figures cover, and how many of its months the agency's data covers."""
    if not card.get("period_start_12m"):
        return None
    last = card["reference_month"]
    calendar = "jalali" if int(last.split("-")[0]) < 1700 else "gregorian"
    first = month_of(dt.date.fromisoformat(card["period_start_12m"]), calendar).label
    return {
        "text": i18n.month_span(first, last, lang),
        "covered": figure(
            f"agency:{card['agency_id']}:window_months_covered",
            card.get("window_months_covered") or 0,
            "months",
            lang,
            covers=covers(card["period_start_12m"], card["period_end_12m"]),
        ),
        "start": card["period_start_12m"],
        "end": card["period_end_12m"],
    }


def _compared(card: dict[str, Any], lang: str) -> dict[str, Any] | None:
    """Why the agency is listed apart from the league table, when it is."""
    if not card or card.get("ranked") == 1:
        return None
    from shafaf.datasette_plugins.pages.league import UNRANKED_TEXT

    reason = card.get("unranked_reason") or "no_performance_data"
    return {
        "reason": reason,
        "text": i18n.gettext(UNRANKED_TEXT.get(reason, reason), lang),
        "data_ends": i18n.calendar_month(card.get("data_last_month"), lang) if card.get("data_last_month") else None,
    }


def _scorecard_row(
    datasette: Datasette,
    agency_id: str,
    column: str,
    card: dict[str, Any],
    trends: dict[str, list[dict[str, Any]]],
    populations: dict[str, int],
    lang: str,
    rtl: bool,
) -> dict[str, Any]:
    spec = BY_COLUMN[column]
    definition = BY_NAME[spec.indicator]
    title = i18n.indicator_title(spec.indicator, lang)
    points = [(r["period_start"], r["value"]) for r in trends.get(spec.indicator, [])]
    span = covers(card.get("period_start_12m"), card.get("period_end_12m")) if spec.window == LAST_12_MONTHS else None
    return {
        "title": title,
        "formula": definition.formula_fa if lang == "fa" else definition.formula_en,
        "value": figure(
            f"agency:{agency_id}:{column}",
            card.get(column),
            definition.unit,
            lang,
            better=definition.better,
            covers=span,
        ),
        "window": spec.window,
        "better": i18n.gettext(BETTER_TEXT[definition.better], lang) if definition.better else None,
        "rank": _rank(agency_id, spec.rank, card, populations, lang),
        "trend": charts.sparkline(points, label=title, rtl=rtl) if points else "",
        "trend_ends": _trend_ends(points, definition.unit, lang),
        "unit": labels.figure_unit(definition.unit, lang),
        "href": table_href(datasette, "indicators", agency_id=agency_id, indicator=spec.indicator, window=spec.window),
    }


def _trend_ends(points: list[tuple[str, Any]], unit: str | None, lang: str) -> dict[str, str] | None:
    """The first and last values of a sparkline, with their months: a phone cannot hover a line to read it."""
    known = [(start, value) for start, value in points if value is not None]
    if not known:
        return None
    (first_month, first), (last_month, last) = known[0], known[-1]
    return {
        "first": i18n.format_value(first, unit, lang),
        "first_month": i18n.month_label(first_month, lang),
        "last": i18n.format_value(last, unit, lang),
        "last_month": i18n.month_label(last_month, lang),
    }


def _rank(
    agency_id: str, rank: str | None, card: dict[str, Any], populations: dict[str, int], lang: str
) -> dict[str, Any] | None:
    """The agency's rank on a column that ranks agencies, and how many it is ranked among ("3 of 6")."""
    if rank is None or card.get(rank) is None:
        return None
    return {
        "rank": figure(f"agency:{agency_id}:rank:{rank}", card[rank], "rank", lang),
        "of": figure(f"ranked:{rank}", populations.get(rank), "agencies", lang),
    }


def _score_parts(agency_id: str, card: dict[str, Any], lang: str) -> list[dict[str, Any]]:
    """The transparency score's parts: each value (a share), its weight and the points it brings."""
    out = []
    for part in SCORE_PARTS:
        value = card.get(part)
        points = None if value is None else SCORE_WEIGHTS[part] * value
        out.append(
            {
                "title": i18n.indicator_title(part, lang),
                "formula": BY_NAME[part].formula_fa if lang == "fa" else BY_NAME[part].formula_en,
                "value": figure(f"agency:{agency_id}:{part}", value, "share", lang, better="higher"),
                "weight": i18n.digits(SCORE_WEIGHTS[part], lang),
                "points": figure(f"agency:{agency_id}:points:{part}", points, "score", lang, better="higher"),
            }
        )
    return out


def _coverage_row(row: dict[str, Any], lang: str) -> dict[str, Any]:
    return {
        "dataset": row["dataset"],
        "title": i18n.table_title(row["dataset"], lang),
        "rows": figure(f"coverage:{row['agency_id']}:{row['dataset']}:rows", row["rows"], "rows", lang),
        "last_date": row["last_date"],
        "last_month": i18n.calendar_month(row["last_month"], lang) if row["last_month"] else None,
        "months_behind": figure(
            f"coverage:{row['agency_id']}:{row['dataset']}", row["months_behind"], "months", lang, better="lower"
        ),
        "stale": row["stale"],
    }


def _target(
    agency_id: str, row: dict[str, Any], measured: dict[tuple[str, str], dict[str, Any]], lang: str
) -> dict[str, Any]:
    unit = row["unit"]
    found = measured.get((row["indicator"], row["period_start"]))
    key = f"agency:{agency_id}:target:{row['indicator']}:{row['period_start']}"
    span = covers(row["period_start"], row["period_end"])
    return {
        "indicator": row["indicator"],
        "indicator_label": labels.target(row["indicator"], lang),
        "period": i18n.digits(row["period_label"] or row["period_start"], lang),
        "target": figure(f"{key}:target", row["target"], unit, lang, places=1, covers=span),
        "actual": figure(f"{key}:actual", row["actual"], unit, lang, places=1, covers=span),
        "unit": unit,
        "unit_label": labels.unit(unit, lang),
        "direction": row["direction_used"],
        "direction_text": i18n.gettext(BETTER_TEXT[row["direction_used"]], lang) if row["direction_used"] else None,
        "met": row["met"],
        "measured": None
        if found is None
        else {"value": discrepancy_figures(found, lang)["measured"], "flagged": found["flagged"]},
        "source": row["source"],
    }


def _applications_chart(agency_id: str, points: list[dict[str, Any]], lang: str, rtl: bool) -> dict[str, Any] | None:
    if not points:
        return None
    series = charts.Series(
        i18n.gettext("Applications", lang), [(r["period_start"][:7], r["value"]) for r in points], "applications"
    )
    return {
        "chart": charts.line_chart(
            [series],
            title=i18n.gettext("Applications by month", lang),
            description=i18n.gettext(
                "Applications the agency reported for each month, all services and channels.", lang
            ),
            rtl=rtl,
            digits=lambda text: i18n.digits(text, lang),
            y_format=lambda v: i18n.format_number(v, lang),
            y_min=0.0,
            y_title=i18n.gettext("Applications", lang),
            x_title=i18n.gettext("Month", lang),
            x_labels={r["period_start"][:7]: i18n.month_label(r["period_start"], lang) for r in points},
        ),
        "rows": [
            (
                i18n.month_label(r["period_start"], lang),
                figure(
                    f"agency:{agency_id}:month:{r['period_start']}:applications",
                    r["value"],
                    "applications",
                    lang,
                    covers=covers(r["period_start"], r["period_end"]),
                ),
            )
            for r in points
        ],
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
        "status_label": labels.activity_status(row["status"], lang),
        "start_date": row["start_date"],
        "end_date": row["end_date"],
        "budget": row["budget"],
        "spent": row["spent"],
        "over_budget": row["budget"] is not None and row["spent"] is not None and row["spent"] > row["budget"],
        "progress": row["progress_pct"],
        "url": http_url(row["url"]),
    }


def _rejected(row: dict[str, Any], lang: str) -> dict[str, Any]:
    return labels.rejected_row(row, lang)


def _data_links(datasette: Datasette, agency_id: str, lang: str) -> list[dict[str, str]]:
    out = []
    for table in tables.PUBLIC_TABLES:
        if table == "possible_duplicates":
            continue
        column = "id" if table == "agencies" else "agency_id"
        if column not in tables.columns(table):
            continue
        out.append(
            {
                "title": i18n.table_title(table, lang),
                "html": table_href(datasette, table, **{column: agency_id}),
                "csv": table_href(datasette, table, format="csv", **{column: agency_id}),
                "json": table_href(datasette, table, format="json", **{column: agency_id}),
            }
        )
    return out


async def _parent(datasette: Datasette, db: Any, parent: str | None, lang: str) -> dict[str, Any] | None:
    """The parent as a link when it is a published agency, else as the text the registry holds."""
    if not parent:
        return None
    row = await queries.agency_names(db, parent)
    if row is None:
        return {"name": bilingual(parent, lang), "href": None}
    return {"name": name(row, lang), "href": agency_href(datasette, row["id"], lang)}
