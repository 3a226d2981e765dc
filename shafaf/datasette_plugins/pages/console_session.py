"""The officer's console session: Datasette's actor mechanism, with a signed cookie that names a token.

Signing in with the agency's token (once, in a form: never a header, never
a URL) sets ``shafaf_console``, a value signed by ``datasette.sign`` (the
same itsdangerous signer as Datasette's ``ds_actor``), ``HttpOnly``,
``SameSite=Strict``, ``Secure`` over https, and scoped to that agency's
console path, so no other page is ever sent it. It holds the agency, the
token's id (never the token) and when it was signed in and expires. The
``actor_from_request`` hook turns it into Datasette's actor, after asking
``state.db`` that the token is still live and the session was not ended:
revoking the token (``shafaf token revoke``) or signing out ends every
session of the token, also a cookie someone copied before.

POSTs carrying it are checked by Datasette's CSRF protection (asgi-csrf:
the forms carry ``csrftoken()``); ``SameSite=Strict`` keeps another site's
forms from carrying it at all.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
import urllib.parse
from typing import TYPE_CHECKING, Any

from itsdangerous import BadSignature

from shafaf.datasette_plugins.pages.harvest_status import context
from shafaf.state import tokens

if TYPE_CHECKING:
    from datasette import Request, Response
    from datasette.app import Datasette

COOKIE = "shafaf_console"
NAMESPACE = "shafaf-console"
LIFETIME_S = 8 * 3600  # a working day; signing in again needs the token again


def console_path(agency_id: str) -> str:
    return f"/agencies/{urllib.parse.quote(agency_id)}/console"


def start(datasette: Datasette, request: Request, response: Response, agency_id: str, token_id: str) -> None:
    """Set the session cookie on ``response`` for ``token_id`` of ``agency_id``."""
    value = datasette.sign(
        {"agency": agency_id, "token": token_id, "at": tokens.instant(), "exp": int(time.time()) + LIFETIME_S},
        NAMESPACE,
    )
    response.set_cookie(
        COOKIE,
        value,
        max_age=LIFETIME_S,
        path=datasette.urls.path(console_path(agency_id)),
        httponly=True,
        samesite="strict",
        secure=request.scheme == "https",
    )


def end(datasette: Datasette, request: Request, response: Response, agency_id: str) -> None:
    """Clear the session cookie (the sessions themselves are ended in ``state.db`` by the caller)."""
    response.set_cookie(
        COOKIE,
        "",
        max_age=0,
        path=datasette.urls.path(console_path(agency_id)),
        httponly=True,
        samesite="strict",
        secure=request.scheme == "https",
    )


def actor_from_request(datasette: Datasette, request: Request) -> Any:
    """The hook: None without our cookie, else a coroutine that answers the actor or None."""
    value = request.cookies.get(COOKIE)
    if not value:
        return None

    async def actor() -> dict[str, Any] | None:
        try:
            session = datasette.unsign(value, NAMESPACE)
        except BadSignature:
            return None
        if not isinstance(session, dict) or not all(isinstance(session.get(k), str) for k in ("agency", "token", "at")):
            return None
        if not isinstance(session.get("exp"), int) or session["exp"] < time.time():
            return None
        found = context(datasette)
        if found is None:
            return None
        try:
            live = await asyncio.to_thread(
                tokens.session_live, found.state, session["token"], session["agency"], session["at"]
            )
        except (sqlite3.Error, OSError):
            return None
        if not live:
            return None
        return {"id": f"agency:{session['agency']}", "shafaf_agency": session["agency"], "token_id": session["token"]}

    return actor


def agency_of(request: Request) -> str | None:
    """The agency the request's console session acts for, or None."""
    actor = request.actor or {}
    agency = actor.get("shafaf_agency") if isinstance(actor, dict) else None
    return agency if isinstance(agency, str) else None
