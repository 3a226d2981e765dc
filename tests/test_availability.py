"""Sources' availability from their run history, in public view: the table, the pages, the feed, the webhook (issue 23)."""

from __future__ import annotations

import datetime as dt
import sqlite3
import textwrap

import feedparser
import pytest
from faultserver import respond
from harvestable_portal import datasette_for, get

from shafaf.config import registry
from shafaf.config.registry import Agency, Source
from shafaf.core.datadir import DataDir
from shafaf.core.models import Outcome, Phase
from shafaf.harvest.runner import harvest
from shafaf.publish.availability import percentile, rows_for
from shafaf.publish.writer import publish
from shafaf.schedule import webhook
from shafaf.state.store import Run, StateStore

NOW = dt.datetime(2026, 12, 1, 12, 0, tzinfo=dt.UTC)
AGENCY = Agency(
    id="alpha",
    name_fa="الف",
    name_en="Alpha",
    sources=(
        Source(
            id="gsb",
            dataset="services",
            kind="jsonapi",
            agency_id="alpha",
            url="https://gsb.example.ir/api?apikey=s3cret",
        ),
        Source(id="fresh", dataset="targets", kind="http", agency_id="alpha", url="https://alpha.example.ir/t.csv"),
    ),
)


def stored(
    state: StateStore,
    n: int,
    days_ago: float,
    outcome: Outcome,
    *,
    phase: Phase = Phase.HARVEST,
    fetch_ms: int | None = 100,
    reason: str | None = None,
    source: str = "gsb",
) -> None:
    started = (NOW - dt.timedelta(days=days_ago)).strftime("%Y-%m-%dT%H:%M:%SZ")
    state.save(
        Run(
            run_id=f"r{n:03d}",
            agency_id="alpha",
            source_id=source,
            dataset="services",
            kind="jsonapi",
            location="https://gsb.example.ir/api",
            started=started,
            finished=started,
            outcome=outcome,
            phase=phase,
            reason=reason,
            message=f"run {n}",
            fetch_ms=fetch_ms,
        )
    )


@pytest.mark.parametrize(
    "values,share,expected",
    [
        ([], 0.95, None),
        ([7], 0.95, 7),
        ([1, 2, 3, 4], 0.5, 2),
        (list(range(1, 21)), 0.95, 19),
        (list(range(1, 101)), 0.95, 95),
        ([1, 2], 0.95, 2),
    ],
)
def test_percentile_is_the_nearest_rank(values, share, expected):
    assert percentile(values, share) == expected


def test_shares_times_and_the_failure_streak_from_the_run_history(tmp_path):
    state = StateStore(tmp_path / "state.db")
    n = iter(range(1000))
    stored(state, next(n), 120, Outcome.FAILED, reason="timeout")  # older than 90 days: only in "last failure" terms
    for days, ms in ((80, 4000), (60, 3000), (40, 2000)):
        stored(state, next(n), days, Outcome.OK, fetch_ms=ms)
    stored(state, next(n), 35, Outcome.FAILED, phase=Phase.VALIDATE, fetch_ms=900, reason="missing_column")  # fetched
    for days, ms in ((20, 100), (15, 200), (12, 300), (10, 400)):
        stored(state, next(n), days, Outcome.UNCHANGED, fetch_ms=ms)
    stored(state, next(n), 9, Outcome.SKIPPED, fetch_ms=None, reason="already_running")  # not counted
    stored(state, next(n), 8, Outcome.ABORTED, fetch_ms=None, reason="lease_expired")  # not counted
    stored(state, next(n), 5, Outcome.FAILED, fetch_ms=5000, reason="http_503")
    stored(state, next(n), 2, Outcome.FAILED, fetch_ms=30000, reason="tls_error")
    gsb, fresh = rows_for(AGENCY, state, now=NOW)
    assert gsb["location"] == "https://gsb.example.ir/api?apikey=REDACTED"
    assert (gsb["runs_30d"], gsb["fetched_30d"]) == (6, 4) and gsb["success_share_30d"] == pytest.approx(4 / 6)
    assert (gsb["runs_90d"], gsb["fetched_90d"]) == (10, 8) and gsb["success_share_90d"] == pytest.approx(0.8)
    assert (gsb["median_fetch_ms_30d"], gsb["p95_fetch_ms_30d"]) == (250, 400)  # failed fetches' times left out
    assert (gsb["median_fetch_ms_90d"], gsb["p95_fetch_ms_90d"]) == (650, 4000)
    assert gsb["status"] == "failing" and gsb["consecutive_failures"] == 2
    assert gsb["failing_since"] == "2026-11-26T12:00:00Z" and gsb["recovered"] is None
    assert (gsb["last_failure"], gsb["last_failure_reason"], gsb["last_failure_message"]) == (
        "2026-11-29T12:00:00Z",
        "tls_error",
        "run 12",
    )
    assert gsb["last_success"] == "2026-11-21T12:00:00Z"
    assert fresh["status"] == "unknown" and fresh["runs_30d"] == 0 and fresh["success_share_30d"] is None
    stored(state, 99, 1, Outcome.OK, fetch_ms=150)
    stored(state, 100, 0.5, Outcome.OK, fetch_ms=150)
    gsb, _ = rows_for(AGENCY, state, now=NOW)
    assert gsb["status"] == "up" and gsb["consecutive_failures"] == 0 and gsb["failing_since"] is None
    assert gsb["recovered"] == "2026-11-30T12:00:00Z" and gsb["last_failure_reason"] == "tls_error"


def test_the_webhook_announces_a_source_that_starts_failing_and_one_that_recovers(tmp_path):
    state = StateStore(tmp_path / "state.db")

    def run(n: int, days: float, outcome: Outcome) -> list[dict]:
        stored(state, n, days, outcome, reason=None if outcome == Outcome.OK else "http_503")
        saved = [r for r in state.runs("alpha") if r["run_id"] == f"r{n:03d}"][0]
        events = webhook.messages([Run(**saved)], {}, state)
        return [e["event"] for e in events]

    assert run(1, 5, Outcome.OK) == []
    assert run(2, 4, Outcome.FAILED) == ["run_failed", "source_failing"]
    assert run(3, 3, Outcome.FAILED) == ["run_failed"]  # still failing: announced once
    assert run(4, 2, Outcome.OK) == ["source_recovered"]
    assert run(5, 1, Outcome.OK) == []
    assert run(6, 0.5, Outcome.FAILED) == ["run_failed", "source_failing"]


# --- end to end: a real API going down and coming back, the pages and the feed ----------------------


@pytest.fixture
def portal(fault_server, tmp_path):
    good = respond(
        200, b'[{"service_id": "S1", "name_fa": "\xd8\xae", "name_en": "One"}]', {"Content-Type": "application/json"}
    )
    fault_server.add("/api", good)
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
              - id: gsb
                dataset: services
                kind: jsonapi
                url: {fault_server.url("/api")}
                auth: {{api_key: {{query: apikey, value: "${{GSB_KEY}}"}}}}
        """),
        encoding="utf-8",
    )
    return fault_server, registry.load(path), DataDir(tmp_path / "var"), good


def test_a_failing_endpoint_is_shown_ranked_and_announced_then_its_recovery(portal, monkeypatch):
    server, reg, data, good = portal
    monkeypatch.setenv("GSB_KEY", "k-9f8e7d")
    assert [r.outcome for r in harvest(reg.agencies, registry=reg, data=data)] == [Outcome.OK]
    server.add("/api", respond(503, b"down", {"Content-Type": "text/plain"}))
    for _ in range(2):
        runs = harvest(reg.agencies, registry=reg, data=data, force=True)
        assert [(r.outcome, r.reason) for r in runs] == [(Outcome.FAILED, "http_503")]
        assert runs[0].fetch_ms is not None and runs[0].fetch_ms < 3000
    publish(list(reg.agencies), registry=reg, data=data)
    with sqlite3.connect(data.public_db) as conn:
        conn.row_factory = sqlite3.Row
        row = dict(conn.execute("select * from source_availability").fetchone())
    assert (row["status"], row["consecutive_failures"], row["last_failure_reason"]) == ("failing", 2, "http_503")
    assert row["success_share_30d"] == pytest.approx(1 / 3)
    ds = datasette_for(reg, data)
    for lang in ("fa", "en"):
        page = get(ds, f"/availability?lang={lang}")
        assert page.status_code == 200 and "http_503" in page.text and 'href="/agencies/alpha' in page.text
        assert "k-9f8e7d" not in page.text
    assert ">۳۳٫۳٪<" in get(ds, "/availability?lang=fa").text and ">33.3%<" in get(ds, "/availability?lang=en").text
    agency = get(ds, "/agencies/alpha?lang=en")
    assert agency.status_code == 200 and "Availability of its sources" in agency.text and "http_503" in agency.text
    feed = feedparser.parse(get(ds, "/feed.atom").content)
    failing = [e for e in feed.entries if e.tags[0].term == "source_failing"]
    assert len(failing) == 1 and "gsb" in failing[0].title and "is failing (http_503)" in failing[0].title
    assert [e.tags[0].term for e in feedparser.parse(get(ds, "/agencies/alpha/feed.atom").content).entries].count(
        "source_failing"
    ) == 1

    server.add("/api", good)
    assert [r.outcome for r in harvest(reg.agencies, registry=reg, data=data, force=True)] == [Outcome.OK]
    publish(list(reg.agencies), registry=reg, data=data)
    ds = datasette_for(reg, data)
    feed = feedparser.parse(get(ds, "/feed.atom").content)
    terms = [e.tags[0].term for e in feed.entries]
    assert "source_recovered" in terms and "source_failing" not in terms
    for folder in (data.root,):
        for path in folder.rglob("*"):
            if path.is_file():
                assert b"k-9f8e7d" not in path.read_bytes(), path


def test_a_database_without_the_table_still_serves_the_pages(tmp_path):
    from harvestable_portal import build

    _, reg, data = build(tmp_path)
    with sqlite3.connect(data.public_db.resolve()) as conn:
        conn.execute("drop table source_availability")
    ds = datasette_for(reg, data)
    assert get(ds, "/availability").status_code == 200
    assert get(ds, "/agencies/alpha").status_code == 200 and get(ds, "/feed.atom").status_code == 200


def test_the_scheduler_publishes_a_source_that_starts_failing_and_one_that_recovers(
    tmp_path, fault_server, monkeypatch
):
    from faultserver import http_registry

    from shafaf.schedule.scheduler import run_due
    from shafaf.state import store as state_mod

    good = respond(200, "service_id,name_fa,name_en\nS1,خدمت یک,One\n", {"Content-Type": "text/csv"})
    fault_server.add("/alpha.csv", good)
    portal = {"allow_private_networks": True, "fetch_deadline_s": 3, "fetch_read_timeout_s": 1, "fetch_retries": 0}
    reg = registry.load(
        http_registry(
            tmp_path / "src", fault_server.base_url, agencies=("alpha",), portal=portal, schedule='"0 * * * *"'
        )
    )
    data = DataDir(tmp_path / "var")
    hours = iter(range(1000))
    real = state_mod.wall_clock

    def run_next_hour():  # each pass an hour after the last: one slot due
        offset = dt.timedelta(hours=next(hours))
        monkeypatch.setattr(state_mod, "wall_clock", lambda: real() + offset)
        return run_due(reg, data, now=real() + offset)

    def status() -> str:
        with sqlite3.connect(data.public_db) as conn:
            return conn.execute("select status from source_availability").fetchone()[0]

    assert run_next_hour().published == ["alpha"] and status() == "up"
    fault_server.add("/alpha.csv", respond(503, b"down", {"Content-Type": "text/plain"}))
    first = run_next_hour()
    assert (
        [r.outcome for r in first.runs] == [Outcome.FAILED] and first.published == ["alpha"] and status() == "failing"
    )
    again = run_next_hour()
    assert [r.outcome for r in again.runs] == [Outcome.FAILED] and again.published == []  # no change: no new version
    fault_server.add("/alpha.csv", good)
    back = run_next_hour()
    assert [r.outcome for r in back.runs] == [Outcome.UNCHANGED]  # the same bytes: no new data, but news
    assert back.published == ["alpha"] and status() == "up"
