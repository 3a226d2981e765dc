"""Datasette's ``/-/metadata`` without the server's own paths (RELIABILITY.md P7).

The plugin's settings carry where ``state.db`` and the registry live on the
server (``serve.make_datasette`` puts them there for the agency API and the
schedule panel); Datasette would show them to anyone at ``/-/metadata``. This
route, registered before Datasette's own, answers the same page and JSON with
those settings left out.
"""

from __future__ import annotations

import copy
import json
from typing import TYPE_CHECKING, Any

from datasette import Request, Response

if TYPE_CHECKING:
    from datasette.app import Datasette

PRIVATE_SETTINGS = ("state_db", "registry")


def public_metadata(metadata: dict[str, Any]) -> dict[str, Any]:
    """``metadata`` with the plugin's private settings removed (the original is left as it is)."""
    out = copy.deepcopy(metadata)
    settings = out.get("plugins", {}).get("shafaf", {})
    for key in PRIVATE_SETTINGS:
        settings.pop(key, None)
    return out


async def metadata(request: Request, datasette: Datasette) -> Response:
    data = public_metadata(datasette.metadata())
    if request.url_vars.get("format"):
        return Response.json(data)
    html = await datasette.render_template(
        "show_json.html", {"filename": "metadata.json", "data_json": json.dumps(data, indent=4)}, request=request)
    return Response.html(html)


ROUTES: list[tuple[str, Any]] = [(r"^/-/metadata(\.(?P<format>json))?$", metadata)]
