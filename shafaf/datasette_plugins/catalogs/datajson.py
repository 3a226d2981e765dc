"""``/data.json``: the catalog as DCAT-US (Project Open Data metadata schema v1.1, non-federal profile).

What data.gov's harvester and ckanext-datajson read. One entry per
dataset, with the fields the schema requires (title, description,
keyword, modified, publisher, contactPoint, identifier, accessLevel) and
the optional ones the portal knows: license, temporal (``start/end``),
landingPage, language, issued, and the distributions (``downloadURL`` with
``mediaType``). DCAT-US has one title per dataset, so it is
in the request's language (Persian by default, ``?lang=en`` English, as
on every page); ``language`` lists both.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from datasette import Request, Response

from shafaf.datasette_plugins import language
from shafaf.datasette_plugins.catalogs import catalog as catalog_module
from shafaf.datasette_plugins.catalogs.api_http import absolute, json_response
from shafaf.datasette_plugins.catalogs.catalog import Catalog, Organization, Package

if TYPE_CHECKING:
    from datasette.app import Datasette

SCHEMA = "https://project-open-data.cio.gov/v1.1/schema"


def _publisher(org: Organization, lang: str) -> dict[str, Any]:
    out: dict[str, Any] = {"@type": "org:Organization", "name": org.name(lang)}
    if org.parent:
        out["subOrganizationOf"] = {"@type": "org:Organization", "name": org.parent}
    return out


def _contact(org: Organization, lang: str) -> dict[str, Any]:
    out = {"@type": "vcard:Contact", "fn": org.name(lang)}
    if org.contact_email:
        out["hasEmail"] = f"mailto:{org.contact_email}"
    return out


def dataset(cat: Catalog, package: Package, lang: str, identifier: str) -> dict[str, Any]:
    org = package.organization
    out: dict[str, Any] = {
        "@type": "dcat:Dataset",
        "identifier": identifier,
        "title": package.title(lang),
        "description": package.description(lang),
        "keyword": list(package.tags),
        "theme": [t.title(lang) for t in package.themes],  # the EU data themes (the CKAN groups)
        "modified": package.modified or package.created or "",
        "publisher": _publisher(org, lang),
        "contactPoint": _contact(org, lang),
        "accessLevel": "public",
        "landingPage": package.landing_page,
        "language": ["fa", "en"],
        "describedBy": package.schema_url,
        "describedByType": "application/json",
        "distribution": [
            {
                "@type": "dcat:Distribution",
                "title": r.name,
                "description": r.description,
                "downloadURL": r.url,
                "mediaType": r.mediatype,
                "format": r.format,
            }
            for r in package.resources
        ],
    }
    if cat.license.url:
        out["license"] = cat.license.url
    if package.created:
        out["issued"] = package.created
    if package.temporal:
        out["temporal"] = f"{package.temporal[0]}/{package.temporal[1]}"
    if not out["modified"]:
        del out["modified"]  # fails validation visibly rather than claiming a date
    return out


def document(cat: Catalog, lang: str, *, self_url: str, identifier: Any) -> dict[str, Any]:
    """The data.json object; ``identifier(package)`` gives each dataset's stable identifier."""
    return {
        "@context": f"{SCHEMA}/catalog.jsonld",
        "@id": self_url,
        "@type": "dcat:Catalog",
        "conformsTo": SCHEMA,
        "describedBy": f"{SCHEMA}/catalog.json",
        "dataset": [dataset(cat, p, lang, identifier(p)) for p in cat.packages],
    }


async def data_json(request: Request, datasette: Datasette) -> Response:
    """``/data.json`` in the request's language (``?lang=en`` for English titles)."""
    to_absolute = absolute(datasette, request)
    cat = await catalog_module.load(datasette, to_absolute)
    home = cat.home_url.rstrip("/")
    doc = document(
        cat,
        language.request_language(request),
        self_url=to_absolute(datasette.urls.path("/data.json")),
        identifier=lambda p: f"{home}/api/3/action/package_show?id={p.name}",
    )
    return json_response(doc)


ROUTES: list[tuple[str, Any]] = [(r"^/data\.json\Z", data_json)]
