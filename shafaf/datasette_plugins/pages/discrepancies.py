"""``/discrepancies``: where an agency's reported figure and the portal's own computation from its rows differ.

Reads the ``discrepancies`` table the publisher builds (``shafaf.discrepancies``):
every agency's targets actual beside the value measured from its own
inventory or performance rows, flagged ones first. "Satisfaction is the main
criterion, not statistics", made checkable.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from datasette import Request, Response

from shafaf.datasette_plugins import i18n, labels, language
from shafaf.datasette_plugins.common import DATABASE, agency_href, name, render, table_href
from shafaf.datasette_plugins.i18n import N_
from shafaf.datasette_plugins.pages import queries
from shafaf.datasette_plugins.pages.figures import covers, figure

if TYPE_CHECKING:
    from datasette.app import Datasette

SHOWN = 500
FROM_TEXT = {
    "services": N_("today's services inventory"),
    "service_performance": N_("the period's monthly performance rows"),
}


async def discrepancies(request: Request, datasette: Datasette) -> Response:
    lang = language.request_language(request)
    db = datasette.get_database(DATABASE)
    rows = await queries.discrepancies(db, limit=SHOWN + 1)
    counts = await queries.discrepancy_counts(db)  # over every row, not only the ones shown
    return await render(
        datasette,
        request,
        "shafaf_discrepancies.html",
        {
            "rows": [_row(datasette, r, lang) for r in rows[:SHOWN]],
            "truncated": len(rows) > SHOWN,
            "flagged": figure("discrepancies:flagged", counts["flagged"], "figures", lang),
            "reported": figure("discrepancies:reported", counts["reported"], "figures", lang),
            "table_href": table_href(datasette, "discrepancies"),
            "flagged_href": table_href(datasette, "discrepancies", flagged=1),
        },
    )


def discrepancy_figures(row: dict[str, Any], lang: str) -> dict[str, Any]:
    """A discrepancies row's reported, measured and difference figures (here and on the agency's page).

    A measure from the period's performance rows covers the period; one from today's inventory covers today.
    The difference of two shares is in percentage points.
    """
    key = f"discrepancy:{row['agency_id']}:{row['indicator']}:{row['period_start']}"
    unit = row["measured_unit"]
    span = covers(row["period_start"], row["period_end"]) if row["measured_from"] == "service_performance" else None
    return {
        "reported": figure(f"{key}:reported", row["reported_as_measured"], unit, lang, covers=span),
        "measured": figure(f"{key}:measured", row["measured"], unit, lang, covers=span),
        "difference": figure(
            f"{key}:difference",
            row["difference"] * (100 if unit == "share" else 1),
            "percent" if unit == "share" else unit,
            lang,
            covers=span,
        ),
    }


def _row(datasette: Datasette, row: dict[str, Any], lang: str) -> dict[str, Any]:
    unit = row["measured_unit"]
    rows_href = (
        table_href(datasette, "service_performance", agency_id=row["agency_id"])
        if row["measured_from"] == "service_performance"
        else table_href(datasette, "services", agency_id=row["agency_id"])
    )
    return {
        "agency": {
            "id": row["agency_id"],
            "name": name(row, lang),
            "href": agency_href(datasette, row["agency_id"], lang),
        },
        "indicator": row["indicator"],
        "indicator_label": labels.target(row["indicator"], lang),
        "period": i18n.digits(row["period_label"] or row["period_start"], lang),
        **discrepancy_figures(row, lang),
        "points": unit in ("share", "percent"),
        "flagged": row["flagged"],
        "measured_from": i18n.gettext(FROM_TEXT.get(row["measured_from"], row["measured_from"]), lang),
        "rows": figure(
            f"discrepancy:{row['agency_id']}:{row['indicator']}:{row['period_start']}:rows",
            row["measured_rows"],
            "rows",
            lang,
        ),
        "rows_href": rows_href,
    }
