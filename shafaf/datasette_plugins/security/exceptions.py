"""Every error response: Datasette's shape, the client's fault as 4xx, one short log line, no rich traceback.

Datasette 0.65's own ``handle_exception`` hook (``datasette/handle_exception.py``)
prints a rich traceback with locals when ``rich`` is importable: about 0.3 s
of CPU and 45 KB of log for each error, inside the event loop, so twenty
concurrent 404s stalled every other request for 4 s. For a 404 it is called
outside an ``except`` block, where rich 13+ raises, so junk paths answered
500. pluggy awaits every implementation of the hook, so a second one of ours
would not stop it: ``replace_default_handler`` blocks Datasette's (called at
``startup``), and ``handle_exception`` here does its work.

The answer is Datasette's: JSON ``{"ok": false, "error", "status", "title"}``
for ``.json`` paths, else the ``<status>.html``/``error.html`` page. Status:

* Datasette's ``Base400`` (400, 403, 404) and ``DatasetteError`` keep theirs,
  except that a ``DatasetteError`` with its default 500 is a 400: in 0.65 each
  of them is a rejected request parameter (``_sort``/``_sort_desc`` naming no
  sortable column or both given, ``views/table.py``; a ``_through`` with no
  foreign key, ``filters.py``). ``tests/test_bad_requests.py`` checks that
  list against the installed Datasette.
* ``ServerBusy`` is 503 with ``Retry-After``; ``BadQuery`` (``QueryTooLarge``)
  and a ``QueryInterrupted`` that reached here are 400.
* Anything else is a server fault: 500, logged with where it was raised.

Each error is logged in one line: status, method, path (clipped), the
exception's type and message, and for a 500 the last frames' file:line.
"""

from __future__ import annotations

import traceback
from pathlib import Path
from typing import TYPE_CHECKING, Any

from datasette import Response
from datasette.database import QueryInterrupted
from datasette.utils import add_cors_headers
from datasette.utils.asgi import Base400
from datasette.views.base import DatasetteError
from markupsafe import Markup

from shafaf.core.errors import BadQuery, QueryTooLarge, RequestTooLarge, ServerBusy
from shafaf.datasette_plugins.security.sql_limits import log_line

if TYPE_CHECKING:
    from datasette.app import Datasette
    from datasette.utils.asgi import Request

DATASETTE_DEFAULT_HANDLER = "datasette.handle_exception"
_LOGGED_PATH_CHARS = 200
_LOGGED_FRAMES = 3


def replace_default_handler() -> None:
    """Unregister Datasette's ``handle_exception`` plugin and keep it from coming back (pluggy's ``set_blocked``)."""
    from datasette.plugins import pm

    if not pm.is_blocked(DATASETTE_DEFAULT_HANDLER):
        pm.set_blocked(DATASETTE_DEFAULT_HANDLER)


def classify(exception: BaseException) -> tuple[int, str, str | None, dict[str, Any], dict[str, str]]:
    """(status, message, title, extra fields, headers) of the answer to ``exception``."""
    if isinstance(exception, Base400):
        return exception.status, str(exception.args[0]) if exception.args else "", None, {}, {}
    if isinstance(exception, DatasetteError):
        status = 400 if exception.status == 500 else exception.status
        message = Markup(exception.message) if exception.message_is_html else exception.message
        return status, message, exception.title, dict(exception.error_dict), {}
    if isinstance(exception, RequestTooLarge):
        return 413, str(exception), "Request too large", {}, {}
    if isinstance(exception, ServerBusy):
        return 503, str(exception), "Server busy", {}, {"Retry-After": str(exception.retry_after)}
    if isinstance(exception, BadQuery):
        return 400, str(exception), "Query too large" if isinstance(exception, QueryTooLarge) else "Invalid SQL", {}, {}
    if isinstance(exception, QueryInterrupted):
        return 400, "SQL query took too long", "SQL Interrupted", {}, {}
    return 500, str(exception), None, {}, {}


def log_error(request: Request, status: int, exception: BaseException) -> None:
    """One line per error; a server fault also names where it was raised (the last few frames)."""
    path = request.scope.get("raw_path") or request.path.encode("utf-8", "surrogateescape")
    line = (
        f"{status} {request.method} {path[:_LOGGED_PATH_CHARS].decode('latin-1')}: "
        f"{type(exception).__name__}: {str(exception)[:300]}"
    )
    if status >= 500:
        frames = traceback.extract_tb(exception.__traceback__)[-_LOGGED_FRAMES:]
        line += " at " + " < ".join(f"{Path(f.filename).name}:{f.lineno} {f.name}" for f in reversed(frames))
    log_line(line)


async def error_response(datasette: Datasette, request: Request, exception: BaseException) -> Response:
    """Datasette's error answer (JSON for ``.json`` paths, else its error page), with our status and one log line."""
    status, message, title, info, headers = classify(exception)
    log_error(request, status, exception)
    info.update({"ok": False, "error": message, "status": status, "title": title})
    if datasette.cors:
        add_cors_headers(headers)
    if request.path.split("?")[0].endswith(".json"):
        return Response.json(info, status=status, headers=headers)
    template = datasette.jinja_env.select_template([f"{status}.html", "error.html"])
    html = await template.render_async(
        dict(info, urls=datasette.urls, app_css_hash=datasette.app_css_hash(), menu_links=lambda: [])
    )
    return Response.html(html, status=status, headers=headers)
