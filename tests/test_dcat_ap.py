"""``/catalog.ttl`` and ``/catalog.jsonld`` against the official DCAT-AP 3.0.0 SHACL shapes, with pyshacl.

The shapes are in tests/fixtures/dcat_ap_shacl/ (CC-BY 4.0, see SOURCE.md).
The release's shapes (``dcat-ap-SHACL.ttl``) and the range shapes must
conform with and without RDFS inference; the recommended shapes must leave no
warning. Two files of the HTML release disagree with the release itself, and
the only results they may give are those known disagreements (see
``KNOWN``): ``shapes.ttl`` wants ``dcat:byteSize`` as ``xsd:decimal`` where
DCAT 3 and the release say ``xsd:nonNegativeInteger``; the controlled-
vocabulary shapes (from DCAT-AP 2.1.1) want publishers from the EU's
corporate-body table (Iran's agencies are not in it) and SPDX algorithms at
``https://spdx.org/rdf/terms`` where SPDX's namespace is ``http://``.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from harvestable_portal import build, datasette_for, get
from rdflib import Graph, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, RDF, SKOS

pytestmark = pytest.mark.slow  # pyshacl runs the DCAT-AP shapes over the whole catalogue

pyshacl = pytest.importorskip("pyshacl")

SHAPES = Path(__file__).parent / "fixtures" / "dcat_ap_shacl"
SH = Namespace("http://www.w3.org/ns/shacl#")
DCATAP = Namespace("http://data.europa.eu/r5r/")
THEME = "http://publications.europa.eu/resource/authority/data-theme/"
FORMATS = {"/catalog.ttl": "turtle", "/catalog.jsonld": "json-ld"}
# (shapes file, severity, constraint component, path) -> how many, in the test portal's catalog
KNOWN = {
    "shapes.ttl": {("Violation", "DatatypeConstraintComponent", str(DCAT.byteSize)): 3},
    "mdr-vocabularies.shape.ttl": {
        ("Violation", "PatternConstraintComponent", "None"): 3,  # spdx: http vs https
        ("Violation", "NodeConstraintComponent", "http://spdx.org/rdf/terms#algorithm"): 3,
        ("Violation", "HasValueConstraintComponent", str(SKOS.inScheme)): 4,  # not an EU corporate body
        ("Violation", "MinCountConstraintComponent", str(SKOS.inScheme)): 4,
        ("Warning", "NodeConstraintComponent", str(DCTERMS.publisher)): 4,
        ("Warning", "NodeKindConstraintComponent", str(DCTERMS.publisher)): 1,  # the portal is a blank node
    },
}


@pytest.fixture(scope="module")
def ds(tmp_path_factory):
    _, reg, data = build(tmp_path_factory.mktemp("dcat-ap"))
    return datasette_for(reg, data)


@pytest.fixture(scope="module")
def graphs(ds) -> dict[str, Graph]:
    out = {}
    for path, fmt in FORMATS.items():
        response = get(ds, path)
        assert response.status_code == 200
        out[path] = Graph().parse(data=response.text, format=fmt)
    return out


def results(graph: Graph, shapes: str, inference: str = "none") -> tuple[bool, Counter]:
    conforms, report, _ = pyshacl.validate(
        graph, shacl_graph=Graph().parse(SHAPES / shapes), inference=inference, allow_warnings=True
    )
    counted: Counter = Counter()
    for result in report.subjects(RDF.type, SH.ValidationResult):
        counted[
            (
                str(report.value(result, SH.resultSeverity)).split("#")[1],
                str(report.value(result, SH.sourceConstraintComponent)).split("#")[1],
                str(report.value(result, SH.resultPath)),
            )
        ] += 1
    return conforms, counted


@pytest.mark.parametrize("path", FORMATS)
@pytest.mark.parametrize("inference", ["none", "rdfs"])
def test_the_catalog_conforms_to_the_release_shapes(graphs, path: str, inference: str) -> None:
    for shapes in ("dcat-ap-SHACL.ttl", "range.ttl"):
        conforms, counted = results(graphs[path], shapes, inference)
        assert conforms and not counted, (shapes, counted)


@pytest.mark.parametrize("path", FORMATS)
def test_no_recommended_property_is_missing(graphs, path: str) -> None:
    conforms, counted = results(graphs[path], "shapes_recommended.ttl")
    assert conforms and sum(counted.values()) == 0, counted


@pytest.mark.parametrize("path", FORMATS)
@pytest.mark.parametrize("shapes", KNOWN)
def test_the_other_shapes_give_only_their_known_disagreements(graphs, path: str, shapes: str) -> None:
    assert dict(results(graphs[path], shapes)[1]) == KNOWN[shapes]


def test_themes_spatial_availability_temporal_and_issued(graphs) -> None:
    g = graphs["/catalog.ttl"]
    catalog = next(g.subjects(RDF.type, DCAT.Catalog))
    assert g.value(catalog, DCAT.themeTaxonomy) == URIRef(THEME.rstrip("/"))
    assert g.value(catalog, DCTERMS.issued) is not None
    for dataset in g.subjects(RDF.type, DCAT.Dataset):
        assert g.value(dataset, DCAT.theme) == URIRef(THEME + "GOVE")
        assert g.value(dataset, DCTERMS.spatial) == URIRef(
            "http://publications.europa.eu/resource/authority/country/IRN"
        )
        assert g.value(dataset, DCTERMS.temporal) is not None, dataset  # the services inventory too
        for distribution in g.objects(dataset, DCAT.distribution):
            assert g.value(distribution, DCATAP.availability) is not None
    gove = URIRef(THEME + "GOVE")
    assert (gove, SKOS.inScheme, URIRef(THEME.rstrip("/"))) in g


# --- the Table Schemas at stable URLs -------------------------------------------------------------


def test_every_table_schema_is_served_as_json_with_cors_byte_for_byte(ds) -> None:
    from shafaf import standard
    from shafaf.standard import tables

    listed = get(ds, "/schemas/").json()["schemas"]
    assert set(listed) == set(tables.DATASET_TABLES)
    for kind, url in listed.items():
        response = get(ds, url.removeprefix("http://localhost"))
        assert response.status_code == 200 and response.headers["content-type"] == "application/json; charset=utf-8"
        assert response.headers["access-control-allow-origin"] == "*"
        assert response.content == standard.schema_path(kind).read_bytes()
        assert response.json()["primaryKey"]
    missing = get(ds, "/schemas/nothing.schema.json")
    assert missing.status_code == 404 and missing.json()["schemas"]
    assert get(ds, "/schemas/services.schema.json", headers={}).status_code == 200


def test_conforms_to_described_by_and_the_ckan_schema_extra_point_at_the_table_schemas(ds, graphs) -> None:
    url = "http://localhost/schemas/services.schema.json"
    g = graphs["/catalog.ttl"]
    dataset = URIRef("http://localhost/api/3/action/package_show?id=alpha-services")
    assert g.value(dataset, DCTERMS.conformsTo) == URIRef(url)
    assert (URIRef(url), RDF.type, DCTERMS.Standard) in g
    data_json = {d["identifier"]: d for d in get(ds, "/data.json").json()["dataset"]}
    described = next(d for d in data_json.values() if d["describedBy"].endswith("/services.schema.json"))
    assert described["describedBy"] == url and described["describedByType"] == "application/json"
    package = get(ds, "/api/3/action/package_show?id=alpha-services").json()["result"]
    assert {"key": "schema", "value": url} in package["extras"]
