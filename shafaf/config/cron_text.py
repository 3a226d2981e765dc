"""Our cron dialect: five fields of numbers, ranges, steps, lists and English names, nothing else.

croniter accepts more than a cron expression means everywhere: seconds and
year fields, ``@reboot``/``@daily``, ``L``, ``W``, ``#``, ``?`` and ``H``,
reversed ranges that wrap around (``5-1``). A rule an agency writes must mean
the same to the agency, to a person reading the registry and to any other
cron, so only the common core is accepted, and each refusal names the field
and what is allowed there::

    minute 0-59   hour 0-23   day 1-31   month 1-12 or JAN-DEC   weekday 0-7 or SUN-SAT (0 and 7: Sunday)
    each field: *  N  N-M  */S  N-M/S  N/S  and lists of them: 1,15,30

Pure text checks: no clock, no I/O.
"""

from __future__ import annotations

import re

from shafaf.core.errors import ScheduleError

MAX_LENGTH = 256  # the longest sensible expression lists all 60 minutes (170 characters)
FIELDS = (("minute", 0, 59), ("hour", 0, 23), ("day", 1, 31), ("month", 1, 12), ("weekday", 0, 7))
MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
WEEKDAYS = ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")
_NAMES = {3: {n: i + 1 for i, n in enumerate(MONTHS)}, 4: {n: i for i, n in enumerate(WEEKDAYS)}}
_ITEM = re.compile(
    r"^(?P<range>\*|(?P<low>[0-9]+|[A-Za-z]{3})(?:-(?P<high>[0-9]+|[A-Za-z]{3}))?)(?:/(?P<step>[0-9]+))?$"
)
_EXTENSIONS = {
    "L": "'L' (last day)",
    "W": "'W' (nearest weekday)",
    "#": "'#' (nth weekday)",
    "?": "'?'",
    "H": "'H' (hashed)",
}


def check_cron(text: str) -> str:
    """The expression with its whitespace normalised, or ScheduleError saying which part is wrong."""
    if len(text) > MAX_LENGTH:
        raise ScheduleError(f"the cron expression is {len(text)} characters long; at most {MAX_LENGTH} are allowed")
    fields = text.split()
    shown = " ".join(fields)
    if shown.startswith("@"):
        raise ScheduleError(
            f"{shown!r} is not a valid cron expression: '@' shortcuts such as @reboot or @daily are "
            f'not supported; write the five fields (minute hour day month weekday), e.g. "0 2 * * *"'
        )
    if not fields:
        raise ScheduleError(
            'the cron expression is empty; write the five fields (minute hour day month weekday), e.g. "0 2 * * *"'
        )
    if len(fields) != 5:
        raise ScheduleError(
            f"{shown!r} is not a valid cron expression: it has {len(fields)} field{'s' if len(fields) > 1 else ''}; a cron "
            f"expression has five (minute hour day month weekday), with no seconds or year"
        )
    for index, field in enumerate(fields):
        for item in field.split(","):
            problem = _item_problem(item, index)
            if problem:
                name, low, high = FIELDS[index]
                raise ScheduleError(
                    f"{shown!r} is not a valid cron expression: {name} field {field!r}: {problem} "
                    f"(allowed: *, {low}-{high}, ranges N-M, steps */S, lists N,M)"
                )
    return shown


def _item_problem(item: str, index: int) -> str | None:
    """Why one comma-separated item of field ``index`` is not allowed, or None."""
    for mark, what in _EXTENSIONS.items():
        if mark in item.upper() and not (index in _NAMES and _is_name_item(item)):
            return f"{what} is a croniter extension, not supported here"
    match = _ITEM.match(item)
    if match is None:
        return f"{item!r} is not a number, a range or a step"
    name, low_bound, high_bound = FIELDS[index]
    if match["range"] != "*":
        low = _value(match["low"], index)
        high = _value(match["high"], index) if match["high"] else low
        for value, written in ((low, match["low"]), (high, match["high"])):
            if value is None:
                return f"{written!r} is not a {name} name" if index in _NAMES else f"{written!r} is not a number"
            if not low_bound <= value <= high_bound:
                return f"{written} is out of range {low_bound}-{high_bound}"
        if low > high:  # type: ignore[operator]
            return f"the range {item!r} runs backwards; write it from the smaller to the larger value"
    if match["step"] is not None and not 1 <= int(match["step"]) <= high_bound:
        return f"the step {match['step']} must be from 1 to {high_bound}"
    return None


def _is_name_item(item: str) -> bool:
    """An item made of month or weekday names (WED holds a W, THU an H): not an extension."""
    return all(
        part.isdigit() or part == "*" or part.upper() in (*MONTHS, *WEEKDAYS) for part in re.split(r"[-/]", item)
    )


def _value(written: str, index: int) -> int | None:
    if written.isdigit():
        return int(written)
    return _NAMES.get(index, {}).get(written.upper())
