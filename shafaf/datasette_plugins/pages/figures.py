"""A figure on a page: its text in the page's language, and what it is, what it covers and which way is better.

Every headline number the pages print goes through ``figure``: the template
prints it as ``<data value="…" data-figure="…" data-covers="…"
data-better="…">text</data>``, so a reader's tools (and the independent
check in tests/test_figures_check.py) can read the exact value, the months
it covers and its direction beside the text a journalist would quote.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from shafaf.datasette_plugins import i18n
from shafaf.publish.smart_plan import jalali_year_bounds


@dataclasses.dataclass(frozen=True)
class Figure:
    id: str  # what it is: <scope>:<indicator or column>, e.g. agency:tax:share_smart, national:digital_takeup
    value: float | int | None
    text: str
    unit: str | None = None
    better: str | None = None
    covers: str | None = None  # ISO start/end of the period the value covers, or "as of <date>"

    @property
    def raw(self) -> str:
        return "" if self.value is None else repr(float(self.value))


def figure(
    id: str,
    value: Any,
    unit: str | None,
    lang: str,
    *,
    better: str | None = None,
    covers: str | None = None,
    places: int | None = None,
) -> Figure:
    """A value formatted in its unit (shares as percentages, days with one decimal...) for ``lang``.

    ``places`` overrides the unit's decimals (a plan's required share is a whole percentage).
    """
    if places is not None and unit == "share":
        text = i18n.format_percent(value, lang, places=places)
    elif places is not None:
        text = i18n.format_number(value, lang, places=places)
    else:
        text = i18n.format_value(value, unit, lang)
    return Figure(id, value, text, unit, better, covers)


def covers(start: str | None, end: str | None) -> str | None:
    return f"{start}/{end}" if start and end else None


def year_covers(year: int | str | None) -> str | None:
    """The Gregorian days of a Jalali year (the smart-services plan's figures cover one)."""
    return covers(*jalali_year_bounds(int(year))) if year is not None else None
