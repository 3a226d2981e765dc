"""A harvest schedule's cron expression in words, for the public pages (``0 2 * * *`` is "every day at 02:00").

The public should not have to read cron (issue 18). The common shapes, a
time every day, every week on a day, every month on a day, every hour at a
minute, are said in words in the page language; any other expression is
returned as None and the page shows it as the code it is.
"""

from __future__ import annotations

from shafaf.datasette_plugins import i18n
from shafaf.datasette_plugins.i18n import N_

# cron's day-of-week numbers (0 and 7 are Sunday).
WEEKDAYS: tuple[str, ...] = (
    N_("Sunday"),
    N_("Monday"),
    N_("Tuesday"),
    N_("Wednesday"),
    N_("Thursday"),
    N_("Friday"),
    N_("Saturday"),
    N_("Sunday"),
)


def cron_words(cron: str | None, lang: str) -> str | None:
    """``cron`` in words, or None when it is not one of the common shapes."""
    fields = (cron or "").split()
    if len(fields) != 5 or not fields[0].isdigit():
        return None
    minute, hour, day, month, weekday = fields
    if hour == "*" and day == month == weekday == "*":
        return i18n.gettext("every hour at minute %(minute)s", lang) % {"minute": i18n.digits(int(minute), lang)}
    if not hour.isdigit() or month != "*" or int(hour) > 23 or int(minute) > 59:
        return None
    at = {"time": i18n.digits(f"{int(hour):02d}:{int(minute):02d}", lang)}
    if day == "*" and weekday == "*":
        return i18n.gettext("every day at %(time)s", lang) % at
    if day == "*" and weekday.isdigit() and int(weekday) <= 7:
        return i18n.gettext("every %(weekday)s at %(time)s", lang) % {
            **at,
            "weekday": i18n.gettext(WEEKDAYS[int(weekday)], lang),
        }
    if weekday == "*" and day.isdigit() and 1 <= int(day) <= 31:
        return i18n.gettext("day %(day)s of each Gregorian month at %(time)s", lang) % {
            **at,
            "day": i18n.digits(int(day), lang),
        }
    return None
