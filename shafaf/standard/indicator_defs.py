"""What each derived indicator means: one table, the single source of every formula.

``shafaf.indicators`` computes from these names, ``docs/indicators.md`` is
generated from this table (``scripts/make_indicators_doc.py``), and the
Datasette column descriptions come from it too, so a formula is written once.
The table itself is ``indicator_list``, the shape of its rows and the
windows ``indicator_definition``; this module indexes them and says what the
windows mean. Titles, formulas, windows and notes are English msgids of the one catalogue
(``shafaf.core.catalogue``); their Persian is in its ``fa`` ``.po``.
"""

from __future__ import annotations

from shafaf.core.catalogue import N_
from shafaf.standard.indicator_definition import (
    CURRENT,
    LAST_12_MONTHS,
    MONTH,
    PERFORMANCE_WINDOWS,
    TARGET_PREFIX,
    TARGET_WINDOWS,
    YEAR,
    Definition,
)
from shafaf.standard.indicator_list import DEFINITIONS

__all__ = [
    "BY_NAME",
    "CURRENT",
    "DEFINITIONS",
    "LAST_12_MONTHS",
    "MONTH",
    "NOTES",
    "PERFORMANCE_WINDOWS",
    "SCORE_PARTS",
    "SCORE_WEIGHTS",
    "TARGET_PREFIX",
    "TARGET_WINDOWS",
    "WINDOW_TEXT",
    "YEAR",
    "Definition",
]

# Transparency score: its parts, each a share from 0 to 1 an agency can act on, and their weights (Σ = 100).
SCORE_PARTS: tuple[str, ...] = ("coverage", "window_months", "data_age_score", "validity", "citizen_fields")
SCORE_WEIGHTS: dict[str, int] = {part: 20 for part in SCORE_PARTS}


BY_NAME: dict[str, Definition] = {d.name: d for d in DEFINITIONS}

WINDOW_TEXT: dict[str, str] = {  # msgids, as are the notes
    MONTH: N_(
        "One reported period of 28–31 days (a Gregorian or a Jalali month), one row per distinct "
        "period_start/period_end."
    ),
    LAST_12_MONTHS: N_(
        "The portal's reference window, the same for every agency: the twelve months of the portal's "
        "calendar ending at the reference month (the last complete month less reference_lag_months, "
        "default 1: a month's figures are due in the month after). An agency's rows of its finest "
        "grain (month, else quarter, else year) count when their period's midpoint lies in the window."
    ),
    YEAR: N_(
        "One fiscal year (the Jalali year of period_start, column fiscal_year) over the agency's rows of its "
        "finest grain; for smart_required_share, the Jalali year itself."
    ),
    CURRENT: N_("A snapshot on the publication day: period_start is empty and period_end is that day."),
}

NOTES: tuple[str, ...] = (
    N_(
        "A share is stored as a fraction from 0 to 1 with its numerator and denominator; when the denominator is "
        "0 or missing the value is empty, never 0."
    ),
    N_(
        "Periods of 28–31 days count as months, 89–93 as quarters and 365–366 as years; other lengths are not "
        "counted in performance windows. An agency that reports months and also quarters or years is summed "
        "over its months only, so nothing is counted twice."
    ),
    N_("Performance rows of withdrawn services still count: the applications were received."),
)
