"""Which language a request is answered in: ``?lang=``, else the remembered cookie, else Persian.

``wrap`` is an ASGI layer in front of every page, Datasette's own included. It
reads ``lang`` from the query string, remembers a valid choice in a cookie
(``Set-Cookie`` on that response), and takes ``lang`` out of the query string
before Datasette sees it: Datasette would read an unknown parameter as a
column filter. The chosen language travels in the ASGI scope under
``SCOPE_KEY``; ``request_language`` reads it back.
"""

from __future__ import annotations

import contextvars
import urllib.parse
from collections.abc import Awaitable, Callable
from http.cookies import CookieError, SimpleCookie
from typing import Any

from shafaf.datasette_plugins.i18n import DEFAULT_LANGUAGE, LANGUAGES

Asgi = Callable[[dict[str, Any], Callable[..., Awaitable[Any]], Callable[..., Awaitable[Any]]], Awaitable[None]]

PARAMETER = "lang"
COOKIE = "shafaf_lang"
COOKIE_MAX_AGE = 365 * 24 * 3600
SCOPE_KEY = "shafaf.lang"
# The same choice for the code that runs while the request is answered and is not given the request (Datasette's
# render_cell hook): set by ``wrap`` for the task answering the request, and reset after it.
_answering: contextvars.ContextVar[str] = contextvars.ContextVar("shafaf_lang", default=DEFAULT_LANGUAGE)


def wrap(app: Asgi) -> Asgi:
    """The ASGI app that answers ``app``'s requests in the chosen language."""

    async def with_language(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope.get("type") != "http":
            await app(scope, receive, send)
            return
        query, asked = split_language(scope.get("query_string", b""))
        lang = asked or _cookie_language(scope) or DEFAULT_LANGUAGE
        scope = dict(scope, query_string=query, **{SCOPE_KEY: lang})

        async def send_with_cookie(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                if asked:
                    headers.append((b"set-cookie", _cookie(asked)))
                headers.append((b"vary", b"Cookie"))
                message = dict(message, headers=headers)
            await send(message)

        answering = _answering.set(lang)
        try:
            await app(scope, receive, send_with_cookie)
        finally:
            _answering.reset(answering)

    return with_language


def split_language(query_string: bytes) -> tuple[bytes, str | None]:
    """The query string without ``lang``, and the language it asked for (None when none or unknown).

    Only the ``lang`` parameters are removed; every other byte stays as it came.
    """
    if not query_string:
        return query_string, None
    kept: list[bytes] = []
    asked: str | None = None
    for part in query_string.split(b"&"):
        key, _, value = part.partition(b"=")
        if urllib.parse.unquote_plus(key.decode("latin-1")) == PARAMETER:
            text = urllib.parse.unquote_plus(value.decode("latin-1"))
            asked = text if text in LANGUAGES else asked
        else:
            kept.append(part)
    return b"&".join(kept), asked


def request_language(request: Any) -> str:
    """The language ``wrap`` chose for this request (the default when the request did not pass it)."""
    lang = request.scope.get(SCOPE_KEY)
    return lang if lang in LANGUAGES else DEFAULT_LANGUAGE


def current_language() -> str:
    """The language of the request this task is answering (``wrap``), for hooks that are not given the request."""
    return _answering.get()


def switch_query(request: Any, lang: str) -> str:
    """``?<the request's parameters>&lang=<lang>``: a link to the same page in ``lang``.

    Query-only, so the path is never printed back; the parameters are re-encoded.
    """
    pairs = [(k, v) for k, v in urllib.parse.parse_qsl(request.query_string, keep_blank_values=True)]
    return "?" + urllib.parse.urlencode([*pairs, (PARAMETER, lang)])


def _cookie_language(scope: dict[str, Any]) -> str | None:
    for name, value in scope.get("headers", []):
        if name == b"cookie":
            cookie: SimpleCookie = SimpleCookie()
            try:
                cookie.load(value.decode("latin-1"))
            except CookieError:  # a malformed Cookie header is ignored, not an error page
                continue
            if COOKIE in cookie and cookie[COOKIE].value in LANGUAGES:
                return cookie[COOKIE].value
    return None


def _cookie(lang: str) -> bytes:
    return f"{COOKIE}={lang}; Path=/; Max-Age={COOKIE_MAX_AGE}; SameSite=Lax; HttpOnly".encode()
