"""What every machine-readable route answers with: its content type and CORS headers for GET.

Scripts on other sites may read the API (``Access-Control-Allow-Origin: *``)
but only with GET: a browser's preflight for any other method is told GET,
HEAD and OPTIONS only, so no page elsewhere can make a visitor's browser
POST here. No credentials are ever allowed cross-origin. ``security.wrap``
adds nosniff and the rest, and leaves these content types alone.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from datasette import Response

if TYPE_CHECKING:
    from datasette import Request
    from datasette.app import Datasette

JSON = "application/json; charset=utf-8"
JSON_LD = "application/ld+json; charset=utf-8"
TURTLE = "text/turtle; charset=utf-8"
ATOM = "application/atom+xml; charset=utf-8"
XML = "application/xml; charset=utf-8"
TEXT = "text/plain; charset=utf-8"

CORS: dict[str, str] = {
    "access-control-allow-origin": "*",
    "access-control-allow-methods": "GET, HEAD, OPTIONS",
    "access-control-allow-headers": "Content-Type",
    "access-control-max-age": "86400",
}
CACHE = {"cache-control": "public, max-age=60"}


def response(body: str | bytes, content_type: str, *, status: int = 200, cache: bool = True) -> Response:
    """``body`` with its content type, the CORS headers and (for successes) a short public cache."""
    headers = {**CORS, **(CACHE if cache and status == 200 else {})}
    return Response(body, status=status, headers=headers, content_type=content_type)


def json_response(data: Any, *, status: int = 200, content_type: str = JSON) -> Response:
    """``data`` as UTF-8 JSON, keys in the order built (CKAN's ``help``, ``success``, ``result``), so equal answers are equal bytes."""
    return response(json.dumps(data, ensure_ascii=False, indent=None), content_type, status=status)


def preflight() -> Response:
    """The answer to a CORS preflight (OPTIONS): GET, HEAD and OPTIONS only."""
    return Response("", status=204, headers=dict(CORS), content_type=TEXT)


def read_only(handler: Callable[[Request, Datasette], Awaitable[Response]]) -> Callable[..., Awaitable[Response]]:
    """``handler`` for GET and HEAD; OPTIONS gets the CORS preflight, any other method a 405.

    Not ``functools.wraps``: Datasette reads the handler's signature to pick
    its arguments, and this one always takes both.
    """

    async def route(request: Request, datasette: Datasette) -> Response:
        if request.method == "OPTIONS":
            return preflight()
        if request.method not in ("GET", "HEAD"):
            return Response(
                "Method not allowed: this route only answers GET.\n",
                status=405,
                headers={**CORS, "allow": "GET, HEAD, OPTIONS"},
                content_type=TEXT,
            )
        return await handler(request, datasette)

    route.__name__, route.__doc__ = handler.__name__, handler.__doc__
    return route


def absolute(datasette: Datasette, request: Request) -> Any:
    """A function turning a path of this portal into its absolute URL, as the request reached it."""
    return lambda path: datasette.absolute_url(request, path)
