"""Signing in to the officer's console with the agency's token, limited per client.

Split from ``console`` by what it owns. A token of another agency and an
unknown, revoked or malformed token get the same 403 after the same work
(``tokens.verify_for``); a client gets ``SIGN_INS_PER_CLIENT`` tries per
``SIGN_IN_WINDOW_S`` (429 with Retry-After); a good token starts a session
(``console_session``) and redirects to the console.
"""

from __future__ import annotations

import asyncio
import sqlite3
from typing import TYPE_CHECKING

from shafaf.datasette_plugins import i18n
from shafaf.datasette_plugins.pages import console_render as render
from shafaf.datasette_plugins.pages import console_session as session
from shafaf.datasette_plugins.security.rate_limit import Window, client_key
from shafaf.state import tokens

if TYPE_CHECKING:
    from datasette import Response
    from datasette.app import Datasette

    from shafaf.datasette_plugins.pages.console_render import Visit

SIGN_INS_PER_CLIENT = 10  # per SIGN_IN_WINDOW_S: a token has 256 bits, this is against noise and lock-step guessing
SIGN_IN_WINDOW_S = 900.0
_windows: dict[int, Window] = {}


def sign_in_window(datasette: Datasette) -> Window:
    """The sign-in limit of this Datasette instance (one per app, so tests and replicas do not share)."""
    found = _windows.get(id(datasette))
    if found is None:
        found = _windows[id(datasette)] = Window(SIGN_INS_PER_CLIENT, SIGN_IN_WINDOW_S)
    return found


async def sign_in(visit: Visit, token: str) -> Response:
    """Start a session for a token of this agency, or refuse (403) or limit (429) alike for every other."""
    wait = sign_in_window(visit.datasette).retry_after(client_key(visit.request.scope))
    if wait:
        problem = visit.gettext("Too many sign-ins from here. Try again in %(minutes)s minutes.")
        minutes = i18n.digits(str(max(1, wait // 60)), visit.lang)
        return await render.refused(
            visit, 429, problem % {"minutes": minutes}, signed_in=False, headers={"Retry-After": str(wait)}
        )
    try:
        token_id = await asyncio.to_thread(tokens.verify_for, visit.found.state, token, visit.agency.id)
    except (sqlite3.Error, OSError):
        token_id = None
    if token_id is None:  # unknown, revoked, malformed or another agency's: one answer, after the same work
        return await render.refused(
            visit, 403, visit.gettext("This token does not open this agency's console."), signed_in=False
        )
    response = render.done(visit, "signed-in")
    session.start(visit.datasette, visit.request, response, visit.agency.id, token_id)
    return response
