"""DCAT: ``/data.json`` validated against the DCAT-US v1.1 JSON Schema with jsonschema, and
``/catalog.jsonld`` and ``/catalog.ttl`` parsed with rdflib.

The DCAT-US schema is read from ``../shared/data/real/dcat_us_pod_schema/``
when it is there (its SOURCE.md asks that it be used from there, not copied:
the repository it comes from is GPL as a whole); the schema test is skipped
otherwise.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from harvestable_portal import build, datasette_for, get
from rdflib import Graph, Literal, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import DCAT, DCTERMS, FOAF, RDF, XSD

# Optional test packages (pip install -e '.[test]'): without them this module is skipped, with the reason.
jsonschema = pytest.importorskip("jsonschema", reason="jsonschema is not installed (pip install -e '.[test]')")
referencing = pytest.importorskip("referencing", reason="referencing is not installed (pip install -e '.[test]')")
Registry, DRAFT4 = referencing.Registry, pytest.importorskip("referencing.jsonschema").DRAFT4

VCARD = "http://www.w3.org/2006/vcard/ns#"
POD_SCHEMA = Path(__file__).resolve().parents[2] / "shared" / "data" / "real" / "dcat_us_pod_schema"
DATASETS = {"alpha-service-performance", "alpha-services", "beta-services"}
BASE = "http://localhost"


@pytest.fixture(scope="module")
def ds(tmp_path_factory):
    _, reg, data = build(tmp_path_factory.mktemp("dcat"))
    return datasette_for(reg, data)


def dataset_iri(name: str) -> URIRef:
    return URIRef(f"{BASE}/api/3/action/package_show?id={name}")


@pytest.fixture(scope="module")
def turtle(ds) -> Graph:
    response = get(ds, "/catalog.ttl")
    assert response.status_code == 200 and response.headers["content-type"] == "text/turtle; charset=utf-8"
    return Graph().parse(data=response.text, format="turtle")


@pytest.mark.skipif(not (POD_SCHEMA / "catalog.json").exists(), reason="../shared DCAT-US schema is not here")
@pytest.mark.parametrize("lang", ["fa", "en"])
def test_data_json_validates_against_the_dcat_us_schema(ds, lang: str) -> None:
    response = get(ds, f"/data.json?lang={lang}")
    assert response.status_code == 200 and response.headers["content-type"] == "application/json; charset=utf-8"
    assert response.headers["access-control-allow-origin"] == "*"
    doc = response.json()
    catalog = json.loads((POD_SCHEMA / "catalog.json").read_text(encoding="utf-8"))
    dataset = json.loads((POD_SCHEMA / "dataset-non-federal.json").read_text(encoding="utf-8"))
    # catalog.json's "$ref": "dataset-non-federal.json" resolves against its id, beside it.
    beside = catalog["id"].rsplit("/", 1)[0] + "/dataset-non-federal.json"
    schemas = Registry().with_resources([(uri, DRAFT4.create_resource(dataset)) for uri in {beside, dataset["id"]}])
    validator = jsonschema.Draft4Validator(catalog, registry=schemas, format_checker=jsonschema.FormatChecker())
    errors = sorted(validator.iter_errors(doc), key=str)
    assert not errors, [f"{list(e.absolute_path)}: {e.message}" for e in errors[:5]]
    for entry in doc["dataset"]:  # the nested $ref is resolved by id; check each entry directly too
        jsonschema.Draft4Validator(dataset, format_checker=jsonschema.FormatChecker()).validate(entry)
    assert {d["identifier"].rsplit("=", 1)[1] for d in doc["dataset"]} == DATASETS


def test_data_json_carries_temporal_license_and_distributions(ds) -> None:
    doc = get(ds, "/data.json?lang=en").json()
    entry = next(d for d in doc["dataset"] if d["identifier"].endswith("alpha-service-performance"))
    assert entry["temporal"] == "2026-09-01/2026-10-31"
    assert entry["license"] == "https://creativecommons.org/licenses/by/4.0/"
    assert entry["title"] == "Alpha Organization: Service performance"
    assert {d["mediaType"] for d in entry["distribution"]} == {"text/csv", "application/json", "application/zip"}


def test_jsonld_and_turtle_are_the_same_graph(ds, turtle: Graph) -> None:
    response = get(ds, "/catalog.jsonld")
    assert response.headers["content-type"] == "application/ld+json; charset=utf-8"
    jsonld = Graph().parse(data=response.text, format="json-ld")
    assert len(jsonld) == len(turtle) > 50
    assert isomorphic(jsonld, turtle)


def test_catalog_lists_every_dataset(turtle: Graph) -> None:
    catalog = URIRef(f"{BASE}/")
    assert (catalog, RDF.type, DCAT.Catalog) in turtle
    assert set(turtle.objects(catalog, DCAT.dataset)) == {dataset_iri(n) for n in DATASETS}
    assert Literal("Test portal", lang="en") in set(turtle.objects(catalog, DCTERMS.title))


def test_dataset_has_publisher_contact_license_temporal_modified_and_distributions(turtle: Graph) -> None:
    node = dataset_iri("alpha-service-performance")
    assert (node, RDF.type, DCAT.Dataset) in turtle
    publisher = turtle.value(node, DCTERMS.publisher)
    assert (publisher, RDF.type, FOAF.Organization) in turtle
    assert Literal("Alpha Organization", lang="en") in set(turtle.objects(publisher, FOAF.name))
    assert Literal("سازمان الف", lang="fa") in set(turtle.objects(publisher, FOAF.name))
    contact = turtle.value(node, DCAT.contactPoint)
    assert turtle.value(contact, URIRef(VCARD + "hasURL")) == URIRef(f"{BASE}/agencies/alpha")
    assert turtle.value(node, DCTERMS.license) == URIRef("https://creativecommons.org/licenses/by/4.0/")
    modified = turtle.value(node, DCTERMS.modified)
    assert modified.datatype == XSD.dateTime
    period = turtle.value(node, DCTERMS.temporal)
    assert (period, RDF.type, DCTERMS.PeriodOfTime) in turtle
    assert turtle.value(period, DCAT.startDate) == Literal("2026-09-01", datatype=XSD.date)
    assert turtle.value(period, DCAT.endDate) == Literal("2026-10-31", datatype=XSD.date)
    distributions = list(turtle.objects(node, DCAT.distribution))
    assert len(distributions) == 3
    urls = {str(turtle.value(d, DCAT.downloadURL)) for d in distributions}
    assert f"{BASE}/downloads/agencies/alpha.zip" in urls
    zipped = next(d for d in distributions if str(turtle.value(d, DCAT.downloadURL)).endswith(".zip"))
    assert int(turtle.value(zipped, DCAT.byteSize)) > 0


def test_contact_email_becomes_a_mailto_when_the_registry_has_one(ds) -> None:
    # gamma has an email but no published data: it is an organization with no dataset, so no contact point.
    graph = Graph().parse(data=get(ds, "/catalog.ttl").text, format="turtle")
    assert not list(graph.subjects(URIRef(VCARD + "hasEmail"), None))
    assert "gamma" not in {str(s) for s in graph.subjects(RDF.type, DCAT.Dataset)}


@pytest.mark.parametrize(
    "path", ["/catalog.ttl", "/catalog.jsonld", "/data.json", "/feed.atom", "/sitemap.xml", "/api/3"]
)
def test_documents_answer_get_only(ds, path: str) -> None:
    refused = asyncio.run(ds.client.post(path, content=b"{}", headers={"content-type": "application/json"}))
    assert refused.status_code == 405 and refused.headers["allow"] == "GET, HEAD, OPTIONS"
    preflight = asyncio.run(ds.client.request("OPTIONS", path))
    assert preflight.status_code == 204 and preflight.headers["access-control-allow-origin"] == "*"
