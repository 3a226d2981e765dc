"""The agency API against a real ``shafaf serve``: only the agency's token may queue a harvest or set a schedule."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner
from conftest import write_registry
from served import served

from shafaf.cli import cli
from shafaf.config import registry
from shafaf.core.datadir import DataDir
from shafaf.datasette_plugins.app import make_datasette
from shafaf.harvest.runner import harvest
from shafaf.publish.writer import publish
from shafaf.state.store import StateStore

PORTAL_SETTINGS = "portal:\n  harvest_requests_per_hour: 3\n"


def _registry(root: Path) -> Path:
    path = write_registry(root)
    path.write_text(path.read_text(encoding="utf-8").replace("portal:\n", PORTAL_SETTINGS, 1), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def portal(tmp_path_factory) -> Iterator[tuple[str, Path, DataDir]]:
    root = tmp_path_factory.mktemp("portal")
    registry_path = _registry(root / "src")
    reg = registry.load(registry_path)
    data = DataDir(root / "var")
    harvest(reg.agencies, registry=reg, data=data)
    publish(reg.agencies, registry=reg, data=data)
    with served(registry_path, data.root, root / "serve.log") as base:
        yield base, registry_path, data


def shafaf(portal, *args: str) -> str:
    _, registry_path, data = portal
    result = CliRunner().invoke(
        cli, [*args, "--registry", str(registry_path), "--data-dir", str(data.root)], catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    return result.stdout


def requests_of(data: DataDir, agency_id: str) -> int:
    with sqlite3.connect(data.state_db) as db:
        return db.execute("select count(*) from harvest_requests where agency_id = ?", (agency_id,)).fetchone()[0]


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_the_public_can_neither_trigger_a_harvest_nor_change_a_schedule(portal):
    base, _, data = portal
    before = StateStore(data.state_db).runs()
    refused = httpx.post(f"{base}/-/agencies/alpha/harvest")
    assert refused.status_code == 401 and refused.headers["www-authenticate"].startswith("Bearer")
    assert refused.json()["ok"] is False
    assert (
        httpx.post(f"{base}/-/agencies/alpha/harvest", headers=bearer("shafaf_0123456789ab_" + "x" * 43)).status_code
        == 401
    )
    assert (
        httpx.post(f"{base}/-/agencies/alpha/harvest", headers={"Authorization": "Basic YWxwaGE6eA=="}).status_code
        == 401
    )
    assert httpx.post(f"{base}/-/agencies/alpha/harvest", headers={"Cookie": "ds_actor=x"}).status_code == 401
    assert (
        httpx.put(f"{base}/-/agencies/alpha/schedule", json={"source": "services", "schedule": "* * * * *"}).status_code
        == 401
    )
    looked = httpx.get(f"{base}/-/agencies/alpha/harvest")
    assert looked.status_code == 405 and looked.headers["allow"] == "POST"
    assert httpx.post(f"{base}/-/agencies/gamma/harvest").status_code == 404
    assert requests_of(data, "alpha") == 0
    assert StateStore(data.state_db).runs() == before
    assert {row["from"] for row in json.loads(shafaf(portal, "schedule", "show", "alpha", "--json"))} == {"registry"}


def test_token_create_use_and_revoke_against_the_served_portal(portal):
    base, registry_path, data = portal
    token = shafaf(portal, "token", "create", "alpha").strip()
    # Another agency's URL with alpha's token: 403, nothing queued for beta.
    assert httpx.post(f"{base}/-/agencies/beta/harvest", headers=bearer(token)).status_code == 403
    assert requests_of(data, "beta") == 0
    # With a cookie as a browser would send, the Bearer call is still not stopped by CSRF protection.
    queued = httpx.post(
        f"{base}/-/agencies/alpha/harvest",
        headers={**bearer(token), "Cookie": "ds_csrftoken=abc"},
        json={"source": "services"},
    )
    assert queued.status_code == 202, queued.text
    run_id = queued.json()["run_id"]
    assert queued.json()["run_ids"] == {"services": run_id}
    assert {r["run_id"]: r["outcome"] for r in StateStore(data.state_db).runs("alpha")}[run_id] == "queued"
    page = httpx.get(f"{base}/agencies/alpha?lang=en").text
    assert "waiting for the scheduler" in page

    services = registry_path.parent / "files" / "alpha_services.csv"  # the agency fixed its file
    services.write_text(
        services.read_text(encoding="utf-8") + "S4,خدمت نو,New,citizens,true,,N,خیر,no,1,0,,2026-11-01\n",
        encoding="utf-8",
    )
    assert run_id in shafaf(portal, "harvest", "--due", "--json")  # what cron runs: picks the request up
    (run,) = [r for r in StateStore(data.state_db).runs("alpha") if r["run_id"] == run_id]
    assert run["outcome"] == "ok"
    listed = httpx.get(f"{base}/shafaf/harvest_runs.json", params={"run_id": run_id, "_shape": "array"})
    assert [(r["run_id"], r["outcome"]) for r in listed.json()] == [(run_id, "ok")]  # published, in the run history
    assert "waiting for the scheduler" not in httpx.get(f"{base}/agencies/alpha?lang=en").text

    token_id = json.loads(shafaf(portal, "token", "list", "alpha", "--json"))[0]["token_id"]
    shafaf(portal, "token", "revoke", token_id)
    assert httpx.post(f"{base}/-/agencies/alpha/harvest", headers=bearer(token)).status_code == 401


def test_the_agency_sets_its_schedule_and_its_page_shows_it(portal):
    base, _, data = portal
    token = shafaf(portal, "token", "create", "alpha").strip()
    url = f"{base}/-/agencies/alpha/schedule"
    bad = httpx.put(url, headers=bearer(token), json={"source": "services", "schedule": {"jalali_day": 40}})
    assert bad.status_code == 400 and "jalali_day" in bad.json()["error"]
    assert httpx.put(url, headers=bearer(token), json={"source": "nope", "schedule": "0 2 * * *"}).status_code == 400
    assert httpx.put(url, headers=bearer(token), content=b"{not json").status_code == 400
    assert httpx.put(url, headers=bearer(token), content=b"x" * 20_000).status_code == 413
    assert httpx.post(url, headers=bearer(token)).status_code == 405
    good = httpx.put(
        url,
        headers=bearer(token),
        json={"source": "services", "schedule": {"jalali_day": 5, "at": "02:00", "working_days": True}},
    )
    assert good.status_code == 200, good.text
    assert good.json()["schedule"] == {"jalali_day": 5, "at": "02:00", "working_days": True}
    next_run = dt.datetime.fromisoformat(good.json()["next_run"].replace("Z", "+00:00"))
    assert next_run > dt.datetime.now(dt.UTC)
    page = httpx.get(f"{base}/agencies/alpha?lang=en").text
    assert "day 5 of each Jalali month at 02:00" in page and "set by the agency" in page
    assert "Next harvest" in page
    shown = json.loads(shafaf(portal, "schedule", "show", "alpha", "--json"))
    assert shown[0]["from"] == "override" and shown[0]["next_run"] == good.json()["next_run"]
    shafaf(portal, "schedule", "reset", "alpha", "services")
    assert json.loads(shafaf(portal, "schedule", "show", "alpha", "--json"))[0]["schedule"] == "0 2 * * *"


def test_harvest_requests_are_rate_limited_per_agency(portal):
    base, _, data = portal
    token = shafaf(portal, "token", "create", "beta").strip()
    answers = [httpx.post(f"{base}/-/agencies/beta/harvest", headers=bearer(token)) for _ in range(4)]
    assert [a.status_code for a in answers] == [202, 202, 202, 429]
    assert int(answers[-1].headers["retry-after"]) > 0
    assert requests_of(data, "beta") == 3


# --- staleness on the pages (in-process)


def test_a_stale_agency_is_marked_on_its_page_and_in_the_league_table(tmp_path):
    registry_path = write_registry(tmp_path / "src")
    text = registry_path.read_text(encoding="utf-8").replace("portal:\n", "portal:\n  stale_after_missed_runs: 1\n", 1)
    registry_path.write_text(text.replace('schedule: "0 2 * * *"', 'schedule: "0 * * * *"'), encoding="utf-8")
    reg = registry.load(registry_path)
    data = DataDir(tmp_path / "var")
    harvest(reg.agencies, registry=reg, data=data)
    publish(reg.agencies, registry=reg, data=data)
    # alpha's scheduled source last succeeded two days ago (an hourly schedule allows one missed run here).
    with StateStore(data.state_db).connect() as conn:
        conn.execute("UPDATE runs SET started = '2026-01-01T00:00:00Z' WHERE agency_id = 'alpha'")
    ds = make_datasette(data.public_db, reg.portal, registry_path=registry_path)

    async def pages() -> tuple[str, ...]:
        paths = (
            "/agencies/alpha?lang=en",
            "/agencies/beta?lang=en",
            "/?lang=en",
            "/agencies/alpha/feed.atom",
            "/agencies/beta/feed.atom",
            "/feed.atom",
        )
        return tuple([(await ds.client.get(path)).text for path in paths])

    alpha, beta, home, alpha_feed, beta_feed, portal_feed = asyncio.run(pages())
    for feed in (alpha_feed, portal_feed):  # once per stale spell: the id names the last publication
        assert feed.count("data is stale</title>") == 1 and 'term="stale"' in feed and "#stale-20" in feed
    assert "data is stale" not in beta_feed
    assert "Stale: this agency" in alpha
    assert "Stale: this agency" not in beta  # beta has no schedule: it cannot be late
    league = home[home.index('id="league"') :]
    row = league[league.index("Alpha Organization") :][:300]
    assert "status stale" in row
    assert "status stale" not in league[league.index("Beta Organization") :][:300]
