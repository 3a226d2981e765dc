"""The catalog as DCAT-AP: one rdflib graph, served as JSON-LD (``/catalog.jsonld``) and Turtle (``/catalog.ttl``).

rdflib builds and serializes the graph, so escaping, language tags and
datatypes are the library's, never hand-written RDF. Each dataset carries
what DCAT-AP asks of it: title and description in Persian and English,
publisher (a ``foaf:Organization``: the agency), contact point (a vCard),
keywords, landing page, issued/modified (``xsd:dateTime``), temporal
coverage (``dct:PeriodOfTime`` with ``dcat:startDate``/``dcat:endDate``,
from the rows' periods), language, and its distributions with download URL,
media type, file type, licence, and size and SHA-256 when they are known.

IRIs: the catalog is the portal's home page; a dataset is its
``package_show`` URL and a distribution its ``resource_show`` URL, so every
IRI dereferences to a description of the thing.
"""

from __future__ import annotations

import urllib.parse
from typing import TYPE_CHECKING, Any

from datasette import Request, Response
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, RDF, SKOS, XSD

from shafaf.core import urls
from shafaf.datasette_plugins.catalogs import catalog as catalog_module
from shafaf.datasette_plugins.catalogs import dcat_terms as terms
from shafaf.datasette_plugins.catalogs.api_http import JSON_LD, TEXT, TURTLE, absolute, response
from shafaf.datasette_plugins.catalogs.catalog import Catalog, Organization, Package, Resource

if TYPE_CHECKING:
    from datasette.app import Datasette

VCARD, SPDX, LANGUAGES = terms.VCARD, terms.SPDX, terms.LANGUAGES
CONTEXT = {
    "dcat": str(DCAT),
    "dct": str(DCTERMS),
    "foaf": str(FOAF),
    "vcard": str(VCARD),
    "spdx": str(SPDX),
    "xsd": str(XSD),
    "skos": str(SKOS),
    "dcatap": str(terms.DCATAP),
}


def _stamp(value: str) -> Literal:
    """A stored UTC time (``2026-12-01T18:44:12Z``) or date as the matching XSD literal."""
    return Literal(value, datatype=XSD.dateTime if "T" in value else XSD.date)


def _both(graph: Graph, subject: Any, predicate: Any, fa: str | None, en: str | None) -> None:
    for text, lang in ((fa, "fa"), (en, "en")):
        if text:
            graph.add((subject, predicate, Literal(text, lang=lang)))


def _action_iri(cat: Catalog, action: str, id: str) -> URIRef:
    return URIRef(f"{cat.home_url.rstrip('/')}/api/3/action/{action}?{urllib.parse.urlencode({'id': id})}")


def _organization(graph: Graph, org: Organization) -> URIRef:
    node = terms.agent(graph, URIRef(org.page_url))
    _both(graph, node, FOAF.name, org.name_fa, org.name_en)
    if org.website:
        graph.add((node, FOAF.homepage, terms.document(graph, org.website)))
    return node


def _contact(graph: Graph, org: Organization) -> BNode:
    node = terms.typed(graph, BNode(f"contact-{org.id}"), *terms.CONTACT)
    _both(graph, node, VCARD.fn, org.name_fa, org.name_en)
    if org.contact_email:
        graph.add((node, VCARD.hasEmail, URIRef(f"mailto:{org.contact_email}")))
    graph.add((node, VCARD.hasURL, URIRef(org.page_url)))
    return node


def _distribution(graph: Graph, cat: Catalog, resource: Resource) -> URIRef:
    node = _action_iri(cat, "resource_show", resource.id)
    graph.add((node, RDF.type, DCAT.Distribution))
    graph.add((node, DCTERMS.title, Literal(resource.name)))
    graph.add((node, DCTERMS.description, Literal(resource.description, lang="en")))
    graph.add((node, DCAT.downloadURL, terms.resource(graph, resource.url)))
    graph.add((node, DCAT.accessURL, terms.resource(graph, resource.url)))
    graph.add((node, DCAT.mediaType, terms.media_type(graph, resource.mediatype)))
    graph.add((node, DCTERMS["format"], terms.file_type(graph, resource.format)))
    graph.add((node, terms.DCATAP.availability, terms.availability(graph)))
    if cat.license.url:
        graph.add((node, DCTERMS.license, terms.license_document(graph, cat.license.url, cat.license.id)))
    if resource.last_modified:
        graph.add((node, DCTERMS.modified, _stamp(resource.last_modified)))
    if resource.size is not None:
        graph.add((node, DCAT.byteSize, Literal(resource.size, datatype=XSD.nonNegativeInteger)))
    if resource.sha256:
        checksum = BNode(f"checksum-{resource.id}")
        graph.add((node, SPDX.checksum, checksum))
        graph.add((checksum, RDF.type, SPDX.Checksum))
        graph.add((checksum, SPDX.algorithm, terms.checksum_algorithm(graph)))
        graph.add((checksum, SPDX.checksumValue, Literal(resource.sha256, datatype=XSD.hexBinary)))
    return node


def _dataset(graph: Graph, cat: Catalog, package: Package, publishers: dict[str, URIRef]) -> URIRef:
    node = _action_iri(cat, "package_show", package.name)
    org = package.organization
    graph.add((node, RDF.type, DCAT.Dataset))
    graph.add((node, DCTERMS.identifier, Literal(package.name)))
    _both(graph, node, DCTERMS.title, package.title_fa, package.title_en)
    _both(graph, node, DCTERMS.description, package.description_fa, package.description_en)
    for keyword in package.tags:
        graph.add((node, DCAT.keyword, Literal(keyword)))
    if org.id not in publishers:
        publishers[org.id] = _organization(graph, org)
    graph.add((node, DCTERMS.publisher, publishers[org.id]))
    graph.add((node, DCAT.contactPoint, _contact(graph, org)))
    graph.add((node, DCAT.landingPage, terms.document(graph, package.landing_page)))
    graph.add(
        (node, DCTERMS.conformsTo, terms.standard(graph, package.schema_url, f"Shafaf Table Schema: {package.kind}"))
    )
    for lang in LANGUAGES:
        graph.add((node, DCTERMS.language, terms.language(graph, lang)))
    for item in package.themes:
        graph.add((node, DCAT.theme, terms.theme(graph, item)))
    graph.add((node, DCTERMS.spatial, terms.spatial(graph)))
    if package.created:
        graph.add((node, DCTERMS.issued, _stamp(package.created)))
    if package.modified:
        graph.add((node, DCTERMS.modified, _stamp(package.modified)))
    temporal = package.temporal or _observed(package)
    if temporal:
        period = BNode(f"period-{package.name}")
        graph.add((node, DCTERMS.temporal, period))
        graph.add((period, RDF.type, DCTERMS.PeriodOfTime))
        graph.add((period, DCAT.startDate, _stamp(temporal[0])))
        graph.add((period, DCAT.endDate, _stamp(temporal[1])))
    if cat.license.url:
        graph.add((node, DCTERMS.license, terms.license_document(graph, cat.license.url, cat.license.id)))
    for resource in package.resources:
        graph.add((node, DCAT.distribution, _distribution(graph, cat, resource)))
    return node


def _observed(package: Package) -> tuple[str, str] | None:
    """A table without periods (the services inventory, the activities) describes what stood between its first
    and its last good harvest: those dates are its temporal coverage."""
    if package.created and package.modified:
        return package.created[:10], package.modified[:10]
    return None


def graph(cat: Catalog) -> Graph:
    """The whole catalog as a DCAT-AP graph."""
    g = Graph()
    for prefix, uri in CONTEXT.items():
        g.bind(prefix, uri)
    node = URIRef(cat.home_url)
    g.add((node, RDF.type, DCAT.Catalog))
    _both(g, node, DCTERMS.title, cat.title_fa, cat.title_en)
    _both(g, node, DCTERMS.description, cat.description_fa or cat.title_fa, cat.description_en or cat.title_en)
    g.add((node, FOAF.homepage, terms.document(g, cat.home_url)))
    portal = terms.agent(g, BNode("portal"))
    _both(g, portal, FOAF.name, cat.title_fa, cat.title_en)
    g.add((node, DCTERMS.publisher, portal))
    if cat.license.url:
        g.add((node, DCTERMS.license, terms.license_document(g, cat.license.url, cat.license.id)))
    issued = min((p.created for p in cat.packages if p.created), default=None)
    if issued:
        g.add((node, DCTERMS.issued, _stamp(issued)))
    if cat.modified:
        g.add((node, DCTERMS.modified, _stamp(cat.modified)))
    for lang in LANGUAGES:
        g.add((node, DCTERMS.language, terms.language(g, lang)))
    g.add((node, DCAT.themeTaxonomy, terms.theme_taxonomy(g)))
    g.add((node, DCTERMS.spatial, terms.spatial(g)))
    publishers: dict[str, URIRef] = {}
    for package in cat.packages:
        g.add((node, DCAT.dataset, _dataset(g, cat, package, publishers)))
    return g


async def jsonld(request: Request, datasette: Datasette) -> Response:
    """``/catalog.jsonld``: DCAT-AP as JSON-LD."""
    cat = await catalog_module.load(datasette, absolute(datasette, request))
    if (refused := _unaddressable(cat)) is not None:
        return refused
    return response(graph(cat).serialize(format="json-ld", context=CONTEXT, indent=1), JSON_LD)


async def turtle(request: Request, datasette: Datasette) -> Response:
    """``/catalog.ttl``: DCAT-AP as Turtle."""
    cat = await catalog_module.load(datasette, absolute(datasette, request))
    if (refused := _unaddressable(cat)) is not None:
        return refused
    return response(graph(cat).serialize(format="turtle"), TURTLE)


def _unaddressable(cat: Catalog) -> Response | None:
    """A 400 when the request's Host header makes the portal's own IRIs invalid (rdflib would fail with a 500)."""
    why = urls.problem(cat.home_url)
    if why is None:
        return None
    return response(
        f"This request's Host header does not make a valid address for the catalog ({why}).\n", TEXT, status=400
    )


ROUTES: list[tuple[str, Any]] = [(r"^/catalog\.jsonld\Z", jsonld), (r"^/catalog\.ttl\Z", turtle)]
