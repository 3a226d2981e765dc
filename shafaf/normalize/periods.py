"""Periods and dates as agencies write them → ISO start and end dates plus the label as written.

Accepted forms (Persian and Arabic-Indic digits, Arabic letters and invisible
marks are folded first):

===================  ===========================================  =================================================
form                 examples                                     means
===================  ===========================================  =================================================
day                  2024-03-05, 1402/07/15, ۱۴۰۲-۰۷-۱۵, 1402.7.15 that day (a time after it is ignored)
month                2024-03, 1402-07, 1402/7                     that month
named month          مهر ۱۴۰۲, مهر ماه 1402, ۱۴۰۲ مهر, March 2024     that month; the name says the calendar
quarter              2024-Q1, Q1 2024, 1402Q2                      that quarter (Jalali: of the Jalali year)
Persian quarter      فصل دوم ۱۴۰۲, سه‌ماهه ۲ ۱۴۰۲, بهار ۱۴۰۲          that quarter of the Jalali year (بهار = months 1–3)
year                 2024, 1402, سال ۱۴۰۲, سال مالی ۱۴۰۲           Gregorian year / Iranian fiscal year (= Jalali year)
fiscal year          2023-2024, 2023/2024, 2023–2024              1 April 2023 … 31 March 2024 (Canada-style)
===================  ===========================================  =================================================

Which calendar a four-digit year is in is never guessed: 1300–1499 is Jalali
and 1900–2099 Gregorian, and the source's ``calendar`` setting must agree.

Two-digit years are refused unless the source sets ``year_pivot`` (and
``calendar``): yy ≥ pivot is 13yy (Jalali) or 19yy (Gregorian), below it 14yy
or 20yy. They are read year first (``98/11/30``, ``98/11``), as Persian
dates are always written. A Gregorian date with a two-digit year is read only
when its first part cannot be a day (> 31): ``2/19/20`` may be M/D/YY (US),
D/M/YY or YY/M/D and is refused, never guessed; likewise a day and month
before a four-digit year (``19/02/2020``). A bare two-digit number is never a
year.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import re

import jdatetime

from shafaf.core.errors import PeriodError  # the one exception tree, the only import of ours from below
from shafaf.normalize.text import clean_code, clean_text, fold_digits, unify_letters

JALALI = "jalali"
GREGORIAN = "gregorian"
YEAR_RANGES = {JALALI: (1300, 1499), GREGORIAN: (1900, 2099)}

# Jalali month names → month number (Arabic-keyboard spellings are unified before lookup).
JALALI_MONTHS = {
    "فروردین": 1,
    "اردیبهشت": 2,
    "خرداد": 3,
    "تیر": 4,
    "مرداد": 5,
    "امرداد": 5,
    "شهریور": 6,
    "مهر": 7,
    "آبان": 8,
    "آذر": 9,
    "دی": 10,
    "بهمن": 11,
    "اسفند": 12,
}
# Gregorian month names in English, full and abbreviated (casefolded before lookup).
GREGORIAN_MONTHS = {
    name: i
    for i, names in enumerate(
        [
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ],
        start=1,
    )
    for name in names
}
# Words for a quarter of the Jalali year: ordinals and seasons (Jalali Q1 = spring = months 1–3).
QUARTER_WORDS = {"اول": 1, "دوم": 2, "سوم": 3, "چهارم": 4, "1": 1, "2": 2, "3": 3, "4": 4}
SEASONS = {"بهار": 1, "تابستان": 2, "پاییز": 3, "پائیز": 3, "زمستان": 4}

_DASHES = str.maketrans({"–": "-", "—": "-", "−": "-", "‐": "-", "\u200c": " "})  # en/em dash, minus, hyphen; ZWNJ

_Y = r"(\d{4}|\d{2})"
_TIME = r"(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?"
_DAY = re.compile(_Y + r"([-/.])(\d{1,2})\2(\d{1,2})" + _TIME)
_DAY_LAST = re.compile(r"(\d{1,2})[-/.](\d{1,2})[-/.](\d{4}|\d{2})" + _TIME)  # refused: M/D/Y or D/M/Y?
_MONTH = re.compile(_Y + r"[-/](\d{1,2})")
_NAMED_MONTH = re.compile(r"([^\W\d_]+)(?: ماه)? ?-?" + _Y)
_YEAR_NAMED_MONTH = re.compile(r"(\d{4}) ([^\W\d_]+)")
_QUARTER = re.compile(_Y + r" ?[-/ ]? ?[Qq]([1-4])")
_QUARTER_FIRST = re.compile(r"[Qq]([1-4]) ?[-/ ]? ?" + _Y)
_PERSIAN_QUARTER = re.compile(r"(?:فصل|سه ?ماهه) ?(اول|دوم|سوم|چهارم|[1-4])(?: سال)? ?-? ?" + _Y)
_SEASON = re.compile(r"([^\W\d_]+)(?: سال)? ?-? ?" + _Y)
_FISCAL = re.compile(r"(\d{4}) ?[-/] ?(\d{4})")
_YEAR = re.compile(r"(?:سال (?:مالی )?)?(\d{4})")
_TWO_DIGITS = re.compile(r"\d{1,2}")


@dataclasses.dataclass(frozen=True)
class Period:
    start: dt.date
    end: dt.date
    label: str


def _calendar_of(year: int, declared: str | None) -> str:
    """The calendar of a four-digit year, by its range; the source's setting must agree."""
    by_range = next((cal for cal, (lo, hi) in YEAR_RANGES.items() if lo <= year <= hi), None)
    if by_range is None:
        raise PeriodError(f"year {year} is neither a Jalali (1300–1499) nor a Gregorian (1900–2099) year")
    if declared and declared != by_range:
        raise PeriodError(f"year {year} looks {by_range} but the source's calendar is {declared}")
    return by_range


def _year(token: str, calendar: str | None, pivot: int | None, label: str) -> tuple[int, str]:
    """A year as written (four or two digits) → (year, calendar)."""
    if len(token) == 4:
        year = int(token)
        return year, _calendar_of(year, calendar)
    if pivot is None:
        raise PeriodError(
            f"{label!r} has a two-digit year; write the year in full (e.g. 1402) "
            "or set year_pivot (with calendar) for this source in the registry"
        )
    if calendar is None:
        raise PeriodError(
            f"{label!r} has a two-digit year and year_pivot is set, but not calendar: say whether the years are jalali or gregorian"
        )
    yy = int(token)
    century = {JALALI: (13, 14), GREGORIAN: (19, 20)}[calendar][0 if yy >= pivot else 1]
    return century * 100 + yy, calendar


def _named_year(token: str, cal: str, pivot: int | None, label: str) -> int:
    """The year of a named month or a Persian quarter, whose name (not the source) says the calendar."""
    lo, hi = YEAR_RANGES[cal]
    if len(token) == 4 and not lo <= int(token) <= hi:
        raise PeriodError(f"{label!r} names a {cal} month or quarter but {token} is not a {cal} year ({lo}–{hi})")
    return _year(token, cal, pivot, label)[0]


def _first_of_month(year: int, month: int, cal: str) -> dt.date:
    if not 1 <= month <= 12:
        raise PeriodError(f"month {month} is not between 1 and 12")
    return jdatetime.date(year, month, 1).togregorian() if cal == JALALI else dt.date(year, month, 1)


def _months(year: int, first: int, last: int, cal: str) -> tuple[dt.date, dt.date]:
    """First day of month ``first`` … last day of month ``last`` of one year, as Gregorian dates."""
    start = _first_of_month(year, first, cal)
    _first_of_month(year, last, cal)  # validates ``last``
    following = _first_of_month(year + 1, 1, cal) if last == 12 else _first_of_month(year, last + 1, cal)
    return start, following - dt.timedelta(days=1)


def _day(year: int, month: int, day: int, cal: str) -> dt.date:
    try:
        if cal == JALALI:
            return jdatetime.date(year, month, day).togregorian()
        return dt.date(year, month, day)
    except ValueError as e:
        raise PeriodError(f"{year}-{month:02d}-{day:02d} is not a valid {cal} date") from e


def _squash(text: str) -> str:
    """Digits to ASCII, Persian letters unified, invisible marks gone, dashes to '-', one space."""
    return " ".join(clean_code(unify_letters(fold_digits(text)).translate(_DASHES)).split())


def _read_day(value: str, label: str, calendar: str | None, pivot: int | None) -> dt.date | None:
    if m := _DAY.fullmatch(value):
        first, _, month, day = m.groups()
        if len(first) == 2 and calendar == GREGORIAN and int(first) <= 31:
            raise PeriodError(
                f"{label!r} has a two-digit year and may be month/day/year (US), day/month/year or year/month/day; "
                "write the date in full as YYYY-MM-DD"
            )
        year, cal = _year(first, calendar, pivot, label)
        return _day(year, int(month), int(day), cal)
    if _DAY_LAST.fullmatch(value):
        raise PeriodError(
            f"{label!r} puts the day and month before the year, so it may be month/day/year (US) or day/month/year; "
            "write the date as YYYY-MM-DD (or 1402/07/15)"
        )
    return None


def parse_date(text: str, *, calendar: str | None = None, pivot: int | None = None) -> dt.date:
    """A single day, Jalali or Gregorian (``1402/07/15``, ``۱۴۰۲-۰۷-۱۵``, ``2024-03-05``) → the Gregorian date."""
    return _parse_date(text, calendar, pivot)


@functools.lru_cache(maxsize=4096)
def _parse_date(text: str, calendar: str | None, pivot: int | None) -> dt.date:
    day = _read_day(_squash(text), text.strip(), calendar, pivot)
    if day is None:
        raise PeriodError(f"{text.strip()!r} is not a date like 2024-03-05 or 1402/07/15")
    return day


def parse_period(text: str, *, calendar: str | None = None, pivot: int | None = None) -> Period:
    """Read a period label; raise PeriodError with a reason a data officer can act on."""
    return _parse_period(text, calendar, pivot)


@functools.lru_cache(maxsize=4096)  # a file has few distinct periods and many rows
def _parse_period(text: str, calendar: str | None, pivot: int | None) -> Period:
    label = clean_text(unify_letters(text)).strip()  # stored like any text: as written, minus stray marks
    value = _squash(label)
    if not value:
        raise PeriodError("the period is empty")
    if (day := _read_day(value, label, calendar, pivot)) is not None:
        return Period(day, day, label)
    for reader in _READERS:
        if (span := reader(value, label, calendar, pivot)) is not None:
            return Period(*span, label)
    if _TWO_DIGITS.fullmatch(value):
        raise PeriodError(f"{label!r} is a two-digit number, not a period: write the year in full (e.g. 1402)")
    raise PeriodError(
        f"{label!r} is not a period this portal reads (e.g. 2024-03, 1402-07, مهر ۱۴۰۲, 1402-Q2, 2023-2024, 1402)"
    )


Span = tuple[dt.date, dt.date]


def _month(value: str, label: str, calendar: str | None, pivot: int | None) -> Span | None:
    if not (m := _MONTH.fullmatch(value)):
        return None
    first, month = m.group(1), int(m.group(2))
    if len(first) == 2 and calendar == GREGORIAN and int(first) <= 12:
        raise PeriodError(f"{label!r} has a two-digit year and may be month/year or year/month; write it as YYYY-MM")
    year, cal = _year(first, calendar, pivot, label)
    return _months(year, month, month, cal)


def _named_month(value: str, label: str, calendar: str | None, pivot: int | None) -> Span | None:
    """``مهر ۱۴۰۲``, ``۱۴۰۲ مهر``, ``March 2024``: the month's name says which calendar it is in."""
    if m := _NAMED_MONTH.fullmatch(value):
        name, token = m.groups()
    elif m := _YEAR_NAMED_MONTH.fullmatch(value):
        token, name = m.groups()
    else:
        return None
    for table, cal in ((JALALI_MONTHS, JALALI), (GREGORIAN_MONTHS, GREGORIAN)):
        if (month := table.get(name.casefold())) is not None:
            return _months(_named_year(token, cal, pivot, label), month, month, cal)
    return None


def _quarter(value: str, label: str, calendar: str | None, pivot: int | None) -> Span | None:
    if m := _QUARTER.fullmatch(value):
        token, q = m.group(1), int(m.group(2))
    elif m := _QUARTER_FIRST.fullmatch(value):
        q, token = int(m.group(1)), m.group(2)
    else:
        return None
    year, cal = _year(token, calendar, pivot, label)
    return _months(year, 3 * q - 2, 3 * q, cal)


def _persian_quarter(value: str, label: str, calendar: str | None, pivot: int | None) -> Span | None:
    """``فصل دوم ۱۴۰۲``, ``سه ماهه ۲ ۱۴۰۲``, ``بهار ۱۴۰۲``: quarters of the Jalali year."""
    if m := _PERSIAN_QUARTER.fullmatch(value):
        q = QUARTER_WORDS[m.group(1)]
    elif (m := _SEASON.fullmatch(value)) and m.group(1) in SEASONS:
        q = SEASONS[m.group(1)]
    else:
        return None
    return _months(_named_year(m.group(2), JALALI, pivot, label), 3 * q - 2, 3 * q, JALALI)


def _fiscal_year(value: str, label: str, calendar: str | None, pivot: int | None) -> Span | None:
    if not (m := _FISCAL.fullmatch(value)):
        return None
    y1, y2 = int(m.group(1)), int(m.group(2))
    if y2 != y1 + 1 or _calendar_of(y1, calendar) != GREGORIAN:
        raise PeriodError(f"{label!r} is not a fiscal year like 2023-2024 (April to March)")
    return dt.date(y1, 4, 1), dt.date(y2, 3, 31)


def _whole_year(value: str, label: str, calendar: str | None, pivot: int | None) -> Span | None:
    """A Gregorian year is January–December; a Jalali year is also Iran's fiscal year (1 Farvardin–29/30 Esfand)."""
    if not (m := _YEAR.fullmatch(value)):
        return None
    year, cal = _year(m.group(1), calendar, pivot, label)
    if value.startswith("سال مالی") and cal != JALALI:
        raise PeriodError(f"{label!r}: a Gregorian fiscal year is written like 2023-2024, not as one year")
    return _months(year, 1, 12, cal)


def fiscal_year(day: dt.date | str) -> int:
    """The Iranian fiscal year a day (or an ISO date) falls in: its Jalali year (1 Farvardin to Esfand's end)."""
    if isinstance(day, str):
        day = dt.date.fromisoformat(day[:10])
    return jdatetime.date.fromgregorian(date=day).year


_READERS = (_month, _named_month, _quarter, _persian_quarter, _fiscal_year, _whole_year)
