"""Periods as agencies write them → ISO start and end dates plus the label as written.

Accepted forms (digits already folded to ASCII by the caller or here):

=====================  ===============================  ===========================
form                   example                          means
=====================  ===============================  ===========================
day                    2024-03-05, 1402/07/15           that day
month                  2024-03, 1402-07, مهر 1402        that month
quarter                2024-Q1, 1402-Q2                 that quarter (Jalali: of the Jalali year)
year                   2024, 1402                       Gregorian year / Iranian fiscal year
fiscal year            2023-2024                        1 April 2023 … 31 March 2024
=====================  ===============================  ===========================

A four-digit year is Jalali when it lies in 1300–1499 and Gregorian in
1900–2099; the source's ``calendar`` setting must agree with that range, and
anything else is refused rather than guessed.
"""

from __future__ import annotations

import calendar as _calendar
import dataclasses
import datetime as dt
import re

import jdatetime

from .text import fold_digits, unify_letters

JALALI_MONTHS = {
    name: i
    for i, name in enumerate(
        ["فروردین", "اردیبهشت", "خرداد", "تیر", "مرداد", "شهریور", "مهر", "آبان", "آذر", "دی", "بهمن", "اسفند"],
        start=1,
    )
}


class PeriodError(ValueError):
    """The text is not a period this module can read without guessing."""


@dataclasses.dataclass(frozen=True)
class Period:
    start: dt.date
    end: dt.date
    label: str


def _calendar_of(year: int, declared: str | None) -> str:
    by_range = "jalali" if 1300 <= year <= 1499 else "gregorian" if 1900 <= year <= 2099 else None
    if by_range is None:
        raise PeriodError(f"year {year} is neither a Jalali (1300–1499) nor a Gregorian (1900–2099) year")
    if declared and declared != by_range:
        raise PeriodError(f"year {year} looks {by_range} but the source's calendar is {declared}")
    return by_range


def _jalali_month(year: int, month: int) -> tuple[dt.date, dt.date]:
    if not 1 <= month <= 12:
        raise PeriodError(f"month {month} is not between 1 and 12")
    start = jdatetime.date(year, month, 1)
    days = jdatetime.j_days_in_month[month - 1] if month < 12 else (30 if start.isleap() else 29)
    return start.togregorian(), jdatetime.date(year, month, days).togregorian()


def _gregorian_month(year: int, month: int) -> tuple[dt.date, dt.date]:
    if not 1 <= month <= 12:
        raise PeriodError(f"month {month} is not between 1 and 12")
    return dt.date(year, month, 1), dt.date(year, month, _calendar.monthrange(year, month)[1])


def _month(year: int, month: int, cal: str) -> tuple[dt.date, dt.date]:
    return _jalali_month(year, month) if cal == "jalali" else _gregorian_month(year, month)


def _day(year: int, month: int, day: int, cal: str) -> dt.date:
    try:
        if cal == "jalali":
            return jdatetime.date(year, month, day).togregorian()
        return dt.date(year, month, day)
    except ValueError as e:
        raise PeriodError(f"{year}-{month:02d}-{day:02d} is not a valid {cal} date") from e


_DAY = re.compile(r"(\d{4})[-/](\d{1,2})[-/](\d{1,2})")


def _matched_day(m: re.Match[str], calendar: str | None) -> dt.date:
    y, mo, d = map(int, m.groups())
    return _day(y, mo, d, _calendar_of(y, calendar))


def parse_date(text: str, *, calendar: str | None = None, pivot: int | None = None) -> dt.date:
    """A single day, Jalali or Gregorian (``1402/07/15``, ``۱۴۰۲-۰۷-۱۵``, ``2024-03-05``) → the Gregorian date."""
    if m := _DAY.fullmatch(fold_digits(text).strip()):
        return _matched_day(m, calendar)
    raise PeriodError(f"{text!r} is not a date like 2024-03-05 or 1402/07/15")


def parse_period(text: str, *, calendar: str | None = None, pivot: int | None = None) -> Period:
    """Read a period label; raise PeriodError with a reason a data officer can act on."""
    label = text.strip()
    value = unify_letters(fold_digits(label)).strip()
    if not value:
        raise PeriodError("the period is empty")

    if m := _DAY.fullmatch(value):
        day = _matched_day(m, calendar)
        return Period(day, day, label)
    if m := re.fullmatch(r"(\d{4})[-/](\d{1,2})", value):
        y, mo = map(int, m.groups())
        return Period(*_month(y, mo, _calendar_of(y, calendar)), label)
    if m := re.fullmatch(r"(\S+)\s+(\d{4})", value):
        name, y = m.group(1), int(m.group(2))
        if name in JALALI_MONTHS:
            return Period(*_month(y, JALALI_MONTHS[name], _calendar_of(y, calendar or "jalali")), label)
    if m := re.fullmatch(r"(\d{4})\s*[-/ ]?\s*[Qq]([1-4])", value):
        y, q = int(m.group(1)), int(m.group(2))
        cal = _calendar_of(y, calendar)
        first, _ = _month(y, 3 * q - 2, cal)
        _, last = _month(y, 3 * q, cal)
        return Period(first, last, label)
    if m := re.fullmatch(r"(\d{4})\s*[-/]\s*(\d{4})", value):
        y1, y2 = int(m.group(1)), int(m.group(2))
        if y2 != y1 + 1 or _calendar_of(y1, calendar) != "gregorian":
            raise PeriodError(f"{label!r} is not a fiscal year like 2023-2024")
        return Period(dt.date(y1, 4, 1), dt.date(y2, 3, 31), label)
    if m := re.fullmatch(r"\d{4}", value):
        y = int(value)
        if _calendar_of(y, calendar) == "jalali":
            return Period(_jalali_month(y, 1)[0], _jalali_month(y, 12)[1], label)
        return Period(dt.date(y, 1, 1), dt.date(y, 12, 31), label)
    if re.fullmatch(r"\d{2}[-/]\d{1,2}([-/]\d{1,2})?", value):
        raise PeriodError(f"{label!r} has a two-digit year; write the year in full (e.g. 1402)")
    raise PeriodError(f"{label!r} is not a period this portal reads (e.g. 2024-03, 1402-07, 2023-2024, 1402)")
