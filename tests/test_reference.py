"""The portal's reference window and data age, in both calendars, against dates worked out by hand."""

from __future__ import annotations

import datetime as dt

import pytest

from shafaf.publish.reference import reference_window

D = dt.date


def test_the_window_is_twelve_months_ending_a_month_before_the_last_complete_one():
    # 3 Dec 2026 is 12 Azar 1405: the last complete Jalali month is Aban, the reference month Mehr 1405
    w = reference_window(D(2026, 12, 3))
    assert [m.label for m in w.months][::11] == ["1404-08", "1405-07"] and len(w.months) == 12
    assert (w.start, w.end) == (D(2025, 10, 23), D(2026, 10, 22))
    g = reference_window(D(2026, 12, 3), calendar="gregorian")
    assert (g.start, g.end, g.reference.label) == (D(2025, 11, 1), D(2026, 10, 31), "2026-10")
    assert reference_window(D(2026, 12, 3), calendar="gregorian", lag_months=0).reference.label == "2026-11"
    # across the Jalali new year
    assert reference_window(D(2026, 4, 25)).reference.label == "1404-12"  # 5 Ordibehesht 1405


@pytest.mark.parametrize(
    "last_end, calendar, behind",
    [
        (D(2026, 10, 31), "jalali", 0),  # a Gregorian October reaches past Mehr's end
        (D(2026, 10, 22), "jalali", 0),  # Mehr's own last day
        (D(2026, 10, 21), "jalali", 1),  # a day short of Mehr: Shahrivar is the last month covered to its end
        (D(2026, 9, 30), "jalali", 1),  # a Gregorian September does not cover Mehr
        (D(2026, 1, 31), "jalali", 9),  # customs in the demo: Dey 1404
        (D(2030, 1, 1), "jalali", 0),  # data from the future is not "behind"
        (D(2026, 10, 31), "gregorian", 0),
        (D(2026, 1, 31), "gregorian", 9),
        (D(2024, 3, 31), "gregorian", 31),  # Canada's 2023-24 fiscal year
    ],
)
def test_months_behind(last_end, calendar, behind):
    assert reference_window(D(2026, 12, 3), calendar=calendar).months_behind(last_end) == behind


def test_a_period_counts_where_its_midpoint_falls():
    w = reference_window(D(2026, 12, 3))  # 2025-10-23 .. 2026-10-22
    assert w.contains(D(2025, 11, 1), D(2025, 11, 30))  # a Gregorian month inside
    assert w.contains(D(2026, 10, 1), D(2026, 10, 31))  # October 2026: its midpoint (16th) is inside
    assert not w.contains(D(2025, 10, 1), D(2025, 10, 31))  # October 2025: its midpoint is before the start
    assert not w.contains(D(2024, 4, 1), D(2025, 3, 31))  # a fiscal year half before the window
    monthly = [(D(2026, m, 1), (D(2026, m + 1, 1) - dt.timedelta(days=1))) for m in range(1, 10)]
    assert w.months_covered(monthly) == 9  # Jan..Sep 2026: Dey 1404 .. Shahrivar 1405
    assert w.months_covered([(D(2024, 4, 1), D(2025, 3, 31))]) == 0  # it counts for nothing in the window


def test_an_unknown_calendar_is_refused():
    with pytest.raises(ValueError, match="calendar"):
        reference_window(D(2026, 12, 3), calendar="lunar")
