"""The OpenAPI 3.0 description of the harvestable routes, generated from one table so it cannot drift.

``OPERATIONS`` lists every route with its parameters, media type and a
curl example; ``document`` turns it into OpenAPI (served at
``/api/openapi.json``, read by schemathesis in the tests), and the ``/api``
page prints the same table. The CKAN actions take GET query parameters or
the same names in a JSON body by POST; ``/api/action/<name>`` is the same
as ``/api/3/action/<name>``.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from shafaf import __version__
from shafaf.datasette_plugins.catalogs.api_http import ATOM, JSON, JSON_LD, TEXT, TURTLE, XML
from shafaf.datasette_plugins.common import AGENCY_ID_PATTERN
from shafaf.datasette_plugins.i18n import N_  # summaries are words of the /api page too


@dataclasses.dataclass(frozen=True)
class Param:
    name: str
    type: str  # string, integer, boolean
    description: str
    required: bool = False


@dataclasses.dataclass(frozen=True)
class Operation:
    path: str
    summary: str
    media_type: str
    example: str  # a path and query, with {package}, {organization}, {resource} filled in from the catalog
    params: tuple[Param, ...] = ()
    action: bool = False  # a CKAN action: GET and POST, CKAN's envelope


_ROWS = Param("rows", "integer", "Results per page, 10 by default, capped at 1000.")
_START = Param("start", "integer", "How many results to skip.")
_LIMIT = Param("limit", "integer", "At most this many.")
_OFFSET = Param("offset", "integer", "Skip this many.")

OPERATIONS: tuple[Operation, ...] = (
    Operation("/api/3/action/status_show", N_("The portal and the CKAN API version it follows."), JSON,
              "/api/3/action/status_show", action=True),
    Operation("/api/3/action/package_list", N_("Every dataset name, sorted."), JSON, "/api/3/action/package_list",
              (_LIMIT, _OFFSET), action=True),
    Operation("/api/3/action/package_show", N_("One dataset with its resources; 404 for an unknown id."), JSON,
              "/api/3/action/package_show?id={package}", (Param("id", "string", "Dataset name.", True),), action=True),
    Operation("/api/3/action/package_search", N_("Search datasets: q, fq (organization:, tags:, res_format:), sort, "
              "rows, start and facets."), JSON,
              "/api/3/action/package_search?fq=organization:{organization}&facet.field=[\"tags\"]&rows=5",
              (Param("q", "string", "Words or field:value terms; *:* for everything."),
               Param("fq", "string", "Filter terms, e.g. organization:alpha tags:services."),
               Param("sort", "string", "e.g. name asc, metadata_modified desc."), _ROWS, _START,
               Param("facet.field", "string", "JSON list of organization, tags, res_format, license_id."),
               Param("facet.limit", "integer", "Values per facet; -1 for all."),
               Param("facet.mincount", "integer", "Leave out values counted fewer times."),
               Param("include_private", "boolean", "Accepted; nothing is private.")), action=True),
    Operation("/api/3/action/resource_show", N_("One resource (CSV, JSON or the agency's data package)."), JSON,
              "/api/3/action/resource_show?id={resource}", (Param("id", "string", "Resource id.", True),),
              action=True),
    Operation("/api/3/action/current_package_list_with_resources", N_("Datasets with resources, newest first."), JSON,
              "/api/3/action/current_package_list_with_resources?limit=2",
              (_LIMIT, _OFFSET, Param("page", "integer", "Page number, from 1.")), action=True),
    Operation("/api/3/action/organization_list", N_("The agencies (CKAN organizations)."), JSON,
              "/api/3/action/organization_list?all_fields=true",
              (Param("all_fields", "boolean", "Whole dictionaries instead of names."),
               Param("sort", "string", "name, title or package_count, then asc or desc."), _LIMIT, _OFFSET),
              action=True),
    Operation("/api/3/action/organization_show", N_("One agency; its datasets with include_datasets."), JSON,
              "/api/3/action/organization_show?id={organization}&include_datasets=true",
              (Param("id", "string", "Agency id.", True), Param("include_datasets", "boolean", "List its datasets.")),
              action=True),
    Operation("/api/3/action/help_show", N_("What an action does."), JSON, "/api/3/action/help_show?name=package_search",
              (Param("name", "string", "Action name.", True),), action=True),
    Operation("/api/3", N_("The CKAN API version (3)."), JSON, "/api/3"),
    Operation("/data.json", N_("DCAT-US (Project Open Data v1.1) catalog of every dataset."), JSON, "/data.json"),
    Operation("/catalog.jsonld", N_("DCAT-AP catalog as JSON-LD."), JSON_LD, "/catalog.jsonld"),
    Operation("/catalog.ttl", N_("DCAT-AP catalog as Turtle."), TURTLE, "/catalog.ttl"),
    Operation("/feed.atom", N_("Atom feed: every agency's publications and failed harvests."), ATOM, "/feed.atom"),
    Operation("/agencies/{agency_id}/feed.atom", N_("Atom feed of one agency; 404 for an unknown agency."), ATOM,
              "/agencies/{organization}/feed.atom",
              (Param("agency_id", "string", "Agency id.", True),)),
    Operation("/sitemap.xml", N_("Every public page, for search engines."), XML, "/sitemap.xml"),
    Operation("/robots.txt", N_("Crawling rules and the sitemap's address."), TEXT, "/robots.txt"),
    Operation("/api/openapi.json", N_("This description."), JSON, "/api/openapi.json"),
)

_ENVELOPE = {
    "type": "object",
    "required": ["help", "success"],
    "properties": {
        "help": {"type": "string"},
        "success": {"type": "boolean"},
        "result": {},
        "error": {"type": "object", "required": ["__type"], "properties": {"__type": {"type": "string"}}},
    },
}


def _media(media_type: str) -> str:
    return media_type.split(";")[0]


def _action(op: Operation) -> dict[str, Any]:
    def reply(text: str) -> dict[str, Any]:
        return {"description": text, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Envelope"}}}}

    responses = {"200": reply("CKAN's envelope with success true and the result."),
                 "400": reply("Unknown action or unreadable body (Bad Request)."),
                 "404": reply("Unknown id (Not Found Error)."),
                 "409": reply("A bad parameter (Validation Error), named in error.")}
    query = [{"name": p.name, "in": "query", "required": p.required, "description": p.description,
              "schema": {"type": p.type}} for p in op.params]
    body = {"type": "object", "properties": {p.name: {"type": p.type} for p in op.params},
            "required": [p.name for p in op.params if p.required]}
    if not body["required"]:
        del body["required"]
    name = op.path.rsplit("/", 1)[-1]
    return {
        "get": {"operationId": f"{name}_get", "summary": op.summary, "parameters": query, "responses": responses},
        "post": {"operationId": f"{name}_post", "summary": op.summary + " (parameters as a JSON body)",
                 "requestBody": {"required": False, "content": {"application/json": {"schema": body}}},
                 "responses": responses},
    }


def _document_route(op: Operation) -> dict[str, Any]:
    params = [{"name": p.name, "in": "path", "required": True, "description": p.description,
               "schema": {"type": "string", "pattern": f"^{AGENCY_ID_PATTERN}$"}} for p in op.params]
    responses: dict[str, Any] = {"200": {"description": op.summary, "content": {_media(op.media_type): {"schema": {}}}}}
    if params:
        responses["404"] = {"description": "Unknown agency.", "content": {"text/html": {"schema": {"type": "string"}}}}
    get = {"operationId": op.path.strip("/").replace("/", "_").replace(".", "_").replace("{", "").replace("}", ""),
           "summary": op.summary, "parameters": params, "responses": responses}
    return {"get": get}


def document(server_url: str) -> dict[str, Any]:
    """The OpenAPI 3.0.3 document, with ``server_url`` (the portal's address) as its server."""
    return {
        "openapi": "3.0.3",
        "info": {"title": "Shafaf harvestable API", "version": __version__,
                 "description": "Read-only: a CKAN-compatible Action API, DCAT catalogs, Atom feeds and discovery "
                                "files. Every /api/3/action/<name> also answers at /api/action/<name>. Every "
                                "table and query also has Datasette's own .json and .csv."},
        "servers": [{"url": server_url.rstrip("/") or "/"}],
        "paths": {op.path: _action(op) if op.action else _document_route(op) for op in OPERATIONS},
        "components": {"schemas": {"Envelope": _ENVELOPE}},
    }
