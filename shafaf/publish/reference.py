"""The portal's reference window, and how far behind an agency's data is: figures compared like with like.

Every agency's "last 12 months" figures cover the same twelve months: the
portal's reference window, ending at the reference month. The reference
month is the latest month whose figures agencies are expected to have
published on the publication day: the last complete month, less
``reference_lag_months`` (a month's figures come out in the month after).
Months are those of the portal's calendar (``calendar``: Jalali or
Gregorian).

A reported period belongs to the window when its midpoint does, so a Jalali
month that straddles two Gregorian ones (and the other way round) is counted
once. An agency's data is as recent as the latest month of the portal's
calendar it covers to the end; how many months that is behind the reference
month is its data age, and past ``stale_after_months`` its data is stale.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

import jdatetime

WINDOW_MONTHS = 12
CALENDARS = ("jalali", "gregorian")


@dataclasses.dataclass(frozen=True)
class Month:
    """One month of the portal's calendar: its Gregorian first and last day, and its label (``1405-07``)."""

    start: dt.date
    end: dt.date
    label: str

    @property
    def midpoint(self) -> dt.date:
        return self.start + (self.end - self.start) / 2


@dataclasses.dataclass(frozen=True)
class ReferenceWindow:
    """The twelve months every agency's window figures cover, oldest first."""

    months: tuple[Month, ...]
    calendar: str

    @property
    def start(self) -> dt.date:
        return self.months[0].start

    @property
    def end(self) -> dt.date:
        return self.months[-1].end

    @property
    def reference(self) -> Month:
        return self.months[-1]

    def contains(self, period_start: dt.date, period_end: dt.date) -> bool:
        """True when the period's midpoint lies in the window."""
        return self.start <= midpoint(period_start, period_end) <= self.end

    def months_covered(self, periods: list[tuple[dt.date, dt.date]]) -> int:
        """How many of the window's months have their midpoint inside one of the ``periods`` that count in the window.

        Only periods the window figures use count (their own midpoint in the window), so a fiscal year
        half before the window covers none of it, as it adds nothing to the window's figures.
        """
        counted = [(s, e) for s, e in periods if self.contains(s, e)]
        return sum(1 for m in self.months if any(s <= m.midpoint <= e for s, e in counted))

    def months_behind(self, last_period_end: dt.date) -> int:
        """Months from the last month covered to its end by data ending on ``last_period_end`` to the reference month."""
        last = month_of(last_period_end + dt.timedelta(days=1), self.calendar)
        gap = _index(self.reference, self.calendar) - _index(last, self.calendar) + 1
        return max(0, gap)


def midpoint(start: dt.date, end: dt.date) -> dt.date:
    return start + (end - start) / 2


def reference_window(
    today: dt.date, *, calendar: str = "jalali", lag_months: int = 1, length: int = WINDOW_MONTHS
) -> ReferenceWindow:
    """The window for a publication on ``today``: ``length`` months ending ``lag_months`` before the last complete one."""
    if calendar not in CALENDARS:
        raise ValueError(f"unknown calendar {calendar!r}: one of {', '.join(CALENDARS)}")
    current = month_of(today, calendar)
    reference = shift(current, -(1 + lag_months), calendar)
    months = tuple(shift(reference, -n, calendar) for n in range(length - 1, -1, -1))
    return ReferenceWindow(months, calendar)


def month_of(day: dt.date, calendar: str) -> Month:
    """The month of ``calendar`` that contains ``day``."""
    if calendar == "gregorian":
        return _gregorian(day.year, day.month)
    j = jdatetime.date.fromgregorian(date=day)
    return _jalali(j.year, j.month)


def shift(month: Month, n: int, calendar: str) -> Month:
    """The month ``n`` months after (or before, for negative ``n``) ``month``."""
    index = _index(month, calendar) + n
    year, month_number = divmod(index, 12)
    return _gregorian(year, month_number + 1) if calendar == "gregorian" else _jalali(year, month_number + 1)


def _index(month: Month, calendar: str) -> int:
    year, number = (int(part) for part in month.label.split("-"))
    return year * 12 + number - 1


def _gregorian(year: int, month: int) -> Month:
    start = dt.date(year, month, 1)
    end = (start.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)
    return Month(start, end, f"{year:04d}-{month:02d}")


def _jalali(year: int, month: int) -> Month:
    start = jdatetime.date(year, month, 1).togregorian()
    following = jdatetime.date(year + (month == 12), month % 12 + 1, 1).togregorian()
    return Month(start, following - dt.timedelta(days=1), f"{year:04d}-{month:02d}")
