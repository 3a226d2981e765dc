"""Schedule rules: cron in the portal timezone, Jalali days, Iranian working days, due and stale."""

from __future__ import annotations

import datetime as dt
import itertools
import textwrap

import pytest

from shafaf.config import registry
from shafaf.config.schedule import (
    due_since,
    is_stale,
    last_at_or_before,
    next_after,
    nth_previous,
    parse_rule,
    previous_slots,
)
from shafaf.core.errors import RegistryError, ScheduleError

TEHRAN = "Asia/Tehran"
UTC = dt.UTC


def utc(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=UTC)


# --- cron in Tehran, across its midnight


def test_cron_is_evaluated_in_tehran_time_and_returned_in_utc():
    rule = parse_rule("0 2 * * *")  # 02:00 Tehran (UTC+3:30) is 22:30 UTC the day before
    assert next_after(rule, utc(2026, 12, 1, 20, 0), tz=TEHRAN) == utc(2026, 12, 1, 22, 30)
    assert last_at_or_before(rule, utc(2026, 12, 1, 20, 0), tz=TEHRAN) == utc(2026, 11, 30, 22, 30)


def test_a_slot_just_after_tehran_midnight_falls_on_the_previous_utc_day():
    rule = parse_rule("30 0 * * *")  # 00:30 Tehran = 21:00 UTC of the day before
    before = utc(2026, 12, 1, 20, 59)  # 00:29 on 2 Dec in Tehran, still 1 Dec in UTC
    assert next_after(rule, before, tz=TEHRAN) == utc(2026, 12, 1, 21, 0)
    assert next_after(rule, utc(2026, 12, 1, 21, 0), tz=TEHRAN) == utc(2026, 12, 2, 21, 0)
    # A weekday in cron is Tehran's weekday: Saturday 00:30 in Tehran is Friday 21:00 in UTC.
    saturday = parse_rule("30 0 * * 6")
    slot = next_after(saturday, utc(2026, 12, 1, 0, 0), tz=TEHRAN)
    assert slot == utc(2026, 12, 4, 21, 0) and slot.weekday() == 4


def test_tehran_summer_time_before_2022_is_in_the_timezone_data():
    rule = parse_rule("0 2 * * *")
    assert next_after(rule, utc(2021, 6, 1, 12, 0), tz=TEHRAN) == utc(2021, 6, 1, 21, 30)  # UTC+4:30 then


# --- Jalali days and working days


def test_the_fifth_of_each_jalali_month():
    rule = parse_rule({"jalali_day": 5, "at": "02:00"})
    slots = [next_after(rule, utc(2026, 11, 1), tz=TEHRAN)]
    for _ in range(3):
        slots.append(next_after(rule, slots[-1], tz=TEHRAN))
    # 5 Azar, 5 Dey, 5 Bahman, 5 Esfand 1405 at 02:00 Tehran
    assert slots == [
        utc(2026, 11, 25, 22, 30),
        utc(2026, 12, 25, 22, 30),
        utc(2027, 1, 24, 22, 30),
        utc(2027, 2, 23, 22, 30),
    ]


def test_a_jalali_day_past_the_month_end_is_its_last_day():
    rule = parse_rule({"jalali_day": 31, "at": "00:00"})
    # Mehr has 30 days: 30 Mehr 1405 is 22 Oct 2026; Esfand 1403 (leap) has 30, Esfand 1404 has 29.
    assert next_after(rule, utc(2026, 10, 1), tz=TEHRAN) == utc(2026, 10, 21, 20, 30)
    assert next_after(rule, utc(2025, 3, 1), tz=TEHRAN) == utc(2025, 3, 19, 20, 30)  # 30 Esfand 1403
    assert next_after(rule, utc(2026, 3, 1), tz=TEHRAN) == utc(2026, 3, 19, 20, 30)  # 29 Esfand 1404


def test_working_days_move_thursday_and_friday_to_saturday():
    rule = parse_rule({"jalali_day": 12, "at": "02:00", "working_days": True})
    # 12 Azar 1405 is Thursday 3 Dec 2026: the run moves to Saturday 5 Dec.
    assert next_after(rule, utc(2026, 12, 1), tz=TEHRAN) == utc(2026, 12, 4, 22, 30)
    daily = parse_rule({"cron": "0 2 * * *", "working_days": True})
    slots = list(itertools.islice(previous_slots(daily, utc(2026, 12, 1, 20, 0), tz=TEHRAN), 10))
    local_days = [(s + dt.timedelta(hours=3, minutes=30)).weekday() for s in slots]
    assert 3 not in local_days and 4 not in local_days  # never Thursday or Friday
    assert len(set(slots)) == len(slots) and slots == sorted(slots, reverse=True)
    assert next_after(daily, utc(2026, 12, 2, 23, 0), tz=TEHRAN) == utc(2026, 12, 4, 22, 30)  # Thu 02:30 -> Sat


# --- due: one run for any number of missed slots; clock jumps


def test_a_missed_window_is_owed_once_however_many_slots_passed():
    rule = parse_rule("0 * * * *")  # hourly, on Tehran's hour: half past in UTC (UTC+3:30)
    now = utc(2026, 12, 1, 12, 45)
    slot = due_since(rule, last_attempt=utc(2026, 11, 28, 3, 0), now=now, tz=TEHRAN)
    assert slot == utc(2026, 12, 1, 12, 30)  # only the latest slot
    assert due_since(rule, last_attempt=utc(2026, 12, 1, 12, 30, 1), now=now, tz=TEHRAN) is None
    assert due_since(rule, last_attempt=None, now=now, tz=TEHRAN) == slot  # never run: once, now


def test_clock_jumps_neither_double_run_nor_suppress():
    rule = parse_rule("0 2 * * *")
    ran = utc(2026, 11, 30, 22, 30, 5)  # today's 02:00 Tehran run
    # The clock goes back an hour: that run still covers the slot, no second run.
    assert due_since(rule, last_attempt=ran, now=ran - dt.timedelta(hours=1), tz=TEHRAN) is None
    # It jumps forward a day: one run owed, not one per skipped slot.
    later = ran + dt.timedelta(days=1, hours=1)
    assert due_since(rule, last_attempt=ran, now=later, tz=TEHRAN) == utc(2026, 12, 1, 22, 30)
    # It goes back three days: a run stamped in "the future" does not suppress harvests until then.
    assert due_since(rule, last_attempt=ran, now=ran - dt.timedelta(days=3), tz=TEHRAN) is not None


def test_stale_after_n_missed_slots():
    rule = parse_rule("0 2 * * *")
    now = utc(2026, 12, 1, 12, 0)  # latest slot 30 Nov 22:30, the one before 29 Nov 22:30
    assert nth_previous(rule, now, 2, tz=TEHRAN) == utc(2026, 11, 29, 22, 30)
    assert not is_stale(rule, last_good=utc(2026, 11, 29, 22, 31), now=now, missed=2, tz=TEHRAN)
    assert is_stale(rule, last_good=utc(2026, 11, 29, 22, 0), now=now, missed=2, tz=TEHRAN)
    assert not is_stale(rule, last_good=utc(2026, 11, 29, 22, 0), now=now, missed=3, tz=TEHRAN)
    assert is_stale(rule, last_good=None, now=now, missed=2, tz=TEHRAN)


# --- the syntax


@pytest.mark.parametrize(
    "value, words",
    [
        ("61 * * * *", "not a valid cron"),
        ("0 2 * * * *", "not a valid cron"),
        ({"cron": "0 2 * * *", "jalali_day": 5}, "exactly one"),
        ({}, "exactly one"),
        ({"jalali_day": 0}, "from 1 to 31"),
        ({"jalali_day": 32}, "from 1 to 31"),
        ({"jalali_day": True}, "from 1 to 31"),
        ({"jalali_day": 5, "at": "25:00"}, "HH:MM"),
        ({"jalali_day": 5, "at": "2am"}, "HH:MM"),
        ({"cron": "0 2 * * *", "at": "02:00"}, "'at' goes with"),
        ({"jalali_day": 5, "working_days": "yes"}, "true or false"),
        ({"jalali": 5}, "unknown key"),
        (5, "a cron expression"),
    ],
)
def test_bad_rules_say_why(value, words):
    with pytest.raises(ScheduleError, match=words):
        parse_rule(value)


def test_rules_round_trip_through_their_json_form():
    for value in (
        "0 2 * * *",
        {"cron": "0 2 * * *", "working_days": True},
        {"jalali_day": 5, "at": "02:00"},
        {"jalali_day": 31, "at": "06:30", "working_days": True},
    ):
        rule = parse_rule(value)
        assert parse_rule(rule.to_json()) == rule
    assert parse_rule("0 2 * * *").to_json() == "0 2 * * *"


def test_registry_accepts_both_forms_and_reports_a_bad_rule_with_its_line(tmp_path):
    def write(schedule: str) -> registry.Registry:
        path = tmp_path / "agencies.yml"
        path.write_text(
            textwrap.dedent(f"""\
            agencies:
              - id: tax
                name_fa: مالیات
                name_en: Tax
                sources:
                  - dataset: services
                    path: services.csv
                    schedule: {schedule}
            """),
            encoding="utf-8",
        )
        return registry.load(path)

    assert write('{jalali_day: 5, at: "02:00", working_days: true}').agencies[0].sources[0].schedule == parse_rule(
        {"jalali_day": 5, "at": "02:00", "working_days": True}
    )
    assert write('"15 3 * * 6"').agencies[0].sources[0].schedule.cron == "15 3 * * 6"
    with pytest.raises(RegistryError, match=r"agencies.yml:8: schedule of .*'jalali_day' must be"):
        write("{jalali_day: 40}")
