"""Schedule rules: when a source is due, in the portal's timezone, computed in UTC.

A rule is written in the registry (``schedule:``), in ``shafaf schedule set``
or in the body of ``PUT /-/agencies/<id>/schedule``, in one of two forms:

- a cron expression (text): ``"0 2 * * *"`` is 02:00 every day in the portal
  timezone (minute hour day-of-month month weekday; 0 = Sunday, 6 = Saturday);
- a mapping, for rules agencies think of in local terms::

    {cron: "0 2 * * *", working_days: true}      # 02:00, but never on Thursday or Friday
    {jalali_day: 5, at: "02:00"}                   # the 5th of each Jalali month at 02:00
    {jalali_day: 31, at: "06:30", working_days: true}

``jalali_day`` past the end of a month (31 in Mehr, 30 in a common Esfand)
means its last day. ``working_days: true`` moves a slot that falls on an
Iranian weekend day (Thursday, Friday) to the next Saturday at the same time;
official holidays are not known to the portal. Slots that collapse onto one
instant are one slot.

Every function here takes and returns timezone-aware UTC datetimes and does
no I/O, so the scheduler, ``shafaf status``, the agency page and the feeds all
agree on what is due and what is stale. They raise only ScheduleError, also
when a rule cannot be computed (a stored rule written by an older Shafaf):
callers report it for that source and go on with the others. Which
well-written rules the portal accepts (a run in every 366 days, not too
often) is ``schedule_limits``.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import functools
import re
from collections.abc import Iterator
from typing import Any
from zoneinfo import ZoneInfo

import jdatetime
from croniter import croniter

from shafaf.config.cron_text import check_cron
from shafaf.core.errors import ScheduleError

RULE_KEYS = ("cron", "jalali_day", "at", "working_days")
WEEKEND = (3, 4)  # Python weekday(): Thursday, Friday
_AT = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)\Z")
_MAX_STEPS = 20_000  # cron firings examined per question; a per-minute cron needs 2,880 for two days
_SHIFT = dt.timedelta(days=2)  # the most a working-day move adds (Thursday -> Saturday)
UTC = dt.UTC


@dataclasses.dataclass(frozen=True)
class Rule:
    """One source's schedule; exactly one of ``cron`` and ``jalali_day`` is set."""

    cron: str | None = None
    jalali_day: int | None = None
    at: dt.time = dt.time(0, 0)
    working_days: bool = False

    def to_json(self) -> str | dict[str, Any]:
        """The form it is written in: plain cron text when that says it all."""
        if self.cron is not None and not self.working_days:
            return self.cron
        out: dict[str, Any] = {"working_days": True} if self.working_days else {}
        if self.cron is not None:
            out["cron"] = self.cron
        else:
            out.update(jalali_day=self.jalali_day, at=self.at.strftime("%H:%M"))
        return out

    def describe(self) -> str:
        """A short English text for the command line."""
        what = f"cron {self.cron}" if self.cron else f"Jalali day {self.jalali_day} at {self.at:%H:%M}"
        return what + (", working days only" if self.working_days else "")


def parse_rule(value: Any) -> Rule:
    """A Rule from its registry or JSON form; ScheduleError says what is wrong."""
    if isinstance(value, Rule):
        return value
    if isinstance(value, str):
        return Rule(cron=_cron(value))
    if not isinstance(value, dict):
        raise ScheduleError(
            f"a schedule is a cron expression (text) or a mapping with 'cron' or 'jalali_day', not {_kind(value)}"
        )
    unknown = sorted(str(k) for k in value if k not in RULE_KEYS)
    if unknown:
        raise ScheduleError(f"unknown key {unknown[0]!r} in the schedule; use {', '.join(RULE_KEYS)}")
    working = value.get("working_days", False)
    if not isinstance(working, bool):
        raise ScheduleError("'working_days' must be true or false")
    cron, day = value.get("cron"), value.get("jalali_day")
    if (cron is None) == (day is None):
        raise ScheduleError("a schedule needs exactly one of 'cron' and 'jalali_day'")
    if cron is not None:
        if "at" in value:
            raise ScheduleError("'at' goes with 'jalali_day'; a cron expression carries its own time")
        if not isinstance(cron, str):
            raise ScheduleError("'cron' must be text such as \"0 2 * * *\"")
        return Rule(cron=_cron(cron), working_days=working)
    if isinstance(day, bool) or not isinstance(day, int) or not 1 <= day <= 31:
        raise ScheduleError("'jalali_day' must be a whole number from 1 to 31")
    return Rule(jalali_day=day, at=_at(value.get("at", "00:00")), working_days=working)


@functools.lru_cache(maxsize=1024)
def _cron(text: str) -> str:
    """The checked text of a cron expression: once per expression (an error is not cached, and is raised anew)."""
    text = check_cron(text)
    if not croniter.is_valid(text):  # our dialect is a subset of croniter's; this only guards that promise
        raise ScheduleError(f"{text!r} is not a valid cron expression (minute hour day month weekday)")
    return text


def _kind(value: Any) -> str:
    return {bool: "true or false", int: "a number", float: "a number", list: "a list", type(None): "null"}.get(
        type(value), type(value).__name__
    )


def problem_text(error: ScheduleError) -> str:
    """How a source whose stored rule cannot be used is reported, everywhere."""
    return f"schedule cannot be computed: {error}"


@contextlib.contextmanager
def _computing(rule: Rule) -> Iterator[None]:
    """croniter's and jdatetime's failures (no such date, a year out of range) as our ScheduleError."""
    try:
        yield
    except ScheduleError:
        raise
    except (
        ValueError,
        OverflowError,
        KeyError,
        StopIteration,
        RecursionError,
    ) as e:  # croniter's errors are ValueErrors
        raise ScheduleError(f"{rule.describe()}: {type(e).__name__}: {e}") from e


def _at(value: Any) -> dt.time:
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 24 * 60:
        return dt.time(value // 60, value % 60)  # YAML 1.1 reads an unquoted 02:00 as the base-60 number 120
    match = _AT.match(value) if isinstance(value, str) else None
    if match is None:
        raise ScheduleError("'at' must be a time of day as HH:MM, e.g. \"02:00\"")
    return dt.time(int(match[1]), int(match[2]))


# --- evaluation ----------------------------------------------------------------


def next_after(rule: Rule, moment: dt.datetime, *, tz: str) -> dt.datetime:
    """The first slot strictly after ``moment`` (UTC); ScheduleError when there is none to be found."""
    with _computing(rule):
        return _next_after(rule, moment, tz=tz)


def _next_after(rule: Rule, moment: dt.datetime, *, tz: str) -> dt.datetime:
    if rule.jalali_day is not None:
        return next(s for s in _jalali_slots(rule, moment, ZoneInfo(tz), forward=True) if s > moment)
    best: dt.datetime | None = None
    for raw in _cron_firings(rule, moment - _SHIFT if rule.working_days else moment, ZoneInfo(tz), forward=True):
        if best is not None and raw >= best:
            return best
        slot = _shifted(rule, raw, ZoneInfo(tz))
        if slot > moment and (best is None or slot < best):
            best = slot
    if best is None:
        raise ScheduleError(f"the schedule {rule.describe()} has no slot after {moment:%Y-%m-%d}")
    return best


def last_at_or_before(rule: Rule, moment: dt.datetime, *, tz: str) -> dt.datetime | None:
    """The latest slot at or before ``moment`` (UTC), None if the rule never fired."""
    return next(previous_slots(rule, moment, tz=tz), None)


def previous_slots(rule: Rule, moment: dt.datetime, *, tz: str) -> Iterator[dt.datetime]:
    """Slots at or before ``moment``, newest first, each once."""
    with _computing(rule):
        yield from _previous_slots(rule, moment, tz=tz)


def _previous_slots(rule: Rule, moment: dt.datetime, *, tz: str) -> Iterator[dt.datetime]:
    zone = ZoneInfo(tz)
    if rule.jalali_day is not None:
        yield from (s for s in _jalali_slots(rule, moment, zone, forward=False) if s <= moment)
        return
    bound = moment + dt.timedelta(seconds=1)  # croniter's get_prev is strictly before its start
    pending: list[dt.datetime] = []
    seen: set[dt.datetime] = set()
    for raw in _cron_firings(rule, bound, zone, forward=False):
        slot = _shifted(rule, raw, zone)
        if slot <= moment and slot not in seen:
            seen.add(slot)
            pending.append(slot)
        # A raw firing at or before ``slot - 2 days`` can no longer move past what we hold.
        pending.sort(reverse=True)
        while pending and (not rule.working_days or raw + _SHIFT < pending[0]):
            yield pending.pop(0)
    yield from sorted(pending, reverse=True)


def nth_previous(rule: Rule, moment: dt.datetime, n: int, *, tz: str) -> dt.datetime | None:
    """The ``n``-th latest slot at or before ``moment`` (n = 1 is the latest)."""
    for i, slot in enumerate(previous_slots(rule, moment, tz=tz), start=1):
        if i == n:
            return slot
    return None


def due_since(rule: Rule, *, last_attempt: dt.datetime | None, now: dt.datetime, tz: str) -> dt.datetime | None:
    """The slot a run is owed for, or None when the last attempt already covers the latest slot.

    However many slots were missed, only the latest is owed: a portal that
    was down for a week runs each source once. An attempt stamped after
    ``now`` means the wall clock went back: by less than one period of the
    rule it still covers the slot (no second run within the interval); by
    more, it is not trusted, so a clock set far back never suppresses
    harvests until it catches up.
    """
    slot = last_at_or_before(rule, now, tz=tz)
    return owed(slot, next_after(rule, slot, tz=tz) if slot is not None else None, last_attempt=last_attempt, now=now)


def owed(
    slot: dt.datetime | None, following: dt.datetime | None, *, last_attempt: dt.datetime | None, now: dt.datetime
) -> dt.datetime | None:
    """``due_since`` given the rule's latest slot at or before ``now`` and the slot after it: no cron work,
    so a pass computes those two once per rule and decides each of thousands of sources by comparisons."""
    if slot is None:
        return None
    if last_attempt is None or last_attempt < slot:
        return slot
    if last_attempt > now and following is not None and last_attempt - now > following - slot:
        return slot
    return None


def is_stale(rule: Rule, *, last_good: dt.datetime | None, now: dt.datetime, missed: int, tz: str) -> bool:
    """Data is stale once ``missed`` slots have passed without a good run since them."""
    return older_than_limit(last_good, nth_previous(rule, now, missed, tz=tz))


def older_than_limit(last_good: dt.datetime | None, limit: dt.datetime | None) -> bool:
    """Stale against a precomputed limit (the ``missed``-th latest slot); no limit: the rule never fired."""
    return limit is not None and (last_good is None or last_good < limit)


# --- the slot generators ---------------------------------------------------------


def _cron_firings(rule: Rule, start: dt.datetime, zone: ZoneInfo, *, forward: bool) -> Iterator[dt.datetime]:
    it = croniter(rule.cron, start.astimezone(zone))
    step = it.get_next if forward else it.get_prev
    for _ in range(_MAX_STEPS):
        yield step(dt.datetime).astimezone(UTC)


def _shifted(rule: Rule, slot: dt.datetime, zone: ZoneInfo) -> dt.datetime:
    """A slot on Thursday or Friday moved to the same local time on the next working day."""
    if not rule.working_days:
        return slot
    local = slot.astimezone(zone)
    days = 0
    while (local.date() + dt.timedelta(days=days)).weekday() in WEEKEND:
        days += 1
    if not days:
        return slot
    moved = dt.datetime.combine(local.date() + dt.timedelta(days=days), local.time(), tzinfo=zone)
    return moved.astimezone(UTC)


def _jalali_slots(rule: Rule, moment: dt.datetime, zone: ZoneInfo, *, forward: bool) -> Iterator[dt.datetime]:
    """The rule's slot in each Jalali month, starting a month before (or after) ``moment``'s."""
    today = jdatetime.date.fromgregorian(date=moment.astimezone(zone).date())
    year, month = today.year, today.month
    step = 1 if forward else -1
    year, month = _add_month(year, month, -step)
    for _ in range(1200):  # a century of months; the rule has one slot in each
        last = jdatetime.j_days_in_month[month - 1]
        if month == 12 and jdatetime.date(year, 1, 1).isleap():
            last = 30
        day = jdatetime.date(year, month, min(rule.jalali_day or 1, last)).togregorian()
        local = dt.datetime.combine(day, rule.at, tzinfo=zone).astimezone(UTC)
        yield _shifted(rule, local, zone)
        year, month = _add_month(year, month, step)


def _add_month(year: int, month: int, step: int) -> tuple[int, int]:
    index = year * 12 + (month - 1) + step
    return index // 12, index % 12 + 1


def parse_utc(text: str | None) -> dt.datetime | None:
    """A stored UTC time (``2026-12-01T18:00:00Z``) as an aware datetime."""
    if not text:
        return None
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


def format_utc(moment: dt.datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
