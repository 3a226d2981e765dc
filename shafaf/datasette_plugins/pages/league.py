"""The home page: national figures and the league table, every agency compared over the same months.

The league ranks only the agencies compared on the portal's reference
window (``agency_scorecard.ranked``); an agency with no data in the window,
or whose data is stale, is listed apart with the reason and the month its
data ends, never ranked on older months. The caption names the window. The
smart-services headline names the year it judges and the share that year
requires, and gives the year before beside it.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from datasette import Request, Response

from shafaf.datasette_plugins import i18n, language
from shafaf.datasette_plugins.common import DATABASE, agency_href, name, render, table_href
from shafaf.datasette_plugins.i18n import N_
from shafaf.datasette_plugins.pages import harvest_status, queries
from shafaf.datasette_plugins.pages.figures import covers, figure, year_covers
from shafaf.publish.reference import month_of
from shafaf.publish.scorecard_defs import BY_COLUMN
from shafaf.standard.indicator_defs import BY_NAME

if TYPE_CHECKING:
    from datasette.app import Datasette

# The league table's columns: (key, scorecard column). The key is ?sort=; units and directions come from the
# indicator behind the column.
LEAGUE: tuple[tuple[str, str], ...] = (
    ("transparency", "transparency_score"),
    ("smart", "share_smart"),
    ("online", "share_fully_online"),
    ("takeup", "digital_takeup_12m"),
    ("satisfaction", "satisfaction_12m"),
    ("within_standard", "within_standard_12m"),
    ("validity", "validity"),
)
UNRANKED_TEXT = {
    "no_performance_data": N_("no performance data published"),
    "no_data_in_window": N_("no performance data in the reference window"),
    "stale": N_("data stale"),
}


def _unit(column: str) -> str:
    return BY_NAME[BY_COLUMN[column].indicator].unit


async def home(request: Request, datasette: Datasette) -> Response:
    """``/``: the national headline figures and the league table of agencies."""
    lang = language.request_language(request)
    db = datasette.get_database(DATABASE)
    sort = request.args.get("sort")
    sort = sort if sort in {key for key, _ in LEAGUE} | {"name"} else "transparency"
    rows = await queries.scorecards(db)
    stale_sources = await harvest_status.stale_agencies(datasette)
    window = _window(rows, lang)
    ranked = [_league_row(datasette, row, lang, stale_sources) for row in rows if row.get("ranked") == 1]
    apart = [_apart_row(datasette, row, lang, stale_sources) for row in rows if row.get("ranked") != 1]
    ranked.sort(key=_league_sort_key(sort))
    apart.sort(key=lambda row: (row["name"], row["id"]))
    return await render(
        datasette,
        request,
        "shafaf_home.html",
        {
            "national": _national(await queries.national(db), window, lang),
            "smart": await _smart_headline(db, lang),
            "smart_year": next((i18n.digits(r["smart_year"], lang) for r in rows if r.get("smart_year")), None),
            "window": window,
            "agencies": ranked,
            "apart": apart,
            "columns": [
                {
                    "key": key,
                    "title": i18n.indicator_title(BY_COLUMN[column].indicator, lang),
                    "href": _sort_href(key, lang),
                    "sorted": key == sort,
                    "order": "descending" if BY_COLUMN[column].better != "lower" else "ascending",
                }
                for key, column in LEAGUE
            ],
            "name_sort_href": _sort_href("name", lang),
            "sorted_by_name": sort == "name",
            "search_action": datasette.urls.path("/search"),
            "scorecard_href": table_href(datasette, "agency_scorecard"),
            "discrepancies_href": datasette.urls.path("/discrepancies") + ("" if lang == "fa" else f"?lang={lang}"),
        },
    )


def _window(rows: list[dict[str, Any]], lang: str) -> dict[str, Any] | None:
    """The portal's reference window, as every scorecard row states it."""
    row = next((r for r in rows if r.get("period_start_12m")), None)
    if row is None:
        return None
    last = row["reference_month"]
    calendar = "jalali" if int(last.split("-")[0]) < 1700 else "gregorian"
    first = month_of(dt.date.fromisoformat(row["period_start_12m"]), calendar).label
    return {
        "start": row["period_start_12m"],
        "end": row["period_end_12m"],
        "reference_month": last,
        "text": i18n.month_span(first, last, lang),
        "dates": (i18n.date_pair(row["period_start_12m"], lang)[0], i18n.date_pair(row["period_end_12m"], lang)[0]),
    }


def _national(row: dict[str, Any], window: dict[str, Any] | None, lang: str) -> dict[str, Any]:
    span = covers(window["start"], window["end"]) if window else None
    return {
        "services": figure("national:services", row["services"], "services", lang),
        "share_fully_online": figure(
            "national:share_fully_online", row["share_fully_online"], "share", lang, better="higher"
        ),
        "digital_takeup": figure(
            "national:digital_takeup", row["digital_takeup"], "share", lang, better="higher", covers=span
        ),
        "satisfaction": figure(
            "national:satisfaction", row["satisfaction"], "percent", lang, better="higher", covers=span
        ),
        "agencies": row["agencies"],
    }


async def _smart_headline(db: Any, lang: str) -> list[dict[str, Any]]:
    """For this Jalali year and the year before: the share the plan requires, and how many agencies meet it."""
    out = []
    for row in await queries.smart_years(db):
        span = year_covers(row["year"])
        out.append(
            {
                "year": i18n.digits(row["year"], lang),
                "required": figure(
                    f"national:smart_required:{row['year']}", row["required"], "share", lang, places=0, covers=span
                ),
                "on_track": figure(
                    f"national:smart_on_track:{row['year']}",
                    row["on_track"],
                    "agencies",
                    lang,
                    better="higher",
                    covers=span,
                ),
                "judged": figure(f"national:smart_judged:{row['year']}", row["judged"], "agencies", lang, covers=span),
                "current": row["current"],
            }
        )
    return out


def _league_row(datasette: Datasette, row: dict[str, Any], lang: str, stale: dict[str, list[str]]) -> dict[str, Any]:
    agency_id = row["id"]
    window = covers(row.get("period_start_12m"), row.get("period_end_12m"))
    return {
        "id": agency_id,
        "name": name(row, lang),
        "href": agency_href(datasette, agency_id, lang),
        "values": {key: row.get(column) for key, column in LEAGUE},
        "cells": [
            figure(
                f"agency:{agency_id}:{column}",
                row.get(column),
                _unit(column),
                lang,
                better=BY_COLUMN[column].better,
                covers=window if column.endswith("_12m") else None,
            )
            for _, column in LEAGUE
        ],
        "smart_status": row.get("smart_status"),
        "harvest_stale": agency_id in stale,
        "last_good_harvest": row.get("last_good_harvest"),
        "outcome": row.get("last_outcome"),
        "outcome_label": i18n.outcome_label(row.get("last_outcome"), lang),
    }


def _apart_row(datasette: Datasette, row: dict[str, Any], lang: str, stale: dict[str, list[str]]) -> dict[str, Any]:
    reason = row.get("unranked_reason") or "no_performance_data"
    return {
        "id": row["id"],
        "name": name(row, lang),
        "href": agency_href(datasette, row["id"], lang),
        "reason": reason,
        "reason_text": i18n.gettext(UNRANKED_TEXT.get(reason, reason), lang),
        "data_ends": i18n.calendar_month(row.get("data_last_month"), lang) if row.get("data_last_month") else None,
        "months_behind": figure(
            f"agency:{row['id']}:data_months_behind", row.get("data_months_behind"), "months", lang, better="lower"
        ),
        "transparency": figure(
            f"agency:{row['id']}:transparency_score", row.get("transparency_score"), "score", lang, better="higher"
        ),
        "harvest_stale": row["id"] in stale,
    }


def _league_sort_key(sort: str) -> Any:
    """Best first on the chosen column; agencies with no value last; ties by id."""
    if sort == "name":
        return lambda row: (row["name"], row["id"])
    column = dict(LEAGUE)[sort]
    higher = BY_COLUMN[column].better != "lower"

    def key(row: dict[str, Any]) -> tuple[Any, ...]:
        value = row["values"][sort]
        if value is None:
            return (1, 0.0, row["id"])
        return (0, -value if higher else value, row["id"])

    return key


def _sort_href(key: str, lang: str) -> str:
    query = {"sort": key} if lang == i18n.DEFAULT_LANGUAGE else {"sort": key, "lang": lang}
    return "?" + "&".join(f"{k}={v}" for k, v in query.items()) + "#league"
