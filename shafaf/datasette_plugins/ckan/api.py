"""The CKAN Action API routes: ``/api/3/action/<name>`` and ``/api/action/<name>``, GET and POST.

ckanapi's ``RemoteCKAN`` POSTs a JSON body to ``/api/action/<name>``; its
``get_only`` mode and browsers use GET with a query string; both prefixes
and both methods answer the same. A POST is read-only like a GET: it only
carries parameters. Datasette's CSRF protection refuses a form POST that
carries cookies (a browser's), which is right for an API no browser needs to
POST to; ckanapi sends none.

Every answer is CKAN's envelope, ``{"help", "success", "result"}`` or
``{"help", "success": false, "error": {"__type", ...}}``: 409 for a bad
parameter, 404 for an unknown id, 400 for an unknown action or an unreadable
body, 405 for another method.
"""

from __future__ import annotations

import json
import urllib.parse
from typing import TYPE_CHECKING, Any

from datasette import Request, Response

from shafaf.datasette_plugins import language
from shafaf.datasette_plugins.catalogs import catalog
from shafaf.datasette_plugins.catalogs.api_http import absolute, json_response, preflight, read_only
from shafaf.datasette_plugins.ckan import actions as ckan_actions
from shafaf.datasette_plugins.ckan.params import ActionError, bad_request

if TYPE_CHECKING:
    from datasette.app import Datasette

MAX_BODY = 64 * 1024  # parameters only: no upload is ever accepted
ACTION_NAME = r"[A-Za-z0-9_]{1,100}"


async def action(request: Request, datasette: Datasette) -> Response:
    name = request.url_vars["action"]
    help_url = datasette.absolute_url(
        request, datasette.urls.path(f"/api/3/action/help_show?{urllib.parse.urlencode({'name': name})}")
    )
    if request.method == "OPTIONS":
        return preflight()
    try:
        if request.method not in ("GET", "HEAD", "POST"):
            raise ActionError(405, {"__type": "Bad Request", "message": "Bad request - use GET or POST"})
        handler = ckan_actions.ACTIONS.get(name)
        with_sql = ckan_actions.ACTIONS_WITH_SQL.get(name)
        if handler is None and with_sql is None:
            raise bad_request(f"Action name not known: {name}")
        params = await _params(request)
        cat = await catalog.load(datasette, absolute(datasette, request))
        lang = language.request_language(request)
        if with_sql is not None:
            result = await with_sql(cat, params, lang, datasette=datasette, request=request)
        else:
            result = handler(cat, params, lang)  # type: ignore[misc]
    except ActionError as e:
        refused = json_response({"help": help_url, "success": False, "error": e.error}, status=e.status)
        if e.status == 405:  # RFC 9110: a 405 names the methods the route takes
            refused.headers["allow"] = "GET, HEAD, POST, OPTIONS"
        return refused
    return json_response({"help": help_url, "success": True, "result": result})


async def _params(request: Request) -> dict[str, Any]:
    """The query string's parameters, then the body's (a JSON object or a form) over them."""
    params: dict[str, Any] = {}
    for key in request.args.keys():
        values = request.args.getlist(key)
        params[key] = values[0] if len(values) == 1 else values
    if request.method != "POST":
        return params
    length = request.headers.get("content-length", "0")
    if not length.isdigit() or int(length) > MAX_BODY:
        raise bad_request(f"the body is limited to {MAX_BODY} bytes")
    body = await request.post_body()
    if len(body) > MAX_BODY:
        raise bad_request(f"the body is limited to {MAX_BODY} bytes")
    if not body.strip():
        return params
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type == "application/x-www-form-urlencoded":
        params.update(urllib.parse.parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
        return params
    try:
        data = json.loads(body)
    except (ValueError, RecursionError) as e:
        raise bad_request(f"JSON Error: {type(e).__name__}") from None
    if not isinstance(data, dict):
        raise bad_request("JSON Error: the body must be a JSON object of parameters")
    params.update(data)
    return params


async def version(request: Request, datasette: Datasette) -> Response:
    """``/api/3``: the API version, as CKAN answers."""
    return json_response({"version": 3})


ROUTES: list[tuple[str, Any]] = [
    (rf"^/api/(?:3/)?action/(?P<action>{ACTION_NAME})\Z", action),
    (r"^/api/3/?\Z", read_only(version)),
]
