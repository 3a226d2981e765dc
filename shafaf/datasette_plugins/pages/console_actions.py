"""The officer's console's actions on sources: harvest now, accept a held file, preview and save a schedule.

Split from ``console`` by what it owns. Each action is written where the API
and the CLI write it (``agency_requests``: the same path, validation, limits
and rate limit), says in the public run history that the agency asked
through its console (``BY``), and answers with the console again: a
problem in the page's language, or a redirect (``console_render.done``).
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from shafaf.config.schedule_limits import accept_rule
from shafaf.core.errors import RateLimited, ScheduleError, UsageError
from shafaf.datasette_plugins import i18n
from shafaf.datasette_plugins.pages import console_render as render
from shafaf.datasette_plugins.pages.console_view import sources, upcoming
from shafaf.normalize import fold_digits
from shafaf.state import agency_requests

if TYPE_CHECKING:
    from datasette import Response

    from shafaf.datasette_plugins.pages.console_render import Visit

BY = "the agency through its console"


async def harvest(visit: Visit, fields: dict[str, str], token_id: str, *, accept_shrink: bool = False) -> Response:
    """Queue a harvest of one source (``source``) or all, through the API's path and hourly limit."""
    source = fields.get("source") or None
    try:
        await asyncio.to_thread(
            agency_requests.request_harvest,
            visit.found.state,
            visit.agency,
            source_id=source,
            token_id=token_id,
            per_hour=visit.found.registry.portal.harvest_requests_per_hour,
            by=BY,
            accept_shrink=accept_shrink,
        )
    except RateLimited as e:
        problem = visit.gettext(
            "The agency has asked for as many harvests as the portal allows in an hour. "
            "Try again in %(minutes)s minutes."
        )
        minutes = i18n.digits(str(max(1, e.retry_after // 60)), visit.lang)
        return await render.refused(
            visit, 429, problem % {"minutes": minutes}, headers={"Retry-After": str(e.retry_after)}
        )
    except UsageError:
        return await render.refused(visit, 400, visit.gettext("This agency has no such source."))
    return render.done(visit, "harvest")


async def accept_shrink(visit: Visit, fields: dict[str, str], token_id: str) -> Response:
    """Queue the source again, accepting the smaller file: only when the portal allows and a file is held."""
    if not visit.found.registry.portal.agencies_may_accept_shrink:
        return await render.refused(visit, 403, visit.gettext("On this portal only the operator accepts a held file."))
    shown = {s["id"]: s for s in await sources(visit.datasette, visit.found, visit.agency, visit.lang)}
    source = shown.get(fields.get("source", ""))
    if source is None or source["held"] is None:
        return await render.refused(visit, 400, visit.gettext("This source has no held file to accept."))
    return await harvest(visit, fields, token_id, accept_shrink=True)


def rule_value(fields: dict[str, str]) -> Any:
    """The rule the schedule form describes, in the registry's forms (``config/schedule.py``)."""
    working = fields.get("working_days") == "on"
    if fields.get("rule_kind") == "jalali":
        day = fold_digits(fields.get("jalali_day", "")).strip()
        if not day.isdigit():
            raise ScheduleError("the day of the Jalali month must be a number from 1 to 31")
        value: dict[str, Any] = {"jalali_day": int(day), "at": fold_digits(fields.get("at", "")).strip() or "00:00"}
        return value | ({"working_days": True} if working else {})
    cron = fold_digits(fields.get("cron", "")).strip()
    return {"cron": cron, "working_days": True} if working else cron


async def schedule(visit: Visit, fields: dict[str, str], token_id: str) -> Response:
    """Preview the next runs of the form's rule, or save it (``step=save``) with the portal's limits."""
    portal = visit.found.registry.portal
    source = fields.get("source", "")
    if source not in {s.id for s in visit.agency.sources}:
        return await render.refused(visit, 400, visit.gettext("This agency has no such source."))
    try:
        value = rule_value(fields)
        if fields.get("step") != "save":
            parsed = await asyncio.to_thread(accept_rule, value, limits=portal.schedule_limits)
            runs = await asyncio.to_thread(upcoming, parsed, portal.timezone, visit.lang)
            return await render.page(visit, signed_in=True, preview={"source": source, "fields": fields, "runs": runs})
        await asyncio.to_thread(
            agency_requests.set_schedule,
            visit.found.state,
            visit.agency,
            source,
            value,
            by=f"{BY} (token {token_id})",
            limits=portal.schedule_limits,
            tz=portal.timezone,
        )
    except ScheduleError as e:
        return await render.page(
            visit,
            signed_in=True,
            status=400,
            preview={"source": source, "fields": fields, "runs": []},
            problem=visit.gettext("This schedule cannot be used: %(why)s") % {"why": str(e)},
        )
    return render.done(visit, "schedule")
