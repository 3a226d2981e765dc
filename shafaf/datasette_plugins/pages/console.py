"""``/agencies/<id>/console``: the agency's data officer's console, in the same frame as the other pages.

Signed out, the page is a form for the agency's token; signed in
(``console_session``), it shows each source (``console_view``) and offers
the officer's actions, each a plain form (no JavaScript) posted back here
with Datasette's CSRF token:

- ``harvest``: queue "harvest now" for one source or all
  (``agency_requests.request_harvest``, the API's path and rate limit);
- ``schedule``: preview the next runs of a rule, then save it
  (``agency_requests.set_schedule``, the API's validation and limits);
- ``reset``: back to the registry's schedule (``agency_requests.reset_schedule``);
- ``accept-shrink``: harvest a source again accepting the file the shrink
  guard held, only when the portal lets agencies (``agencies_may_accept_shrink``,
  off by default: otherwise an operator runs ``shafaf harvest --accept-shrink``);
- ``sign-out``: ends every session of the token (``tokens.end_sessions``).

Every action is written where the API and the CLI write it: the queued runs
say in the public run history that the agency asked through its console;
the request (with the token's id) and the schedule's ``set_by`` stay in
``state.db``. A token of another agency and an unknown token get the same
403 after the same work (``tokens.verify_for``); sign-ins are limited per
client. A successful action answers 303 to the console (so a reload does
not repeat it).
"""

from __future__ import annotations

import asyncio
import sqlite3
import urllib.parse
from typing import TYPE_CHECKING, Any

from datasette import Response

from shafaf.config.schedule_limits import accept_rule
from shafaf.core.errors import RateLimited, ScheduleError, UsageError
from shafaf.datasette_plugins import i18n, language
from shafaf.datasette_plugins.common import href, not_found, render
from shafaf.datasette_plugins.i18n import N_
from shafaf.datasette_plugins.pages import console_session as session
from shafaf.datasette_plugins.pages.console_view import sources, upcoming
from shafaf.datasette_plugins.pages.harvest_status import context
from shafaf.datasette_plugins.security.rate_limit import Window, client_key
from shafaf.normalize import fold_digits
from shafaf.state import agency_requests, tokens

if TYPE_CHECKING:
    from datasette import Request
    from datasette.app import Datasette

MAX_BODY = 16 * 1024
SIGN_INS_PER_CLIENT = 10  # per SIGN_IN_WINDOW_S: a token has 256 bits, this is against noise and lock-step guessing
SIGN_IN_WINDOW_S = 900.0
BY = "the agency through its console"
DONE = {  # ?done= after an action: what the page says happened
    "signed-in": N_("You are signed in."),
    "signed-out": N_("You are signed out. Every session of this token has ended."),
    "harvest": N_("Harvest asked for. The scheduler starts it shortly; it appears under the last runs."),
    "schedule": N_("The schedule is saved."),
    "reset": N_("The schedule is back to the registry's."),
}
_windows: dict[int, Window] = {}


def sign_in_window(datasette: Datasette) -> Window:
    found = _windows.get(id(datasette))
    if found is None:
        found = _windows[id(datasette)] = Window(SIGN_INS_PER_CLIENT, SIGN_IN_WINDOW_S)
    return found


async def console(request: Request, datasette: Datasette) -> Response:
    """GET: the sign-in form or the console. POST: an action of the form's ``action`` field."""
    lang = language.request_language(request)
    found = context(datasette)
    if found is None:
        return await _page(datasette, request, lang, None, None, status=503,
                           problem=i18n.gettext("This portal takes no requests from agencies.", lang))
    try:
        agency = found.registry.agency(request.url_vars["agency_id"])
    except KeyError:
        return await not_found(request, datasette)
    signed_in = session.agency_of(request) == agency.id
    if request.method == "GET":
        done = DONE.get(request.args.get("done", ""))
        return await _page(datasette, request, lang, found, agency, signed_in=signed_in,
                           notice=i18n.gettext(done, lang) if done else None)
    if request.method != "POST":
        return Response.text("use GET or POST", status=405, headers={"Allow": "GET, POST"})
    fields = await _form(request)
    if fields is None:
        return await _page(datasette, request, lang, found, agency, signed_in=signed_in, status=400,
                           problem=i18n.gettext("The form could not be read. Reload the page and send it again.", lang))
    action = fields.get("action", "")
    if action == "sign-in":
        return await _sign_in(request, datasette, lang, found, agency, fields.get("token", "").strip())
    if not signed_in:
        return await _page(datasette, request, lang, found, agency, status=403,
                           problem=i18n.gettext("Sign in with the agency's token first.", lang))
    token_id = request.actor["token_id"]
    if action == "sign-out":
        await asyncio.to_thread(tokens.end_sessions, found.state, token_id)
        response = _done(datasette, agency.id, lang, "signed-out")
        session.end(datasette, request, response, agency.id)
        return response
    if action == "harvest":
        return await _harvest(request, datasette, lang, found, agency, fields, token_id)
    if action == "accept-shrink":
        return await _accept_shrink(request, datasette, lang, found, agency, fields, token_id)
    if action == "schedule":
        return await _schedule(request, datasette, lang, found, agency, fields, token_id)
    if action == "reset":
        try:
            await asyncio.to_thread(agency_requests.reset_schedule, found.state, agency, fields.get("source", ""))
        except UsageError:
            return await _page(datasette, request, lang, found, agency, signed_in=True, status=400,
                               problem=i18n.gettext("This agency has no such source.", lang))
        return _done(datasette, agency.id, lang, "reset")
    return await _page(datasette, request, lang, found, agency, signed_in=True, status=400,
                       problem=i18n.gettext("The form could not be read. Reload the page and send it again.", lang))


async def _sign_in(request: Request, datasette: Datasette, lang: str, found: Any, agency: Any, token: str) -> Response:
    wait = sign_in_window(datasette).retry_after(client_key(request.scope))
    if wait:
        return await _page(datasette, request, lang, found, agency, status=429, headers={"Retry-After": str(wait)},
                           problem=i18n.gettext("Too many sign-ins from here. Try again in %(minutes)s minutes.", lang)
                           % {"minutes": i18n.digits(str(max(1, wait // 60)), lang)})
    try:
        token_id = await asyncio.to_thread(tokens.verify_for, found.state, token, agency.id)
    except (sqlite3.Error, OSError):
        token_id = None
    if token_id is None:  # unknown, revoked, malformed or another agency's: one answer, after the same work
        return await _page(datasette, request, lang, found, agency, status=403,
                           problem=i18n.gettext("This token does not open this agency's console.", lang))
    response = _done(datasette, agency.id, lang, "signed-in")
    session.start(datasette, request, response, agency.id, token_id)
    return response


async def _harvest(request: Request, datasette: Datasette, lang: str, found: Any, agency: Any,
                   fields: dict[str, str], token_id: str, *, accept_shrink: bool = False) -> Response:
    source = fields.get("source") or None
    try:
        await asyncio.to_thread(agency_requests.request_harvest, found.state, agency, source_id=source,
                                token_id=token_id, per_hour=found.registry.portal.harvest_requests_per_hour, by=BY,
                                accept_shrink=accept_shrink)
    except RateLimited as e:
        return await _page(datasette, request, lang, found, agency, signed_in=True, status=429,
                           headers={"Retry-After": str(e.retry_after)},
                           problem=i18n.gettext("The agency has asked for as many harvests as the portal allows in "
                                                "an hour. Try again in %(minutes)s minutes.", lang)
                           % {"minutes": i18n.digits(str(max(1, e.retry_after // 60)), lang)})
    except UsageError:
        return await _page(datasette, request, lang, found, agency, signed_in=True, status=400,
                           problem=i18n.gettext("This agency has no such source.", lang))
    return _done(datasette, agency.id, lang, "harvest")


async def _accept_shrink(request: Request, datasette: Datasette, lang: str, found: Any, agency: Any,
                         fields: dict[str, str], token_id: str) -> Response:
    """Queue the source again, accepting the smaller file: only when the portal allows and a file is held."""
    if not found.registry.portal.agencies_may_accept_shrink:
        return await _page(datasette, request, lang, found, agency, signed_in=True, status=403,
                           problem=i18n.gettext("On this portal only the operator accepts a held file.", lang))
    shown = {s["id"]: s for s in await sources(datasette, found, agency, lang)}
    source = shown.get(fields.get("source", ""))
    if source is None or source["held"] is None:
        return await _page(datasette, request, lang, found, agency, signed_in=True, status=400,
                           problem=i18n.gettext("This source has no held file to accept.", lang))
    return await _harvest(request, datasette, lang, found, agency, fields, token_id, accept_shrink=True)


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


async def _schedule(request: Request, datasette: Datasette, lang: str, found: Any, agency: Any,
                    fields: dict[str, str], token_id: str) -> Response:
    portal = found.registry.portal
    source = fields.get("source", "")
    if source not in {s.id for s in agency.sources}:
        return await _page(datasette, request, lang, found, agency, signed_in=True, status=400,
                           problem=i18n.gettext("This agency has no such source.", lang))
    try:
        value = rule_value(fields)
        if fields.get("step") != "save":
            parsed = await asyncio.to_thread(accept_rule, value, limits=portal.schedule_limits)
            runs = await asyncio.to_thread(upcoming, parsed, portal.timezone, lang)
            return await _page(datasette, request, lang, found, agency, signed_in=True,
                               preview={"source": source, "fields": fields, "runs": runs})
        await asyncio.to_thread(agency_requests.set_schedule, found.state, agency, source, value,
                                by=f"{BY} (token {token_id})", limits=portal.schedule_limits, tz=portal.timezone)
    except ScheduleError as e:
        return await _page(datasette, request, lang, found, agency, signed_in=True, status=400,
                           preview={"source": source, "fields": fields, "runs": []},
                           problem=i18n.gettext("This schedule cannot be used: %(why)s", lang) % {"why": str(e)})
    return _done(datasette, agency.id, lang, "schedule")


async def _form(request: Request) -> dict[str, str] | None:
    """The urlencoded body, capped; None when it is too long, not text, or not a form."""
    if request.headers.get("content-type", "").split(";", 1)[0].strip() != "application/x-www-form-urlencoded":
        return None
    body, more = b"", True
    while more:
        message = await request.receive()
        body += message.get("body", b"")
        more = message.get("more_body", False)
        if len(body) > MAX_BODY:
            return None
    try:
        return dict(urllib.parse.parse_qsl(body.decode("utf-8"), keep_blank_values=True, max_num_fields=32))
    except (UnicodeDecodeError, ValueError):
        return None


def _done(datasette: Datasette, agency_id: str, lang: str, what: str) -> Response:
    url = href(datasette, session.console_path(agency_id), lang)
    return Response.redirect(f"{url}{'&' if '?' in url else '?'}done={what}", status=303)


async def _page(datasette: Datasette, request: Request, lang: str, found: Any, agency: Any, *,
                signed_in: bool = False, status: int = 200, headers: dict[str, str] | None = None,
                problem: str | None = None, notice: str | None = None,
                preview: dict[str, Any] | None = None) -> Response:
    shown = await sources(datasette, found, agency, lang) if signed_in and agency is not None else []
    agency_id = agency.id if agency is not None else ""
    response = await render(datasette, request, "shafaf_console.html", {
        "agency": {"id": agency_id, "name": (agency.name_fa if lang == "fa" else agency.name_en) or agency_id}
        if agency is not None else None,
        "signed_in": signed_in, "sources": shown,
        "may_accept": bool(found and found.registry.portal.agencies_may_accept_shrink), "problem": problem, "notice": notice, "preview": preview,
        "action": href(datasette, session.console_path(agency_id), lang) if agency_id else "",
        "agency_href": href(datasette, f"/agencies/{urllib.parse.quote(agency_id)}", lang) if agency_id else "",
        "feed_href": datasette.urls.path(f"/agencies/{urllib.parse.quote(agency_id)}/feed.atom") if agency_id else "",
        "check_href": href(datasette, "/validate", lang),
    }, status=status)
    for key, value in (headers or {}).items():
        response.headers[key] = value
    response.headers["Cache-Control"] = "no-store"
    return response
