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

The parts: ``console_sign_in`` (the token, the per-client limit),
``console_actions`` (harvest, accept a held file, schedule),
``console_render`` (the page and the redirect after an action),
``console_view`` (what it shows of each source), ``console_session``
(the session cookie as Datasette's actor).
"""

from __future__ import annotations

import asyncio
import urllib.parse
from typing import TYPE_CHECKING

from datasette import Response

from shafaf.core.errors import UsageError
from shafaf.datasette_plugins import language
from shafaf.datasette_plugins.common import not_found
from shafaf.datasette_plugins.pages import console_render as render
from shafaf.datasette_plugins.pages import console_session as session
from shafaf.datasette_plugins.pages.console_actions import accept_shrink, harvest, schedule
from shafaf.datasette_plugins.pages.console_render import Visit
from shafaf.datasette_plugins.pages.console_sign_in import sign_in
from shafaf.datasette_plugins.pages.harvest_status import context
from shafaf.state import agency_requests, tokens

if TYPE_CHECKING:
    from datasette import Request
    from datasette.app import Datasette

MAX_BODY = 16 * 1024


async def console(request: Request, datasette: Datasette) -> Response:
    """GET: the sign-in form or the console. POST: an action of the form's ``action`` field."""
    lang = language.request_language(request)
    found = context(datasette)
    if found is None:
        nowhere = Visit(datasette, request, lang, None, None)
        return await render.refused(nowhere, 503, nowhere.gettext("This portal takes no requests from agencies."))
    try:
        agency = found.registry.agency(request.url_vars["agency_id"])
    except KeyError:
        return await not_found(request, datasette)
    visit = Visit(datasette, request, lang, found, agency)
    signed_in = session.agency_of(request) == agency.id
    if request.method == "GET":
        done = render.DONE.get(request.args.get("done", ""))
        return await render.page(visit, signed_in=signed_in, notice=visit.gettext(done) if done else None)
    if request.method != "POST":
        return Response.text("use GET or POST", status=405, headers={"Allow": "GET, POST"})
    fields = await read_form(request)
    if fields is None:
        return await render.refused(
            visit,
            400,
            visit.gettext("The form could not be read. Reload the page and send it again."),
            signed_in=signed_in,
        )
    action = fields.get("action", "")
    if action == "sign-in":
        return await sign_in(visit, fields.get("token", "").strip())
    if not signed_in:
        return await render.refused(
            visit, 403, visit.gettext("Sign in with the agency's token first."), signed_in=False
        )
    token_id = request.actor["token_id"]
    if action == "sign-out":
        await asyncio.to_thread(tokens.end_sessions, found.state, token_id)
        response = render.done(visit, "signed-out")
        session.end(datasette, request, response, agency.id)
        return response
    if action == "harvest":
        return await harvest(visit, fields, token_id)
    if action == "accept-shrink":
        return await accept_shrink(visit, fields, token_id)
    if action == "schedule":
        return await schedule(visit, fields, token_id)
    if action == "reset":
        try:
            await asyncio.to_thread(agency_requests.reset_schedule, found.state, agency, fields.get("source", ""))
        except UsageError:
            return await render.refused(visit, 400, visit.gettext("This agency has no such source."))
        return render.done(visit, "reset")
    return await render.refused(
        visit, 400, visit.gettext("The form could not be read. Reload the page and send it again.")
    )


async def read_form(request: Request) -> dict[str, str] | None:
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
