"""The ``ckan`` source kind against a real loopback CKAN: real ckanapi, real HTTP, replayed real answers.

The replayed answers (tests/fixtures/ckan/, see SOURCE.md there) list resources
on the internet; tests using them stop before any download. Tests that
download serve a small listing generated here whose URLs point at the
loopback server.
"""

from __future__ import annotations

import csv
import hashlib
import json
import time
from collections.abc import Callable
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pytest
from faultserver import FaultServer, hang, redirect, respond

from shafaf.config.registry import Source
from shafaf.core.errors import HarvestError
from shafaf.core.models import Reason
from shafaf.harvest.net.fetch import FetchPolicy
from shafaf.harvest.sources import for_kind
from shafaf.harvest.sources.base import HarvestContext
from shafaf.harvest.sources.ckan import (
    LISTING_FILE,
    CkanHarvester,
    dataset_matches,
    resource_format,
    resource_matches,
    select_resources,
)
from shafaf.harvest.sources.ckan_api import CkanClient, list_datasets
from shafaf.harvest.sources.combine import Part, combine

FIXTURES = Path(__file__).parent / "fixtures" / "ckan"
JSON = {"Content-Type": "application/json;charset=utf-8"}
CSV = {"Content-Type": "text/csv; charset=utf-8"}
API = "/api/3/action/"
POLICY = FetchPolicy(
    deadline_s=3, connect_timeout_s=0.5, read_timeout_s=0.5, retries=1, backoff_s=0.01, allow_private_networks=True
)
CTX = HarvestContext(policy=POLICY)
AEB = "agencia-espacial-brasileira-aeb"


def _readers_read_json() -> bool:
    """Whether readers.open_table can read a JSON table here (it needs frictionless' JSON support)."""
    import tempfile

    from shafaf.validate.readers import open_table

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "t.json"
        path.write_text('[["id"], ["1"]]', encoding="utf-8")
        try:
            with open_table(path, format="json") as table:
                return table.labels == ["id"] and [cells for _, cells, _ in table.rows] == [["1"]]
        except Exception:
            return False


needs_json_tables = pytest.mark.skipif(
    not _readers_read_json(), reason="readers.open_table cannot read JSON tables yet"
)


# --- a loopback CKAN -------------------------------------------------------------


def ok(result: Any) -> bytes:
    return json.dumps({"help": "http://loopback/api/3/action/help_show", "success": True, "result": result}).encode()


def replay(name: str, status: int = 200) -> Callable:
    """A real recorded answer, byte for byte."""
    return respond(status, (FIXTURES / name).read_bytes(), JSON)


def search(pages: Callable[[int, int], tuple[int, list[dict]]]) -> Callable:
    """package_search answering ``pages(start, rows) -> (count, results)``."""

    def behaviour(conn, request):
        count, results = pages(int(request.query.get("start", 0)), int(request.query.get("rows", 10)))
        respond(200, ok({"count": count, "results": results}), JSON)(conn, request)

    return behaviour


def ckan(server: FaultServer, package_search: Callable, org: str = "org") -> None:
    server.add(API + "organization_show", respond(200, ok({"id": "0000-org", "name": org, "title": "The org"}), JSON))
    server.add(API + "package_search", package_search)


def dataset(name: str, *resources: dict, tags: tuple[str, ...] = ()) -> dict:
    return {
        "id": f"id-{name}",
        "name": name,
        "title": name.title(),
        "tags": [{"name": t} for t in tags],
        "resources": list(resources),
    }


def resource(rid: str, url: str, fmt: str = "CSV", name: str | None = None, position: int = 0) -> dict:
    return {"id": rid, "name": name or rid, "format": fmt, "url": url, "position": position}


def source(server: FaultServer, org: str = "org", **select: str) -> Source:
    return Source(
        id="services",
        dataset="services",
        kind="ckan",
        agency_id="alpha",
        url=server.base_url,
        organization=org,
        select=MappingProxyType(select),
    )


def capture(server: FaultServer, tmp_path: Path, **kwargs: Any):
    dest = tmp_path / "raw"
    dest.mkdir(exist_ok=True)
    page_size = kwargs.pop("page_size", 100)
    return CkanHarvester(page_size=page_size).capture(source(server, **kwargs), dest, CTX), dest


def api_calls(server: FaultServer, action: str) -> list[dict[str, str]]:
    return [r.query for r in server.requests if r.path == API + action]


def rows_of(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.reader(f))


# --- listing: paging, dedupe, count ----------------------------------------------


def test_registered_for_the_ckan_kind():
    assert isinstance(for_kind("ckan"), CkanHarvester)


def test_pages_with_start_until_count(fault_server):
    datasets = [dataset(f"d{i}") for i in range(5)]
    ckan(fault_server, search(lambda start, rows: (5, datasets[start : start + rows])))
    client = CkanClient(fault_server.base_url, POLICY)
    listing = list_datasets(client, "org", page_size=2)
    assert [d["name"] for d in listing.datasets] == ["d0", "d1", "d2", "d3", "d4"]
    assert (listing.count, listing.pages, listing.duplicates, listing.mismatch) == (5, 3, 0, None)
    calls = api_calls(fault_server, "package_search")
    assert [c["start"] for c in calls] == ["0", "2", "4"]
    assert {(c["rows"], c["sort"], c["fq"]) for c in calls} == {("2", "id asc", 'organization:"org"')}


def test_real_rows2_answer_pages_until_an_empty_page_and_reports_the_count_mismatch(fault_server):
    """The real answer lists 2 of 13786 datasets; paging goes on until the portal returns nothing more."""
    recorded = json.loads((FIXTURES / "package_search_all_rows2.json").read_bytes())

    def pages(start, rows):
        return (recorded["result"]["count"], recorded["result"]["results"] if start == 0 else [])

    fault_server.add(
        API + "package_search",
        lambda conn, request: (
            replay("package_search_all_rows2.json") if request.query["start"] == "0" else search(pages)
        )(conn, request),
    )
    listing = list_datasets(CkanClient(fault_server.base_url, POLICY), "ministerio-da-economia-me", page_size=2)
    assert [d["name"] for d in listing.datasets] == ["comprasnet-contratos", "corridas-do-taxigov"]
    assert (listing.count, listing.pages) == (13786, 2)
    assert "13786 datasets" in listing.mismatch and "2 distinct" in listing.mismatch


def test_dataset_repeated_across_pages_is_kept_once_and_the_count_mismatch_asks_for_review(fault_server, tmp_path):
    """A dataset inserted while paging shifts the next page: one dataset comes twice, one never (H19)."""
    url = fault_server.add("/a.csv", respond(200, "id,n\n1,2\n", CSV))
    a, b, c = (dataset(n, resource(f"r-{n}", url if n == "a" else fault_server.url(f"/{n}.csv"))) for n in "abc")
    fault_server.add("/b.csv", respond(200, "id,n\n3,4\n", CSV))
    fault_server.add("/c.csv", respond(200, "id,n\n5,6\n", CSV))
    pages = {0: [a, b], 2: [b, c]}
    ckan(fault_server, search(lambda start, rows: (4, pages.get(start, []))))
    got, dest = capture(fault_server, tmp_path, page_size=2)
    assert rows_of(got.path) == [["id", "n"], ["1", "2"], ["3", "4"], ["5", "6"]]
    assert got.review is not None and got.review[0] == Reason.COUNT_MISMATCH
    assert "4 datasets" in got.review[1] and "3 distinct" in got.review[1] and "1 repeated" in got.review[1]
    listing = json.loads((dest / LISTING_FILE).read_text(encoding="utf-8"))
    assert [d["name"] for d in listing["datasets"]] == ["a", "b", "c"] and listing["duplicates"] == 1


def test_real_empty_answer_is_no_resources_and_downloads_nothing(fault_server, tmp_path):
    """CKAN's count 0 (H18): never 'the agency has no data now', always a held run."""
    fault_server.add(API + "organization_show", respond(200, ok({"name": "agricultura-extrativismo-e-pescaa"}), JSON))
    fault_server.add(API + "package_search", replay("package_search_unknown_organization_empty.json"))
    with pytest.raises(HarvestError) as e:
        capture(fault_server, tmp_path, org="agricultura-extrativismo-e-pescaa")
    assert e.value.reason == Reason.NO_RESOURCES
    assert "lists no datasets" in e.value.message and "last published data stays" in e.value.message
    assert sorted(p.name for p in (tmp_path / "raw").iterdir()) == [LISTING_FILE]


# --- CKAN errors ----------------------------------------------------------------


def test_real_404_envelope_of_the_organization_is_not_found(fault_server, tmp_path):
    fault_server.add(API + "organization_show", replay("group_package_show_not_found_404.json", 404))
    with pytest.raises(HarvestError) as e:
        capture(fault_server, tmp_path, org="no-such-org")
    assert e.value.reason == Reason.NOT_FOUND and e.value.status == 404
    assert "no organization 'no-such-org'" in e.value.message and "Não encontrado" in e.value.message
    assert api_calls(fault_server, "package_search") == []


@pytest.mark.parametrize(
    "status, body, expected",
    [
        (404, (FIXTURES / "package_show_not_found_404.json").read_bytes(), "Não encontrado"),
        (
            409,
            b'{"success": false, "error": {"__type": "Search Query Error", "message": "Search Query is invalid: bad fq"}}',
            "Search Query Error: Search Query is invalid: bad fq",
        ),
        (
            403,
            b'{"success": false, "error": {"__type": "Authorization Error", "message": "Access denied"}}',
            "Authorization Error: Access denied",
        ),
    ],
)
def test_error_envelopes_of_package_search_are_source_errors_naming_the_action(
    fault_server, tmp_path, status, body, expected
):
    ckan(fault_server, respond(status, body, JSON))
    with pytest.raises(HarvestError) as e:
        capture(fault_server, tmp_path)
    assert e.value.reason == Reason.SOURCE_ERROR and e.value.status == status
    assert "package_search" in e.value.message and expected in e.value.message


def test_a_web_page_instead_of_the_api_is_not_mistaken_for_an_answer(fault_server, tmp_path):
    ckan(fault_server, respond(200, "<!doctype html><html><body>Login</body></html>", {"Content-Type": "text/html"}))
    with pytest.raises(HarvestError) as e:
        capture(fault_server, tmp_path)
    assert e.value.reason == Reason.SOURCE_ERROR and "not a CKAN API response" in e.value.message
    fault_server.add(API + "organization_show", respond(502, "<html>Bad gateway</html>", {"Content-Type": "text/html"}))
    with pytest.raises(HarvestError) as e:
        capture(fault_server, tmp_path)
    assert e.value.reason == "http_502" and "organization_show" in e.value.message


@pytest.mark.slow
def test_a_hanging_ckan_fails_within_the_fetch_deadline(fault_server, tmp_path):
    """ckanapi has no timeout of its own (H21); every call goes through the guarded fetch."""
    fault_server.add(API + "organization_show", hang())
    began = time.monotonic()
    with pytest.raises(HarvestError) as e:
        capture(fault_server, tmp_path)
    assert e.value.reason in (Reason.TIMEOUT, Reason.DEADLINE_EXCEEDED)
    assert "organization_show" in e.value.message
    assert time.monotonic() - began < POLICY.deadline_s + 1


@pytest.mark.slow
def test_all_api_calls_share_one_deadline(fault_server, tmp_path):
    """Each page answers slowly but in time; together they may not exceed the deadline."""

    def slow_page(conn, request):
        time.sleep(0.3)
        start = int(request.query["start"])
        respond(200, ok({"count": 1000, "results": [dataset(f"d{start}")]}), JSON)(conn, request)

    ckan(fault_server, slow_page)
    policy = FetchPolicy(**{**POLICY.__dict__, "deadline_s": 1.5})
    began = time.monotonic()
    with pytest.raises(HarvestError) as e:
        CkanHarvester(page_size=1).capture(source(fault_server), tmp_path, HarvestContext(policy=policy))
    assert e.value.reason in (Reason.TIMEOUT, Reason.DEADLINE_EXCEEDED)
    assert time.monotonic() - began < policy.deadline_s + 1
    assert 2 <= len(api_calls(fault_server, "package_search")) <= 6  # of the 1000 pages announced


def test_api_redirects_are_checked_by_the_guarded_fetch(fault_server, tmp_path):
    """ckanapi's session never follows a redirect itself: the metadata address is refused (H10)."""
    fault_server.add(API + "organization_show", redirect("http://169.254.169.254/latest/meta-data/"))
    with pytest.raises(HarvestError) as e:
        capture(fault_server, tmp_path)
    assert e.value.reason == Reason.DESTINATION_BLOCKED and "organization_show" in e.value.message


# --- selection on real metadata ----------------------------------------------------


def aeb_datasets() -> list[dict]:
    return json.loads((FIXTURES / "package_search_organization_aeb.json").read_bytes())["result"]["results"]


def test_selection_rules_on_real_metadata_are_case_insensitive_globs():
    datasets = aeb_datasets()
    by_tag = [d["name"] for d in datasets if dataset_matches(d, {"dataset_tag": "SATÉLITES"})]
    assert by_tag == ["objetos-espaciais-brasileiro"]
    by_title = [d["name"] for d in datasets if dataset_matches(d, {"dataset_name": "*orçamento*"})]
    assert by_title == ["dados-abertos-de-orcamento-da-aeb"]
    rules = {"resource_name": "*2021*", "resource_format": "csv"}
    ids = [r["id"][:8] for d in datasets for r in d["resources"] if resource_matches(r, rules)]
    assert ids == ["7bce3eab", "6da49c47", "dc54794a"]
    assert {resource_format(r) for d in datasets for r in d["resources"]} == {"csv", "json"}


def test_real_resources_declared_csv_but_zipped_are_not_picked(fault_server, tmp_path):
    """Every AEB 'CSV' is a .zip: nothing is downloaded, and the message says why."""
    selection = select_resources(aeb_datasets(), {})
    assert selection.picked == () and (selection.datasets_seen, selection.resources_seen) == (6, 18)
    assert len(selection.unreadable) == 18 and all(".zip archive" in u for u in selection.unreadable)
    fault_server.add(API + "organization_show", respond(200, ok({"name": AEB}), JSON))
    fault_server.add(API + "package_search", replay("package_search_organization_aeb.json"))
    with pytest.raises(HarvestError) as e:
        capture(fault_server, tmp_path, org=AEB, resource_name="*2021*")
    assert e.value.reason == Reason.NO_RESOURCES
    assert AEB in e.value.message and "resource_name='*2021*'" in e.value.message
    assert "looked at 6 datasets and 18 resources" in e.value.message and ".zip archive" in e.value.message
    assert {r.path for r in fault_server.requests} == {API + "organization_show", API + "package_search"}


def test_without_a_format_rule_one_format_per_dataset_is_taken():
    """The same table as CSV and JSON in one dataset must not be counted twice."""
    d1 = dataset(
        "one", resource("j", "http://x/a.json", "JSON", position=0), resource("c", "http://x/a.csv", "CSV", position=1)
    )
    d2 = dataset("two", resource("only-json", "http://x/b.json", "json"))
    picked = select_resources([d1, d2], {}).picked
    assert [(p.dataset, p.resource_id, p.format) for p in picked] == [("one", "c", "csv"), ("two", "only-json", "json")]
    both = select_resources([d1], {"resource_format": "*"}).picked
    assert [p.resource_id for p in both] == ["j", "c"]


# --- downloads ------------------------------------------------------------------


def test_one_resource_is_captured_as_received(fault_server, tmp_path):
    body = "id,name\n1,الف\n"
    url = fault_server.add("/files/services.csv", respond(200, body, CSV))
    ckan(fault_server, search(lambda start, rows: (1, [dataset("services", resource("r1", url))])))
    got, dest = capture(fault_server, tmp_path)
    assert got.path.parent == dest and got.path.read_bytes() == body.encode()
    assert got.sha256 == hashlib.sha256(body.encode()).hexdigest() and got.bytes == len(body.encode())
    assert (got.format, got.status, got.url, got.review) == ("csv", 200, fault_server.base_url, None)
    assert not (dest / "combined.csv").exists() and (dest / LISTING_FILE).exists()


def test_two_csv_resources_are_combined_in_order_and_kept_as_received(fault_server, tmp_path):
    first = fault_server.add("/2021.csv", respond(200, "\ufeffid , name\r\n1,a\r\n2,b\r\n", CSV))
    second = fault_server.add("/2022.csv", respond(200, "id,name\n3,c\n", CSV))
    never = fault_server.add("/2022.json", respond(200, "[]", JSON))
    listing = [
        dataset(
            "services",
            resource("r22", second, position=1),
            resource("r21", first, position=0),
            resource("rj", never, "JSON", position=2),
        )
    ]
    ckan(fault_server, search(lambda start, rows: (1, listing)))
    got, dest = capture(fault_server, tmp_path)
    assert got.path == dest / "combined.csv" and got.format == "csv"
    assert rows_of(got.path) == [["id", "name"], ["1", "a"], ["2", "b"], ["3", "c"]]
    assert got.sha256 == hashlib.sha256(got.path.read_bytes()).hexdigest() and got.bytes == got.path.stat().st_size
    kept = sorted(p.name for p in dest.iterdir())
    assert kept == ["01-services-r21.csv", "02-services-r22.csv", LISTING_FILE, "combined.csv"]
    assert (dest / "01-services-r21.csv").read_bytes() == "\ufeffid , name\r\n1,a\r\n2,b\r\n".encode()
    assert fault_server.hits("/2022.json") == 0


@needs_json_tables
def test_json_and_csv_parts_are_combined(fault_server, tmp_path):
    as_json = fault_server.add("/a.json", respond(200, json.dumps([{"id": "1", "name": "a"}]), JSON))
    as_csv = fault_server.add("/b.csv", respond(200, "id,name\n2,b\n", CSV))
    listing = [dataset("a", resource("ra", as_json, "JSON")), dataset("b", resource("rb", as_csv))]
    ckan(fault_server, search(lambda start, rows: (2, listing)))
    got, _ = capture(fault_server, tmp_path)
    assert rows_of(got.path) == [["id", "name"], ["1", "a"], ["2", "b"]]


def test_different_headers_are_refused_naming_both_resources(fault_server, tmp_path):
    a = fault_server.add("/a.csv", respond(200, "id,name\n1,a\n", CSV))
    b = fault_server.add("/b.csv", respond(200, "id,title\n2,b\n", CSV))
    listing = [dataset("services", resource("ra", a, position=0), resource("rb", b, position=1))]
    ckan(fault_server, search(lambda start, rows: (1, listing)))
    with pytest.raises(HarvestError) as e:
        capture(fault_server, tmp_path)
    assert e.value.reason == Reason.STRUCTURE
    assert "'ra'" in e.value.message and "'rb'" in e.value.message
    assert "[id, name]" in e.value.message and "[id, title]" in e.value.message
    assert not (tmp_path / "raw" / "combined.csv").exists()


def test_a_file_url_resource_is_scheme_blocked(fault_server, tmp_path):
    """H11: a resource pointing at the harvester's own disk is never read."""
    ckan(fault_server, search(lambda start, rows: (1, [dataset("services", resource("passwd", "file:///etc/passwd"))])))
    with pytest.raises(HarvestError) as e:
        capture(fault_server, tmp_path)
    assert e.value.reason == Reason.SCHEME_BLOCKED
    assert "resource 'passwd'" in e.value.message and "services" in e.value.message


def test_an_html_page_where_a_csv_was_listed_is_unexpected_content(fault_server, tmp_path):
    url = fault_server.add(
        "/data.csv",
        respond(200, "<!DOCTYPE html><html><body>Please log in</body></html>", {"Content-Type": "text/html"}),
    )
    ckan(fault_server, search(lambda start, rows: (1, [dataset("services", resource("r1", url))])))
    with pytest.raises(HarvestError) as e:
        capture(fault_server, tmp_path)
    assert e.value.reason == Reason.UNEXPECTED_CONTENT_TYPE and "resource 'r1'" in e.value.message
    assert not (tmp_path / "raw" / "01-services-r1.csv").exists()


def test_a_zip_served_as_csv_is_refused(fault_server, tmp_path):
    url = fault_server.add("/data.csv", respond(200, b"PK\x03\x04" + b"\0" * 100, {"Content-Type": "text/csv"}))
    ckan(fault_server, search(lambda start, rows: (1, [dataset("services", resource("r1", url))])))
    with pytest.raises(HarvestError) as e:
        capture(fault_server, tmp_path)
    assert e.value.reason == Reason.UNEXPECTED_CONTENT_TYPE and "ZIP archive" in e.value.message


def test_nothing_matching_the_rules_is_no_resources(fault_server, tmp_path):
    listing = [dataset("budget", resource("r1", fault_server.url("/x.csv")), tags=("finance",))]
    ckan(fault_server, search(lambda start, rows: (1, listing)))
    with pytest.raises(HarvestError) as e:
        capture(fault_server, tmp_path, dataset_tag="health*")
    assert e.value.reason == Reason.NO_RESOURCES
    assert (
        "the select rules dataset_tag='health*'" in e.value.message and "1 datasets and 1 resources" in e.value.message
    )
    assert fault_server.hits("/x.csv") == 0


def test_all_resources_together_stay_under_the_byte_cap(fault_server, tmp_path):
    body = "id,name\n" + "1,aaaaaaaaaa\n" * 100  # each part is larger than the listing
    listing = [
        dataset(
            "services",
            *(resource(f"r{i}", fault_server.add(f"/{i}.csv", respond(200, body, CSV)), position=i) for i in range(3)),
        )
    ]
    ckan(fault_server, search(lambda start, rows: (1, listing)))
    policy = FetchPolicy(**{**POLICY.__dict__, "max_bytes": 2 * len(body) + 10})
    with pytest.raises(HarvestError) as e:
        CkanHarvester().capture(source(fault_server), tmp_path, HarvestContext(policy=policy))
    assert e.value.reason == Reason.TOO_LARGE and "resource 'r2'" in e.value.message


def test_too_many_matching_resources_are_refused(fault_server, tmp_path):
    listing = [dataset(f"d{i}", resource(f"r{i}", fault_server.url(f"/{i}.csv"))) for i in range(3)]
    ckan(fault_server, search(lambda start, rows: (3, listing)))
    with pytest.raises(HarvestError) as e:
        CkanHarvester(max_resources=2).capture(source(fault_server), tmp_path, CTX)
    assert e.value.reason == Reason.TOO_LARGE and "narrow the select rules" in e.value.message
    assert not any(r.path.endswith(".csv") for r in fault_server.requests)


# --- combine --------------------------------------------------------------------


def test_combine_reads_csv_and_xlsx_parts(tmp_path):
    from openpyxl import Workbook

    (tmp_path / "a.csv").write_text("id,name\n1,a\n", encoding="utf-8")
    book = Workbook()
    book.active.append(["id", "name"])
    book.active.append([2, "ب"])
    book.save(tmp_path / "b.xlsx")
    out = combine([Part(tmp_path / "a.csv", "csv", "a"), Part(tmp_path / "b.xlsx", "xlsx", "b")], tmp_path / "out.csv")
    assert out.rows == 2 and rows_of(out.path) == [["id", "name"], ["1", "a"], ["2", "ب"]]
    assert out.sha256 == hashlib.sha256(out.path.read_bytes()).hexdigest() and out.bytes == out.path.stat().st_size


def test_combine_reads_cp1256_parts_and_writes_utf8(tmp_path):
    (tmp_path / "a.csv").write_bytes("id,name\n1,پگاه\n".encode("cp1256"))
    (tmp_path / "b.csv").write_bytes("id,name\n2,ژاله\n".encode("cp1256"))
    parts = [Part(tmp_path / "a.csv", "csv", "a"), Part(tmp_path / "b.csv", "csv", "b")]
    out = combine(parts, tmp_path / "out.csv", encoding="cp1256")
    assert out.path.read_bytes().decode("utf-8") == "id,name\r\n1,پگاه\r\n2,ژاله\r\n"


@needs_json_tables
def test_combine_reads_json_parts(tmp_path):
    (tmp_path / "a.csv").write_text("id,name\n1,a\n", encoding="utf-8")
    (tmp_path / "b.json").write_text(json.dumps([["id", "name"], ["2", "b"]]), encoding="utf-8")
    out = combine([Part(tmp_path / "a.csv", "csv", "a"), Part(tmp_path / "b.json", "json", "b")], tmp_path / "out.csv")
    assert rows_of(out.path) == [["id", "name"], ["1", "a"], ["2", "b"]]


def test_combine_names_an_unreadable_part(tmp_path):
    (tmp_path / "a.csv").write_text("id\n1\n", encoding="utf-8")
    (tmp_path / "b.csv").write_bytes(b"")
    with pytest.raises(HarvestError) as e:
        combine(
            [Part(tmp_path / "a.csv", "csv", "part A"), Part(tmp_path / "b.csv", "csv", "part B")], tmp_path / "out.csv"
        )
    assert e.value.reason == Reason.EMPTY and e.value.message.startswith("part B")
    assert not (tmp_path / "out.csv").exists()
