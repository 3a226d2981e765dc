"""Harvest faults end to end: a real loopback server misbehaves, the runner records why, nothing is lost.

Each case first publishes good data for agency ``alpha`` from an ``http``
source, then turns the server bad, harvests and publishes again, and checks
the run's outcome and reason, that the run ended in bounded time, and that
alpha's published rows are exactly what they were ("NL" in docs/reliability.md).
The fetch-level detail of each fault (retries, memory) is in test_fetch.py.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from pathlib import Path

import pytest
from faultserver import (
    chunked_unterminated,
    drip,
    endless,
    gzip_bomb,
    hang,
    http_registry,
    redirect,
    respond,
    sequence,
    stream,
    truncated,
)

from shafaf.config import registry
from shafaf.core.datadir import DataDir
from shafaf.core.models import Outcome
from shafaf.harvest.runner import harvest
from shafaf.publish.writer import publish

pytestmark = pytest.mark.slow  # real misbehaving servers: hangs, drips, retries

DEADLINE_S = 3
GOOD = "service_id,name_fa,name_en\nS1,خدمت یک,One\nS2,خدمت دو,Two\n"
CSV = {"Content-Type": "text/csv; charset=utf-8"}


def write_registry(root: Path, base_url: str, *, agencies: tuple[str, ...] = ("alpha",)) -> Path:
    portal = {
        "allow_private_networks": True,  # the test server is on loopback
        "fetch_deadline_s": DEADLINE_S,
        "fetch_connect_timeout_s": 1,
        "fetch_read_timeout_s": 1,
        "fetch_retries": 1,
        "fetch_max_bytes": 2000000,
        "harvest_concurrency": 4,
    }
    return http_registry(root, base_url, agencies=agencies, portal=portal)


def published_rows(data: DataDir, agency: str) -> list[tuple]:
    with sqlite3.connect(data.public_db) as db:
        return db.execute("SELECT * FROM services WHERE agency_id = ? ORDER BY service_id", (agency,)).fetchall()


@pytest.fixture
def portal(tmp_path, fault_server):
    """alpha published once from good data; returns (registry, data, server)."""
    fault_server.add("/alpha.csv", respond(200, GOOD, CSV))
    reg = registry.load(write_registry(tmp_path, fault_server.base_url))
    data = DataDir(tmp_path / "var")
    assert harvest(reg.agencies, registry=reg, data=data)[0].outcome == Outcome.OK
    assert all(r.ok for r in publish(list(reg.agencies), registry=reg, data=data))
    assert len(published_rows(data, "alpha")) == 2
    return reg, data, fault_server


BOMB_CHUNKS = gzip_bomb(decoded_mb=2048)

FAULTS = {
    # id: (behaviour, expected outcome, expected reason)
    "H1 hang before headers": (hang(), Outcome.FAILED, "timeout"),
    "H2 permanent 500": (respond(500, "boom"), Outcome.FAILED, "http_500"),
    "H2 404 is not retried": (respond(404, "gone"), Outcome.FAILED, "http_404"),
    "H3 truncated body": (truncated(10_000, 5_000, CSV), Outcome.FAILED, "truncated_body"),
    "H3 chunked without end": (chunked_unterminated(headers=CSV), Outcome.FAILED, "truncated_body"),
    "H4 slowloris": (drip(0.3, b"x", CSV), Outcome.FAILED, "deadline_exceeded"),
    "H5 endless body": (stream(endless(), headers=CSV), Outcome.FAILED, "too_large"),
    "H6 gzip bomb": (stream(BOMB_CHUNKS, headers={**CSV, "Content-Encoding": "gzip"}), Outcome.FAILED, "too_large"),
    "H8 HTML with 200": (
        respond(200, "<!DOCTYPE html><html><body>Login</body></html>", {"Content-Type": "text/html"}),
        Outcome.FAILED,
        "unexpected_content_type",
    ),
    "H9 redirect loop": (redirect("/alpha.csv"), Outcome.FAILED, "redirect_loop"),
    "H10 redirect to metadata": (
        redirect("http://169.254.169.254/latest/meta-data/"),
        Outcome.FAILED,
        "destination_blocked",
    ),
    "H11 redirect to file://": (redirect("file:///etc/passwd"), Outcome.FAILED, "scheme_blocked"),
    "H18 empty 200": (respond(200, b"", CSV), Outcome.NEEDS_REVIEW, "suspicious_shrink"),
    "H18 header only": (respond(200, "service_id,name_fa,name_en\n", CSV), Outcome.NEEDS_REVIEW, "suspicious_shrink"),
}


@pytest.mark.parametrize("fault", list(FAULTS))
def test_a_fault_fails_the_run_and_nothing_is_lost(portal, fault):
    reg, data, server = portal
    behaviour, outcome, reason = FAULTS[fault]
    before = published_rows(data, "alpha")
    staged = (data.packages("alpha") / "services.csv").read_bytes()
    server.add("/alpha.csv", behaviour)

    started = time.monotonic()
    run = harvest(reg.agencies, registry=reg, data=data)[0]
    elapsed = time.monotonic() - started

    assert (run.outcome, run.reason) == (outcome, reason), run.message
    assert run.message and run.location.endswith("/alpha.csv")
    assert elapsed < DEADLINE_S + 2.5, f"{fault} took {elapsed:.1f}s"
    assert (data.packages("alpha") / "services.csv").read_bytes() == staged
    publish(list(reg.agencies), registry=reg, data=data)
    assert published_rows(data, "alpha") == before
    with sqlite3.connect(data.public_db) as db:
        last = db.execute(
            "SELECT outcome, reason FROM harvest_runs WHERE agency_id = 'alpha' ORDER BY started DESC, run_id DESC"
        ).fetchone()
    assert last == (str(outcome), reason)


def test_retry_after_then_success_publishes(portal):
    reg, data, server = portal
    server.add(
        "/alpha.csv", sequence(respond(503, "busy", {"Retry-After": "1"}), respond(200, GOOD + "S3,سه,Three\n", CSV))
    )
    run = harvest(reg.agencies, registry=reg, data=data)[0]
    assert run.outcome == Outcome.OK and run.http_status == 200
    publish(list(reg.agencies), registry=reg, data=data)
    assert len(published_rows(data, "alpha")) == 3
    assert server.hits("/alpha.csv") == 3  # the first harvest, then 503 and 200


def test_an_unchanged_source_costs_one_conditional_request(portal):
    reg, data, server = portal

    def etagged(conn, request):
        if request.headers.get("if-none-match") == '"v1"':
            return respond(304, b"", {"ETag": '"v1"'})(conn, request)
        return respond(200, GOOD, {**CSV, "ETag": '"v1"'})(conn, request)

    server.add("/alpha.csv", etagged)
    assert harvest(reg.agencies, registry=reg, data=data, force=True)[0].outcome == Outcome.OK
    run = harvest(reg.agencies, registry=reg, data=data)[0]
    assert run.outcome == Outcome.UNCHANGED and run.http_status == 304 and "304" in run.message
    assert server.requests[-1].headers["if-none-match"] == '"v1"'


def test_a_hung_agency_never_delays_the_others(tmp_path, fault_server):
    """H1 and C5: one agency hangs until its deadline while the others finish at once, concurrently."""
    agencies = ("alpha", "beta", "gamma", "delta")
    fault_server.add("/alpha.csv", hang())
    for a in agencies[1:]:
        fault_server.add(f"/{a}.csv", respond(200, GOOD, CSV))
    reg = registry.load(write_registry(tmp_path, fault_server.base_url, agencies=agencies))
    finished: dict[str, float] = {}
    started = time.monotonic()
    lock = threading.Lock()

    def on_run(run):
        with lock:
            finished[run.agency_id] = time.monotonic() - started

    runs = harvest(reg.agencies, registry=reg, data=DataDir(tmp_path / "var"), on_run=on_run)
    outcomes = {r.agency_id: (r.outcome, r.reason) for r in runs}
    assert outcomes == {"alpha": (Outcome.FAILED, "timeout"), **{a: (Outcome.OK, None) for a in agencies[1:]}}
    assert max(finished[a] for a in agencies[1:]) < 1.5
    assert finished["alpha"] < DEADLINE_S + 2.5


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-16"])
def test_byte_order_marks_never_reach_column_names(portal, encoding):
    """H16: a BOM is read as one, not as part of the first column's name; UTF-16 is decoded."""
    reg, data, server = portal
    body = GOOD.replace("S2", "S9").encode(encoding)  # both codecs write a BOM
    server.add("/alpha.csv", respond(200, body, {"Content-Type": "text/csv"}))
    run = harvest(reg.agencies, registry=reg, data=data)[0]
    assert run.outcome == Outcome.OK, run.message
    publish(list(reg.agencies), registry=reg, data=data)
    with sqlite3.connect(data.public_db) as db:
        current = [
            r[0]
            for r in db.execute(
                "SELECT service_id FROM services WHERE agency_id = 'alpha' AND withdrawn = 0 ORDER BY service_id"
            )
        ]
    assert current == ["S1", "S9"]
    staged = (data.packages("alpha") / "services.csv").read_bytes()
    assert staged.startswith(b"agency_id,service_id")  # no BOM in what is published


def test_the_harvest_command_reports_faults_in_a_table_and_as_json(portal):
    from click.testing import CliRunner

    from shafaf.cli import cli

    reg, data, server = portal
    server.add("/alpha.csv", respond(500, "boom"))
    args = ["harvest", "--registry", str(reg.path), "--data-dir", str(data.root)]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["agency", "dataset", "outcome", "rows", "rejected", "reason"]
    assert lines[1].split() == ["alpha", "services", "failed", "http_500"]
    assert "HTTP 500" in result.output or "500" in result.stderr
    result = CliRunner().invoke(cli, [*args, "--json"])
    record = json.loads(result.stdout)[0]
    assert (record["outcome"], record["reason"], record["http_status"], record["phase"]) == (
        "failed",
        "http_500",
        500,
        "harvest",
    )
    assert record["location"] == server.url("/alpha.csv")
