"""``ETag`` and ``Cache-Control`` on pages, so a CDN or the replicas' proxy can hold them (issue 19, docs/scaling.md).

What a page shows is a function of the published version it was read from,
its path and query, the language, and (for what a page says of time) the
minute. So its entity tag is a digest of those, the same on every replica
serving the same snapshot: the version is the served file's name (a version
is never written again, ``publish.dbfile``), not its inode. A request whose
``If-None-Match`` holds the current tag is answered ``304`` without drawing
anything; a whole ``200`` HTML or JSON answer to a GET gets the tag and
``Cache-Control: public, max-age=60`` (unless the page set its own, or a
cookie). The agency API, the downloads (files with their own checksums) and
error answers are left alone.
"""

from __future__ import annotations

import hashlib
import os
import time
from typing import TYPE_CHECKING, Any

from shafaf.datasette_plugins import language
from shafaf.datasette_plugins.common import DATABASE

if TYPE_CHECKING:
    from datasette.app import Datasette

MAX_AGE_S = 60  # the pages' own cache holds a page this long too (pages.page_cache.MAX_AGE_S)
CACHE_CONTROL = f"public, max-age={MAX_AGE_S}".encode("ascii")
SKIPPED = ("/-/agencies/", "/downloads/", "/-/static", "/-/versions", "/-/threads", "/-/actor")
CACHED_TYPES = (b"text/html", b"application/json")


def entity_tag(datasette: Datasette, scope: dict[str, Any], *, now: float | None = None) -> bytes | None:
    """The tag of what ``scope`` asks for, as published now; None when nothing is published."""
    db = datasette.databases.get(DATABASE)
    path = getattr(db, "path", None)
    if not path:
        return None
    try:
        version = os.path.realpath(path)
        size = os.stat(version).st_size
    except OSError:
        return None
    minute = int((time.time() if now is None else now) // MAX_AGE_S)
    key = "\0".join(
        [
            os.path.basename(version),
            str(size),
            scope.get("path", ""),
            scope.get("query_string", b"").decode("latin-1"),
            str(scope.get(language.SCOPE_KEY, "")),
            str(minute),
        ]
    )
    return b'W/"' + hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()[:32].encode("ascii") + b'"'


def _cacheable(scope: dict[str, Any]) -> bool:
    return (
        scope.get("type") == "http"
        and scope.get("method") in ("GET", "HEAD")
        and not str(scope.get("path", "")).startswith(SKIPPED)
    )


def wrap(app: Any, datasette: Datasette) -> Any:
    """The ASGI app with entity tags and revalidation on ``app``'s pages."""

    async def with_tags(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if not _cacheable(scope):
            await app(scope, receive, send)
            return
        tag = entity_tag(datasette, scope)
        if tag is None:
            await app(scope, receive, send)
            return
        asked = dict(scope.get("headers") or []).get(b"if-none-match", b"")
        if tag in [t.strip() for t in asked.split(b",")]:
            await send(
                {
                    "type": "http.response.start",
                    "status": 304,
                    "headers": [(b"etag", tag), (b"cache-control", CACHE_CONTROL)],
                }
            )
            await send({"type": "http.response.body", "body": b"", "more_body": False})
            return

        async def tagged(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start" and message.get("status") == 200:
                headers = list(message.get("headers", []))
                names = {k.lower() for k, _ in headers}
                kind = next((v for k, v in headers if k.lower() == b"content-type"), b"")
                if kind.startswith(CACHED_TYPES) and b"set-cookie" not in names and b"etag" not in names:
                    headers.append((b"etag", tag))
                    if b"cache-control" not in names:
                        headers.append((b"cache-control", CACHE_CONTROL))
                    message = dict(message, headers=headers)
            await send(message)

        await app(scope, receive, tagged)

    return with_tags
