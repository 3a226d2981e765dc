"""A service's page: its inventory row, and its monthly figures by channel with the charts drawn from them.

Every number of the monthly table is a figure (``figures.figure``), with the month it covers, so the
independent check reads it as it reads the scorecard's.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

from datasette import Request, Response

from . import charts, i18n, language, queries
from .common import DATABASE, agency_href, http_url, name, not_found, render, table_href
from .figures import covers, figure

if TYPE_CHECKING:
    from datasette.app import Datasette

TREND_MONTHS = 24
MARKED_COLUMNS: tuple[str, ...] = ("smart", "on_national_portal", "via_gsb")


@dataclasses.dataclass
class _Month:
    period_start: str
    period_end: str
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
            "standard_days_figure": figure(f"service:{agency_id}:{service_id}:standard_days", row["standard_days"],
                                           "days", lang, places=0 if float(row["standard_days"] or 0).is_integer()
                                           else 1),
            "fee_figure": figure(f"service:{agency_id}:{service_id}:fee", row["fee"], "rials", lang),
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
        "table": [_table_row(agency_id, service_id, m, channels, lang) for m in months],
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


def _table_row(agency_id: str, service_id: str, m: _Month, channels: list[str], lang: str) -> dict[str, Any]:
    """One month of the table, each number a figure covering that month."""
    key = f"service:{agency_id}:{service_id}:{m.period_start}"
    span = covers(m.period_start, m.period_end)
    return {
        "month": i18n.month_label(m.period_start, lang),
        "applications": figure(f"{key}:applications", m.applications, "applications", lang, covers=span),
        "by_channel": [figure(f"{key}:channel:{c}", m.channels.get(c), "applications", lang, covers=span)
                       for c in channels],
        "completed": figure(f"{key}:completed", m.share(m.completed), "share", lang, covers=span),
        "within_standard": figure(f"{key}:within_standard", m.share(m.within_standard), "share", lang, covers=span),
        "satisfaction": figure(f"{key}:satisfaction", m.satisfaction, "percent", lang, covers=span),
        "days": figure(f"{key}:days", m.days, "days", lang, covers=span),
    }


def _months(rows: list[dict[str, Any]]) -> list[_Month]:
    months: dict[str, _Month] = {}
    for row in rows:
        month = months.setdefault(row["period_start"], _Month(row["period_start"], row["period_end"], {}))
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
