"""A service's page: its inventory row, and its monthly figures by channel with the charts drawn from them.

A month's figures are the agency's indicators over one service's rows, by the same formulas
(``shafaf.performance``): completed over the applications of the rows that report both, within the
standard time over the completed, satisfaction weighted by applications, processing days the median of
the channels' medians weighted by completed. Every number of the monthly table is a figure
(``figures.figure``) with the month it covers, so the independent check reads it as it reads the
scorecard's.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

from datasette import Request, Response

from shafaf.datasette_plugins import i18n, labels, language
from shafaf.datasette_plugins.common import DATABASE, agency_href, http_url, name, not_found, render, table_href
from shafaf.datasette_plugins.pages import charts, queries, service_queries
from shafaf.datasette_plugins.pages.figures import covers, figure
from shafaf.publish import performance

if TYPE_CHECKING:
    from datasette.app import Datasette

TREND_MONTHS = 24
MARKED_COLUMNS: tuple[str, ...] = ("smart", "on_national_portal", "via_gsb")


@dataclasses.dataclass
class _Month:
    """One month of the service: its applications by channel and its figures, by the indicators' formulas."""

    period_start: str
    period_end: str
    applications: float | None
    channels: dict[str, float | None]
    figures: dict[str, float | None]  # performance.figures of the month's sums
    days: float | None  # performance.weighted_median of its rows

    def figure(self, name: str) -> float | None:
        return self.figures[name]


async def service(request: Request, datasette: Datasette) -> Response:
    """``/agencies/<id>/services/<service_id>``: one service's monthly figures, by channel."""
    lang = language.request_language(request)
    db = datasette.get_database(DATABASE)
    agency_id = request.url_vars["agency_id"]
    service_id = request.url_vars["service_id"]
    agency_row = await queries.agency(db, agency_id)
    row = await service_queries.service(db, agency_id, service_id) if agency_row else None
    if row is None:
        return await not_found(request, datasette)
    rtl = i18n.DIRECTION[lang] == "rtl"
    months = _months(
        await service_queries.service_month_sums(db, agency_id, service_id, months=TREND_MONTHS),
        await service_queries.service_months(db, agency_id, service_id, months=TREND_MONTHS),
    )
    channels = sorted({c for m in months for c in m.channels})
    rows_href = table_href(datasette, "service_performance", agency_id=agency_id, service_id=service_id)
    context = {
        "agency": {"name": name(agency_row, lang), "href": agency_href(datasette, agency_id, lang)},
        "service": {
            "id": service_id,
            "standard_days_figure": figure(
                f"service:{agency_id}:{service_id}:standard_days",
                row["standard_days"],
                "days",
                lang,
                places=0 if float(row["standard_days"] or 0).is_integer() else 1,
            ),
            "fee_figure": figure(f"service:{agency_id}:{service_id}:fee", row["fee"], "rials", lang),
            "name": name(row, lang, id_key="service_id"),
            "description": row["description"],
            "audience": row["audience"],
            "audience_label": labels.audience(row["audience"], lang),
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
        "table": [_table_row(agency_id, service_id, m, channels, lang) for m in months],
        "channels_chart": _channels_chart(months, channels, lang, rtl),
        "shares_chart": _shares_chart(months, lang, rtl),
        "days_chart": _days_chart(months, row["standard_days"], lang, rtl),
        "standards": await service_queries.service_standards(db, agency_id, service_id, limit=TREND_MONTHS),
        "rows_href": rows_href,
        "rows_csv_href": table_href(
            datasette, "service_performance", format="csv", agency_id=agency_id, service_id=service_id
        ),
        "service_row_href": table_href(datasette, "services", agency_id=agency_id, service_id=service_id),
    }
    return await render(datasette, request, "shafaf_service.html", context)


def _table_row(agency_id: str, service_id: str, m: _Month, channels: list[str], lang: str) -> dict[str, Any]:
    """One month of the table, each number a figure covering that month."""
    key = f"service:{agency_id}:{service_id}:{m.period_start}"
    span = covers(m.period_start, m.period_end)
    return {
        "month": i18n.month_label(m.period_start, lang),
        "other_month": i18n.other_month_label(m.period_start, lang),
        "applications": figure(f"{key}:applications", m.applications, "applications", lang, covers=span),
        "by_channel": [
            figure(f"{key}:channel:{c}", m.channels.get(c), "applications", lang, covers=span) for c in channels
        ],
        "completed": figure(f"{key}:completed", m.figure("completion_rate"), "share", lang, covers=span),
        "within_standard": figure(f"{key}:within_standard", m.figure("within_standard"), "share", lang, covers=span),
        "satisfaction": figure(f"{key}:satisfaction", m.figure("satisfaction"), "percent", lang, covers=span),
        "days": figure(f"{key}:days", m.days, "days", lang, covers=span),
    }


def _months(sums: list[dict[str, Any]], rows: list[dict[str, Any]]) -> list[_Month]:
    """Each month's figures from its sums (as the agency's are), its channels and median days from its rows."""
    by_month: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        by_month.setdefault(row["period_start"], []).append(row)
    out = []
    for month in sums:
        own = by_month.get(month["period_start"], [])
        channels: dict[str, float | None] = {}
        for row in own:
            channel = row["channel"] or "other"
            if row["applications"] is None:
                channels.setdefault(channel, None)  # a channel that did not report its applications shows —
            else:
                channels[channel] = (channels.get(channel) or 0) + row["applications"]
        out.append(
            _Month(
                month["period_start"],
                month["period_end"],
                month["applications"],
                channels,
                performance.figures(month),
                performance.weighted_median([(r["median_days"], r["completed"]) for r in own]),
            )
        )
    return out


def _axis(month: _Month) -> str:
    return month.period_start[:7]


def _month_names(months: list[_Month], lang: str) -> dict[str, str]:
    """The x axis's words for each month: Jalali on Persian pages (``i18n.month_label``), never ``۲۰۲۴-۱۱``."""
    return {_axis(m): i18n.month_label(m.period_start, lang) for m in months}


def _channels_chart(months: list[_Month], channels: list[str], lang: str, rtl: bool) -> Any:
    if not months:
        return ""
    return charts.bar_chart(
        [charts.Segment(i18n.channel_label(c, lang), charts.channel_class(c)) for c in channels],
        {_axis(m): [m.channels.get(c) for c in channels] for m in months},
        title=i18n.gettext("Applications by month and channel", lang),
        description=i18n.gettext("Each bar is one month; its parts are the channels the applications came by.", lang),
        rtl=rtl,
        digits=lambda text: i18n.digits(text, lang),
        y_format=lambda v: i18n.format_number(v, lang),
        y_title=i18n.gettext("Applications", lang),
        x_title=i18n.gettext("Month", lang),
        x_labels=_month_names(months, lang),
    )


def _shares_chart(months: list[_Month], lang: str, rtl: bool) -> Any:
    if not months:
        return ""
    return charts.line_chart(
        [
            charts.Series(
                i18n.gettext("Completed", lang), [(_axis(m), m.figure("completion_rate")) for m in months], "completed"
            ),
            charts.Series(
                i18n.gettext("Within the standard time", lang),
                [(_axis(m), m.figure("within_standard")) for m in months],
                "within_standard",
            ),
        ],
        title=i18n.gettext("Completed, and completed within the standard time, by month", lang),
        description=i18n.gettext(
            "Completed: a share of the month's applications. Within the standard time: a share of those completed.",
            lang,
        ),
        rtl=rtl,
        digits=lambda text: i18n.digits(text, lang),
        y_format=lambda v: i18n.format_percent(v, lang, places=0),
        y_min=0.0,
        y_max=1.0,
        y_title=i18n.gettext("Percent", lang),
        x_title=i18n.gettext("Month", lang),
        x_labels=_month_names(months, lang),
    )


def _days_chart(months: list[_Month], standard_days: float | None, lang: str, rtl: bool) -> Any:
    if not months or all(m.days is None for m in months):
        return ""
    series = [charts.Series(i18n.gettext("Processing days", lang), [(_axis(m), m.days) for m in months], "days")]
    if standard_days is not None:
        series.append(
            charts.Series(
                i18n.gettext("Standard", lang),
                [(_axis(m), float(standard_days)) for m in months],
                "required",
                dashed=True,
            )
        )
    return charts.line_chart(
        series,
        title=i18n.gettext("Processing days against the standard", lang),
        description=i18n.gettext(
            "Median days from application to decision each month, against the days the service standard promises.", lang
        ),
        rtl=rtl,
        digits=lambda text: i18n.digits(text, lang),
        y_format=lambda v: i18n.format_number(v, lang, places=1),
        y_min=0.0,
        y_title=i18n.gettext("Days", lang),
        x_title=i18n.gettext("Month", lang),
        x_labels=_month_names(months, lang),
    )
