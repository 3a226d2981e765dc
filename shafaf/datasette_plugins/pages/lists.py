"""Cross-agency lists: possible duplicate services, rejected rows (data quality), and search.

Each reads one precomputed table (``possible_duplicates``, ``validation_errors``)
or the FTS5 index the publisher builds (``shafaf.search``), and links to the
Datasette table where every row can be filtered, downloaded or queried.
"""

from __future__ import annotations

import re
import sqlite3
from typing import TYPE_CHECKING, Any

from datasette import Request, Response

from shafaf.datasette_plugins import i18n, labels, language
from shafaf.datasette_plugins.common import (
    DATABASE,
    SERVICE_ID_PATTERN,
    agency_href,
    name,
    render,
    service_href,
    table_href,
)
from shafaf.datasette_plugins.pages import page_cache, queries
from shafaf.normalize.text import fold_digits
from shafaf.publish import search as fts

if TYPE_CHECKING:
    from datasette.app import Datasette

DUPLICATES_SHOWN = 500
REJECTED_SHOWN = 200
RESULTS_SHOWN = 50
QUERY_MAX_CHARS = 200


async def _agency_names(datasette: Datasette, lang: str) -> dict[str, dict[str, str]]:
    db = datasette.get_database(DATABASE)
    return {
        row["id"]: {"name": name(row, lang), "href": agency_href(datasette, row["id"], lang)}
        for row in await queries.agency_summaries(db)
    }


def _agency(agencies: dict[str, dict[str, str]], agency_id: str) -> dict[str, Any]:
    """The agency's name and page, or its id with no link when it is not published."""
    return agencies.get(agency_id) or {"name": agency_id, "href": None}


async def duplicates(request: Request, datasette: Datasette) -> Response:
    """``/duplicates``: services of different agencies whose names look alike."""
    lang = language.request_language(request)
    db = datasette.get_database(DATABASE)
    agencies = await _agency_names(datasette, lang)
    rows = await queries.possible_duplicates(db, limit=DUPLICATES_SHOWN)
    pairs = [
        {
            "a": {
                **_agency(agencies, r["agency_a"]),
                "service": r["name_a"] or r["service_a"],
                "service_href": service_href(datasette, r["agency_a"], r["service_a"], lang),
            },
            "b": {
                **_agency(agencies, r["agency_b"]),
                "service": r["name_b"] or r["service_b"],
                "service_href": service_href(datasette, r["agency_b"], r["service_b"], lang),
            },
            "score": i18n.format_percent(r["score"], lang, places=0),
            "method": r["method"],
        }
        for r in rows[:DUPLICATES_SHOWN]
    ]
    return await render(
        datasette,
        request,
        "shafaf_duplicates.html",
        {
            "pairs": pairs,
            "truncated": len(rows) > DUPLICATES_SHOWN,
            "table_href": table_href(datasette, "possible_duplicates"),
        },
    )


async def quality(request: Request, datasette: Datasette) -> Response:
    """``/quality``: every agency's rejected rows, with file, row, column, value and reason."""
    lang = language.request_language(request)
    db = datasette.get_database(DATABASE)
    agencies = await _agency_names(datasette, lang)
    rows = await queries.rejected_rows(db, None, limit=REJECTED_SHOWN)
    return await render(
        datasette,
        request,
        "shafaf_quality.html",
        {
            "counts": [
                dict(
                    c,
                    agency=_agency(agencies, c["agency_id"]),
                    dataset_title=labels.dataset(c["dataset"], lang),
                    href=table_href(datasette, "validation_errors", agency_id=c["agency_id"], dataset=c["dataset"]),
                )
                for c in await queries.rejected_counts(db)
            ],
            "rejected": [
                dict(labels.rejected_row(r, lang), agency=_agency(agencies, r["agency_id"]))
                for r in rows[:REJECTED_SHOWN]
            ],
            "truncated": len(rows) > REJECTED_SHOWN,
            "table_href": table_href(datasette, "validation_errors"),
            "scorecard_href": table_href(datasette, "agency_scorecard"),
        },
    )


async def search(request: Request, datasette: Datasette) -> Response:
    """``/search?q=``: services and activities of every agency holding every word of ``q``."""
    lang = language.request_language(request)
    query = (request.args.get("q") or "").strip()[:QUERY_MAX_CHARS]
    db = datasette.get_database(DATABASE)
    agencies = await _agency_names(datasette, lang)
    services: list[dict[str, Any]] = []
    activities: list[dict[str, Any]] = []
    if query:
        found_services = await db.execute_fn(
            lambda conn: (
                _by_code(conn, query)
                + [r for r in _search(conn, query, "services") if fold_digits(r["service_id"]).upper() != _code(query)]
            )
        )
        found_activities = await db.execute_fn(lambda conn: _search(conn, query, "activities"))
        services = [
            {
                "name": name(r, lang, id_key="service_id"),
                "agency": _agency(agencies, r["agency_id"]),
                "href": service_href(datasette, r["agency_id"], r["service_id"], lang),
                "code": r["service_id"],
                "snippet": snippet(r.get("description")),
            }
            for r in found_services[:RESULTS_SHOWN]
        ]
        first, second = ("title_fa", "title_en") if lang == "fa" else ("title_en", "title_fa")
        activities = [
            {
                "title": r.get(first) or r.get(second) or r["activity_id"],
                "agency": _agency(agencies, r["agency_id"]),
                "snippet": snippet(r.get(f"description_{lang}") or r.get("description")),
                "href": table_href(datasette, "activities", agency_id=r["agency_id"], activity_id=r["activity_id"]),
            }
            for r in found_activities
        ]
    return await render(
        datasette,
        request,
        "shafaf_search.html",
        {
            "query": query,
            "services": services,
            "activities": activities,
            "search_action": datasette.urls.path("/search"),
        },
    )


SNIPPET_CHARS = 160


def snippet(text: str | None) -> str | None:
    """The start of a result's description, cut between words: enough to tell two results apart."""
    if not text:
        return None
    text = " ".join(str(text).split())
    if len(text) <= SNIPPET_CHARS:
        return text
    cut = text[:SNIPPET_CHARS].rsplit(" ", 1)[0]
    return cut + " …"


def _code(query: str) -> str:
    return fold_digits(query.strip()).upper()


def _by_code(conn: sqlite3.Connection, query: str) -> list[dict[str, Any]]:
    """Services whose code is the query (``SA-0103``, ``sa-۰۱۰۳``): a citizen copies a code from a form.

    The search index holds names and descriptions, not codes (``standard.search_index``), so a code
    is looked up in ``services`` itself, its digits folded and its case ignored.
    """
    code = _code(query)
    if not re.fullmatch(SERVICE_ID_PATTERN, code):
        return []
    cursor = conn.execute(
        "SELECT rowid, * FROM services WHERE upper(service_id) = ? ORDER BY agency_id LIMIT ?", (code, RESULTS_SHOWN)
    )
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row)) for row in cursor]


def _search(conn: sqlite3.Connection, query: str, table: str) -> list[dict[str, Any]]:
    """``shafaf.search.search``; a database published before search existed has no index and finds nothing."""
    try:
        return fts.search(conn, query, table=table, limit=RESULTS_SHOWN)
    except sqlite3.OperationalError:
        return []


ROUTES: list[tuple[str, Any]] = [
    (r"^/duplicates\Z", page_cache.kept(duplicates)),
    (r"^/quality\Z", page_cache.kept(quality)),
    (r"^/search\Z", search),
]
