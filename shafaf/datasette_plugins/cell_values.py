"""Datasette's table, row and SQL cells on Persian pages: Persian digits, Jalali dates.

Datasette prints a cell as it is stored: ``2024-11-01``, ``2026-12-03T17:44:05Z``,
``1405-07``, ``12.5``, all in Latin digits. Its ``render_cell`` hook (called
for HTML pages only: JSON and CSV never pass through it) gets no request, so
the language is the one ``language.wrap`` chose for the request being
answered (``language.current_language``). On a Persian page:

- a date is its Jalali date (``۱۱ آبان ۱۴۰۳``), a timestamp its Jalali date
  and time of day, inside ``<time datetime="<the stored value>">`` with the
  stored value as the tooltip (what a filter or the SQL compares);
- a Jalali month as the scorecard stores it (``1405-07`` in a column whose name
  ends in ``month``: elsewhere the same shape may be a code) is its name and year
  (the stored value as the tooltip: ``<time>`` takes only Gregorian dates);
- a number is written in Persian digits.

Anything else is left to Datasette (None), and English pages are untouched.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import jdatetime
from markupsafe import Markup

from shafaf.datasette_plugins import i18n

DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
TIMESTAMP = re.compile(r"(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2})(:\d{2})?(\.\d+)?(Z|[+-]\d{2}:?\d{2})?")
JALALI_MONTH = re.compile(r"(1[34]\d{2})-(0[1-9]|1[0-2])")
UTC_SUFFIXES = ("Z", "+00:00", "+0000")


def render(value: Any, lang: str, column: str | None = None) -> str | Markup | None:
    """The cell as a Persian page shows it, or None to let Datasette print it (English pages: always None)."""
    if lang == "en" or value is None or isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return i18n.digits(str(value), lang)
    if not isinstance(value, str):
        return None
    text = value.strip()
    if DATE.fullmatch(text):
        day = _day(text)
        return _time(value, i18n.jalali_date(day, lang)) if day else None
    if found := TIMESTAMP.fullmatch(text):
        day = _day(found[1])
        if day is None:
            return None
        clock = i18n.digits(found[2] + (found[3] or ""), lang)
        if found[5] in UTC_SUFFIXES:
            clock = i18n.gettext("%(time)s UTC", lang) % {"time": clock}
        elif found[5]:
            clock = f"{clock} ({i18n.digits(found[5], lang)})"
        return _time(value, f"{i18n.jalali_date(day, lang)}{i18n.gettext(', ', lang)}{clock}")
    if (column or "").endswith("month") and (found := JALALI_MONTH.fullmatch(text)):
        month = int(found[2])
        name = jdatetime.date.j_months_fa[month - 1] if lang == "fa" else jdatetime.date.j_months_en[month - 1]
        return Markup('<span title="{}">{}</span>').format(value, i18n.digits(f"{name} {found[1]}", lang))
    return None


def _day(text: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        return None


def _time(stored: str, shown: str) -> Markup:
    """``shown`` in a ``<time>`` whose machine-readable value and tooltip are the value as stored (escaped)."""
    return Markup('<time datetime="{}" title="{}">{}</time>').format(stored, stored, shown)


ROW_LINK = re.compile(r"^(<a [^>]*>)(\d+)(</a>)$")


def row_link(cell: Any, lang: str) -> Any:
    """The link to a rowid table's row (``<a href=".../7">7</a>``: Datasette draws it without ``render_cell``)
    with its number in the page's digits; the address, and any other cell, as they are."""
    found = ROW_LINK.match(str(cell)) if lang != "en" and isinstance(cell, Markup) else None
    if found is None:
        return cell
    return Markup(found[1]) + i18n.digits(found[2], lang) + Markup(found[3])
