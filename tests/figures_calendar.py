"""Months, Jalali years and the reference window, written afresh for the independent check of the figures.

Nothing here comes from ``shafaf.reference``: the check computes the window a figure covers from
docs/indicators.md ("the twelve months of the portal's calendar ending at the reference month, the last
complete month less reference_lag_months") and compares it with what the page says.
"""

from __future__ import annotations

import datetime as dt

import jdatetime

Month = tuple[int, int]  # (year, month) of the portal's calendar


def month_of(day: dt.date, calendar: str) -> Month:
    if calendar == "gregorian":
        return day.year, day.month
    j = jdatetime.date.fromgregorian(date=day)
    return j.year, j.month


def bounds(month: Month, calendar: str) -> tuple[dt.date, dt.date]:
    """First and last Gregorian day of a month of ``calendar``."""
    year, number = month
    nxt = shift(month, 1)
    if calendar == "gregorian":
        return dt.date(year, number, 1), dt.date(*nxt, 1) - dt.timedelta(days=1)
    first = jdatetime.date(year, number, 1).togregorian()
    return first, jdatetime.date(*nxt, 1).togregorian() - dt.timedelta(days=1)


def shift(month: Month, n: int) -> Month:
    index = month[0] * 12 + month[1] - 1 + n
    return index // 12, index % 12 + 1


def index(month: Month) -> int:
    return month[0] * 12 + month[1] - 1


def label(month: Month) -> str:
    return f"{month[0]:04d}-{month[1]:02d}"


def midpoint(start: dt.date, end: dt.date) -> dt.date:
    """The period's middle day (the earlier of two middle days)."""
    return start + dt.timedelta(days=(end - start).days // 2)


def jalali_year(day: dt.date) -> int:
    return jdatetime.date.fromgregorian(date=day).year


def jalali_year_bounds(year: int) -> tuple[dt.date, dt.date]:
    return (
        jdatetime.date(year, 1, 1).togregorian(),
        jdatetime.date(year + 1, 1, 1).togregorian() - dt.timedelta(days=1),
    )


def grain(start: dt.date, end: dt.date) -> str | None:
    """month (28-31 days), quarter (89-93) or year (365-366), as docs/indicators.md's conventions say."""
    days = (end - start).days + 1
    if 28 <= days <= 31:
        return "month"
    if 89 <= days <= 93:
        return "quarter"
    if 365 <= days <= 366:
        return "year"
    return None


GRAIN_MONTHS = {"month": 1, "quarter": 3, "year": 12}


class Window:
    """The portal's reference window on ``today``: twelve months ending at the reference month."""

    def __init__(self, today: dt.date, calendar: str, lag_months: int):
        self.calendar = calendar
        self.reference = shift(month_of(today, calendar), -(1 + lag_months))
        self.months = [shift(self.reference, -n) for n in range(11, -1, -1)]
        self.start = bounds(self.months[0], calendar)[0]
        self.end = bounds(self.reference, calendar)[1]

    @property
    def covers(self) -> str:
        return f"{self.start.isoformat()}/{self.end.isoformat()}"

    def holds(self, start: dt.date, end: dt.date) -> bool:
        return self.start <= midpoint(start, end) <= self.end

    def months_behind(self, last_end: dt.date) -> int:
        """From the last month covered to its end by data ending on ``last_end`` to the reference month."""
        covered = shift(month_of(last_end + dt.timedelta(days=1), self.calendar), -1)
        return max(0, index(self.reference) - index(covered))

    def months_covered(self, periods: list[tuple[dt.date, dt.date]]) -> int:
        count = 0
        for month in self.months:
            first, last = bounds(month, self.calendar)
            middle = midpoint(first, last)
            count += any(s <= middle <= e for s, e in periods)
        return count
