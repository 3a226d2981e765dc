"""One derived indicator's definition, and the windows an indicator is computed over.

Why apart: the shape every row of the indicator table (``indicator_list``)
has, and the window names it uses, without the table itself.
"""

from __future__ import annotations

import dataclasses

from shafaf.core.catalogue import gettext

# Windows (the ``window`` column of ``indicators``).
MONTH = "month"  # one reported period of 28-31 days: a Gregorian or a Jalali month
LAST_12_MONTHS = "last_12_months"  # the portal's reference window: the same twelve months for every agency
YEAR = "year"  # one fiscal (Jalali) year
CURRENT = "current"  # a snapshot as of the publication day
TARGET_WINDOWS = ("month", "quarter", "year", "period")  # a targets row's window, from the length of its period
PERFORMANCE_WINDOWS = (MONTH, LAST_12_MONTHS, YEAR)
TARGET_PREFIX = "target:"  # a targets row's indicator: target:<its indicator>


@dataclasses.dataclass(frozen=True)
class Definition:
    """One indicator: its name in ``indicators.indicator``, unit, windows, and title and formula (catalogue msgids)."""

    name: str
    group: str  # services, performance, targets, data
    unit: str
    windows: tuple[str, ...]
    title: str  # an English msgid of the catalogue, as is the formula
    formula: str
    better: str | None = None  # higher or lower; None where neither end is better (a count of applications)

    def title_in(self, lang: str) -> str:
        return gettext(self.title, lang)

    def formula_in(self, lang: str) -> str:
        return gettext(self.formula, lang)

    @property
    def title_en(self) -> str:
        return self.title

    @property
    def title_fa(self) -> str:
        return self.title_in("fa")

    @property
    def formula_en(self) -> str:
        return self.formula

    @property
    def formula_fa(self) -> str:
        return self.formula_in("fa")
