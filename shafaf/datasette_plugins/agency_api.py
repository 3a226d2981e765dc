"""The agency API: the only writes the public web process makes, and only with the agency's token.

- ``POST /-/agencies/<id>/harvest`` (optional JSON body ``{"source": "services"}``)
  queues a harvest for the scheduler: 202 with the request and run ids.
- ``PUT /-/agencies/<id>/schedule`` with ``{"source": "services", "schedule": <rule>}``
  stores the agency's schedule over the registry's (the rule forms are in
  ``shafaf/config/schedule.py``, the portal's limits in ``shafaf/config/schedule_limits.py``):
  200 with the rule and its next run, 400 with the reason when the rule is
  not valid, never runs, or runs more often than the portal allows; nothing
  is stored then.

A body is a JSON object with only the keys its route takes; text that cannot
be stored (a lone surrogate, a control character: ``shafaf/core/text_checks.py``)
is refused with 400 naming the key, before anything is written.

Both need ``Authorization: Bearer <token>`` (``shafaf token create``): none
or an unknown/revoked one is 401, another agency's is 403, and nothing is
written. Other methods are 405 and do nothing. Requests never fetch or run
a harvester here: the scheduler picks them up. Answers are JSON; bodies are
capped. The routes authenticate by header, not cookie, so they are exempt
from Datasette's CSRF check (``skip_csrf``).
"""

from __future__ import annotations

import asyncio
import json
from typing import TYPE_CHECKING, Any

from datasette import Response

from shafaf.config.schedule import format_utc
from shafaf.core.errors import RateLimited, ScheduleError, UsageError
from shafaf.core.text_checks import json_problem
from shafaf.datasette_plugins.common import AGENCY_ID_PATTERN
from shafaf.datasette_plugins.pages.harvest_status import Context, context
from shafaf.state import agency_requests, tokens

if TYPE_CHECKING:
    from datasette import Request
    from datasette.app import Datasette

PREFIX = "/-/agencies/"
MAX_BODY = 16 * 1024


def skip_csrf(scope: dict[str, Any]) -> bool:
    """Token-authenticated API calls carry no cookie to forge; asgi-csrf would refuse their POST and PUT."""
    return scope.get("type") == "http" and str(scope.get("path", "")).startswith(PREFIX)


def _error(status: int, message: str, **headers: str) -> Response:
    return Response.json({"ok": False, "error": message}, status=status, headers=headers or None)


async def _authorised(request: Request, datasette: Datasette, method: str) -> tuple[Context, Any] | Response:
    """The context and agency when the request may act for the agency of the URL, else the refusal."""
    if (datasette.plugin_config("shafaf") or {}).get("replica"):
        return _error(403, "primary only: this is a read replica; send agency requests to the primary portal")
    if request.method != method:
        return _error(405, f"use {method}", Allow=method)
    found = context(datasette)
    if found is None:
        return _error(503, "this portal takes no agency requests (shafaf serve sets up the state database)")
    try:
        agency = found.registry.agency(request.url_vars["agency_id"])
    except KeyError:
        return _error(404, "no such agency")
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return _error(401, "send the agency's token: Authorization: Bearer <token>", **{"WWW-Authenticate": "Bearer"})
    owner = await asyncio.to_thread(tokens.verify, found.state, token.strip())
    if owner is None:
        return _error(
            401, "the token is not valid (unknown or revoked)", **{"WWW-Authenticate": 'Bearer error="invalid_token"'}
        )
    if owner != agency.id:
        return _error(403, "this token belongs to another agency")
    return found, agency


async def _json_body(request: Request, keys: tuple[str, ...]) -> dict[str, Any] | Response:
    body = b""
    more = True
    while more:
        message = await request.receive()
        body += message.get("body", b"")
        more = message.get("more_body", False)
        if len(body) > MAX_BODY:
            return _error(413, f"the body is larger than {MAX_BODY} bytes")
    if not body.strip():
        return {}
    try:
        value = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError):
        return _error(400, "the body is not valid JSON")
    if not isinstance(value, dict):
        return _error(400, "the body must be a JSON object")
    problem = json_problem(value)
    if problem:
        return _error(400, f"{problem}; send plain text")
    unknown = sorted(k for k in value if k not in keys)
    if unknown:
        return _error(400, f"unknown key {unknown[0]!r} in the body; this request takes {', '.join(keys)}")
    return value


async def _authorised_request(
    request: Request, datasette: Datasette, method: str, keys: tuple[str, ...]
) -> Response | tuple[Any, Any, dict]:
    """The agency's own token and a JSON object body of ``keys``, or the response that refuses the request."""
    allowed = await _authorised(request, datasette, method)
    if isinstance(allowed, Response):
        return allowed
    body = await _json_body(request, keys)
    if isinstance(body, Response):
        return body
    return (*allowed, body)


async def harvest(request: Request, datasette: Datasette) -> Response:
    """Queue a harvest of the agency (or of ``source``): 202 with the queued run ids."""
    asked = await _authorised_request(request, datasette, "POST", ("source",))
    if isinstance(asked, Response):
        return asked
    found, agency, body = asked
    token_id = tokens.token_id_of(request.headers.get("authorization", "").partition(" ")[2].strip())
    source = body.get("source")
    if source is not None and not isinstance(source, str):
        return _error(400, "'source' must be a source id")
    try:
        queued = await asyncio.to_thread(
            agency_requests.request_harvest,
            found.state,
            agency,
            source_id=source,
            per_hour=found.registry.portal.harvest_requests_per_hour,
            token_id=token_id,
            by="the agency through its API",
        )
    except RateLimited as e:
        return _error(429, str(e), **{"Retry-After": str(e.retry_after)})
    except UsageError as e:
        return _error(400, str(e))
    return Response.json(
        {
            "ok": True,
            "agency_id": agency.id,
            "request_id": queued.request_id,
            "run_ids": queued.run_ids,
            "run_id": next(iter(queued.run_ids.values())),
            "requested": queued.requested,
        },
        status=202,
    )


async def schedule(request: Request, datasette: Datasette) -> Response:
    """Set one source's schedule: 200 with the rule and its next run, 400 with the reason."""
    asked = await _authorised_request(request, datasette, "PUT", ("source", "schedule"))
    if isinstance(asked, Response):
        return asked
    found, agency, body = asked
    source, rule = body.get("source"), body.get("schedule")
    if not isinstance(source, str) or rule is None:
        return _error(400, 'send {"source": "<source id>", "schedule": "<cron>" or {"jalali_day": 5, "at": "02:00"}}')
    portal = found.registry.portal
    try:
        parsed, upcoming = await asyncio.to_thread(
            agency_requests.set_schedule,
            found.state,
            agency,
            source,
            rule,
            by="agency api",
            limits=portal.schedule_limits,
            tz=portal.timezone,
        )
    except ScheduleError as e:
        return _error(400, f"invalid schedule: {e}")
    except UsageError as e:
        return _error(400, str(e))
    return Response.json(
        {
            "ok": True,
            "agency_id": agency.id,
            "source": source,
            "schedule": parsed.to_json(),
            "next_run": format_utc(upcoming),
        }
    )


ROUTES: list[tuple[str, Any]] = [
    (rf"^/-/agencies/(?P<agency_id>{AGENCY_ID_PATTERN})/harvest\Z", harvest),
    (rf"^/-/agencies/(?P<agency_id>{AGENCY_ID_PATTERN})/schedule\Z", schedule),
]
