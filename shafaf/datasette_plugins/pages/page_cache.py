"""Rendered pages kept until the files they were read from change.

Why: an agency page reads only precomputed tables, yet drawing it (hundreds
of services, charts, two calendars) costs tens of milliseconds of Jinja,
while the data behind it changes only when something is published. A page is
kept under its path, query string and language, together with the identity,
size, modification time and header bytes of each file it reads (the published
database with its ``-wal`` and ``-shm``, and ``state.db`` where the schedule
panel reads it): a commit, a checkpoint or a swapped-in rebuild changes one of
those, and the next request draws the page again. Reading them costs tens of
microseconds.

What a page says of time (data gone stale, the next run due) is why a page
is also kept for at most ``MAX_AGE_S``. Only whole 200 responses of our own
pages are kept, at most ``MAX_ENTRIES`` of them and ``MAX_BYTES`` in all,
least recently used first out; free-text pages (search) are never kept, so
the key space stays bounded by the portal's own links.
"""

from __future__ import annotations

import collections
import functools
import os
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from datasette import Request, Response

from shafaf.datasette_plugins import language
from shafaf.datasette_plugins.common import DATABASE

if TYPE_CHECKING:
    from datasette.app import Datasette

MAX_ENTRIES = 512
MAX_BYTES = 32 * 1024 * 1024  # an agency page of 2,000 services is 300 kB: the cache stays a small part of the server
MAX_AGE_S = 60.0  # what a page says of time (stale data, next run due) is at most this old
MAX_QUERY_BYTES = 256  # longer query strings are not ours: draw them, keep nothing

_Key = tuple[Any, ...]
_entries: collections.OrderedDict[_Key, tuple[float, int, str, bytes]] = collections.OrderedDict()
_bytes = 0  # the bodies' total size


# Bytes at the start of each file that change with every commit (https://sqlite.org/fileformat.html,
# https://sqlite.org/walformat.html): the database header's change counter, the WAL header's checkpoint
# sequence and salts (new whenever the WAL restarts), and the WAL-index header's change counter and last frame.
_HEADERS = (("", 100), ("-wal", 32), ("-shm", 48))


def files_version(paths: list[str]) -> tuple[Any, ...]:
    """What changes whenever one of ``paths`` is committed to, checkpointed, renamed over or swapped.

    Identity, size and modification time alone can miss a commit into a WAL
    that restarted within one timestamp tick, so the headers are read too.
    """
    out: list[Any] = []
    for path in paths:
        for suffix, size in _HEADERS:
            name = path + suffix
            try:
                with open(name, "rb") as f:  # follows the shafaf.db link to the version it points at
                    st = os.fstat(f.fileno())
                    out.append((st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, f.read(size)))
            except OSError:
                out.append(None)
    return tuple(out)


async def cached(
    request: Request, datasette: Datasette, paths: list[str], draw: Callable[[], Awaitable[Response]]
) -> Response:
    """``draw()``'s response, or the one kept for this request while ``paths`` are unchanged."""
    query = request.query_string
    if len(query) > MAX_QUERY_BYTES:
        return await draw()
    key = (*paths, request.path, query, language.request_language(request), files_version(paths))
    hit = _entries.get(key)
    now = time.monotonic()
    if hit is not None and now - hit[0] < MAX_AGE_S:
        _entries.move_to_end(key)
        _, status, content_type, body = hit
        return Response(body, status=status, content_type=content_type)
    response = await draw()
    if response.status == 200 and isinstance(response.body, (str, bytes)):
        body = response.body.encode("utf-8") if isinstance(response.body, str) else response.body
        _keep(key, (now, response.status, response.content_type, body))
    return response


def _keep(key: _Key, entry: tuple[float, int, str, bytes]) -> None:
    """Keep ``entry``, then forget the least recently used until both bounds hold."""
    global _bytes
    old = _entries.pop(key, None)
    _bytes -= len(old[3]) if old else 0
    _entries[key] = entry
    _bytes += len(entry[3])
    while _entries and (len(_entries) > MAX_ENTRIES or _bytes > MAX_BYTES):
        _, dropped = _entries.popitem(last=False)
        _bytes -= len(dropped[3])


def kept(handler: Callable[[Request, Datasette], Awaitable[Response]]) -> Callable[..., Awaitable[Response]]:
    """``handler`` (a page route taking ``request, datasette``) answering from the cache."""

    @functools.wraps(handler)
    async def from_cache(request: Request, datasette: Datasette) -> Response:
        return await cached(request, datasette, files_read(datasette), lambda: handler(request, datasette))

    return from_cache


def files_read(datasette: Datasette) -> list[str]:
    """The files our pages read: the published database and, when the portal has one, ``state.db``."""
    paths = [datasette.get_database(DATABASE).path]
    state_db = (datasette.plugin_config("shafaf") or {}).get("state_db")
    return [*paths, state_db] if state_db else paths


def clear() -> None:
    """Forget every kept page."""
    global _bytes
    _entries.clear()
    _bytes = 0
