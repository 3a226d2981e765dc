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
    pattern: str = AGENCY_ID_PATTERN  # a path parameter's


@dataclasses.dataclass(frozen=True)
class Operation:
    path: str
    summary: str
    media_type: str
    example: str  # a path and query, with {package}, {organization}, {resource} filled in from the catalog
    params: tuple[Param, ...] = ()
    action: bool = False  # a CKAN action: GET and POST, CKAN's envelope
    not_found_type: str = "text/html"  # a route with a path parameter: what its 404 is


_ROWS = Param("rows", "integer", "Results per page, 10 by default, capped at 1000.")
_START = Param("start", "integer", "How many results to skip.")
_LIMIT = Param("limit", "integer", "At most this many.")
_OFFSET = Param("offset", "integer", "Skip this many.")
# organization_list and group_list (ckan/params.list_sort)
_LIST_PARAMS = (
    Param("all_fields", "boolean", "Whole dictionaries instead of names."),
    Param("sort", "string", "name, title or package_count, then asc or desc."),
    _LIMIT,
    _OFFSET,
)

OPERATIONS: tuple[Operation, ...] = (
    Operation(
        "/api/3/action/site_read",
        N_("Whether the site may be read: true."),
        JSON,
        "/api/3/action/site_read",
        action=True,
    ),
    Operation(
        "/api/3/action/status_show",
        N_("The portal and the CKAN API version it follows."),
        JSON,
        "/api/3/action/status_show",
        action=True,
    ),
    Operation(
        "/api/3/action/package_list",
        N_("Every dataset name, sorted."),
        JSON,
        "/api/3/action/package_list",
        (_LIMIT, _OFFSET),
        action=True,
    ),
    Operation(
        "/api/3/action/package_show",
        N_("One dataset with its resources; 404 for an unknown id."),
        JSON,
        "/api/3/action/package_show?id={package}",
        (Param("id", "string", "Dataset name.", True),),
        action=True,
    ),
    Operation(
        "/api/3/action/package_search",
        N_("Search datasets: q, fq (organization:, tags:, res_format:), sort, rows, start and facets."),
        JSON,
        '/api/3/action/package_search?fq=organization:{organization}&facet.field=["tags"]&rows=5',
        (
            Param("q", "string", "Words or field:value terms; *:* for everything."),
            Param("fq", "string", "Filter terms, e.g. organization:alpha tags:services."),
            Param("sort", "string", "e.g. name asc, metadata_modified desc."),
            _ROWS,
            _START,
            Param("facet.field", "string", "JSON list of organization, tags, res_format, license_id, groups."),
            Param("facet.limit", "integer", "Values per facet; -1 for all."),
            Param("facet.mincount", "integer", "Leave out values counted fewer times."),
            Param("fl", "string", "The fields each result keeps, comma-separated (e.g. name,groups)."),
            Param("include_private", "boolean", "Accepted; nothing is private."),
        ),
        action=True,
    ),
    Operation(
        "/api/3/action/resource_show",
        N_("One resource (CSV, JSON or the agency's data package)."),
        JSON,
        "/api/3/action/resource_show?id={resource}",
        (Param("id", "string", "Resource id.", True),),
        action=True,
    ),
    Operation(
        "/api/3/action/current_package_list_with_resources",
        N_("Datasets with resources, newest first."),
        JSON,
        "/api/3/action/current_package_list_with_resources?limit=2",
        (_LIMIT, _OFFSET, Param("page", "integer", "Page number, from 1.")),
        action=True,
    ),
    Operation(
        "/api/3/action/organization_list",
        N_("The agencies (CKAN organizations)."),
        JSON,
        "/api/3/action/organization_list?all_fields=true",
        _LIST_PARAMS,
        action=True,
    ),
    Operation(
        "/api/3/action/organization_show",
        N_("One agency; its datasets with include_datasets."),
        JSON,
        "/api/3/action/organization_show?id={organization}&include_datasets=true",
        (Param("id", "string", "Agency id.", True), Param("include_datasets", "boolean", "List its datasets.")),
        action=True,
    ),
    Operation(
        "/api/3/action/group_list",
        N_("The groups: the EU data themes the datasets are filed under."),
        JSON,
        "/api/3/action/group_list?all_fields=true",
        _LIST_PARAMS,
        action=True,
    ),
    Operation(
        "/api/3/action/group_show",
        N_("One group (a theme, e.g. gove); its datasets with include_datasets."),
        JSON,
        "/api/3/action/group_show?id=gove&include_datasets=true",
        (
            Param("id", "string", "Group name: an EU data-theme code in lower case.", True),
            Param("include_datasets", "boolean", "List its datasets."),
        ),
        action=True,
    ),
    Operation(
        "/api/3/action/tag_list",
        N_("Every tag; query narrows them."),
        JSON,
        "/api/3/action/tag_list",
        (Param("query", "string", "Tags containing this."), Param("all_fields", "boolean", "Whole dictionaries.")),
        action=True,
    ),
    Operation(
        "/api/3/action/tag_show",
        N_("One tag; the datasets carrying it with include_datasets."),
        JSON,
        "/api/3/action/tag_show?id=transparency&include_datasets=true",
        (Param("id", "string", "Tag name or id.", True), Param("include_datasets", "boolean", "List its datasets.")),
        action=True,
    ),
    Operation(
        "/api/3/action/datastore_search",
        N_("The rows of a CSV or JSON resource (one agency's table)."),
        JSON,
        "/api/3/action/datastore_search?resource_id={resource}&limit=5",
        (
            Param("resource_id", "string", "A CSV or JSON resource id.", True),
            Param("filters", "string", "JSON object: field to a value or a list of values."),
            Param("q", "string", "Words each found in some text field, or a JSON object of field to words."),
            Param("fields", "string", "Comma-separated fields to return."),
            Param("sort", "string", "e.g. service_id desc."),
            Param("distinct", "boolean", "Distinct rows only."),
            Param("limit", "integer", "Rows, 100 by default, capped at 1000."),
            _OFFSET,
            Param("include_total", "boolean", "Count the matching rows (true by default)."),
            Param("records_format", "string", "objects, lists, csv or tsv."),
        ),
        action=True,
    ),
    Operation(
        "/api/3/action/datastore_search_sql",
        N_("One read-only SELECT over the published tables, under the limits of Datasette's SQL."),
        JSON,
        "/api/3/action/datastore_search_sql?sql=SELECT%20agency_id,%20count(*)%20FROM%20services%20GROUP%20BY%20agency_id",
        (Param("sql", "string", "One SELECT statement.", True),),
        action=True,
    ),
    Operation(
        "/api/3/action/help_show",
        N_("What an action does."),
        JSON,
        "/api/3/action/help_show?name=package_search",
        (Param("name", "string", "Action name.", True),),
        action=True,
    ),
    Operation(
        "/api/action/{action}",
        N_("Every action above at ckanapi's shorter path (the same answers)."),
        JSON,
        "/api/action/package_list",
        (Param("action", "string", "Action name, e.g. package_show.", True, pattern="[A-Za-z0-9_]{1,100}"),),
        action=True,
    ),
    Operation("/api/3", N_("The CKAN API version (3)."), JSON, "/api/3"),
    Operation("/schemas/", N_("The standard's Table Schemas, by URL."), JSON, "/schemas/"),
    Operation(
        "/schemas/{kind}.schema.json",
        N_("One dataset kind's Table Schema (fields, primary and foreign keys); 404 for an unknown kind."),
        JSON,
        "/schemas/services.schema.json",
        (Param("kind", "string", "Dataset kind, e.g. services.", True, pattern="[a-z_]{1,64}"),),
        not_found_type=JSON,
    ),
    Operation("/data.json", N_("DCAT-US (Project Open Data v1.1) catalog of every dataset."), JSON, "/data.json"),
    Operation("/catalog.jsonld", N_("DCAT-AP catalog as JSON-LD."), JSON_LD, "/catalog.jsonld"),
    Operation("/catalog.ttl", N_("DCAT-AP catalog as Turtle."), TURTLE, "/catalog.ttl"),
    Operation("/feed.atom", N_("Atom feed: every agency's publications and failed harvests."), ATOM, "/feed.atom"),
    Operation(
        "/agencies/{agency_id}/feed.atom",
        N_("Atom feed of one agency; 404 for an unknown agency."),
        ATOM,
        "/agencies/{organization}/feed.atom",
        (Param("agency_id", "string", "Agency id.", True),),
    ),
    Operation(
        "/downloads/",
        N_(
            "The full downloads: every table as CSV and JSON, each agency's data package, SHA256SUMS and manifest.json."
        ),
        "text/html; charset=utf-8",
        "/downloads/",
    ),
    Operation(
        "/downloads/manifest.json",
        N_("Every download with its size, rows and SHA-256."),
        JSON,
        "/downloads/manifest.json",
    ),
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
        return {
            "description": text,
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Envelope"}}},
        }

    responses = {
        "200": reply("CKAN's envelope with success true and the result."),
        "400": reply("Unknown action or unreadable body (Bad Request)."),
        "404": reply("Unknown id (Not Found Error)."),
        "409": reply("A bad parameter (Validation Error), named in error."),
    }
    in_path = [p for p in op.params if "{" + p.name + "}" in op.path]
    in_query = [p for p in op.params if p not in in_path]
    query = [
        {
            "name": p.name,
            "in": "path",
            "required": True,
            "description": p.description,
            "schema": {"type": "string", "pattern": f"^{p.pattern}$"},
        }
        for p in in_path
    ]
    query += [
        {
            "name": p.name,
            "in": "query",
            "required": p.required,
            "description": p.description,
            "schema": {"type": p.type},
        }
        for p in in_query
    ]
    if in_path:  # a name outside the pattern is no action route at all: the portal's 404 page
        responses["404"] = {
            "description": "Unknown id (Not Found Error), or no such route.",
            "content": {
                "application/json": {"schema": {"$ref": "#/components/schemas/Envelope"}},
                "text/html": {"schema": {"type": "string"}},
            },
        }
        responses["405"] = {
            "description": "A POST to a path that is no action route.",
            "content": {
                "text/html": {"schema": {"type": "string"}},
                "text/plain": {"schema": {"type": "string"}},
                "application/json": {"schema": {}},
            },
        }
    body = {
        "type": "object",
        "properties": {p.name: {"type": p.type} for p in in_query},
        "required": [p.name for p in in_query if p.required],
    }
    if not body["required"]:
        del body["required"]
    name = op.path.rsplit("/", 1)[-1].strip("{}") + ("_alias" if in_path else "")
    return {
        "get": {"operationId": f"{name}_get", "summary": op.summary, "parameters": query, "responses": responses},
        "post": {
            "operationId": f"{name}_post",
            "summary": op.summary + " (parameters as a JSON body)",
            "parameters": [p for p in query if p["in"] == "path"],
            "requestBody": {"required": False, "content": {"application/json": {"schema": body}}},
            "responses": responses,
        },
    }


def _document_route(op: Operation) -> dict[str, Any]:
    params = [
        {
            "name": p.name,
            "in": "path",
            "required": True,
            "description": p.description,
            "schema": {"type": "string", "pattern": f"^{p.pattern}$"},
        }
        for p in op.params
    ]
    responses: dict[str, Any] = {"200": {"description": op.summary, "content": {_media(op.media_type): {"schema": {}}}}}
    if params:
        kind = {} if op.not_found_type == JSON else {"type": "string"}
        responses["404"] = {
            "description": f"Unknown {op.params[0].name}.",
            "content": {_media(op.not_found_type): {"schema": kind}},
        }
    get = {
        "operationId": op.path.strip("/").replace("/", "_").replace(".", "_").replace("{", "").replace("}", ""),
        "summary": op.summary,
        "parameters": params,
        "responses": responses,
    }
    return {"get": get}


def document(server_url: str) -> dict[str, Any]:
    """The OpenAPI 3.0.3 document, with ``server_url`` (the portal's address) as its server."""
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "Shafaf harvestable API",
            "version": __version__,
            "description": "Read-only: a CKAN-compatible Action API, DCAT catalogs, Atom feeds and discovery "
            "files. Every /api/3/action/<name> also answers at /api/action/<name>. Every "
            "table and query also has Datasette's own .json and .csv.",
        },
        "servers": [{"url": server_url.rstrip("/") or "/"}],
        "paths": {op.path: _action(op) if op.action else _document_route(op) for op in OPERATIONS},
        "components": {"schemas": {"Envelope": _ENVELOPE}},
    }
