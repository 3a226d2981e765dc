"""The jsonapi harvester against a real loopback API that checks its token (H14, H18)."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from faultserver import Request, respond

from shafaf.config import registry
from shafaf.config.registry import Source
from shafaf.core.datadir import DataDir
from shafaf.core.errors import HarvestError
from shafaf.core.models import Outcome, Reason
from shafaf.harvest.net.fetch import FetchPolicy
from shafaf.harvest.runner import harvest
from shafaf.harvest.sources import for_kind
from shafaf.harvest.sources.base import HarvestContext
from shafaf.harvest.sources.jsonapi import JsonApiHarvester, resolve_headers

POLICY = FetchPolicy(
    deadline_s=3, connect_timeout_s=1, read_timeout_s=1, retries=0, backoff_s=0.01, allow_private_networks=True
)
CTX = HarvestContext(policy=POLICY)
TOKEN = "gsb-7f2a9c-very-secret-token"
ENV = "SHAFAF_TEST_GSB_TOKEN"
JSON = {"Content-Type": "application/json"}
RECORDS = [{"service_id": f"S{n}", "name_en": f"Service {n}", "days": n} for n in range(1, 6)]

Handler = Callable[[Request], tuple[int, Any]]


@pytest.fixture(autouse=True)
def token(monkeypatch):
    monkeypatch.setenv(ENV, TOKEN)


def api(handler: Handler):
    """A behaviour answering 401 unless the request carries our bearer token."""

    def behaviour(conn, request: Request) -> None:
        if request.headers.get("authorization") != f"Bearer {TOKEN}":
            respond(401, b'{"error": "unauthorized"}', JSON)(conn, request)
            return
        status, body = handler(request)
        respond(status, body if isinstance(body, bytes) else json.dumps(body, ensure_ascii=False).encode(), JSON)(
            conn, request
        )

    return behaviour


def source(url: str, **kwargs: Any) -> Source:
    kwargs.setdefault("headers", {"Authorization": f"Bearer ${{{ENV}}}", "Accept": "application/json"})
    return Source(id="gsb", dataset="services", kind="jsonapi", agency_id="alpha", url=url, **kwargs)


def capture(src: Source, dest: Path):
    dest.mkdir(parents=True, exist_ok=True)
    return JsonApiHarvester().capture(src, dest, CTX)


def failure(src: Source, dest: Path) -> HarvestError:
    with pytest.raises(HarvestError) as info:
        capture(src, dest)
    assert TOKEN not in str(info.value) and TOKEN not in (info.value.url or "")
    return info.value


def rows(path: Path) -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))


def assert_no_secret_under(folder: Path) -> None:
    for path in folder.rglob("*"):
        if path.is_file():
            assert TOKEN.encode() not in path.read_bytes(), path


# --- pagination ------------------------------------------------------------------------


def test_page_pagination_with_a_size_stops_at_a_short_page(fault_server, tmp_path):
    def handler(request: Request):
        page, size = int(request.query["page"]), int(request.query["per_page"])
        return 200, {"data": {"items": RECORDS[(page - 1) * size : page * size], "page": page}}

    url = fault_server.add("/api/services", api(handler))
    src = source(
        url + "?lang=fa", records="data.items", pagination={"style": "page", "size_param": "per_page", "size": 2}
    )
    got = for_kind("jsonapi").capture(src, tmp_path, CTX)
    assert [r.query for r in fault_server.requests] == [
        {"lang": "fa", "page": str(n), "per_page": "2"} for n in (1, 2, 3)
    ]
    assert all(r.headers["authorization"] == f"Bearer {TOKEN}" for r in fault_server.requests)
    assert got.path == tmp_path / "records.csv" and got.format == "csv" and got.status == 200
    assert got.url == url + "?lang=fa"
    assert got.sha256 == hashlib.sha256(got.path.read_bytes()).hexdigest() and got.bytes == got.path.stat().st_size
    assert rows(got.path) == [["service_id", "name_en", "days"]] + [
        [r["service_id"], r["name_en"], str(r["days"])] for r in RECORDS
    ]
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "page-0001.json",
        "page-0002.json",
        "page-0003.json",
        "records.csv",
    ]
    assert json.loads((tmp_path / "page-0003.json").read_bytes()) == {"data": {"items": RECORDS[4:], "page": 3}}
    assert_no_secret_under(tmp_path)


def test_page_pagination_without_a_size_stops_at_an_empty_page(fault_server, tmp_path):
    url = fault_server.add("/api", api(lambda r: (200, RECORDS[(int(r.query["p"]) * 2) : (int(r.query["p"]) * 2) + 2])))
    got = capture(source(url, pagination={"style": "page", "param": "p", "start": 0}), tmp_path)
    assert [r.query["p"] for r in fault_server.requests] == ["0", "1", "2", "3"]
    assert len(rows(got.path)) == 1 + len(RECORDS)


def test_offset_pagination(fault_server, tmp_path):
    def handler(request: Request):
        offset, limit = int(request.query["offset"]), int(request.query["limit"])
        return 200, {"results": RECORDS[offset : offset + limit], "total": len(RECORDS)}

    url = fault_server.add("/api/services", api(handler))
    got = capture(source(url, records="results", pagination={"style": "offset", "size": 2}), tmp_path)
    assert [(r.query["offset"], r.query["limit"]) for r in fault_server.requests] == [
        ("0", "2"),
        ("2", "2"),
        ("4", "2"),
    ]
    assert [row[0] for row in rows(got.path)[1:]] == ["S1", "S2", "S3", "S4", "S5"]


def test_next_link_pagination_follows_relative_and_absolute_links(fault_server, tmp_path):
    def handler(request: Request):
        cursor = request.query.get("cursor", "0")
        if cursor == "0":
            return 200, {"items": RECORDS[:2], "links": {"next": "services?cursor=a"}}
        if cursor == "a":
            return 200, {"items": RECORDS[2:4], "links": {"next": fault_server.url("/v1/services?cursor=b")}}
        return 200, {"items": RECORDS[4:], "links": {"next": None}}

    url = fault_server.add("/v1/services", api(handler))
    got = capture(source(url, records="items", pagination={"style": "next", "next": "links.next"}), tmp_path)
    assert [r.target for r in fault_server.requests] == [
        "/v1/services",
        "/v1/services?cursor=a",
        "/v1/services?cursor=b",
    ]
    assert len(rows(got.path)) == 6
    assert_no_secret_under(tmp_path)


def test_a_next_link_loop_is_a_structure_error(fault_server, tmp_path):
    def handler(request: Request):
        nxt = "/loop?c=2" if request.query.get("c") != "2" else "/loop"
        return 200, {"items": RECORDS[:1], "next": fault_server.url(nxt)}

    url = fault_server.add("/loop", api(handler))
    error = failure(source(url, records="items", pagination={"style": "next", "next": "next"}), tmp_path)
    assert error.reason == Reason.STRUCTURE and "pagination loop" in error.message
    assert len(fault_server.requests) == 2


def test_more_pages_than_max_pages_is_refused(fault_server, tmp_path):
    url = fault_server.add("/endless", api(lambda r: (200, [{"n": r.query["page"]}])))
    error = failure(source(url, pagination={"style": "page", "max_pages": 3}), tmp_path)
    assert error.reason == Reason.TOO_LARGE and "more than 3 pages" in error.message
    assert len(fault_server.requests) == 3


def test_every_next_link_goes_through_the_guarded_fetch(fault_server, tmp_path):
    for n, (link, reason) in enumerate(
        [
            ("file:///etc/passwd", Reason.SCHEME_BLOCKED),
            ("http://169.254.169.254/latest/meta-data/", Reason.DESTINATION_BLOCKED),
        ]
    ):
        url = fault_server.add(f"/evil{n}", api(lambda r, link=link: (200, {"items": RECORDS[:1], "next": link})))
        error = failure(source(url, records="items", pagination={"style": "next", "next": "next"}), tmp_path / str(n))
        assert error.reason == reason


# --- secrets ---------------------------------------------------------------------------


def test_a_missing_secret_fails_before_any_request(fault_server, tmp_path, monkeypatch):
    monkeypatch.delenv(ENV)
    url = fault_server.add("/api", api(lambda r: (200, RECORDS)))
    error = failure(source(url), tmp_path)
    assert error.reason == Reason.SECRET_MISSING
    assert ENV in error.message and "'gsb'" in error.message and "'alpha'" in error.message
    assert fault_server.requests == [] and list(tmp_path.iterdir()) == []


def test_an_empty_secret_counts_as_missing(monkeypatch):
    monkeypatch.setenv(ENV, "")
    with pytest.raises(HarvestError) as info:
        resolve_headers(source("https://gsb.example.ir/api"))
    assert info.value.reason == Reason.SECRET_MISSING


def test_headers_are_filled_from_the_environment_only_at_request_time():
    src = source("https://gsb.example.ir/api", headers={"X-Api-Key": "${A}-${B}", "Accept": "application/json"})
    assert resolve_headers(src, {"A": "1", "B": "2"}) == {"X-Api-Key": "1-2", "Accept": "application/json"}
    assert "1-2" not in repr(src)


def test_a_rejected_token_is_http_401_and_the_token_is_not_in_the_message(fault_server, tmp_path, monkeypatch):
    monkeypatch.setenv(ENV, TOKEN + "-wrong")
    url = fault_server.add("/api", api(lambda r: (200, RECORDS)))
    with pytest.raises(HarvestError) as info:
        capture(source(url), tmp_path)
    assert info.value.reason == "http_401" and info.value.status == 401
    assert TOKEN not in str(info.value)


def test_the_secret_reaches_no_run_record_or_state(fault_server, tmp_path):
    """End to end through the runner: the run's folder, run.json and state.db hold no token."""
    services = [
        {"service_id": "S1", "name_fa": "صدور گواهی", "name_en": "Certificate", "audience": "citizens"},
        {"service_id": "S2", "name_fa": "استعلام", "name_en": "Inquiry", "audience": "businesses"},
    ]
    url = fault_server.add(
        "/gsb/services", api(lambda r: (200, {"result": {"rows": services if r.query["page"] == "1" else []}}))
    )
    path = tmp_path / "agencies.yml"
    path.write_text(
        textwrap.dedent(f"""\
        portal:
          allow_private_networks: true
          fetch_deadline_s: 3
          fetch_read_timeout_s: 1
          fetch_retries: 0
        agencies:
          - id: alpha
            name_fa: سازمان الف
            name_en: Alpha Organization
            sources:
              - dataset: services
                kind: jsonapi
                url: {url}
                records: result.rows
                headers: {{Authorization: "Bearer ${{{ENV}}}"}}
                pagination: {{style: page}}
        """),
        encoding="utf-8",
    )
    reg = registry.load(path)
    data = DataDir(tmp_path / "var")
    runs = harvest(reg.agencies, registry=reg, data=data)
    assert [(r.outcome, r.reason) for r in runs] == [(Outcome.OK, None)], runs[0].message
    assert fault_server.requests[0].headers["authorization"] == f"Bearer {TOKEN}"
    assert_no_secret_under(tmp_path)


# --- structure of the answers ------------------------------------------------------------


def test_a_records_path_that_is_not_there_is_a_structure_error(fault_server, tmp_path):
    url = fault_server.add("/api", api(lambda r: (200, {"data": {"rows": RECORDS}})))
    error = failure(source(url, records="data.items"), tmp_path)
    assert error.reason == Reason.STRUCTURE
    assert "'data.items'" in error.message and "'rows'" in error.message


def test_a_records_path_that_leads_to_an_object_is_a_structure_error(fault_server, tmp_path):
    url = fault_server.add("/api", api(lambda r: (200, {"data": {"count": 5}})))
    error = failure(source(url, records="data"), tmp_path)
    assert error.reason == Reason.STRUCTURE and "not a list of records" in error.message
    url = fault_server.add("/top", api(lambda r: (200, {"count": 5})))
    assert failure(source(url), tmp_path / "top").reason == Reason.STRUCTURE


def test_records_that_are_not_objects_name_the_page_and_index(fault_server, tmp_path):
    url = fault_server.add("/api", api(lambda r: (200, [{"a": 1}, {"a": 2}, "three"])))
    error = failure(source(url), tmp_path)
    assert error.reason == Reason.STRUCTURE and "page 1" in error.message and "record 2 is text" in error.message


def test_zero_records_never_wipe(fault_server, tmp_path):
    url = fault_server.add("/api", api(lambda r: (200, {"data": {"items": []}})))
    error = failure(source(url, records="data.items", pagination={"style": "page"}), tmp_path)
    assert error.reason == Reason.NO_RESOURCES and "the last published data stays" in error.message
    assert not (tmp_path / "records.csv").exists()


@pytest.mark.parametrize("body", [b'{"items": [', b'[{"a": NaN}]', b"[" * 50_000 + b"]" * 50_000, b'["\xff\xfe"]'])
def test_an_invalid_json_page(fault_server, tmp_path, body):
    url = fault_server.add("/api", api(lambda r: (200, body)))
    error = failure(source(url), tmp_path)
    assert error.reason == Reason.INVALID_JSON and "page 1" in error.message


def test_an_html_page_is_unexpected_content(fault_server, tmp_path):
    fault_server.add("/api", respond(200, b"<!DOCTYPE html><html>Maintenance</html>", {"Content-Type": "text/html"}))
    error = failure(source(fault_server.url("/api")), tmp_path)
    assert error.reason == Reason.UNEXPECTED_CONTENT_TYPE


def test_nested_values_become_json_text_and_columns_are_the_union_of_keys(fault_server, tmp_path):
    pages = {
        "1": [
            {"id": 1, "name": "الف", "tags": ["x", "y"], "active": True},
            {"id": 2, "address": {"city": "تهران", "zip": None}, "active": False, "score": 1.5},
        ],
        "2": [{"id": 3, "note": None, "extra": "new column\non two lines"}],
        "3": [],
    }
    url = fault_server.add("/api", api(lambda r: (200, {"items": pages[r.query["page"]]})))
    got = capture(source(url, records="items", pagination={"style": "page"}), tmp_path)
    assert rows(got.path) == [
        ["id", "name", "tags", "active", "address", "score", "note", "extra"],
        ["1", "الف", '["x","y"]', "true", "", "", "", ""],
        ["2", "", "", "false", '{"city":"تهران","zip":null}', "1.5", "", ""],
        ["3", "", "", "", "", "", "", "new column\non two lines"],
    ]
    assert got.path.read_bytes().decode("utf-8")  # UTF-8, no BOM
    assert not got.path.read_bytes().startswith(b"\xef\xbb\xbf")
