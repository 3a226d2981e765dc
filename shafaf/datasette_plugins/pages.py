"""The portal's own pages: home and an agency's transparency page.

Handlers declare only the arguments they use (``request, datasette``); they
read the published ``shafaf`` database through ``queries`` and render the
plugin's templates. Harvested values are passed to the templates as they are
stored: the templates print them through autoescape, and the only thing done
to them here is deciding whether a URL may become a link.
"""

from __future__ import annotations

import urllib.parse
from typing import TYPE_CHECKING, Any

from datasette import Request, Response

from .. import tables
from . import i18n, queries

if TYPE_CHECKING:  # datasette.app imports the plugins: importing it here would be circular
    from datasette.app import Datasette
    from datasette.database import Database

DATABASE = "shafaf"

# The agency id as the registry and the standard define it.
AGENCY_ID_PATTERN = r"[a-z0-9-]{1,64}"

SERVICES_SHOWN = 500
RUNS_SHOWN = 10
MARKED_COLUMNS: tuple[str, ...] = ("smart", "on_national_portal", "via_gsb")


async def home(request: Request, datasette: Datasette) -> Response:
    """``/``: the portal's agencies, each linking to its page."""
    lang = i18n.language(request.args.get("lang"))
    db = datasette.get_database(DATABASE)
    agencies = [
        {
            "name": _name(row, lang),
            "href": _href(datasette, f"/agencies/{urllib.parse.quote(row['id'])}", lang),
            "services": row["services"],
            "outcome": row["last_outcome"],
            "outcome_label": i18n.outcome_label(row["last_outcome"], lang),
        }
        for row in await queries.agency_summaries(db)
    ]
    return await _render(
        datasette, request, "shafaf_home.html", lang, {"agencies": agencies}, status=200
    )


async def agency(request: Request, datasette: Datasette) -> Response:
    """``/agencies/<id>``: one agency's figures, services, harvests and data links."""
    lang = i18n.language(request.args.get("lang"))
    db = datasette.get_database(DATABASE)
    agency_id = request.url_vars["agency_id"]
    row = await queries.agency(db, agency_id)
    if row is None:
        return await not_found(request, datasette)

    services = await queries.services(db, agency_id, lang=lang, limit=SERVICES_SHOWN)
    month = await queries.latest_month(db, agency_id)
    context = {
        "agency": {
            "name": _name(row, lang),
            "description": row["description_fa"] if lang == "fa" else row["description_en"],
            "website": _http_url(row["website"]),
            "parent": await _parent(datasette, db, row["parent"], lang),
        },
        "month": month,
        "month_rows_href": _month_rows_href(datasette, agency_id, month),
        "counts": await queries.service_counts(db, agency_id),
        "services_href": _table_href(datasette, "services", agency_id),
        "smart_href": _table_href(datasette, "services", agency_id, smart="1"),
        "services": [_service(s, lang) for s in services[:SERVICES_SHOWN]],
        "services_truncated": len(services) > SERVICES_SHOWN,
        "service_columns": {
            name: i18n.field_title("services", name, lang)
            for name in (*MARKED_COLUMNS, "standard_days", "how_to_url")
        },
        "runs": [
            dict(run, outcome_label=i18n.outcome_label(run["outcome"], lang))
            for run in await queries.harvest_runs(db, agency_id, limit=RUNS_SHOWN)
        ],
        "runs_href": _table_href(datasette, "harvest_runs", agency_id),
        "data_links": _data_links(datasette, agency_id, lang),
    }
    return await _render(datasette, request, "shafaf_agency.html", lang, context, status=200)


async def not_found(request: Request, datasette: Datasette) -> Response:
    """Our 404 page; it never repeats the path or id that was asked for."""
    lang = i18n.language(request.args.get("lang"))
    return await _render(datasette, request, "shafaf_404.html", lang, {}, status=404)


# Routes, most specific first. The last one answers every other /agencies/...
# path with our 404 instead of Datasette's %-to-~ redirect; paths ending in "/"
# are left to Datasette, which redirects them to the path without it.
# ``\Z`` rather than ``$``, which would also match before a trailing newline.
ROUTES: list[tuple[str, Any]] = [
    (r"^/\Z", home),
    (rf"^/agencies/(?P<agency_id>{AGENCY_ID_PATTERN})\Z", agency),
    (r"^/agencies/.*[^/]\Z", not_found),
]


async def _render(
    datasette: Datasette,
    request: Request,
    template: str,
    lang: str,
    context: dict[str, Any],
    *,
    status: int,
) -> Response:
    other = "en" if lang == "fa" else "fa"
    page = {
        "lang": lang,
        "dir": i18n.DIRECTION[lang],
        "L": i18n.labels(lang),
        "portal_title": datasette.metadata("title") or i18n.labels(lang)["portal_title"],
        "home_href": _href(datasette, "/", lang),
        "database_href": datasette.urls.database(DATABASE),
        "css_href": datasette.urls.static_plugins("shafaf", "shafaf.css"),
        # A query-only link keeps the current path without ever printing it.
        "switch_lang": other,
        "switch_href": f"?lang={other}",
        "switch_label": i18n.labels(lang)["switch_to"],
    }
    html = await datasette.render_template(template, {**page, **context}, request=request)
    return Response.html(html, status=status)


def _href(datasette: Datasette, path: str, lang: str) -> str:
    """A link to one of our pages that keeps the page language."""
    url = datasette.urls.path(path)
    return url if lang == i18n.DEFAULT_LANGUAGE else f"{url}?lang={lang}"


def _table_href(
    datasette: Datasette, table: str, agency_id: str, *, format: str | None = None, **filters: str
) -> str:
    """Datasette's page (or .csv/.json) of a public table, filtered to one agency."""
    column = "id" if table == "agencies" else "agency_id"
    params = {column: agency_id, **filters}
    if format == "csv":
        params["_stream"] = "on"  # every matching row, not just the first page
    return f"{datasette.urls.table(DATABASE, table, format=format)}?{urllib.parse.urlencode(params)}"


def _month_rows_href(
    datasette: Datasette, agency_id: str, month: dict[str, Any] | None
) -> str | None:
    if month is None:
        return None
    return _table_href(
        datasette,
        "service_performance",
        agency_id,
        period_start=month["period_start"],
        period_end=month["period_end"],
    )


def _data_links(datasette: Datasette, agency_id: str, lang: str) -> list[dict[str, str]]:
    return [
        {
            "title": i18n.table_title(table, lang),
            "html": _table_href(datasette, table, agency_id),
            "csv": _table_href(datasette, table, agency_id, format="csv"),
            "json": _table_href(datasette, table, agency_id, format="json"),
        }
        for table in tables.PUBLIC_TABLES
        if table == "agencies" or "agency_id" in tables.columns(table)  # links filter by agency
    ]


async def _parent(
    datasette: Datasette, db: Database, parent: str | None, lang: str
) -> dict[str, Any] | None:
    """The parent as a link when it is a published agency, else as the text the registry holds."""
    if not parent:
        return None
    row = await queries.agency_names(db, parent)
    if row is None:
        return {"name": parent, "href": None}
    return {
        "name": _name(row, lang),
        "href": _href(datasette, f"/agencies/{urllib.parse.quote(row['id'])}", lang),
    }


def _service(row: dict[str, Any], lang: str) -> dict[str, Any]:
    labels = i18n.labels(lang)
    return {
        "name": _name(row, lang, id_key="service_id"),
        "online_stages": [labels[key] for column, key in i18n.ONLINE_STAGES if row[column] == 1],
        "marks": {column: row[column] for column in MARKED_COLUMNS},
        "standard_days": row["standard_days"],
        "how_to": _http_url(row["how_to_url"]),
    }


def _name(row: dict[str, Any], lang: str, *, id_key: str = "id") -> str:
    """The name in the page language, else in the other one, else the id."""
    first, second = ("name_fa", "name_en") if lang == "fa" else ("name_en", "name_fa")
    return row[first] or row[second] or row[id_key]


def _http_url(value: str | None) -> str | None:
    """``value`` when it is an http(s) URL that may become a link; None otherwise.

    Anything else (``javascript:``, ``data:``, relative paths) is never linked.
    """
    if value and value.lower().startswith(("http://", "https://")):
        return value
    return None
