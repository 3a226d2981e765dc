"""How people and machines find the rest: ``/api`` (every route, with curl), ``/api/openapi.json``,
``/sitemap.xml`` and ``/robots.txt``.

The ``/api`` page and the OpenAPI document print the same ``openapi.OPERATIONS``;
the examples use real ids from the catalog, so every curl line works as
printed. The sitemap lists the home page, the lists, every agency page and
every current (not withdrawn) service page, up to the sitemap protocol's
50,000 URLs; ElementTree writes the XML.
"""

from __future__ import annotations

import re
import urllib.parse
import xml.etree.ElementTree as ET
from typing import TYPE_CHECKING, Any

from datasette import Request, Response

from shafaf.datasette_plugins import i18n, language
from shafaf.datasette_plugins.catalogs import catalog as catalog_module
from shafaf.datasette_plugins.catalogs import openapi
from shafaf.datasette_plugins.catalogs.api_http import TEXT, XML, absolute, json_response, response
from shafaf.datasette_plugins.common import DATABASE, SERVICE_ID_PATTERN, render

if TYPE_CHECKING:
    from datasette.app import Datasette

SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
MAX_URLS = 50_000
_SERVICES_SQL = """
SELECT agency_id, service_id FROM services WHERE coalesce(withdrawn, 0) = 0 ORDER BY agency_id, service_id LIMIT :limit
"""
_SERVICE_ID = re.compile(rf"{SERVICE_ID_PATTERN}\Z")


async def openapi_json(request: Request, datasette: Datasette) -> Response:
    """``/api/openapi.json``: the OpenAPI description, with this portal as its server."""
    return json_response(openapi.document(datasette.absolute_url(request, datasette.urls.path("/"))))


def _examples(cat: catalog_module.Catalog) -> dict[str, str]:
    first = cat.packages[0] if cat.packages else None
    return {
        "package": first.name if first else "alpha-services",
        "organization": first.organization.id if first else "alpha",
        "resource": first.resources[0].id if first else "alpha-services-csv",
    }


async def api_page(request: Request, datasette: Datasette) -> Response:
    """``/api``: every machine-readable route, what it does, and a curl line to try it."""
    to_absolute = absolute(datasette, request)
    lang = language.request_language(request)
    cat = await catalog_module.load(datasette, to_absolute)
    ids = _examples(cat)
    routes = []
    for op in openapi.OPERATIONS:
        url = to_absolute(datasette.urls.path(op.example.format(**ids)))
        routes.append(
            {
                "path": op.path,
                "summary": i18n.gettext(op.summary, lang),
                "media_type": op.media_type.split(";")[0],
                "curl": f"curl '{url}'",
                "action": op.action,
                "params": [p.name for p in op.params],
            }
        )
    post = to_absolute(datasette.urls.path("/api/action/package_show"))
    return await render(
        datasette,
        request,
        "shafaf_api.html",
        {
            "routes": routes,
            "post_example": f"curl -X POST -H 'Content-Type: application/json' -d '{{\"id\": \"{ids['package']}\"}}' '{post}'",
            "ckanapi_example": f"ckanapi action package_list -r {cat.home_url.rstrip('/')}",
            "openapi_href": datasette.urls.path("/api/openapi.json"),
            "datasette_json_href": datasette.urls.table(DATABASE, "services", format="json"),
        },
    )


async def sitemap(request: Request, datasette: Datasette) -> Response:
    """``/sitemap.xml``: the public pages, each agency's with the date it was last published."""
    to_absolute = absolute(datasette, request)
    cat = await catalog_module.load(datasette, to_absolute)
    root = ET.Element("urlset", xmlns=SITEMAP_NS)

    def add(path: str, lastmod: str | None = None) -> None:
        url = ET.SubElement(root, "url")
        ET.SubElement(url, "loc").text = to_absolute(datasette.urls.path(path))
        if lastmod:
            ET.SubElement(url, "lastmod").text = lastmod

    for path in ("/", "/quality", "/duplicates", "/api", "/downloads/"):
        add(path, cat.modified if path == "/" else None)
    published = {o.id: o.published_at for o in cat.organizations}
    for org in cat.organizations:
        add(f"/agencies/{urllib.parse.quote(org.id)}", org.published_at)
    db = datasette.get_database(DATABASE)
    if "services" in await db.table_names():
        left = MAX_URLS - len(root)
        for agency_id, service_id in (await db.execute(_SERVICES_SQL, {"limit": max(left, 0)})).rows:
            if agency_id in published and isinstance(service_id, str) and _SERVICE_ID.match(service_id):
                add(
                    f"/agencies/{urllib.parse.quote(agency_id)}/services/{urllib.parse.quote(service_id, safe='')}",
                    published[agency_id],
                )
    ET.indent(root)
    return response(ET.tostring(root, encoding="utf-8", xml_declaration=True), XML)


async def robots(request: Request, datasette: Datasette) -> Response:
    """``/robots.txt``: pages and catalogs may be crawled; SQL, table filters, the API's actions and ``/-/`` not."""
    lines = [
        "User-agent: *",
        f"Disallow: {datasette.urls.database(DATABASE)}?",  # SQL
        f"Disallow: {datasette.urls.database(DATABASE)}/*?",  # every filter and facet of every table (RFC 9309 *)
        f"Disallow: {datasette.urls.path('/api/3/action/')}",
        f"Disallow: {datasette.urls.path('/api/action/')}",
        f"Disallow: {datasette.urls.path('/-/')}",
        "Allow: /",
        f"Sitemap: {datasette.absolute_url(request, datasette.urls.path('/sitemap.xml'))}",
    ]
    return response("\n".join(lines) + "\n", TEXT)


ROUTES: list[tuple[str, Any]] = [
    (r"^/api/?\Z", api_page),
    (r"^/api/openapi\.json\Z", openapi_json),
    (r"^/sitemap\.xml\Z", sitemap),
    (r"^/robots\.txt\Z", robots),
]
