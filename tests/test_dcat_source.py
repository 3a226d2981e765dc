"""The ``dcat`` source kind: real DCAT-US and DCAT-AP catalogs (tests/fixtures/dcat_us, dcat_ap_ch; SOURCE.md
there) served by a loopback server, distributions picked by rules and fetched through the guarded fetcher; then
round-tripped: a second Shafaf harvests the first through its own ``/data.json``, ``/catalog.ttl`` and
``/catalog.jsonld`` and republishes identical rows.

The real catalogs' distributions point at the internet: tests that download move those URLs to 127.0.0.1.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pytest
import sqlite_utils
from faultserver import FaultServer, respond
from harvestable_portal import build
from served import served

from shafaf.config import registry
from shafaf.config.registry import Source
from shafaf.core.datadir import DataDir
from shafaf.core.errors import HarvestError
from shafaf.core.models import Reason
from shafaf.harvest.net.fetch import FetchPolicy
from shafaf.harvest.runner import harvest
from shafaf.harvest.sources import for_kind
from shafaf.harvest.sources.base import HarvestContext
from shafaf.harvest.sources.dcat import LISTING_FILE, DcatHarvester
from shafaf.harvest.sources.dcat_catalog import read_catalog
from shafaf.publish.writer import publish
from shafaf.standard import tables

US = Path(__file__).parent / "fixtures" / "dcat_us"
CH = Path(__file__).parent / "fixtures" / "dcat_ap_ch" / "ogdch_dcatap_import.rdf"
POLICY = FetchPolicy(
    deadline_s=5, connect_timeout_s=0.5, read_timeout_s=1, retries=1, backoff_s=0.01, allow_private_networks=True
)
CTX = HarvestContext(policy=POLICY)
JSON = {"Content-Type": "application/json"}
CSV = {"Content-Type": "text/csv; charset=utf-8"}
SERVICES_CSV = (
    "agency_id,service_id,name_fa,name_en,audience\r\nalpha,S1,صدور گواهی,Certificate,citizens\r\n"
).encode()


def source(url: str, *, organization: str | None = None, fmt: str | None = None, **select: str) -> Source:
    return Source(
        id="services",
        dataset="services",
        kind="dcat",
        agency_id="alpha",
        url=url,
        organization=organization,
        format=fmt,
        select=MappingProxyType(select),
    )


def capture(server: FaultServer, path: str, body: bytes, tmp_path: Path, **kwargs: Any):
    server.add(path, respond(200, body, kwargs.pop("headers", JSON)))
    dest = tmp_path / "raw"
    dest.mkdir(exist_ok=True)
    return DcatHarvester().capture(source(server.url(path), **kwargs), dest, CTX), dest


def fails(server: FaultServer, path: str, body: bytes, tmp_path: Path, **kwargs: Any) -> HarvestError:
    with pytest.raises(HarvestError) as caught:
        capture(server, path, body, tmp_path, **kwargs)
    return caught.value


def test_registered_for_the_dcat_kind() -> None:
    assert isinstance(for_kind("dcat"), DcatHarvester)


def test_a_registry_takes_a_dcat_source_with_theme_and_publisher_rules(tmp_path: Path) -> None:
    from conftest import write_registry

    extra = (
        "  - id: delta\n    name_fa: د\n    name_en: Delta\n    sources:\n"
        "      - {dataset: services, kind: dcat, url: 'https://data.example.org/data.json', "
        "organization: 'Delta*', select: {dataset_theme: GOVE, resource_format: csv}}\n"
    )
    reg = registry.load(write_registry(tmp_path, extra=extra))
    [delta] = [a for a in reg.agencies if a.id == "delta"]
    assert delta.sources[0].kind == "dcat" and delta.sources[0].select["dataset_theme"] == "GOVE"


# --- real DCAT-US catalogs (data.gov's harvester samples) -------------------------------------


def test_real_ny_catalog_picks_the_csv_of_its_four_distributions_and_fetches_it(fault_server, tmp_path) -> None:
    text = (US / "ny.data.json").read_text(encoding="utf-8").replace("https://data.ny.gov", fault_server.base_url)
    fault_server.add("/api/views/22ew-dxez/rows.csv", respond(200, SERVICES_CSV, CSV))
    got, dest = capture(fault_server, "/data.json", text.encode(), tmp_path)
    assert got.format == "csv" and got.path.read_bytes() == SERVICES_CSV
    listing = json.loads((dest / LISTING_FILE).read_text(encoding="utf-8"))
    assert listing["format"] == "DCAT-US data.json" and len(listing["picked"]) == 1
    assert fault_server.hits("/api/views/22ew-dxez/rows.json") == 0  # one format per dataset: CSV before JSON


@pytest.mark.parametrize(
    "name, reason, words",
    [
        # GSA's broken variants: each is read, and none has a distribution staging can read (PDF, xls, video, cdf).
        ("missing-identifier-title.data.json", Reason.NO_RESOURCES, "looked at 3 datasets and 3 resources"),
        ("numerical-title.data.json", Reason.NO_RESOURCES, "looked at 1 datasets and 1 resources"),
        ("null-spatial.data.json", Reason.NO_RESOURCES, "looked at 1 datasets and 1 resources"),
        ("reserved-title.data.json", Reason.NO_RESOURCES, "looked at 1 datasets and 1 resources"),
        ("many-resources.data.json", Reason.NO_RESOURCES, "looked at 1 datasets and 11 resources"),
        ("arm.data.json", Reason.NO_RESOURCES, "looked at 3 datasets and 3 resources"),
        ("usda.gov.data.json", Reason.NO_RESOURCES, "looked at 3 datasets and 6 resources"),
        ("missing-dataset-fields.data.json", Reason.NO_RESOURCES, "looked at 1 datasets and 0 resources"),
        ("missing-catalog.data.json", Reason.NO_RESOURCES, "looked at 1 datasets and 0 resources"),
    ],
)
def test_real_catalogs_without_a_readable_distribution_are_no_resources_and_fetch_nothing(
    fault_server, tmp_path, name: str, reason: Reason, words: str
) -> None:
    error = fails(fault_server, "/data.json", (US / name).read_bytes(), tmp_path)
    assert error.reason == reason and words in error.message, error.message
    assert "the last published data stays" in error.message
    assert [r.path for r in fault_server.requests] == ["/data.json"]


def test_broken_entries_are_named_and_counted_not_crashed_on() -> None:
    titles = {d["name"]: d["title"] for d in read_catalog(US / "missing-identifier-title.data.json", url="x").datasets}
    assert titles["simple test title"] == "simple test title"  # no identifier: named by its title
    assert read_catalog(US / "numerical-title.data.json", url="x").datasets[0]["title"] == "707"
    assert read_catalog(US / "missing-dataset-fields.data.json", url="x").skipped == ("entry 1 of 'dataset' is empty",)
    xls = read_catalog(US / "null-spatial.data.json", url="x").datasets[0]["resources"][0]
    assert xls["mimetype"] == "application/vnd.ms-excel" and xls["format"] == ""


def test_an_xls_picked_by_format_is_named_as_unreadable(fault_server, tmp_path) -> None:
    error = fails(
        fault_server, "/data.json", (US / "null-spatial.data.json").read_bytes(), tmp_path, resource_format="xls"
    )
    assert error.reason == Reason.NO_RESOURCES and "cannot be read as CSV, XLSX or JSON" in error.message


def test_publisher_and_theme_rules_narrow_the_datasets(fault_server, tmp_path) -> None:
    text = (US / "ny.data.json").read_text(encoding="utf-8").replace("https://data.ny.gov", fault_server.base_url)
    fault_server.add("/api/views/22ew-dxez/rows.csv", respond(200, SERVICES_CSV, CSV))
    error = fails(fault_server, "/data.json", text.encode(), tmp_path, organization="Department of *")
    assert error.reason == Reason.NO_RESOURCES and "publisher 'Department of *'" in error.message
    error = fails(fault_server, "/data.json", text.encode(), tmp_path, dataset_theme="Health")
    assert "theme 'Health'" in error.message and "it lists 1" in error.message
    publisher = read_catalog(US / "ny.data.json", url="x").datasets[0]["publisher"]
    got, _ = capture(fault_server, "/data.json", text.encode(), tmp_path, organization=publisher[:8] + "*")
    assert got.path.read_bytes() == SERVICES_CSV


# --- real DCAT-AP: opendata.swiss's RDF/XML ---------------------------------------------------


def test_the_real_opendata_swiss_example_is_invalid_rdf_xml_and_says_where(fault_server, tmp_path) -> None:
    error = fails(
        fault_server, "/catalog.rdf", CH.read_bytes(), tmp_path, headers={"Content-Type": "application/rdf+xml"}
    )
    assert error.reason == Reason.UNREADABLE
    assert "cannot be read as DCAT-AP (RDF/XML): line 56, column 4" in error.message  # rdf:about on a keyword


def _repaired_swiss() -> bytes:
    """The example with its two RDF/XML mistakes mended: rdf:about on property elements, and a distribution's
    properties without a node element (``rdf:parseType="Resource"``). Everything else is as published."""
    text = CH.read_text(encoding="utf-8")
    text = re.sub(r' rdf:about="#[a-z]+"', "", text)
    return text.replace("<dcat:distribution>", '<dcat:distribution rdf:parseType="Resource">').encode()


def test_multilingual_literals_two_publishers_and_empty_format_and_license(fault_server, tmp_path) -> None:
    path = tmp_path / "swiss.rdf"
    path.write_bytes(_repaired_swiss())
    [dataset] = read_catalog(path, url="x").datasets
    assert dataset["name"] == "325@swisstopo" and dataset["title"] == "Railway noise night"  # English first
    assert {"Eisenbahn", "Chemin-de-fer", "Ferrovia", "Railroad"} <= {t["name"] for t in dataset["tags"]}
    assert dataset["publisher"] == "Bundesamt für Landestopografie swisstopo; Bundesamt für Umwelt"
    assert dataset["themes"] == ["http://opendata.swiss/themes/population", "http://opendata.swiss/themes/territory"]
    [dist] = dataset["resources"]
    assert dist["format"] == "" and dist["mimetype"] == "text/html" and dist["url"].endswith("/data.zip")
    error = fails(
        fault_server, "/catalog.rdf", _repaired_swiss(), tmp_path, dataset_theme="population", organization="*Umwelt"
    )
    assert error.reason == Reason.NO_RESOURCES and "looked at 1 datasets and 1 resources" in error.message
    assert [r.path for r in fault_server.requests] == ["/catalog.rdf"]  # the ZIP is never fetched


@pytest.mark.parametrize(
    "body, reason, words",
    [
        (b'{"dataset": [', Reason.INVALID_JSON, "is not valid JSON"),
        (b"<!DOCTYPE html><html><body>Login</body></html>", Reason.UNEXPECTED_CONTENT_TYPE, "a web page"),
        (
            b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaa">]><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-'
            b'syntax-ns#">&a;</rdf:RDF>',
            Reason.UNREADABLE,
            "declares XML entities",
        ),
        (b'{"@context": "https://example.org/context.jsonld", "@graph": []}', Reason.UNREADABLE, "remote @context"),
        (b"@prefix dcat: <http://www.w3.org/ns/dcat#> . this is not turtle", Reason.UNREADABLE, "DCAT-AP (Turtle)"),
        (b'{"@type": "dcat:Catalog", "dataset": []}', Reason.NO_RESOURCES, "lists no datasets"),
        (
            b"@prefix dcat: <http://www.w3.org/ns/dcat#> .\n<http://x/c> a dcat:Catalog .",
            Reason.NO_RESOURCES,
            "lists no datasets",
        ),
    ],
)
def test_what_is_not_a_usable_catalog_fails_with_its_reason(
    fault_server, tmp_path, body: bytes, reason: Reason, words: str
) -> None:
    error = fails(fault_server, "/catalog", body, tmp_path)
    assert error.reason == reason and words in error.message, error.message
    assert len(fault_server.requests) == 1  # nothing else was fetched (no remote context, no entity)


def test_the_catalog_itself_goes_through_the_guarded_fetcher(fault_server, tmp_path) -> None:
    dest = tmp_path / "raw"
    dest.mkdir()
    strict = HarvestContext(policy=FetchPolicy(deadline_s=5, retries=1, allow_private_networks=False))
    with pytest.raises(HarvestError) as caught:
        DcatHarvester().capture(source(fault_server.url("/data.json")), dest, strict)
    assert caught.value.reason == Reason.DESTINATION_BLOCKED and not fault_server.requests


# --- the round trip: a second Shafaf harvesting the first's catalogs ----------------------------------


@pytest.fixture(scope="module")
def first(tmp_path_factory):
    root = tmp_path_factory.mktemp("dcat-first")
    path, reg, data = build(root)
    with served(path, data.root, root / "serve.log") as url:
        yield url, data


def _rows(db_path: Path, kind: str) -> list[tuple[Any, ...]]:
    columns = [
        f for f in tables.columns(kind) if f not in tables.PROVENANCE_COLUMNS and f not in ("withdrawn", "withdrawn_at")
    ]
    db = sqlite_utils.Database(db_path)
    return sorted(tuple(r) for r in db.execute(f"SELECT {', '.join(columns)} FROM [{kind}]").fetchall())


@pytest.mark.slow
@pytest.mark.parametrize(
    "catalog, publishers, theme",
    [
        ("/data.json", ("سازمان الف", "سازمان ب"), "دولت و بخش عمومی"),  # data.json: the theme's label
        ("/catalog.ttl", ("Alpha Organization", "Beta Organization"), "GOVE"),  # RDF: the EU data theme
        ("/catalog.jsonld", ("Alpha Organization", "Beta Organization"), "GOVE"),
    ],
)
def test_a_second_shafaf_harvesting_our_catalogs_republishes_identically(
    first, tmp_path, catalog: str, publishers: tuple[str, str], theme: str
) -> None:
    base_url, first_data = first

    def src(kind: str, publisher: str) -> str:
        return (
            f"      - {{id: {kind}, dataset: {kind}, kind: dcat, url: '{base_url}{catalog}', "
            f"organization: '{publisher}', select: {{dataset_tag: {kind}, dataset_theme: '{theme}'}}}}\n"
        )

    text = (
        "portal:\n  title_en: Second portal\n  allow_private_networks: true\nagencies:\n"
        "  - id: alpha\n    name_fa: سازمان الف\n    name_en: Alpha Organization\n    sources:\n"
        + src("services", publishers[0])
        + src("service_performance", publishers[0])
        + "  - id: beta\n    name_fa: سازمان ب\n    name_en: Beta Organization\n    sources:\n"
        + src("services", publishers[1])
    )
    path = tmp_path / "agencies.yml"
    path.write_text(text, encoding="utf-8")
    reg = registry.load(path)
    data = DataDir(tmp_path / "var")
    runs = harvest(reg.agencies, registry=reg, data=data)
    assert all(r.outcome == "ok" for r in runs), [(r.agency_id, r.outcome, r.message) for r in runs]
    publish(list(reg.agencies), registry=reg, data=data)
    for kind in ("services", "service_performance"):
        assert _rows(data.public_db, kind) == _rows(first_data.public_db, kind) != [], kind
