"""The smart-services plan on an agency's page, in its own terms: the year judged, the share it requires, the
agency's share and the gap in services, with the year before beside it, and the plan's years as a chart.

Shown only on a portal whose registry sets a plan (``smart_plan``): without
one, the scorecard has no plan years and this returns nothing.
"""

from __future__ import annotations

from typing import Any

from shafaf.datasette_plugins import i18n
from shafaf.datasette_plugins.pages import charts, queries
from shafaf.datasette_plugins.pages.figures import figure, year_covers
from shafaf.publish import smart_plan


def terms(agency_id: str, card: dict[str, Any], lang: str) -> list[dict[str, Any]]:
    """This year's verdict and last year's, each with the share required, the agency's share and the gap."""
    out = []
    for suffix, year_key, basis in (
        ("", "smart_year", None),
        ("_previous", "smart_year_previous", "smart_basis_previous"),
    ):
        status = card.get(f"smart_status{suffix}")
        year = card.get(year_key)
        if status is None or year is None:
            continue
        required = card.get("smart_required_share" if not suffix else "smart_required_previous")
        span = year_covers(year)
        out.append(
            {
                "year": i18n.digits(year, lang),
                "current": not suffix,
                "status": status,
                "required": figure(
                    f"agency:{agency_id}:smart_required{suffix}", required, "share", lang, places=0, covers=span
                ),
                "share": figure(
                    f"agency:{agency_id}:smart_share{suffix}",
                    card.get(f"smart_share{suffix}"),
                    "share",
                    lang,
                    better="higher",
                    covers=span,
                ),
                "gap": figure(
                    f"agency:{agency_id}:smart_gap{suffix}",
                    card.get("smart_gap_services" if not suffix else "smart_gap_previous"),
                    "services",
                    lang,
                    better="lower",
                    covers=span,
                ),
                "basis": card.get(basis) if basis else "inventory",
            }
        )
    return out


async def trajectory(
    db: Any, agency_id: str, card: dict[str, Any], targets: list[dict[str, Any]], lang: str, rtl: bool
) -> dict[str, Any] | None:
    """The plan's required share per Jalali year against the agency's share: its reported share for past years
    (``smart_plan.reported_share``, the verdict's own reading), today's inventory for the current one."""
    rows = await queries.yearly_indicators(db, agency_id, ("smart_required_share",))
    plan = {smart_plan.jalali_year_of(r["period_start"]): r["value"] for r in rows}
    if not plan:
        return None  # no plan on this portal
    reported = [(t["indicator"], t["period_start"], t["period_end"], t["actual"], t["unit"]) for t in targets]
    years: dict[str, dict[str, Any]] = {}
    for year in sorted(
        set(plan) | {smart_plan.jalali_year_of(t[1]) for t in reported if t[0] in smart_plan.SMART_TARGETS}
    ):
        actual = card.get("smart_share") if year == card.get("smart_year") else None
        if actual is None:
            actual = smart_plan.reported_share(reported, year)
        if year not in plan and actual is None:
            continue
        years[i18n.digits(year, lang)] = {"number": year, "required": plan.get(year), "actual": actual}
    ordered = list(years.items())
    required = charts.Series(
        i18n.gettext("Required by the plan", lang),
        [(y, e.get("required")) for y, e in ordered],
        "required",
        dashed=True,
    )
    actual = charts.Series(i18n.gettext("Actual", lang), [(y, e.get("actual")) for y, e in ordered], "actual")
    return {
        "chart": charts.line_chart(
            [required, actual],
            title=i18n.gettext("Smart services: required and actual share by year", lang),
            description=i18n.gettext(
                "The plan requires a larger share of the agency's services to be smart each year.", lang
            ),
            rtl=rtl,
            digits=lambda text: i18n.digits(text, lang),
            y_format=lambda v: i18n.format_percent(v, lang, places=0),
            y_min=0.0,
            y_max=1.0,
            y_title=i18n.gettext("Share of services, percent", lang),
            x_title=i18n.gettext("Jalali year", lang),
        ),
        "rows": [
            (
                y,
                *(
                    figure(
                        f"agency:{agency_id}:plan:{e['number']}:{what}",
                        e.get(what),
                        "share",
                        lang,
                        places=0,
                        covers=year_covers(e["number"]),
                    )
                    for what in ("required", "actual")
                ),
            )
            for y, e in ordered
        ],
    }
