"""The standard's Table Schemas at stable URLs: ``/schemas/<kind>.schema.json`` and the index ``/schemas/``.

DCAT's ``dct:conformsTo``, data.json's ``describedBy`` and CKAN's ``schema``
extra point here, so a harvester (frictionless, a CKAN scheming plugin, a
DCAT-AP validator) reads the columns, types, primary and foreign keys of a
dataset as JSON, not from an HTML page. The files are served byte for byte
as the standard ships them (``application/json``, CORS for GET), so their
hash is the standard's version.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from datasette import Request, Response

from shafaf import standard
from shafaf.datasette_plugins.catalogs.api_http import JSON, absolute, json_response, response
from shafaf.standard import tables

if TYPE_CHECKING:
    from datasette.app import Datasette

PREFIX = "/schemas/"


def schema_path(kind: str) -> str:
    """The path of a dataset kind's Table Schema on the portal (before ``datasette.urls.path``)."""
    return f"{PREFIX}{kind}.schema.json"


async def schema(request: Request, datasette: Datasette) -> Response:
    """``/schemas/<kind>.schema.json``: the standard's Table Schema of one dataset kind."""
    kind = request.url_vars["kind"]
    if kind not in tables.DATASET_TABLES:
        return json_response(
            {"error": f"No Table Schema named {kind!r}", "schemas": list(tables.DATASET_TABLES)}, status=404
        )
    return response(standard.schema_path(kind).read_bytes(), JSON)


async def index(request: Request, datasette: Datasette) -> Response:
    """``/schemas/``: every dataset kind's Table Schema, by URL."""
    to = absolute(datasette, request)
    return json_response(
        {"schemas": {kind: to(datasette.urls.path(schema_path(kind))) for kind in tables.DATASET_TABLES}}
    )


ROUTES: list[tuple[str, Any]] = [
    (r"^/schemas/?\Z", index),
    (r"^/schemas/(?P<kind>[^/]*)\.schema\.json\Z", schema),  # any name: an unknown one is a JSON 404
]
