"""Datasette's ``/-/metadata`` and ``/-/databases`` without the server's own paths (docs/reliability.md P7).

The plugin's settings carry where ``state.db`` and the registry live on the
server (``serve.make_datasette`` puts them there for the agency API and the
schedule panel), and Datasette lists each database's file path; it would show
both to anyone. These routes, registered before Datasette's own, answer the
same pages and JSON with the paths left out.
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
    return await _json_page(request, datasette, "metadata.json", public_metadata(datasette.metadata()))


async def databases(request: Request, datasette: Datasette) -> Response:
    # Datasette 0.65's own list (pinned in setup.py), less each file's path.
    listed = [{k: v for k, v in db.items() if k != "path"} for db in datasette._connected_databases()]
    return await _json_page(request, datasette, "databases.json", listed)


async def _json_page(request: Request, datasette: Datasette, filename: str, data: Any) -> Response:
    """As Datasette's ``JsonDataView`` answers: JSON with ``.json``, else its ``show_json.html`` page."""
    if request.url_vars.get("format"):
        return Response.json(data)
    html = await datasette.render_template(
        "show_json.html", {"filename": filename, "data_json": json.dumps(data, indent=4)}, request=request
    )
    return Response.html(html)


ROUTES: list[tuple[str, Any]] = [
    (r"^/-/metadata(\.(?P<format>json))?$", metadata),
    (r"^/-/databases(\.(?P<format>json))?$", databases),
]
