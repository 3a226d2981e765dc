"""The datapackage harvester against a real loopback server (H7, H8, H11, H12)."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import textwrap
import zipfile
from pathlib import Path
from typing import Any

import pytest
from faultserver import respond
from frictionless import Resource

from shafaf.config import registry
from shafaf.config.registry import Source
from shafaf.core.datadir import DataDir
from shafaf.core.errors import HarvestError
from shafaf.core.models import Outcome, Reason
from shafaf.harvest.net.fetch import FetchPolicy
from shafaf.harvest.runner import harvest
from shafaf.harvest.sources import for_kind
from shafaf.harvest.sources.base import HarvestContext
from shafaf.harvest.sources.datapackage import DataPackageHarvester, path_problem

POLICY = FetchPolicy(
    deadline_s=3, connect_timeout_s=1, read_timeout_s=1, retries=0, backoff_s=0.01, allow_private_networks=True
)
CTX = HarvestContext(policy=POLICY)
SERVICES = b"service_id,name_en,standard_days\nS1,Certificate,5\nS2,Inquiry,3\n"
CSV = {"Content-Type": "text/csv"}


def source(url: str, **kwargs: Any) -> Source:
    return Source(id="services", dataset="services", kind="datapackage", agency_id="alpha", url=url, **kwargs)


def package(*resources: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"name": "alpha", "resources": list(resources), **extra}


def serve_package(fault_server, descriptor: dict[str, Any] | bytes, path: str = "/pkg/datapackage.json") -> str:
    body = descriptor if isinstance(descriptor, bytes) else json.dumps(descriptor).encode()
    return fault_server.add(path, respond(200, body, {"Content-Type": "application/json"}))


def capture(url: str, dest: Path, **kwargs: Any):
    dest.mkdir(parents=True, exist_ok=True)
    return DataPackageHarvester().capture(source(url, **kwargs), dest, CTX)


def failure(url: str, dest: Path, **kwargs: Any) -> HarvestError:
    with pytest.raises(HarvestError) as info:
        capture(url, dest, **kwargs)
    return info.value


def paths_requested(fault_server) -> list[str]:
    return [r.path for r in fault_server.requests]


# --- H12: the whole descriptor is checked before any further fetch -------------------


UNSAFE = [
    ({"path": "../../etc/passwd"}, "path", "climbs out"),
    ({"path": "/etc/passwd"}, "path", "absolute"),
    ({"path": "~/.ssh/id_rsa"}, "path", "home folder"),
    ({"path": "$HOME/x"}, "path", "variable"),
    ({"path": "%APPDATA%/x.csv"}, "path", "variable"),
    ({"path": "..\\..\\x"}, "path", "backslash"),
    ({"path": "C:\\data\\x.csv"}, "path", "drive"),
    ({"path": "%2e%2e/%2e%2e/etc/passwd"}, "path", "climbs out"),
    ({"path": "file:///etc/passwd"}, "path", "'file:'"),
    ({"path": "ftp://ftp.example.org/x.csv"}, "path", "'ftp:'"),
    ({"path": "gopher://example.org/x"}, "path", "'gopher:'"),
    ({"path": "data:text/csv,a%0A1"}, "path", "'data:'"),
    ({"path": "//evil.example/x.csv"}, "path", "absolute"),
    ({"path": ["part1.csv", "../../etc/shadow"]}, "path[1]", "climbs out"),
    ({"path": "services.csv", "schema": "http://169.254.169.254/latest/meta-data/"}, "schema", "not a data host"),
    ({"path": "services.csv", "schema": "/etc/schema.json"}, "schema", "absolute"),
    ({"path": "services.csv", "dialect": "file:///etc/dialect.json"}, "dialect", "'file:'"),
    ({"path": "services.csv", "licenses": [{"name": "x", "path": "/etc/passwd"}]}, "licenses[0].path", "absolute"),
    ({"path": "http://[::ffff:169.254.169.254]/x.csv"}, "path", "not a data host"),
    ({"path": 42}, "path", "not text"),
]


@pytest.mark.parametrize("resource, key, why", UNSAFE, ids=[str(u[0]) for u in UNSAFE])
def test_an_unsafe_resource_path_is_refused_before_any_other_request(fault_server, tmp_path, resource, key, why):
    fault_server.add("/pkg/services.csv", respond(200, SERVICES, CSV))
    fault_server.add("/pkg/part1.csv", respond(200, SERVICES, CSV))
    url = serve_package(fault_server, package({"name": "services", **resource}))
    error = failure(url, tmp_path / "run")
    assert error.reason == Reason.UNSAFE_PATH
    assert f"datapackage.json resource 'services': {key} " in error.message
    assert "is not safe" in error.message and why in error.message
    assert paths_requested(fault_server) == ["/pkg/datapackage.json"]
    assert sorted(p.name for p in (tmp_path / "run").iterdir()) == ["datapackage.json"]


@pytest.mark.parametrize(
    "extra, key",
    [
        ({"image": "/etc/passwd"}, "image"),
        ({"licenses": [{"name": "odc-by", "path": "file:///etc/passwd"}]}, "licenses[0].path"),
        ({"sources": [{"title": "x", "path": "~/.aws/credentials"}]}, "sources[0].path"),
    ],
)
def test_package_level_image_and_licenses_are_checked_too(fault_server, tmp_path, extra, key):
    """frictionless-py#1591: these keys escape frictionless' own check."""
    fault_server.add("/pkg/services.csv", respond(200, SERVICES, CSV))
    url = serve_package(fault_server, package({"name": "services", "path": "services.csv"}, **extra))
    error = failure(url, tmp_path)
    assert error.reason == Reason.UNSAFE_PATH and f"datapackage.json: {key} " in error.message
    assert paths_requested(fault_server) == ["/pkg/datapackage.json"]


def test_an_unsafe_path_in_another_resource_still_rejects_the_package(fault_server, tmp_path):
    fault_server.add("/pkg/services.csv", respond(200, SERVICES, CSV))
    url = serve_package(
        fault_server,
        package({"name": "services", "path": "services.csv"}, {"name": "other", "path": "../../etc/passwd"}),
    )
    error = failure(url, tmp_path)
    assert error.reason == Reason.UNSAFE_PATH
    assert (
        error.message
        == "datapackage.json resource 'other': path '../../etc/passwd' is not safe (it climbs out of the package with '..')"
    )
    assert paths_requested(fault_server) == ["/pkg/datapackage.json"]


def test_a_remote_schema_url_is_accepted_but_never_fetched(fault_server, tmp_path):
    """We validate against our own standard: a package's schema URL is never requested."""
    fault_server.add("/pkg/services.csv", respond(200, SERVICES, CSV))
    fault_server.add("/schemas/services.json", respond(200, b"{}", {"Content-Type": "application/json"}))
    url = serve_package(
        fault_server,
        package(
            {
                "name": "services",
                "path": "services.csv",
                "schema": fault_server.url("/schemas/services.json"),
                "dialect": "https://example.org/dialect.json",
            }
        ),
    )
    got = capture(url, tmp_path)
    assert got.path.read_bytes() == SERVICES
    assert paths_requested(fault_server) == ["/pkg/datapackage.json", "/pkg/services.csv"]


def test_path_rules_match_frictionless_and_go_further():
    from frictionless import helpers

    for value in ("../x.csv", "/etc/passwd", "~/x", "$HOME/x", "file:///etc/passwd"):
        assert not helpers.is_safe_path(value) and path_problem(value)
    # frictionless lets these through on POSIX; we do not.
    for value in ("..\\..\\x", "ftp://example.org/x", "data:text/csv,a", "http://169.254.169.254/x"):
        assert path_problem(value)
    for value in ("services.csv", "data/services-2024.csv", "https://data.example.ir/s.csv", "a%20b%20c.csv"):
        assert path_problem(value) is None


# --- capturing a resource ---------------------------------------------------------------


def test_a_relative_resource_path_is_fetched_against_the_descriptor_url(fault_server, tmp_path):
    fault_server.add("/pkg/data/services.csv", respond(200, SERVICES, CSV))
    descriptor = json.dumps(
        package({"name": "services", "path": "data/services.csv", "format": "csv"}), indent=1
    ).encode()
    url = serve_package(fault_server, descriptor)
    got = for_kind("datapackage").capture(source(url), tmp_path, CTX)
    assert got.path == tmp_path / "resource-services.csv" and got.path.read_bytes() == SERVICES
    assert got.format == "csv" and got.bytes == len(SERVICES) and got.status == 200
    assert got.url == fault_server.url("/pkg/data/services.csv")
    assert got.sha256 == hashlib.sha256(SERVICES).hexdigest()
    assert (tmp_path / "datapackage.json").read_bytes() == descriptor  # kept as received
    rows = Resource(path="resource-services.csv", basepath=str(tmp_path)).read_rows()
    assert [r["service_id"] for r in rows] == ["S1", "S2"]


def test_the_resource_is_chosen_by_name_and_defaults_to_the_dataset(fault_server, tmp_path):
    fault_server.add("/pkg/perf.csv", respond(200, b"service_id,period\nS1,2026-01\n", CSV))
    fault_server.add("/pkg/services.csv", respond(200, SERVICES, CSV))
    url = serve_package(
        fault_server, package({"name": "performance", "path": "perf.csv"}, {"name": "services", "path": "services.csv"})
    )
    assert capture(url, tmp_path / "a").path.read_bytes() == SERVICES
    assert capture(url, tmp_path / "b", resource="performance").path.read_bytes().startswith(b"service_id,period")


def test_a_missing_resource_names_the_ones_available(fault_server, tmp_path):
    url = serve_package(fault_server, package({"name": "budget", "path": "b.csv"}, {"name": "staff", "path": "s.csv"}))
    error = failure(url, tmp_path, resource="services_2024")
    assert error.reason == Reason.NO_RESOURCES
    assert "no resource 'services_2024'" in error.message and "'budget', 'staff'" in error.message
    assert paths_requested(fault_server) == ["/pkg/datapackage.json"]


def test_a_package_without_resources_is_no_resources(fault_server, tmp_path):
    url = serve_package(fault_server, {"name": "empty", "resources": []})
    assert failure(url, tmp_path).reason == Reason.NO_RESOURCES


def test_inline_objects_become_a_csv(fault_server, tmp_path):
    url = serve_package(
        fault_server,
        package(
            {
                "name": "services",
                "data": [
                    {"service_id": "S1", "name_fa": "صدور گواهی", "online": True, "fee": 10000},
                    {"service_id": "S2", "name_fa": "استعلام", "online": False, "tags": ["a", "b"], "fee": None},
                ],
            }
        ),
    )
    got = capture(url, tmp_path)
    assert got.format == "csv" and got.url == url
    assert got.path.read_text(encoding="utf-8").splitlines() == [
        "service_id,name_fa,online,fee,tags",
        "S1,صدور گواهی,true,10000,",
        'S2,استعلام,false,,"[""a"",""b""]"',
    ]
    assert paths_requested(fault_server) == ["/pkg/datapackage.json"]


def test_inline_arrays_keep_their_header_row(fault_server, tmp_path):
    url = serve_package(
        fault_server, package({"name": "services", "data": [["service_id", "days"], ["S1", 5], ["S2", None]]})
    )
    got = capture(url, tmp_path)
    assert list(csv.reader(io.StringIO(got.path.read_text(encoding="utf-8")))) == [
        ["service_id", "days"],
        ["S1", "5"],
        ["S2", ""],
    ]


def test_a_multi_part_resource_is_concatenated_byte_wise(fault_server, tmp_path):
    fault_server.add("/pkg/p1.csv", respond(200, b"service_id,standard_days\nS1,5", CSV))  # no final newline
    fault_server.add("/pkg/p2.csv", respond(200, b"\xef\xbb\xbfS2,3\r\n", CSV))  # a BOM on a continuation
    fault_server.add("/other/p3.csv", respond(200, b"S3,7\n", CSV))
    url = serve_package(
        fault_server, package({"name": "services", "path": ["p1.csv", "p2.csv", fault_server.url("/other/p3.csv")]})
    )
    got = capture(url, tmp_path)
    assert got.path.read_bytes() == b"service_id,standard_days\nS1,5\nS2,3\r\nS3,7\n"
    assert got.url == fault_server.url("/pkg/p1.csv") and got.bytes == len(got.path.read_bytes())
    assert paths_requested(fault_server) == ["/pkg/datapackage.json", "/pkg/p1.csv", "/pkg/p2.csv", "/other/p3.csv"]
    rows = Resource(path=got.path.name, basepath=str(tmp_path)).read_rows()
    assert [(r["service_id"], r["standard_days"]) for r in rows] == [("S1", 5), ("S2", 3), ("S3", 7)]
    assert (
        (tmp_path / "resource-services.part-2.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    )  # parts kept as received


def test_a_multi_part_resource_must_be_csv(fault_server, tmp_path):
    url = serve_package(fault_server, package({"name": "services", "format": "json", "path": ["a.json", "b.json"]}))
    assert failure(url, tmp_path).reason == Reason.STRUCTURE


def test_html_where_csv_is_expected_fails_the_run(fault_server, tmp_path):
    fault_server.add(
        "/pkg/services.csv",
        respond(200, b"<!doctype html><html><body>Login</body></html>", {"Content-Type": "text/csv"}),
    )
    url = serve_package(fault_server, package({"name": "services", "path": "services.csv"}))
    error = failure(url, tmp_path)
    assert error.reason == Reason.UNEXPECTED_CONTENT_TYPE
    assert not (tmp_path / "resource-services.csv").exists()


def test_an_html_page_instead_of_the_descriptor(fault_server, tmp_path):
    url = fault_server.add(
        "/pkg/datapackage.json",
        respond(200, b"<html><body>Service unavailable</body></html>", {"Content-Type": "text/html"}),
    )
    assert failure(url, tmp_path).reason == Reason.UNEXPECTED_CONTENT_TYPE


@pytest.mark.parametrize("body", [b'{"resources": [', b'{"resources": NaN}', b"[" * 100_000 + b"]" * 100_000])
def test_a_broken_descriptor_is_invalid_json(fault_server, tmp_path, body):
    url = serve_package(fault_server, body)
    assert failure(url, tmp_path).reason == Reason.INVALID_JSON


def test_an_unsupported_format_is_refused_before_fetching(fault_server, tmp_path):
    url = serve_package(fault_server, package({"name": "services", "path": "services.pdf", "format": "pdf"}))
    assert failure(url, tmp_path).reason == Reason.UNEXPECTED_CONTENT_TYPE
    assert paths_requested(fault_server) == ["/pkg/datapackage.json"]


def test_a_missing_resource_file_is_http_404(fault_server, tmp_path):
    url = serve_package(fault_server, package({"name": "services", "path": "gone.csv"}))
    error = failure(url, tmp_path)
    assert error.reason == "http_404" and error.status == 404


# --- zipped packages and resources (H7) -------------------------------------------------


def zip_bytes(members: dict[str | zipfile.ZipInfo, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buffer.getvalue()


ZIP = {"Content-Type": "application/zip"}


def test_a_zipped_package_is_extracted_and_its_resource_captured(fault_server, tmp_path):
    descriptor = json.dumps(package({"name": "services", "path": "data/services.csv"})).encode()
    url = fault_server.add(
        "/alpha.zip",
        respond(200, zip_bytes({"alpha/datapackage.json": descriptor, "alpha/data/services.csv": SERVICES}), ZIP),
    )
    got = capture(url, tmp_path)
    assert got.path.read_bytes() == SERVICES and got.format == "csv" and got.url == url
    assert (tmp_path / "datapackage.json").read_bytes() == descriptor
    assert paths_requested(fault_server) == ["/alpha.zip"]


def test_a_zip_body_at_a_descriptor_url_is_opened_as_a_package(fault_server, tmp_path):
    descriptor = json.dumps(package({"name": "services", "path": "services.csv"})).encode()
    url = fault_server.add(
        "/download",
        respond(
            200,
            zip_bytes({"datapackage.json": descriptor, "services.csv": SERVICES}),
            {"Content-Type": "application/octet-stream"},
        ),
    )
    assert capture(url, tmp_path).path.read_bytes() == SERVICES


def test_a_zipped_package_without_a_descriptor(fault_server, tmp_path):
    url = fault_server.add("/alpha.zip", respond(200, zip_bytes({"services.csv": SERVICES}), ZIP))
    assert failure(url, tmp_path).reason == Reason.NOT_FOUND


def test_a_zipped_package_still_has_its_paths_checked(fault_server, tmp_path):
    descriptor = json.dumps(package({"name": "services", "path": "../../../etc/passwd"})).encode()
    url = fault_server.add("/alpha.zip", respond(200, zip_bytes({"datapackage.json": descriptor}), ZIP))
    assert failure(url, tmp_path).reason == Reason.UNSAFE_PATH


def test_a_zipped_package_with_an_evil_member_is_rejected(fault_server, tmp_path):
    run = tmp_path / "run"
    url = fault_server.add(
        "/alpha.zip",
        respond(200, zip_bytes({"datapackage.json": b"{}", zipfile.ZipInfo("../../escaped.csv"): b"owned"}), ZIP),
    )
    error = failure(url, run)
    assert error.reason == Reason.ARCHIVE_REJECTED and "'../../escaped.csv'" in error.message
    assert not (tmp_path / "escaped.csv").exists() and not (run / "package").exists()


def test_a_zipped_resource_that_is_a_bomb_is_rejected(fault_server, tmp_path):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf, zf.open("services.csv", "w") as member:
        for _ in range(32):
            member.write(bytes(1 << 20))
    fault_server.add("/pkg/services.csv.zip", respond(200, buffer.getvalue(), ZIP))
    url = serve_package(fault_server, package({"name": "services", "path": "services.csv.zip", "format": "csv"}))
    error = failure(url, tmp_path)
    assert error.reason == Reason.ARCHIVE_REJECTED and "expands" in error.message


def test_a_zipped_resource_with_one_file_is_unzipped(fault_server, tmp_path):
    fault_server.add("/pkg/services.zip", respond(200, zip_bytes({"services.csv": SERVICES}), ZIP))
    url = serve_package(fault_server, package({"name": "services", "path": "services.zip", "format": "csv"}))
    got = capture(url, tmp_path)
    assert got.path == tmp_path / "resource-services.csv" and got.path.read_bytes() == SERVICES


def test_a_zipped_package_over_the_byte_cap_is_rejected(fault_server, tmp_path):
    descriptor = json.dumps(package({"name": "services", "path": "services.csv"})).encode()
    body = zip_bytes({"datapackage.json": descriptor, "services.csv": os.urandom(100_000).hex().encode()})
    assert len(body) < 150_000  # hex text compresses about 2:1, far below the ratio cap
    url = fault_server.add("/alpha.zip", respond(200, body, ZIP))
    small = HarvestContext(
        policy=FetchPolicy(
            deadline_s=3, read_timeout_s=1, retries=0, backoff_s=0.01, allow_private_networks=True, max_bytes=150_000
        )
    )
    (tmp_path / "run").mkdir()
    with pytest.raises(HarvestError) as info:
        DataPackageHarvester().capture(source(url), tmp_path / "run", small)
    assert info.value.reason == Reason.ARCHIVE_REJECTED and "more than 150,000 bytes" in info.value.message
    assert not (tmp_path / "run" / "package").exists()


def test_a_package_is_harvested_and_staged_end_to_end(fault_server, tmp_path):
    """Through the runner: registry → datapackage harvester → validation → staged package."""
    from conftest import SERVICES_ALPHA

    fault_server.add("/pkg/services.csv", respond(200, SERVICES_ALPHA.encode(), CSV))
    url = serve_package(fault_server, package({"name": "service-inventory", "path": "services.csv"}))
    path = tmp_path / "agencies.yml"
    path.write_text(
        textwrap.dedent(f"""\
        portal: {{allow_private_networks: true, fetch_deadline_s: 3, fetch_read_timeout_s: 1, fetch_retries: 0}}
        agencies:
          - id: alpha
            name_fa: سازمان الف
            name_en: Alpha Organization
            sources:
              - dataset: services
                kind: datapackage
                url: {url}
                resource: service-inventory
        """),
        encoding="utf-8",
    )
    reg = registry.load(path)
    data = DataDir(tmp_path / "var")
    runs = harvest(reg.agencies, registry=reg, data=data)
    assert [(r.outcome, r.reason) for r in runs] == [(Outcome.OK, None)], runs[0].message
    assert runs[0].rows_passed == 3
    assert (data.packages("alpha") / "services.csv").read_text(encoding="utf-8").count("\n") == 4
