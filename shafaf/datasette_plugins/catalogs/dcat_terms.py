"""The controlled terms the DCAT-AP graph uses, each typed and placed in its vocabulary inside the graph.

The DCAT-AP 3 SHACL shapes check classes (``dct:license`` must be a
``dct:LicenseDocument``, ``dcat:mediaType`` a ``dct:MediaType``...) and the
controlled-vocabulary shapes check ``skos:inScheme``. A validator that does
not fetch the EU vocabularies (pyshacl, the ISA testbed without imports)
sees only our graph, so every term we point at is described here with the
class DCAT-AP gives its property and, for an EU authority table's concept,
its scheme: the few facts a harvester would otherwise have to dereference.
"""

from __future__ import annotations

from typing import Any

from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, RDF, RDFS, SKOS

from shafaf.standard import themes as standard_themes

SPDX = Namespace("http://spdx.org/rdf/terms#")
VCARD = Namespace("http://www.w3.org/2006/vcard/ns#")
DCATAP = Namespace("http://data.europa.eu/r5r/")
AUTHORITY = "http://publications.europa.eu/resource/authority/"
LANGUAGE = Namespace(AUTHORITY + "language/")
FILE_TYPE = Namespace(AUTHORITY + "file-type/")
COUNTRY = Namespace(AUTHORITY + "country/")
AVAILABILITY = Namespace(AUTHORITY + "planned-availability/")
MEDIA_TYPE = "https://www.iana.org/assignments/media-types/"
SCHEMES = {
    name: URIRef(AUTHORITY + name)
    for name in ("language", "file-type", "country", "planned-availability", "data-theme")
}
SCHEME_TITLES = {
    "language": "Language",
    "file-type": "File type",
    "country": "Country",
    "planned-availability": "Planned availability",
    "data-theme": "Data theme",
}
GSP = Namespace("http://www.opengis.net/ont/geosparql#")
LICENCE_TYPE = Namespace("http://purl.org/adms/licencetype/")
PUBLISHER_TYPE = Namespace("http://purl.org/adms/publishertype/")
# Iran's extent (GeoNames 130758: lat 25.06..39.78, lon 44.03..63.33) and its centre, as WKT (lon lat).
IRAN_BBOX = "POLYGON((44.03 25.06, 63.33 25.06, 63.33 39.78, 44.03 39.78, 44.03 25.06))"
IRAN_CENTROID = "POINT(53 32)"
# ADMS licence types of the licences portals usually choose (by CKAN licence id); others get none.
LICENCE_TYPES = {
    "cc-by": ("Attribution",),
    "cc-by-4.0": ("Attribution",),
    "odc-by": ("Attribution",),
    "odc-by-1.0": ("Attribution",),
    "cc-by-sa": ("Attribution", "ShareAlike"),
    "cc-by-sa-4.0": ("Attribution", "ShareAlike"),
    "odc-odbl": ("Attribution", "ShareAlike"),
    "odbl-1.0": ("Attribution", "ShareAlike"),
    "cc-zero": ("PublicDomain",),
    "cc0-1.0": ("PublicDomain",),
    "odc-pddl": ("PublicDomain",),
}
IRAN = COUNTRY.IRN  # dct:spatial of every dataset: the agencies are Iran's
STABLE = AVAILABILITY.STABLE  # the published tables stay at their URLs; a dataset's rows are replaced, not moved
LANGUAGES = {"fa": LANGUAGE.FAS, "en": LANGUAGE.ENG}
_LABELS = {
    IRAN: "Iran",
    STABLE: "stable",
    LANGUAGE.FAS: "Persian",
    LANGUAGE.ENG: "English",
    FILE_TYPE.CSV: "CSV",
    FILE_TYPE.JSON: "JSON",
    FILE_TYPE.ZIP: "ZIP",
}


def typed(graph: Graph, node: Any, *classes: URIRef) -> Any:
    for cls in classes:
        graph.add((node, RDF.type, cls))
    return node


def concept(graph: Graph, node: URIRef, scheme: str, *classes: URIRef) -> URIRef:
    """An EU authority table's concept, in its scheme (which is a ``skos:ConceptScheme``)."""
    typed(graph, node, SKOS.Concept, *classes)
    graph.add((node, SKOS.inScheme, SCHEMES[scheme]))
    typed(graph, SCHEMES[scheme], SKOS.ConceptScheme)
    graph.add((SCHEMES[scheme], DCTERMS.title, Literal(SCHEME_TITLES[scheme], lang="en")))
    if node in _LABELS:
        graph.add((node, SKOS.prefLabel, Literal(_LABELS[node], lang="en")))
    return node


def language(graph: Graph, code: str) -> URIRef:
    return concept(graph, LANGUAGES[code], "language", DCTERMS.LinguisticSystem)


def file_type(graph: Graph, name: str) -> URIRef:
    return concept(graph, FILE_TYPE[name], "file-type", DCTERMS.MediaTypeOrExtent)


def media_type(graph: Graph, mediatype: str) -> URIRef:
    return typed(graph, URIRef(MEDIA_TYPE + mediatype), DCTERMS.MediaType, DCTERMS.MediaTypeOrExtent)


def spatial(graph: Graph) -> URIRef:
    node = concept(graph, IRAN, "country", DCTERMS.Location)
    graph.add((node, DCAT.bbox, Literal(IRAN_BBOX, datatype=GSP.wktLiteral)))
    graph.add((node, DCAT.centroid, Literal(IRAN_CENTROID, datatype=GSP.wktLiteral)))
    return node


def availability(graph: Graph) -> URIRef:
    return concept(graph, STABLE, "planned-availability")


def theme(graph: Graph, item: standard_themes.Theme) -> URIRef:
    node = concept(graph, URIRef(item.iri), "data-theme")
    graph.add((node, SKOS.prefLabel, Literal(item.title_en, lang="en")))
    graph.add((node, SKOS.prefLabel, Literal(item.title_fa, lang="fa")))
    return node


def theme_taxonomy(graph: Graph) -> URIRef:
    node = typed(graph, SCHEMES["data-theme"], SKOS.ConceptScheme)
    graph.add((node, DCTERMS.title, Literal(SCHEME_TITLES["data-theme"], lang="en")))
    return node


def license_document(graph: Graph, url: str, license_id: str = "") -> URIRef:
    """The licence, with its ADMS licence types where the licence is one of the well-known ones."""
    node = typed(graph, URIRef(url), DCTERMS.LicenseDocument)
    for kind in LICENCE_TYPES.get(license_id.lower(), ()):
        graph.add((node, DCTERMS.type, _adms(graph, LICENCE_TYPE, kind)))
    return node


def _adms(graph: Graph, namespace: Namespace, name: str) -> URIRef:
    node = typed(graph, namespace[name], SKOS.Concept)
    scheme = typed(graph, namespace["1.0"], SKOS.ConceptScheme)
    graph.add((node, SKOS.inScheme, scheme))
    graph.add((node, SKOS.prefLabel, Literal(name, lang="en")))
    graph.add((scheme, DCTERMS.title, Literal(f"ADMS {namespace.split('/')[-2]}", lang="en")))
    return node


def agent(graph: Graph, node: Any) -> Any:
    """A publisher: a public body of the state (ADMS's national authority), as every agency and the portal are."""
    typed(graph, node, *AGENT)
    graph.add((node, DCTERMS.type, _adms(graph, PUBLISHER_TYPE, "NationalAuthority")))
    return node


def standard(graph: Graph, url: str, title: str | None = None) -> URIRef:
    node = typed(graph, URIRef(url), DCTERMS.Standard)
    if title:
        graph.add((node, DCTERMS.title, Literal(title, lang="en")))
    return node


def document(graph: Graph, url: str) -> URIRef:
    return typed(graph, URIRef(url), FOAF.Document)


def resource(graph: Graph, url: str) -> URIRef:
    """An access or download URL: any resource (``rdfs:Resource``, which RDFS inference would conclude too)."""
    return typed(graph, URIRef(url), RDFS.Resource)


def checksum_algorithm(graph: Graph) -> URIRef:
    return typed(graph, SPDX.checksumAlgorithm_sha256, SPDX.ChecksumAlgorithm)


AGENT = (FOAF.Agent, FOAF.Organization)
CONTACT = (VCARD.Kind, VCARD.Organization)
__all__ = ["AGENT", "CONTACT", "DCAT", "DCATAP", "SPDX", "VCARD", "LANGUAGES"]
