"""Paging as APIs do it, against real loopback APIs: Link headers, cursors, totals, bounds (issue 23)."""

from __future__ import annotations

import csv
import io
import json
import sqlite3
import time
from pathlib import Path

import pytest
from faultserver import Request, respond
from service_bus import JSON, bus_registry

from shafaf.config import registry
from shafaf.config.registry import Source
from shafaf.core.datadir import DataDir
from shafaf.core.errors import HarvestError
from shafaf.core.models import Outcome, Reason
from shafaf.harvest.net.fetch import FetchPolicy
from shafaf.harvest.runner import harvest
from shafaf.harvest.sources.base import HarvestContext
from shafaf.harvest.sources.jsonapi import JsonApiHarvester
from shafaf.harvest.sources.paging import next_link
from shafaf.publish.writer import publish

POLICY = FetchPolicy(
    deadline_s=3, connect_timeout_s=1, read_timeout_s=1, retries=0, backoff_s=0.01, allow_private_networks=True
)
RECORDS = [{"service_id": f"S{n}", "name_fa": f"خدمت {n}", "name_en": f"Service {n}"} for n in range(1, 8)]


def source(url: str, pagination: dict, records: str | None = "items") -> Source:
    return Source(
        id="gsb", dataset="services", kind="jsonapi", agency_id="alpha", url=url, records=records, pagination=pagination
    )


def capture(src: Source, dest: Path, policy: FetchPolicy = POLICY):
    dest.mkdir(parents=True, exist_ok=True)
    return JsonApiHarvester().capture(src, dest, HarvestContext(policy=policy))


def failure(src: Source, dest: Path, policy: FetchPolicy = POLICY) -> HarvestError:
    with pytest.raises(HarvestError) as info:
        capture(src, dest, policy)
    return info.value


def ids(path: Path) -> list[str]:
    return [row[0] for row in list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))[1:]]


def answer(status: int, body: object, headers: dict[str, str] | None = None):
    return respond(status, json.dumps(body, ensure_ascii=False).encode(), {**JSON, **(headers or {})})


# --- RFC 8288 Link headers ---------------------------------------------------------------


@pytest.mark.parametrize(
    "header,expected",
    [
        ('<https://a.ir/p?page=2>; rel="next"', "https://a.ir/p?page=2"),
        ('<https://a.ir/p?page=1>; rel="prev", <https://a.ir/p?page=3>; rel="next"', "https://a.ir/p?page=3"),
        ('<https://a.ir/last>; rel="last", </p?c=x,y>; title="a, b; c"; rel="next"', "/p?c=x,y"),
        ("<https://a.ir/n>; REL=next", "https://a.ir/n"),
        ('<https://a.ir/n>; rel="next last"', "https://a.ir/n"),
        ('<https://a.ir/p>; rel="prev"', None),
        ("", None),
        ("garbage without brackets", None),
    ],
)
def test_next_link_reads_rfc_8288(header, expected):
    assert next_link(header) == expected


def test_link_header_pagination_follows_rel_next_until_there_is_none(fault_server, tmp_path):
    def api(conn, request: Request):
        page = int(request.query.get("page", "1"))
        links = [f'<{fault_server.url("/api")}?page=1>; rel="first"']
        if page < 4:
            links.append(f'</api?page={page + 1}>; rel="next"')
        answer(200, {"items": RECORDS[(page - 1) * 2 : page * 2]}, {"Link": ", ".join(links)})(conn, request)

    got = capture(source(fault_server.add("/api", api), {"style": "link"}), tmp_path)
    assert [r.target for r in fault_server.requests] == ["/api", "/api?page=2", "/api?page=3", "/api?page=4"]
    assert ids(got.path) == [r["service_id"] for r in RECORDS]


def test_a_link_header_pointing_back_is_a_loop(fault_server, tmp_path):
    fault_server.add("/api", answer(200, {"items": RECORDS[:1]}, {"Link": '</api?page=2>; rel="next"'}))
    error = failure(source(fault_server.url("/api"), {"style": "link"}), tmp_path)
    assert error.reason == Reason.STRUCTURE and "pagination loop" in error.message and len(fault_server.requests) == 2


def test_a_link_header_to_a_forbidden_address_is_refused(fault_server, tmp_path):
    fault_server.add(
        "/api", answer(200, {"items": RECORDS[:1]}, {"Link": '<http://169.254.169.254/latest>; rel="next"'})
    )
    assert failure(source(fault_server.url("/api"), {"style": "link"}), tmp_path).reason == Reason.DESTINATION_BLOCKED


# --- opaque cursors ------------------------------------------------------------------


def test_cursor_pagination_passes_the_token_back(fault_server, tmp_path):
    tokens = ["", "eyJvIjoyfQ==", "eyJvIjo0fQ==", "eyJvIjo2fQ=="]

    def api(conn, request: Request):
        at = tokens.index(request.query.get("after", ""))
        nxt = tokens[at + 1] if at + 1 < len(tokens) else None
        answer(200, {"items": RECORDS[at * 2 : at * 2 + 2], "meta": {"next_cursor": nxt}})(conn, request)

    got = capture(
        source(fault_server.add("/api", api), {"style": "cursor", "cursor": "meta.next_cursor", "param": "after"}),
        tmp_path,
    )
    assert [r.query.get("after") for r in fault_server.requests] == [None, *tokens[1:]]
    assert ids(got.path) == [r["service_id"] for r in RECORDS]


def test_a_repeating_cursor_is_a_loop_not_an_endless_run(fault_server, tmp_path):
    def api(conn, request: Request):
        cursor = {None: "a", "a": "b", "b": "a"}[request.query.get("cursor")]
        answer(200, {"items": RECORDS[:2], "next": cursor})(conn, request)

    start = time.monotonic()
    error = failure(source(fault_server.add("/api", api), {"style": "cursor", "cursor": "next"}), tmp_path)
    assert error.reason == Reason.STRUCTURE and "cursor it had already given" in error.message
    assert len(fault_server.requests) == 3 and time.monotonic() - start < 2


def test_a_cursor_that_is_not_a_token_is_a_structure_error(fault_server, tmp_path):
    fault_server.add("/api", answer(200, {"items": RECORDS[:2], "next": {"page": 2}}))
    error = failure(source(fault_server.url("/api"), {"style": "cursor", "cursor": "next"}), tmp_path)
    assert error.reason == Reason.STRUCTURE and "not a token" in error.message


# --- totals and bounds ---------------------------------------------------------------


def test_a_total_that_matches_is_fine_and_one_that_does_not_is_held_for_review(fault_server, tmp_path):
    def api(total):
        def behaviour(conn, request: Request):
            page = int(request.query["page"])
            answer(200, {"items": RECORDS[(page - 1) * 3 : page * 3], "total": total})(conn, request)

        return behaviour

    good = capture(
        source(fault_server.add("/good", api(len(RECORDS))), {"style": "page", "size": 3, "total": "total"}),
        tmp_path / "good",
    )
    assert good.review is None
    bad = capture(
        source(fault_server.add("/bad", api(10)), {"style": "page", "size": 3, "total": "total"}), tmp_path / "bad"
    )
    assert bad.review is not None and bad.review[0] == Reason.COUNT_MISMATCH
    assert "announced 10 records" in bad.review[1] and "7 were received" in bad.review[1]


@pytest.mark.parametrize(
    "pagination,what",
    [
        ({"style": "page", "max_records": 5}, "more than 5 records"),
        ({"style": "page", "max_bytes": 500}, "more than 500 bytes"),
        ({"style": "page", "max_pages": 3}, "more than 3 pages"),
    ],
)
def test_an_endless_api_is_stopped_by_each_bound(fault_server, tmp_path, pagination, what):
    fault_server.add("/api", lambda conn, r: answer(200, {"items": RECORDS[:2], "page": r.query["page"]})(conn, r))
    start = time.monotonic()
    error = failure(source(fault_server.url("/api"), pagination), tmp_path)
    assert error.reason == Reason.TOO_LARGE and what in error.message, error.message
    assert len(fault_server.requests) <= 4 and time.monotonic() - start < 2


@pytest.mark.slow
def test_all_pages_share_the_run_deadline(fault_server, tmp_path):
    def slow(conn, request: Request):
        time.sleep(0.3)
        answer(200, {"items": RECORDS[:2]})(conn, request)

    policy = FetchPolicy(deadline_s=1, connect_timeout_s=1, read_timeout_s=1, retries=0, allow_private_networks=True)
    start = time.monotonic()
    error = failure(source(fault_server.add("/api", slow), {"style": "page"}), tmp_path, policy)
    assert error.reason == Reason.DEADLINE_EXCEEDED and time.monotonic() - start < 2
    assert 2 <= len(fault_server.requests) <= 4


def test_a_count_mismatch_ends_the_run_needs_review_and_the_last_good_publication_stays(fault_server, tmp_path):
    total = {"value": len(RECORDS)}

    def api(conn, request: Request):
        page = int(request.query["page"])
        answer(200, {"items": RECORDS[(page - 1) * 4 : page * 4], "count": total["value"]})(conn, request)

    fault_server.add("/api", api)
    reg = registry.load(
        bus_registry(
            tmp_path,
            f"""\
        dataset: services
        kind: jsonapi
        url: {fault_server.url("/api")}
        records: items
        pagination: {{style: page, size: 4, total: count}}
        """,
        )
    )
    data = DataDir(tmp_path / "var")
    assert [r.outcome for r in harvest(reg.agencies, registry=reg, data=data)] == [Outcome.OK]
    publish(list(reg.agencies), registry=reg, data=data)
    before = data.public_db.resolve().read_bytes()
    total["value"] = 12
    runs = harvest(reg.agencies, registry=reg, data=data, force=True)
    assert [(r.outcome, r.reason) for r in runs] == [(Outcome.NEEDS_REVIEW, Reason.COUNT_MISMATCH)]
    assert "announced 12 records" in runs[0].message
    publish(list(reg.agencies), registry=reg, data=data)
    with sqlite3.connect(data.public_db) as conn:
        assert conn.execute("select count(*) from services").fetchone() == (len(RECORDS),)
    assert before  # the first publication was made and its rows stay
