"""Sources' availability in public view: ``/availability`` ranks every endpoint, an agency's page shows its own.

Reads the ``source_availability`` table the publisher builds from the run
history (``publish/availability.py``; definitions in docs/indicators.md):
"so that a failing service can be spotted and followed up". Endpoints rank
by their 30-day share of runs whose fetch succeeded (1 is the best; ties
share a rank), then by the 90-day share and the median fetch time; a source
with no counted run has no rank. A failing source says since when, how many
runs in a row, and the reason of its last failure.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from datasette import Request, Response
from datasette.database import Database

from shafaf.datasette_plugins import i18n, labels, language
from shafaf.datasette_plugins.common import DATABASE, agency_href, name, render, table_href
from shafaf.datasette_plugins.i18n import N_
from shafaf.datasette_plugins.pages.figures import figure

if TYPE_CHECKING:
    from datasette.app import Datasette

TABLE = "source_availability"
SHOWN = 500
STATUS_TEXT = {"up": N_("up"), "failing": N_("failing"), "unknown": N_("no run yet")}
_COLUMNS = (
    "a.agency_id, a.source_id, a.dataset, a.kind, a.location, a.runs_30d, a.success_share_30d, "
    "a.median_fetch_ms_30d, a.p95_fetch_ms_30d, a.runs_90d, a.success_share_90d, a.median_fetch_ms_90d, "
    "a.p95_fetch_ms_90d, a.last_success, a.last_failure, a.last_failure_reason, a.last_failure_message, "
    "a.consecutive_failures, a.failing_since, a.status"
)
_ORDER = (
    "a.success_share_30d is null, a.success_share_30d desc, a.success_share_90d desc, "
    "a.median_fetch_ms_30d is null, a.median_fetch_ms_30d, a.agency_id, a.source_id"
)


async def _rows(db: Database, agency_id: str | None = None, *, limit: int = SHOWN) -> list[dict[str, Any]]:
    if TABLE not in await db.table_names():  # a database published before issue 23
        return []
    where = "where a.agency_id = :agency_id" if agency_id else ""
    results = await db.execute(
        f"select {_COLUMNS}, g.name_fa, g.name_en from {TABLE} a left join agencies g on g.id = a.agency_id "
        f"{where} order by {_ORDER} limit :limit",
        {"agency_id": agency_id, "limit": limit},
    )
    return [dict(r) for r in results.rows]


def ranked(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Competition ranks (1, 1, 3) on the 30-day success share; none without a counted run."""
    out, rank, previous = [], 0, None
    for position, row in enumerate(rows, start=1):
        share = row["success_share_30d"]
        if share is not None and share != previous:
            rank, previous = position, share
        out.append(dict(row, rank=rank if share is not None else None))
    return out


def _view(datasette: Datasette, row: dict[str, Any], lang: str) -> dict[str, Any]:
    key = f"availability:{row['agency_id']}:{row['source_id']}"
    return {
        "rank": row.get("rank"),
        "agency": {
            "id": row["agency_id"],
            "name": name({**row, "id": row["agency_id"]}, lang),
            "href": agency_href(datasette, row["agency_id"], lang),
        },
        "source_id": row["source_id"],
        "dataset": labels.dataset(row["dataset"], lang) or row["dataset"],
        "kind": labels.source_kind(row["kind"], lang) or row["kind"],
        "location": row["location"],
        "status": row["status"],
        "status_label": i18n.gettext(STATUS_TEXT.get(row["status"], row["status"]), lang),
        **{
            f"{what}_{days}": figure(f"{key}:{what}_{days}", row[f"{column}_{days}"], unit, lang, better=better)
            for days in ("30d", "90d")
            for what, column, unit, better in (
                ("share", "success_share", "share", "higher"),
                ("runs", "runs", "runs", None),
                ("median", "median_fetch_ms", "milliseconds", "lower"),
                ("p95", "p95_fetch_ms", "milliseconds", "lower"),
            )
        },
        "failures": figure(f"{key}:consecutive_failures", row["consecutive_failures"], "runs", lang, better="lower"),
        "failing_since": row["failing_since"],
        "last_failure": row["last_failure"],
        "last_failure_reason": row["last_failure_reason"],
        "last_failure_message": row["last_failure_message"],
        "last_success": row["last_success"],
        "runs_href": table_href(datasette, "harvest_runs", agency_id=row["agency_id"], source_id=row["source_id"]),
    }


async def panel(datasette: Datasette, agency_id: str, lang: str) -> dict[str, Any]:
    """The agency page's part: each of its sources' availability."""
    db = datasette.get_database(DATABASE)
    rows = await _rows(db, agency_id)
    return {"availability": [_view(datasette, r, lang) for r in rows]}  # the link: the layout's availability_href


async def availability(request: Request, datasette: Datasette) -> Response:
    lang = language.request_language(request)
    db = datasette.get_database(DATABASE)
    rows = ranked(await _rows(db, limit=SHOWN + 1))
    failing = [r for r in rows if r["status"] == "failing"]
    return await render(
        datasette,
        request,
        "shafaf_availability.html",
        {
            "rows": [_view(datasette, r, lang) for r in rows[:SHOWN]],
            "failing": [_view(datasette, r, lang) for r in failing],
            "truncated": len(rows) > SHOWN,
            "table_href": table_href(datasette, TABLE),
            "failing_href": table_href(datasette, TABLE, status="failing"),
        },
    )
