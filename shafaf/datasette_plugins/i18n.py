"""The pages' words, numbers and dates in Persian and English, from the one catalogue (``shafaf.core.catalogue``).

Every interface string is written once, in English, where it is used:
``{{ _("...") }}`` in templates and ``N_("...")`` in Python. The Persian
words are in ``shafaf/core/locale/fa/LC_MESSAGES/shafaf.po`` (compiled to
``shafaf.mo`` beside it), kept with Babel as CKAN and uData keep theirs
(docs/translating.md); validation reports and the CLI read the same
catalogue. Column and dataset titles come from the standard itself
(``title`` / ``title_fa`` in ``datasets/*.schema.json``).

Only *our* strings are translated. Harvested text (agency names, service
names, URLs) never goes through ``_``: templates print it through Jinja's
autoescape.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import jdatetime
from babel.dates import format_date as babel_format_date
from jinja2 import pass_context

from shafaf import standard
from shafaf.core.catalogue import (  # noqa: F401  (the pages' names for the one catalogue)
    DEFAULT_LANGUAGE,
    DIRECTION,
    LANGUAGES,
    N_,
    SOURCE_LANGUAGE,
    digits,
    gettext,
    say,
    translations,
)
from shafaf.core.models import Outcome
from shafaf.normalize.periods import fiscal_year
from shafaf.standard.indicator_defs import BY_NAME


def template_vars(lang: str) -> dict[str, Any]:
    """What every template needs to speak ``lang``: ``_``/``gettext``/``ngettext`` and the direction."""
    catalog = translations(lang)
    return {
        "lang": lang,
        "dir": DIRECTION[lang],
        "_": catalog.gettext,
        "gettext": catalog.gettext,
        "ngettext": catalog.ngettext,
    }


# Run outcomes as harvest_runs stores them, and our words for them.
OUTCOMES: dict[Outcome, str] = {
    Outcome.QUEUED: N_("queued"),
    Outcome.RUNNING: N_("running"),
    Outcome.OK: N_("ok"),
    Outcome.UNCHANGED: N_("unchanged"),
    Outcome.FAILED: N_("failed"),
    Outcome.NEEDS_REVIEW: N_("needs review"),
    Outcome.SKIPPED: N_("skipped"),
    Outcome.ABORTED: N_("aborted"),
}

# The online stages of a service, in the order a citizen meets them: (column, label).
ONLINE_STAGES: tuple[tuple[str, str], ...] = (
    ("online_information", N_("information")),
    ("online_application", N_("application")),
    ("online_identity", N_("identity check")),
    ("online_payment", N_("payment")),
    ("online_decision", N_("decision")),
    ("online_issuance", N_("issuance")),
)

# Channels of service_performance (the standard's enum), and our words for them.
CHANNELS: dict[str, str] = {
    "online": N_("online"),
    "service_office": N_("service office"),
    "in_person": N_("in person"),
    "phone": N_("phone"),
    "mail": N_("mail"),
    "other": N_("other"),
}

# Titles of the public tables the standard does not define.
TABLE_TITLES: dict[str, str] = {
    "agencies": N_("Agencies"),
    "harvest_runs": N_("Harvest runs"),
    "validation_errors": N_("Rejected rows"),
    "indicators": N_("Indicators"),
    "agency_scorecard": N_("Scorecard"),
    "data_coverage": N_("Data coverage"),
    "discrepancies": N_("Reported against measured"),
    "possible_duplicates": N_("Possible duplicate services"),
    "source_availability": N_("Source availability"),
}


def outcome_label(outcome: str | None, lang: str) -> str | None:
    """Our word for a run outcome; an outcome we do not know is shown as stored."""
    if outcome is None:
        return None
    return gettext(OUTCOMES[outcome], lang) if outcome in OUTCOMES else outcome


def channel_label(channel: str, lang: str) -> str:
    """Our word for a channel; one the standard does not know is shown as stored."""
    return gettext(CHANNELS[channel], lang) if channel in CHANNELS else channel


def field_title(kind: str, name: str, lang: str) -> str:
    """A column's title in the standard (``title_fa`` on Persian pages)."""
    return standard.field_title(kind, name, lang)


def table_title(table: str, lang: str) -> str:
    """A public table's title: the standard's for dataset tables, ours for the others."""
    if table in standard.DATASET_KINDS:
        return standard.dataset_title(table, lang)
    return gettext(TABLE_TITLES[table], lang)


def format_number(value: float | int | None, lang: str, *, places: int = 0) -> str:
    """A number with thousands separators, in the page's digits; ``—`` when missing."""
    if value is None:
        return "—"
    text = f"{value:,.{places}f}"
    if text.startswith("-") and not text.strip("-0.,"):  # -0.03 to one decimal is 0.0, not "-0.0"
        text = text[1:]
    return digits(text, lang)


def format_percent(share: float | None, lang: str, *, places: int = 1) -> str:
    """A share in 0–1 as a percentage (``۴۵٫۲٪`` on fa pages, ``45.2%`` on en pages)."""
    if share is None:
        return "—"
    sign = "\u066a" if lang == "fa" else "%"  # ARABIC PERCENT SIGN
    return format_number(share * 100, lang, places=places) + sign


def format_value(value: float | None, unit: str | None, lang: str) -> str:
    """An indicator's value in its unit (``docs/indicators.md``): shares as percentages, counts whole."""
    if unit == "share":
        return format_percent(value, lang)
    if unit in ("percent", "score"):
        return format_number(value, lang, places=1)
    if unit in ("days", "per_1000_applications"):
        return format_number(value, lang, places=1)
    if unit == "boolean":
        return "—" if value is None else gettext("yes", lang) if value else gettext("no", lang)
    return format_number(value, lang)


def indicator_title(indicator: str, lang: str) -> str:
    """An indicator's title from its definition (``shafaf/standard/indicator_defs.py``), never written twice."""
    definition = BY_NAME.get(indicator)
    if definition is None:
        return indicator
    return definition.title_fa if lang == "fa" else definition.title_en


# Dates: Jalali first with the Gregorian beside it on Persian pages, the reverse on English ones.
# JSON, CSV and SQL keep ISO dates; only pages show these.

GREGORIAN_MONTHS_EN = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _date(value: Any) -> dt.date | None:
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def jalali_date(day: dt.date, lang: str) -> str:
    j = jdatetime.date.fromgregorian(date=day)
    month = jdatetime.date.j_months_fa[j.month - 1] if lang == "fa" else jdatetime.date.j_months_en[j.month - 1]
    return digits(f"{j.day} {month} {j.year}", lang)


def gregorian_date(day: dt.date, lang: str) -> str:
    if lang == "fa":
        return digits(babel_format_date(day, "d MMMM y", locale="fa"), lang)
    return f"{day.day} {GREGORIAN_MONTHS_EN[day.month - 1]} {day.year}"


def date_pair(value: Any, lang: str) -> tuple[str, str] | None:
    """(the date in the page's calendar, the same date in the other), or None when ``value`` is no date."""
    day = _date(value)
    if day is None:
        return None
    jalali, gregorian = jalali_date(day, lang), gregorian_date(day, lang)
    return (jalali, gregorian) if lang == "fa" else (gregorian, jalali)


def fiscal_year_label(value: Any, lang: str) -> str:
    """The Iranian fiscal (Jalali) year a date falls in, in the page's digits."""
    day = _date(value)
    if day is None:
        return ""
    return digits(fiscal_year(day), lang)


def jalali_month_of(day: dt.date) -> tuple[int, int]:
    """(Jalali year, month) a month starting at ``day`` is named by on Persian pages.

    A Jalali month row (its first day a Jalali first day) is that month. A
    Gregorian month (1 Nov 2024 is 11 Aban 1403) is named by the Jalali month
    holding its middle (15 Nov = 25 Aban): two thirds of its days, and
    consecutive Gregorian months always get consecutive Jalali names, so a
    Persian page never names a Gregorian month (issue 18) and never names two
    rows alike. The Gregorian name stays in the row's tooltip and on the
    English page.
    """
    j = jdatetime.date.fromgregorian(date=day)
    if j.day != 1:
        j = jdatetime.date.fromgregorian(date=day.replace(day=15))
    return j.year, j.month


def month_label(period_start: Any, lang: str) -> str:
    """A short name for the month a period starts in, in the page's calendar (chart axes, table rows).

    Persian pages name every month by its Jalali name (``jalali_month_of``).
    English pages name a Gregorian month row by its Gregorian month, and a row
    starting on a Jalali first day by its Jalali month.
    """
    day = _date(period_start)
    if day is None:
        return "" if period_start is None else str(period_start)
    if lang == "fa":
        year, month = jalali_month_of(day)
        return digits(f"{jdatetime.date.j_months_fa[month - 1]} {year}", lang)
    j = jdatetime.date.fromgregorian(date=day)
    if day.day == 1 or j.day != 1:
        return f"{GREGORIAN_MONTHS_EN[day.month - 1]} {day.year}"
    return f"{jdatetime.date.j_months_en[j.month - 1]} {j.year}"


def other_month_label(period_start: Any, lang: str) -> str:
    """The same month in the other calendar, for a tooltip: ``Nov 2024`` beside ``آبان ۱۴۰۳`` (fa pages only)."""
    day = _date(period_start)
    if day is None or lang != "fa":
        return ""
    return digits(babel_format_date(day, "MMMM y", locale="fa"), lang)


def calendar_month(label: str | None, lang: str) -> str:
    """A month of the portal's calendar by its label (``1405-07`` Jalali, ``2026-10`` Gregorian): ``مهر ۱۴۰۵``, ``Oct 2026``.

    On Persian pages a Gregorian month is named by its Jalali month (``jalali_month_of``).
    """
    if not label:
        return "—"
    year, month = (int(part) for part in label.split("-"))
    if year < 1700:  # a Jalali year
        names = jdatetime.date.j_months_fa if lang == "fa" else jdatetime.date.j_months_en
        return digits(f"{names[month - 1]} {year}", lang)
    if lang == "fa":
        return month_label(dt.date(year, month, 1), lang)
    return f"{GREGORIAN_MONTHS_EN[month - 1]} {year}"


def month_span(first: str | None, last: str | None, lang: str) -> str:
    """Two months of the portal's calendar as a span: ``آبان ۱۴۰۴ تا مهر ۱۴۰۵``, ``Aban 1404 – Mehr 1405``."""
    return say(lang, "%(first)s – %(last)s", first=calendar_month(first, lang), last=calendar_month(last, lang))


# Jinja filters: they read the page language from the template context.


@pass_context
def number_filter(context: Any, value: float | int | None, places: int = 0) -> str:
    return format_number(value, context.get("lang", DEFAULT_LANGUAGE), places=places)


@pass_context
def percent_filter(context: Any, share: float | None, places: int = 1) -> str:
    return format_percent(share, context.get("lang", DEFAULT_LANGUAGE), places=places)


@pass_context
def digits_filter(context: Any, text: Any) -> str:
    return digits(text, context.get("lang", DEFAULT_LANGUAGE))


@pass_context
def month_filter(context: Any, period_start: Any) -> str:
    return month_label(period_start, context.get("lang", DEFAULT_LANGUAGE))


@pass_context
def other_month_filter(context: Any, period_start: Any) -> str:
    return other_month_label(period_start, context.get("lang", DEFAULT_LANGUAGE))


@pass_context
def date_pair_filter(context: Any, value: Any) -> tuple[str, str] | None:
    return date_pair(value, context.get("lang", DEFAULT_LANGUAGE))


JINJA_FILTERS = {
    "shafaf_month": month_filter,
    "shafaf_other_month": other_month_filter,
    "shafaf_date_pair": date_pair_filter,
    "shafaf_number": number_filter,
    "shafaf_percent": percent_filter,
    "shafaf_digits": digits_filter,
}
