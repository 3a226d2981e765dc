"""A bound on every request body, before anything reads one.

asgi-csrf (inside Datasette's app) reads a whole ``application/x-www-form-urlencoded``
body into memory whenever the request carries a ``ds_csrftoken`` cookie, any value:
one anonymous POST of 300 MB to ``/-/logout`` took the server from 84 to 948 MB and
never answered. Nothing the portal accepts is that large: forms and the agency and
CKAN APIs take kilobytes, and files go only to the upload page, which streams and
caps its own multipart body (``upload_form.read_form``). So every other body is cut at
``MAX_BODY``: a ``Content-Length`` past it is answered 413 before a byte is read,
and a body without one (chunked) is counted as it arrives and refused when it
passes the bound.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from shafaf.core.errors import RequestTooLarge

Asgi = Callable[[dict[str, Any], Any, Any], Awaitable[None]]

MAX_BODY = 1024 * 1024  # the CKAN API's 64 KB parameters and the agency API's 16 KB, with room to spare


def bounded(app: Asgi, *, streams_its_own: Callable[[dict[str, Any]], bool], limit: int = MAX_BODY) -> Asgi:
    """``app``, refusing with 413 any request body over ``limit`` bytes but the requests ``streams_its_own`` picks
    (the upload page's multipart POSTs: any other body sent there is bounded like the rest)."""

    async def guarded(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope.get("type") != "http" or streams_its_own(scope):
            await app(scope, receive, send)
            return
        length = dict(scope.get("headers") or []).get(b"content-length")
        if length is not None and (not length.strip().isdigit() or int(length) > limit):
            await _refuse(send, limit)
            return
        received = 0
        started = False

        async def counted() -> dict[str, Any]:
            nonlocal received
            message = await receive()
            if message.get("type") == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise RequestTooLarge(f"the request body is larger than {limit:,} bytes")
            return message

        async def watched(message: dict[str, Any]) -> None:
            nonlocal started
            started = started or message.get("type") == "http.response.start"
            await send(message)

        try:
            await app(scope, counted, watched)
        except RequestTooLarge:
            if not started:  # read outside Datasette's views (asgi-csrf): nobody has answered yet
                await _refuse(send, limit)

    return guarded


async def _refuse(send: Any, limit: int) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [(b"content-type", b"text/plain; charset=utf-8"), (b"connection", b"close")],
        }
    )
    await send({"type": "http.response.body", "body": f"the request body is limited to {limit:,} bytes\n".encode()})
