"""The agency's data officer's console: token sign-in into Datasette's actor, CSRF-checked actions, run history.

A real published portal (in-process Datasette with its state.db), real
tokens, real cookies signed by Datasette; the queued harvest is then run by
the real scheduler path (``shafaf harvest --due``) and published, and the
public run history says who asked.
"""

from __future__ import annotations

import asyncio
import json
import re
import sqlite3
import statistics
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner
from conftest import write_registry

from shafaf.cli import cli
from shafaf.config import registry
from shafaf.core.datadir import DataDir
from shafaf.datasette_plugins.app import make_datasette
from shafaf.datasette_plugins.pages import console_session
from shafaf.datasette_plugins.pages import console_sign_in as console_page
from shafaf.harvest.runner import harvest
from shafaf.publish.writer import publish
from shafaf.state import tokens
from shafaf.state.store import StateStore

CONSOLE = "/agencies/alpha/console"


@pytest.fixture(scope="module")
def portal(tmp_path_factory) -> Iterator[dict[str, Any]]:
    root = tmp_path_factory.mktemp("console")
    path = write_registry(root / "src")
    reg = registry.load(path)
    data = DataDir(root / "var")
    harvest(reg.agencies, registry=reg, data=data)
    publish(list(reg.agencies), registry=reg, data=data)
    ds = make_datasette(data.public_db, reg.portal, registry_path=path)
    state = StateStore(data.state_db)
    alpha, _ = tokens.create(state, "alpha", note="console test")
    beta, _ = tokens.create(state, "beta")
    yield {"ds": ds, "data": data, "registry": path, "state": state, "alpha": alpha, "beta": beta}


@pytest.fixture(autouse=True)
def fresh_limits(portal) -> None:
    console_page._windows.pop(id(portal["ds"]), None)


def get(ds: Any, path: str, cookies: dict[str, str] | None = None) -> httpx.Response:
    return asyncio.run(ds.client.get(path, cookies=cookies or {}))


def form_token(ds: Any, cookies: dict[str, str] | None = None) -> tuple[str, str]:
    """The CSRF cookie and the form's token, as a browser gets them from the page."""
    page = get(ds, f"{CONSOLE}?lang=en", cookies)
    token = re.search(r'name="csrftoken" value="([^"]+)"', page.text)[1]
    return page.cookies.get("ds_csrftoken") or (cookies or {}).get("ds_csrftoken", ""), token


def send(
    ds: Any, fields: dict[str, str], cookies: dict[str, str] | None = None, *, csrf: bool = True
) -> httpx.Response:
    jar = dict(cookies or {})
    if csrf:
        cookie, token = form_token(ds, jar)
        jar["ds_csrftoken"] = cookie
        fields = {"csrftoken": token, **fields}
    return asyncio.run(ds.client.post(f"{CONSOLE}?lang=en", data=fields, cookies=jar))


def sign_in(portal: dict[str, Any], token: str | None = None) -> dict[str, str]:
    answer = send(portal["ds"], {"action": "sign-in", "token": token or portal["alpha"]})
    assert answer.status_code == 303, answer.text
    return {console_session.COOKIE: answer.cookies[console_session.COOKIE]}


def state_rows(portal: dict[str, Any], sql: str, *params: Any) -> list[tuple]:
    with sqlite3.connect(portal["data"].state_db) as db:
        return db.execute(sql, params).fetchall()


def test_signed_out_the_console_is_a_token_form(portal):
    page = get(portal["ds"], f"{CONSOLE}?lang=en")
    assert page.status_code == 200
    assert 'type="password"' in page.text and 'name="csrftoken"' in page.text and "<script" not in page.text
    assert "Harvest this source now" not in page.text
    assert get(portal["ds"], "/agencies/nope/console").status_code == 404
    assert "میز کار مسئول داده" in get(portal["ds"], CONSOLE).text


def test_signing_in_sets_a_strict_httponly_cookie_that_never_holds_the_token(portal):
    answer = send(portal["ds"], {"action": "sign-in", "token": portal["alpha"]})
    assert answer.status_code == 303 and answer.headers["location"].endswith(
        "/agencies/alpha/console?lang=en&done=signed-in"
    )
    cookie = next(v for k, v in answer.headers.multi_items() if k == "set-cookie" and v.startswith("shafaf_console="))
    assert "HttpOnly" in cookie and "samesite=strict" in cookie.lower() and "Path=/agencies/alpha/console" in cookie
    secret = portal["alpha"].rsplit("_", 1)[1]
    assert secret not in cookie and secret not in answer.headers["location"]
    page = get(
        portal["ds"], f"{CONSOLE}?lang=en&done=signed-in", {console_session.COOKIE: answer.cookies["shafaf_console"]}
    )
    assert "You are signed in." in page.text and "Harvest this source now" in page.text
    assert "alpha_services.csv" in page.text and "/files/" not in page.text  # a file by its name, never its path
    assert 'href="/agencies/alpha/feed.atom"' in page.text
    assert secret not in page.text


def test_another_agencys_token_is_refused_like_an_unknown_one_and_in_the_same_time(portal):
    ds = portal["ds"]
    unknown = "shafaf_0123456789ab_" + "A" * 43
    for token in (portal["beta"], unknown, "not a token", ""):
        refused = send(ds, {"action": "sign-in", "token": token})
        assert refused.status_code == 403 and "does not open this agency" in refused.text
        assert console_session.COOKIE not in refused.cookies
        console_page._windows.pop(id(ds), None)
    state = portal["state"]
    timings: dict[str, list[float]] = {"other": [], "unknown": []}
    for _ in range(60):
        for name, token in (("other", portal["beta"]), ("unknown", unknown)):
            started = time.perf_counter()
            assert tokens.verify_for(state, token, "alpha") is None
            timings[name].append(time.perf_counter() - started)
    other, unknown_s = statistics.median(timings["other"]), statistics.median(timings["unknown"])
    assert abs(other - unknown_s) < 0.25 * max(other, unknown_s) + 0.0005, (other, unknown_s)


def test_sign_ins_are_rate_limited_per_client(portal):
    ds = portal["ds"]
    codes = [
        send(ds, {"action": "sign-in", "token": "wrong"}).status_code
        for _ in range(console_page.SIGN_INS_PER_CLIENT + 1)
    ]
    assert codes == [403] * console_page.SIGN_INS_PER_CLIENT + [429]
    limited = send(ds, {"action": "sign-in", "token": portal["alpha"]})
    assert limited.status_code == 429 and int(limited.headers["retry-after"]) > 0  # even the right token waits


def test_harvest_now_is_queued_by_the_api_path_and_the_run_history_says_who_asked(portal):
    cookies = sign_in(portal)
    before = state_rows(portal, "select count(*) from harvest_requests")[0][0]
    answer = send(portal["ds"], {"action": "harvest", "source": "services"}, cookies)
    assert answer.status_code == 303 and answer.headers["location"].endswith("done=harvest")
    requests = state_rows(portal, "select source_id, token_id, run_ids from harvest_requests order by requested desc")
    assert len(requests) == before + 1
    source, token_id, run_ids = requests[0]
    assert source == "services" and portal["alpha"].split("_")[1] == token_id
    run_id = json.loads(run_ids)["services"]
    queued = state_rows(portal, "select outcome, message from runs where run_id = ?", run_id)[0]
    assert queued[0] == "queued" and "asked for by the agency through its console" in queued[1]
    page = get(portal["ds"], f"{CONSOLE}?lang=en", cookies)
    assert "Waiting for the scheduler" in page.text

    services = portal["registry"].parent / "files" / "alpha_services.csv"  # a new file: the run publishes
    services.write_text(
        services.read_text(encoding="utf-8")
        + "S4,پرداخت,Payment,citizens,true,true,true,true,true,1,0,https://alpha.example.ir/s4,2026-11-01\n",
        encoding="utf-8",
    )
    args = ["--registry", str(portal["registry"]), "--data-dir", str(portal["data"].root)]
    ran = CliRunner().invoke(cli, ["harvest", "--due", *args], catch_exceptions=False)
    assert ran.exit_code in (0, 1), ran.output
    with sqlite3.connect(portal["data"].public_db) as db:
        published = db.execute("select outcome, message from harvest_runs where run_id = ?", (run_id,)).fetchone()
    assert published is not None, (
        ran.output,
        state_rows(portal, "select outcome, message from runs where run_id = ?", run_id),
    )
    assert published[1].startswith("asked for by the agency through its console"), published


def test_a_schedule_is_previewed_then_saved_with_the_apis_validation(portal):
    ds, cookies = portal["ds"], sign_in(portal)
    rule = {"action": "schedule", "source": "services", "rule_kind": "jalali", "jalali_day": "۵", "at": "03:30"}
    preview = send(ds, {**rule, "step": "preview"}, cookies)
    assert preview.status_code == 200 and preview.text.count("<li><time") == 5 and "Save this schedule" in preview.text
    assert state_rows(portal, "select count(*) from schedule_overrides where agency_id = 'alpha'") == [(0,)]
    often = send(
        ds,
        {"action": "schedule", "source": "services", "rule_kind": "cron", "cron": "* * * * *", "step": "save"},
        cookies,
    )
    assert often.status_code == 400 and "cannot be used" in often.text
    assert send(ds, {**rule, "source": "nope", "step": "save"}, cookies).status_code == 400
    assert state_rows(portal, "select count(*) from schedule_overrides where agency_id = 'alpha'") == [(0,)]
    saved = send(ds, {**rule, "step": "save"}, cookies)
    assert saved.status_code == 303
    stored = state_rows(portal, "select rule, set_by from schedule_overrides where agency_id = 'alpha'")
    assert json.loads(stored[0][0]) == {"jalali_day": 5, "at": "03:30"}
    assert stored[0][1].startswith("the agency through its console (token ")
    assert "set by the agency" in get(ds, f"{CONSOLE}?lang=en", cookies).text
    assert send(ds, {"action": "reset", "source": "services"}, cookies).status_code == 303
    assert state_rows(portal, "select count(*) from schedule_overrides where agency_id = 'alpha'") == [(0,)]


def test_forged_cross_site_posts_change_nothing(portal):
    ds, cookies = portal["ds"], sign_in(portal)
    before = state_rows(portal, "select count(*) from harvest_requests")
    # Another site's form: the browser sends the Strict cookie with none of it, and nothing is signed in.
    assert send(ds, {"action": "harvest"}, csrf=False).status_code == 403
    # A request that somehow carries the session but not the page's token: asgi-csrf refuses it.
    assert send(ds, {"action": "harvest"}, cookies, csrf=False).status_code == 403
    jar = {**cookies, "ds_csrftoken": form_token(ds, cookies)[0]}
    forged = asyncio.run(ds.client.post(CONSOLE, data={"action": "harvest", "csrftoken": "forged"}, cookies=jar))
    assert forged.status_code == 403
    assert state_rows(portal, "select count(*) from harvest_requests") == before


def test_sign_out_ends_the_session_even_for_a_copied_cookie(portal):
    ds = portal["ds"]
    cookies = sign_in(portal)
    copied = dict(cookies)
    out = send(ds, {"action": "sign-out"}, cookies)
    assert (
        out.status_code == 303
        and 'shafaf_console=""' in out.headers["set-cookie"]
        or "Max-Age=0" in out.headers["set-cookie"]
    )
    assert "Harvest this source now" not in get(ds, f"{CONSOLE}?lang=en", copied).text  # replayed: signed out
    assert send(ds, {"action": "harvest"}, copied).status_code == 403
    assert "Harvest this source now" in get(ds, f"{CONSOLE}?lang=en", sign_in(portal)).text  # a new sign-in stands


def test_revoking_the_token_ends_its_sessions(portal):
    state = portal["state"]
    token, info = tokens.create(state, "alpha", note="to revoke")
    cookies = sign_in(portal, token)
    assert "Harvest this source now" in get(portal["ds"], f"{CONSOLE}?lang=en", cookies).text
    tokens.revoke(state, info.token_id)
    assert "Harvest this source now" not in get(portal["ds"], f"{CONSOLE}?lang=en", cookies).text
    assert send(portal["ds"], {"action": "harvest"}, cookies).status_code == 403


def test_forged_expired_and_other_agencies_cookies_are_not_sessions(portal):
    ds = portal["ds"]
    token_id = portal["alpha"].split("_")[1]
    now = tokens.instant()
    forged = {console_session.COOKIE: "eyJhZ2VuY3kiOiJhbHBoYSJ9.forged"}
    expired = {
        console_session.COOKIE: ds.sign(
            {"agency": "alpha", "token": token_id, "at": now, "exp": int(time.time()) - 1}, console_session.NAMESPACE
        )
    }
    beta_token = portal["beta"].split("_")[1]
    beta = {
        console_session.COOKIE: ds.sign(
            {"agency": "beta", "token": beta_token, "at": now, "exp": int(time.time()) + 60}, console_session.NAMESPACE
        )
    }
    lying = {
        console_session.COOKIE: ds.sign(
            {"agency": "alpha", "token": beta_token, "at": now, "exp": int(time.time()) + 60}, console_session.NAMESPACE
        )
    }
    for jar in (forged, expired, beta, lying):
        assert "Harvest this source now" not in get(ds, f"{CONSOLE}?lang=en", jar).text
        assert send(ds, {"action": "harvest"}, jar).status_code == 403
    assert "Harvest this source now" in get(ds, "/agencies/beta/console?lang=en", beta).text  # beta's own console


def test_the_console_in_persian(portal):
    page = get(portal["ds"], CONSOLE, sign_in(portal))
    assert 'dir="rtl"' in page.text and "برداشت این منبع هم‌اکنون" in page.text and "آخرین برداشت‌ها" in page.text


def test_accepting_a_held_shrink_is_refused_unless_the_portal_allows_it(portal):
    cookies = sign_in(portal)
    before = state_rows(portal, "select count(*) from harvest_requests")
    refused = send(portal["ds"], {"action": "accept-shrink", "source": "services"}, cookies)
    assert refused.status_code == 403 and "only the operator" in refused.text
    assert state_rows(portal, "select count(*) from harvest_requests") == before


def test_an_officer_accepts_a_held_shrink_when_the_portal_allows_it(tmp_path):
    path = write_registry(tmp_path / "src")
    path.write_text(
        path.read_text(encoding="utf-8").replace("portal:\n", "portal:\n  agencies_may_accept_shrink: true\n", 1),
        encoding="utf-8",
    )
    reg = registry.load(path)
    assert reg.portal.agencies_may_accept_shrink is True
    data = DataDir(tmp_path / "var")
    harvest(reg.agencies, registry=reg, data=data)
    publish(list(reg.agencies), registry=reg, data=data)
    services = path.parent / "files" / "alpha_services.csv"
    services.write_text("\n".join(services.read_text(encoding="utf-8").splitlines()[:2]) + "\n", encoding="utf-8")
    held = harvest([reg.agency("alpha")], registry=reg, data=data)
    assert any(r.outcome == "needs_review" and r.reason == "suspicious_shrink" for r in held)
    state = StateStore(data.state_db)
    token, _ = tokens.create(state, "alpha")
    here = {
        "ds": make_datasette(data.public_db, reg.portal, registry_path=path),
        "alpha": token,
        "data": data,
        "registry": path,
        "state": state,
    }
    cookies = sign_in(here, token)
    page = get(here["ds"], f"{CONSOLE}?lang=en", cookies)
    assert "The last file was held" in page.text and "The smaller file is right" in page.text
    assert send(here["ds"], {"action": "accept-shrink", "source": "beta"}, cookies).status_code == 400
    assert send(here["ds"], {"action": "accept-shrink", "source": "services"}, cookies).status_code == 303
    queued = state_rows(here, "select message from runs where outcome = 'queued'")
    assert len(queued) == 1 and "accepting a file with far fewer rows" in queued[0][0]
    ran = CliRunner().invoke(
        cli, ["harvest", "--due", "--registry", str(path), "--data-dir", str(data.root)], catch_exceptions=False
    )
    assert ran.exit_code == 0, ran.output
    with sqlite3.connect(data.public_db) as db:
        assert (
            db.execute("select count(*) from services where agency_id = 'alpha' and not withdrawn").fetchone()[0] == 1
        )
        message = db.execute(
            "select message from harvest_runs where agency_id = 'alpha' and source_id = 'services' "
            "order by started desc, run_id desc limit 1"
        ).fetchone()[0]  # run ids sort below the second
    assert message.startswith("asked for by the agency through its console, accepting a file with far fewer rows")


def test_the_api_records_which_token_asked_and_says_so_in_the_run(portal):
    answer = asyncio.run(
        portal["ds"].client.post(
            "/-/agencies/alpha/harvest",
            json={"source": "services"},
            headers={"Authorization": f"Bearer {portal['alpha']}"},
        )
    )
    assert answer.status_code == 202, answer.text
    request_id, run_id = answer.json()["request_id"], answer.json()["run_id"]
    token_id = state_rows(portal, "select token_id from harvest_requests where request_id = ?", request_id)[0][0]
    assert token_id == portal["alpha"].split("_")[1]
    message = state_rows(portal, "select message from runs where run_id = ?", run_id)[0][0]
    assert "asked for by the agency through its API" in message


def test_locations_are_shown_without_secrets_or_server_paths():
    from shafaf.config.registry import Source
    from shafaf.datasette_plugins.pages.console_view import location

    url = Source(
        id="s",
        dataset="services",
        kind="http",
        agency_id="a",
        url="https://officer:hunter2@data.alpha.ir/export.csv?apikey=SECRET123&year=1403",
    )
    shown = location(url)
    assert "hunter2" not in shown and "officer" not in shown and "SECRET123" not in shown
    assert shown.startswith("https://data.alpha.ir/export.csv") and "year=1403" in shown
    assert (
        location(
            Source(
                id="s",
                dataset="services",
                kind="file",
                agency_id="a",
                path=Path("/srv/shafaf/agencies/alpha/services.csv"),
            )
        )
        == "services.csv"
    )


@pytest.mark.parametrize(
    "body, content_type",
    [
        (b"action=harvest&x=" + b"a" * 20_000, "application/x-www-form-urlencoded"),  # past the body cap
        (b"action=\xff\xfe", "application/x-www-form-urlencoded"),  # not UTF-8
        (b'{"action": "harvest"}', "application/json"),  # not a form
    ],
)
def test_hostile_console_bodies_are_400_and_change_nothing(portal, body, content_type):
    ds, cookies = portal["ds"], sign_in(portal)
    before = state_rows(portal, "select count(*) from harvest_requests")
    cookie, token = form_token(ds, cookies)
    got = asyncio.run(
        ds.client.post(
            CONSOLE,
            content=body,
            cookies={**cookies, "ds_csrftoken": cookie},
            headers={"content-type": content_type, "x-csrftoken": token},
        )
    )
    assert got.status_code == 400
    assert state_rows(portal, "select count(*) from harvest_requests") == before
