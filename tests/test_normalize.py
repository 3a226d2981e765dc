from __future__ import annotations

import datetime as dt

import pytest

from shafaf.normalize import PeriodError, fold_digits, parse_period, unify_letters

D = dt.date


@pytest.mark.parametrize("raw, expected", [
    ("۱۲۳۴۵۶۷۸۹۰", "1234567890"),
    ("٠١٢٣٤٥٦٧٨٩", "0123456789"),
    ("۸۵٫۵", "85.5"),
    ("۱٬۲۳۴", "1,234"),
    ("abc 12", "abc 12"),
])
def test_fold_digits(raw, expected):
    assert fold_digits(raw) == expected


@pytest.mark.parametrize("raw, expected", [
    ("كارت ملي", "کارت ملی"),
    ("تهـــران", "تهران"),
    ("کارت‌ملی", "کارت‌ملی"),  # ZWNJ kept between letters
])
def test_unify_letters(raw, expected):
    assert unify_letters(raw) == expected


@pytest.mark.parametrize("label, calendar, start, end", [
    ("2024-02", None, D(2024, 2, 1), D(2024, 2, 29)),
    ("1402-07", None, D(2023, 9, 23), D(2023, 10, 22)),
    ("۱۴۰۲-۰۷", None, D(2023, 9, 23), D(2023, 10, 22)),
    ("مهر ۱۴۰۲", None, D(2023, 9, 23), D(2023, 10, 22)),
    ("1402", None, D(2023, 3, 21), D(2024, 3, 19)),  # Iranian fiscal year
    ("1403-12", None, D(2025, 2, 19), D(2025, 3, 20)),  # leap Esfand has 30 days
    ("2023-2024", None, D(2023, 4, 1), D(2024, 3, 31)),  # Canada-style fiscal year
    ("2024-Q1", None, D(2024, 1, 1), D(2024, 3, 31)),
    ("1402/07/15", None, D(2023, 10, 7), D(2023, 10, 7)),
    ("2024", "gregorian", D(2024, 1, 1), D(2024, 12, 31)),
])
def test_parse_period(label, calendar, start, end):
    period = parse_period(label, calendar=calendar)
    assert (period.start, period.end, period.label) == (start, end, label)


@pytest.mark.parametrize("label, calendar, message", [
    ("98/11/30", None, "two-digit year"),
    ("1402-07", "gregorian", "looks jalali"),
    ("1700", None, "neither a Jalali"),
    ("1402-13", None, "not between 1 and 12"),
    ("next month", None, "not a period"),
    ("", None, "empty"),
])
def test_parse_period_refuses_to_guess(label, calendar, message):
    with pytest.raises(PeriodError, match=message):
        parse_period(label, calendar=calendar)
