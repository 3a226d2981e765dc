"""The routes that make the portal harvestable by other catalogs, gathered for ``register_routes``.

``ckan_api`` (the CKAN Action API), ``dcat`` (``/catalog.jsonld``,
``/catalog.ttl``), ``schemas`` (the Table Schemas), ``datajson`` (DCAT-US ``/data.json``), ``feeds`` (Atom)
and ``discovery`` (``/api``, ``/api/openapi.json``, ``/sitemap.xml``,
``/robots.txt``) read one ``catalog.Catalog``; ``registry_schema``
(``/-/agencies.schema.json``) answers the registry's JSON Schema. None writes.
"""

from __future__ import annotations

from typing import Any

from shafaf.datasette_plugins.catalogs import datajson, dcat, discovery, feeds, registry_schema, schemas
from shafaf.datasette_plugins.catalogs.api_http import read_only
from shafaf.datasette_plugins.ckan import api as ckan_api

ROUTES: list[tuple[str, Any]] = [
    *ckan_api.ROUTES,  # the actions take GET and POST themselves; /api/3 is GET only
    *[
        (pattern, read_only(handler))
        for pattern, handler in (
            *datajson.ROUTES,
            *dcat.ROUTES,
            *feeds.ROUTES,
            *discovery.ROUTES,
            *registry_schema.ROUTES,
            *schemas.ROUTES,
        )
    ],
]
