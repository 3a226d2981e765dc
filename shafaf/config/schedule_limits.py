"""Which schedule rules the portal accepts: ones that always have a next run, and not too often.

A rule passes ``schedule.parse_rule`` when it is well written; it is
*accepted* (registry, ``shafaf schedule set``, the agency API) only when also:

- **it runs at least once in every 366 days** (``HORIZON``). A yearly rule
  (``0 2 1 1 *``) is the rarest one accepted; 366 days is the longest year.
  ``0 0 31 2 *`` (never), ``0 0 30 2 *`` and ``0 0 29 2 *`` (once in four
  years) are refused. The check looks at every date of a whole 28-year
  cycle of the calendar, so a rule accepted today never "runs out". Jalali rules always pass:
  a ``jalali_day`` past a month's end means its last day (31 exists only in
  the first six months, 30 in Esfand only in leap years), so each has one
  slot in every Jalali month.
- **it does not run more often than the portal allows** (``Limits.min_interval``):
  an hour divided by ``harvest_requests_per_hour`` (6 by default: every 10
  minutes), because a schedule should not give an agency more harvests an
  hour than it may ask for on demand, and never less than the fetch deadline
  (``fetch_deadline_s``), so a run can end before the next one is due. With
  requests turned off (0) the minimum is an hour.
- **with ``working_days``, some run is on a working day**: a rule whose every
  slot falls on Thursday or Friday would only ever run on Saturday, so it is
  refused with the Saturday rule to write instead.

Intervals are measured on the portal's wall clock; a timezone with summer
time can make one gap an hour shorter or longer (Asia/Tehran has none since
2022).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
from typing import Any

from croniter import croniter

from shafaf.config.schedule import WEEKEND, Rule, parse_rule
from shafaf.core.errors import ScheduleError

HORIZON = dt.timedelta(days=366)
# From 1901 to 2099 the calendar, weekdays and leap years included, repeats every 28 years; a scan of
# 28 years and one more sees every gap of up to 366 days. (2100 has no 29 February; a rule that needs
# one is refused anyway: it runs once in four years at best.)
_CYCLE_START = dt.date(2001, 1, 1).toordinal()
_CYCLE_DAYS = dt.date(2029, 1, 1).toordinal() - _CYCLE_START


@dataclasses.dataclass(frozen=True)
class Limits:
    """The portal's bounds on schedules."""

    min_interval: dt.timedelta = dt.timedelta(minutes=10)
    why: str = "harvest_requests_per_hour: 6"

    @classmethod
    def from_settings(cls, *, requests_per_hour: int, fetch_deadline_s: float) -> Limits:
        by_requests = 3600 / requests_per_hour if requests_per_hour > 0 else 3600.0
        if fetch_deadline_s > by_requests:
            return cls(dt.timedelta(seconds=fetch_deadline_s), f"fetch_deadline_s: {fetch_deadline_s:g}")
        return cls(dt.timedelta(seconds=by_requests), f"harvest_requests_per_hour: {requests_per_hour}")


def accept_rule(value: Any, *, limits: Limits) -> Rule:
    """A rule from its registry or JSON form that the portal accepts; ScheduleError says why not."""
    rule = parse_rule(value)
    if rule.cron is not None:
        _check_cron(rule, limits)
    return rule


def _check_cron(rule: Rule, limits: Limits) -> None:
    if (problem := _cron_problem(rule, limits)) is not None:
        raise ScheduleError(problem)


@functools.lru_cache(maxsize=1024)
def _cron_problem(rule: Rule, limits: Limits) -> str | None:
    """Why the portal refuses a cron rule, or None: once per rule and limits, however many sources share it
    (a national registry has thousands of sources on a few expressions; croniter is the cost here)."""
    text = rule.cron or ""
    days, longest, consecutive = _calendar(text, rule.working_days)
    if not days:
        return f"{text!r} never runs: no date has that day in those months (such as 31 February or 31 April)"
    if days == -1:
        return (
            f"every run of {text!r} falls on Thursday or Friday, so with working_days all of them "
            f"would move to Saturday; write the Saturday rule instead (weekday 6)"
        )
    if longest > HORIZON.days:
        return (
            f"{text!r} can go {longest} days without running (29 February comes once in four "
            f"years); a schedule must run at least once in every {HORIZON.days} days"
        )
    gap = _shortest_gap(text, consecutive)
    if gap is not None and gap < limits.min_interval:
        return (
            f"{text!r} runs every {_minutes(gap)}; the portal allows a scheduled harvest at most "
            f"every {_minutes(limits.min_interval)} ({limits.why})"
        )
    return None


@functools.lru_cache(maxsize=256)
def _calendar(text: str, working_days: bool) -> tuple[int, int, bool]:
    """Over the 28-year cycle: how many days the rule fires on (-1: only Thursdays and Fridays while
    ``working_days``), the longest wait in days between two of them, and whether two are consecutive."""
    minutes, hours, doms, months, dows = croniter(text).expanded
    every_dom, every_dow = doms[0] == "*", dows[0] == "*"
    either = not every_dom and not every_dow  # croniter (like Vixie cron): restricting both means either matches
    dom_set, month_set = set(doms), set(months)
    dow_set = {d % 7 for d in dows if d != "*"}
    end = _CYCLE_START + _CYCLE_DAYS + HORIZON.days
    last = _CYCLE_START - 1  # so a rule silent at the start or the end of the scan shows that wait too
    count = working = 0
    longest = 0
    consecutive = False
    for ordinal in range(_CYCLE_START, end):
        day = dt.date.fromordinal(ordinal)
        if months[0] != "*" and day.month not in month_set:
            continue
        dom_ok = every_dom or day.day in dom_set
        dow_ok = every_dow or (day.weekday() + 1) % 7 in dow_set  # cron: 0 = Sunday; Python: 0 = Monday
        if not ((dom_ok or dow_ok) if either else (dom_ok and dow_ok)):
            continue
        count += 1
        working += day.weekday() not in WEEKEND
        longest = max(longest, ordinal - last)
        consecutive = consecutive or (count > 1 and ordinal - last == 1)
        last = ordinal
    longest = max(longest, end - last)
    if count and working_days and not working:
        return -1, longest, consecutive
    return count, longest, consecutive


def _shortest_gap(text: str, consecutive_days: bool) -> dt.timedelta | None:
    """The shortest time between two runs: within a day, or from a day's last run to the next day's first."""
    minutes, hours = croniter(text).expanded[:2]
    minute_set = range(60) if minutes[0] == "*" else minutes
    hour_set = range(24) if hours[0] == "*" else hours
    times = sorted(h * 60 + m for h in hour_set for m in minute_set)
    gaps = [b - a for a, b in zip(times, times[1:])]
    if consecutive_days:
        gaps.append(times[0] + 24 * 60 - times[-1])
    return dt.timedelta(minutes=min(gaps)) if gaps else None


def _minutes(gap: dt.timedelta) -> str:
    seconds = gap.total_seconds()
    amount, unit = (seconds, "second") if seconds < 60 else (seconds / 60, "minute")
    if seconds >= 3600 and not seconds % 3600:
        amount, unit = seconds / 3600, "hour"
    return f"{amount:g} {unit}{'' if amount == 1 else 's'}"
