"""Schedules that always have a next run and never run too often (issue 15, case 2).

Every way a rule comes in (the agency API of a real ``shafaf serve``, ``shafaf
schedule set``, the registry) refuses the same class of rules with the reason,
and a stored rule that can no longer be computed is reported for its source
while the pages, the feeds, the CLI and the scheduler go on for everyone else.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner
from conftest import write_registry
from served import served

from shafaf.cli import cli
from shafaf.config import registry
from shafaf.config.schedule import next_after, parse_rule, previous_slots
from shafaf.config.schedule_limits import Limits, accept_rule
from shafaf.core.datadir import DataDir
from shafaf.core.errors import RegistryError, ScheduleError
from shafaf.harvest.runner import harvest
from shafaf.publish.writer import publish
from shafaf.state import agency_requests
from shafaf.state.store import StateStore

UTC = dt.UTC
TEHRAN = "Asia/Tehran"

# Rules no entry point may accept, each with words its refusal must contain.
REFUSED: list[tuple[Any, str]] = [
    # dates that do not exist, or too rarely
    ("0 0 31 2 *", "never runs"),
    ("0 0 30 2 *", "never runs"),
    ("0 0 31 4 *", "never runs"),
    ("0 0 31 2,4,6,9,11 *", "never runs"),
    ("0 0 29 2 *", "once in every 366 days"),
    # every field out of range
    ("60 * * * *", "out of range 0-59"),
    ("0 24 * * *", "out of range 0-23"),
    ("0 0 0 * *", "out of range 1-31"),
    ("0 0 32 * *", "out of range 1-31"),
    ("0 0 * 0 *", "out of range 1-12"),
    ("0 0 * 13 *", "out of range 1-12"),
    ("0 0 * * 8", "out of range 0-7"),
    ("-1 0 * * *", "not a number"),
    ("5-1 0 * * *", "runs backwards"),
    ("*/0 0 * * *", "step 0"),
    ("0 0 */32 * *", "step 32"),
    ("0 0 * FOO *", "not a month name"),
    ("0 ۲ * * *", "not a number"),
    # other cron dialects
    ("0 0 * * * *", "6 fields"),
    ("0 0 0 1 1 * 2030", "7 fields"),
    ("0 0 *", "3 fields"),
    ("@reboot", "'@' shortcuts"),
    ("@daily", "'@' shortcuts"),
    ("0 0 L * *", "'L'"),
    ("0 0 15W * *", "'W'"),
    ("0 0 * * 5#3", "'#'"),
    ("0 0 * * 5L", "'L'"),
    ("0 0 ? * *", "'?'"),
    ("H 0 * * *", "'H'"),
    # empty and huge
    ("", "empty"),
    ("   ", "empty"),
    ("0 " * 200, "characters long"),
    # faster than the portal allows (6 requests an hour: every 10 minutes)
    ("* * * * *", "every 1 minute"),
    ("*/5 * * * *", "every 5 minutes"),
    ("0,5 * * * *", "every 5 minutes"),
    # not text, not a mapping, wrong types inside
    (5, "not a number"),
    (1.5, "not a number"),
    (True, "true or false"),
    ([], "not a list"),
    (["0 2 * * *"], "not a list"),
    ({"cron": 5}, "'cron' must be text"),
    ({"cron": ["0 2 * * *"]}, "'cron' must be text"),
    ({"cron": {"cron": "0 2 * * *"}}, "'cron' must be text"),
    ({"cron": None}, "exactly one"),
    ({}, "exactly one"),
    ({"cron": "0 2 * * *", "jalali_day": 5}, "exactly one"),
    ({"jalali_day": "5"}, "from 1 to 31"),
    ({"jalali_day": 5.0}, "from 1 to 31"),
    ({"jalali_day": 0}, "from 1 to 31"),
    ({"jalali_day": 32}, "from 1 to 31"),
    ({"jalali_day": -1}, "from 1 to 31"),
    ({"jalali_day": 10**30}, "from 1 to 31"),
    ({"jalali_day": None}, "exactly one"),
    ({"jalali_day": 5, "at": "25:00"}, "HH:MM"),
    ({"jalali_day": 5, "at": "02:60"}, "HH:MM"),
    ({"jalali_day": 5, "at": "24:00"}, "HH:MM"),
    ({"jalali_day": 5, "at": "2am"}, "HH:MM"),
    ({"jalali_day": 5, "at": "02:00\n"}, "HH:MM"),
    ({"jalali_day": 5, "at": 120.5}, "HH:MM"),
    ({"jalali_day": 5, "at": ["02:00"]}, "HH:MM"),
    ({"jalali_day": 5, "working_days": 1}, "true or false"),
    ({"jalali_day": 5, "jalali_month": 1}, "unknown key 'jalali_month'"),
    ({"cron": "0 2 * * *", "at": "02:00"}, "'at' goes"),
    # working days only, but every slot on a Thursday or Friday
    ({"cron": "0 2 * * 4,5", "working_days": True}, "Thursday or Friday"),
    ({"cron": "0 2 * * THU-FRI", "working_days": True}, "Thursday or Friday"),
]

# Rules at the edges that are accepted: the yearly rule, names, either-side days, Tehran's midnight, the last minute.
ACCEPTED: list[Any] = [
    "0 2 1 1 *",
    "59 23 31 12 *",
    "0 0 29 2 1-5",
    "0 0 31 * *",
    "0 0 13 * 5",
    "*/10 * * * *",
    "0 23,0 * * *",
    "30 3 * JAN-MAR SAT",
    "0 0 * * 0,7",
    "00 02 * * *",
    {"cron": "0 2 * * 3,4", "working_days": True},
    {"jalali_day": 31, "at": "23:59"},
    {"jalali_day": 30, "at": "00:00", "working_days": True},
    {"jalali_day": 1, "at": 120},  # YAML 1.1 reads an unquoted 02:00 as 120
]


@pytest.mark.parametrize("value, words", REFUSED, ids=[repr(v)[:40] for v, _ in REFUSED])
def test_a_rule_without_a_next_run_or_too_frequent_is_refused_with_the_reason(value, words):
    with pytest.raises(ScheduleError) as caught:
        accept_rule(value, limits=Limits())
    assert words in str(caught.value)


@pytest.mark.parametrize("value", ACCEPTED, ids=[repr(v)[:40] for v in ACCEPTED])
def test_rules_at_the_edges_are_accepted_and_have_a_next_run_within_the_horizon(value):
    rule = accept_rule(value, limits=Limits())
    now = dt.datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
    upcoming = next_after(rule, now, tz=TEHRAN)
    assert now < upcoming <= now + dt.timedelta(days=366 + 2)


def test_the_minimum_interval_follows_the_portal_settings():
    fast = Limits.from_settings(requests_per_hour=12, fetch_deadline_s=120)
    assert fast.min_interval == dt.timedelta(minutes=5)
    accept_rule("*/5 * * * *", limits=fast)
    off = Limits.from_settings(requests_per_hour=0, fetch_deadline_s=120)  # requests off: at most hourly
    accept_rule("0 * * * *", limits=off)
    with pytest.raises(ScheduleError, match="every 1 hour"):
        accept_rule("*/30 * * * *", limits=off)
    slow_fetch = Limits.from_settings(requests_per_hour=60, fetch_deadline_s=900)  # a run may take 15 minutes
    with pytest.raises(ScheduleError, match=r"every 15 minutes \(fetch_deadline_s: 900\)"):
        accept_rule("*/10 * * * *", limits=slow_fetch)
    with pytest.raises(ScheduleError, match="every 10 minutes"):  # 23:55 to the next day's 00:05
        accept_rule("5,55 0,23 * * *", limits=off)
    two_hours = Limits.from_settings(requests_per_hour=6, fetch_deadline_s=7200)
    accept_rule("5 0,23 * * 1", limits=two_hours)  # Monday 23:05 is a week from the next 00:05
    with pytest.raises(ScheduleError, match="every 1 hour"):
        accept_rule("5 0,23 * * 1,2", limits=two_hours)  # Monday 23:05, Tuesday 00:05


@pytest.mark.slow
def test_tehran_edge_times_compute_across_the_last_summer_time_of_2022():
    """Iran dropped summer time after 2022: slots around its last changes (22 Mar and 22 Sep 2022) still compute,
    in order, with no gap or double slot beyond the hour the clock moved."""
    for value in (
        "0 0 * * *",
        "30 23 * * *",
        {"jalali_day": 2, "at": "00:30"},
        {"jalali_day": 31, "at": "23:59"},
        {"cron": "30 0 * * *", "working_days": True},
    ):
        rule = accept_rule(value, limits=Limits())
        slot, slots = dt.datetime(2022, 3, 15, tzinfo=UTC), []
        while slot < dt.datetime(2022, 10, 1, tzinfo=UTC):
            slot = next_after(rule, slot, tz=TEHRAN)
            slots.append(slot)
        assert slots == sorted(set(slots))
        back = list(previous_slots(rule, slots[-1], tz=TEHRAN))
        assert back[: len(slots)] == sorted(slots, reverse=True)
    daily = parse_rule("0 0 * * *")  # 00:00 Tehran: UTC+4:30 in summer 2022, UTC+3:30 after
    assert next_after(daily, dt.datetime(2022, 6, 1, 12, tzinfo=UTC), tz=TEHRAN) == dt.datetime(
        2022, 6, 1, 19, 30, tzinfo=UTC
    )
    assert next_after(daily, dt.datetime(2023, 6, 1, 12, tzinfo=UTC), tz=TEHRAN) == dt.datetime(
        2023, 6, 1, 20, 30, tzinfo=UTC
    )


# --- the registry: a line-numbered problem for each


def _registry_with(tmp_path: Path, schedule_yaml: str, portal: str = "") -> Path:
    path = tmp_path / "agencies.yml"
    path.write_text(
        textwrap.dedent("""\
        portal:
          title_en: Test
        {portal}agencies:
          - id: tax
            name_fa: مالیات
            name_en: Tax
            sources:
              - dataset: services
                path: services.csv
                schedule: {schedule}
        """).format(portal=portal, schedule=schedule_yaml),
        encoding="utf-8",
    )
    return path


@pytest.mark.parametrize(
    "schedule_yaml, words",
    [
        ('"0 0 31 2 *"', "never runs"),
        ('"0 0 29 2 *"', "366 days"),
        ('"* * * * *"', "every 1 minute"),
        ('"@reboot"', "'@' shortcuts"),
        ('"0 0 L * *"', "'L'"),
        ('"0 0 * * * *"', "6 fields"),
        ('""', "empty"),
        ("{cron: '0 2 * * 4,5', working_days: true}", "Thursday or Friday"),
        ("{jalali_day: 32}", "from 1 to 31"),
        ('{jalali_day: 5, at: "25:00"}', "HH:MM"),
        ("[1, 2]", "not a list"),
        ("{cron: {a: 1}}", "'cron' must be text"),
        ('"0 2 * * *\\u0007"', "control character"),
    ],
)
def test_the_registry_refuses_the_same_rules_with_their_line(tmp_path, schedule_yaml, words):
    with pytest.raises(RegistryError) as caught:
        registry.load(_registry_with(tmp_path, schedule_yaml))
    assert "agencies.yml:10:" in str(caught.value) and words in str(caught.value)


def test_the_registry_minimum_follows_its_own_portal_settings(tmp_path):
    assert registry.load(_registry_with(tmp_path, '"*/5 * * * *"', "  harvest_requests_per_hour: 12\n"))
    with pytest.raises(RegistryError, match=r"agencies.yml:11:.*every 5 minutes.*harvest_requests_per_hour: 6"):
        registry.load(_registry_with(tmp_path, '"*/5 * * * *"', "  harvest_requests_per_hour: 6\n"))


# --- a real served portal: the agency API, the pages and feeds with a broken stored rule


def both_scheduled(root: Path, *, portal: str = "") -> Path:
    """The shared test registry with beta's services on a schedule too (alpha's is 0 2 * * *)."""
    path = write_registry(root)
    text = path.read_text(encoding="utf-8").replace("portal:\n", "portal:\n" + portal, 1)
    line = "        path: files/beta_services.csv\n"
    path.write_text(text.replace(line, line + '        schedule: "0 2 * * *"\n'), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def portal(tmp_path_factory) -> Iterator[tuple[str, Path, DataDir]]:
    root = tmp_path_factory.mktemp("limits")
    registry_path = both_scheduled(root / "src")
    reg = registry.load(registry_path)
    data = DataDir(root / "var")
    harvest(reg.agencies, registry=reg, data=data)
    publish(reg.agencies, registry=reg, data=data)
    with served(registry_path, data.root, root / "serve.log") as base:
        yield base, registry_path, data


def shafaf(portal, *args: str) -> Any:
    _, registry_path, data = portal
    return CliRunner().invoke(cli, [*args, "--registry", str(registry_path), "--data-dir", str(data.root)])


def stored(data: DataDir) -> list[tuple]:
    with sqlite3.connect(data.state_db) as db:
        return db.execute("select agency_id, source_id, rule from schedule_overrides").fetchall()


@pytest.mark.slow
def test_the_agency_api_refuses_every_rule_of_the_class_and_stores_nothing(portal):
    base, _, data = portal
    token = shafaf(portal, "token", "create", "alpha").stdout.strip()
    url, auth = f"{base}/-/agencies/alpha/schedule", {"Authorization": f"Bearer {token}"}
    for value, words in REFUSED:
        answer = httpx.put(url, headers=auth, content=json.dumps({"source": "services", "schedule": value}))
        assert answer.status_code == 400, (value, answer.text)
        assert answer.json()["ok"] is False and words in answer.json()["error"], (value, answer.text)
    bodies = [  # (body as sent, words)
        (json.dumps({"source": "services", "schedule": "0 2 * * *", "when": "now"}), "unknown key 'when'"),
        (json.dumps({"source": 5, "schedule": "0 2 * * *"}), "source id"),
        (json.dumps({"source": ["services"], "schedule": "0 2 * * *"}), "source id"),
        (json.dumps({"source": "services", "schedule": None}), 'send {"source"'),
        (json.dumps({"source": "services"}), 'send {"source"'),
        (json.dumps({"source": "serv\ud800ices", "schedule": "0 2 * * *"}), "lone surrogate (U+D800)"),
        (json.dumps({"source": "services", "schedule": "0 2 * * *\u0000"}), "control character (U+0000)"),
        (json.dumps({"source": "services", "schedule": {"cron": "0 2 * * *", "\udfff": 1}}), "lone surrogate (U+DFFF)"),
        (json.dumps({"source": "services", "schedule": {"jalali_day": 5, "at": "02:00\x1b[2J"}}), "control character"),
        (json.dumps(["services", "0 2 * * *"]), "JSON object"),
        (json.dumps("0 2 * * *"), "JSON object"),
        (json.dumps(5), "JSON object"),
        ("[" * 8000 + "]" * 8000, "not valid JSON"),
        ("{not json", "not valid JSON"),
    ]
    for body, words in bodies:
        answer = httpx.put(url, headers=auth, content=body.encode("utf-8"))
        assert answer.status_code == 400 and words in answer.json()["error"], (body[:80], answer.text)
    assert stored(data) == []
    good = httpx.put(url, headers=auth, json={"source": "services", "schedule": "*/10 * * * *"})
    assert good.status_code == 200 and good.json()["schedule"] == "*/10 * * * *", good.text
    assert httpx.get(f"{base}/agencies/alpha").status_code == 200
    assert shafaf(portal, "schedule", "reset", "alpha").exit_code == 0


def test_shafaf_schedule_set_refuses_the_class_with_exit_2_and_stores_nothing(portal):
    _, registry_path, data = portal
    for value, words in REFUSED:
        text = value if isinstance(value, str) else json.dumps(value)
        result = CliRunner().invoke(
            cli,
            [
                "schedule",
                "set",
                "--registry",
                str(registry_path),
                "--data-dir",
                str(data.root),
                "--",
                "alpha",
                "services",
                text,
            ],
        )
        assert result.exit_code == 2, (value, result.output)
        assert "Traceback" not in result.output, (value, result.output)
        if isinstance(value, (str, dict, list)):  # RULE 5 or true on the command line is cron text, refused as such
            assert words in result.output, (value, result.output)
    assert stored(data) == []
    real = subprocess.run(
        [
            sys.executable,
            "-m",
            "shafaf",
            "schedule",
            "set",
            "alpha",
            "services",
            "0 0 31 2 *",
            "--registry",
            str(registry_path),
            "--data-dir",
            str(data.root),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert real.returncode == 2 and "never runs" in real.stderr and "Traceback" not in real.stderr
    assert stored(data) == []


BROKEN_STORED = [
    '"0 0 31 2 *"',
    '"* * * * *"',
    '"0 0 L * *"',
    '{"jalali_day": 40}',
    '"@reboot"',
    "5",
    "not json",
    '{"cron": "0 2 * * *", "at": 3}',
    '"0 0 29 2 *"',
]


@pytest.mark.slow
def test_a_stored_rule_that_cannot_be_computed_breaks_nothing_for_anyone(portal):
    """As an older Shafaf stored them, or a hand edit of state.db: reported for alpha/services only."""
    base, registry_path, data = portal
    for rule in BROKEN_STORED:
        with sqlite3.connect(data.state_db) as db:
            db.execute(
                "insert or replace into schedule_overrides values ('alpha', 'services', ?, '2026-01-01T00:00:00Z', 'old')",
                (rule,),
            )
        for path in (
            "/",
            "/?lang=en",
            "/agencies/beta?lang=en",
            "/feed.atom",
            "/agencies/alpha/feed.atom",
            "/agencies/beta/feed.atom",
        ):
            assert httpx.get(f"{base}{path}").status_code == 200, (rule, path)
        page = httpx.get(f"{base}/agencies/alpha?lang=en")
        assert page.status_code == 200 and "schedule cannot be computed" in page.text, rule
        assert "زمان‌بندی قابل محاسبه نیست" in httpx.get(f"{base}/agencies/alpha").text

        status = shafaf(portal, "status", "--json")
        assert status.exit_code == 0, (rule, status.output)
        rows = {(r["agency_id"], r["source_id"]): r for r in json.loads(status.stdout)}
        assert rows[("alpha", "services")]["schedule_problem"].startswith("schedule cannot be computed: ")
        assert rows[("alpha", "services")]["next_due"] is None
        assert rows[("beta", "services")]["schedule_problem"] is None and rows[("beta", "services")]["next_due"]
        assert "alpha/services: schedule cannot be computed" in shafaf(portal, "status").stderr

        shown = shafaf(portal, "schedule", "show", "alpha", "--json")
        assert shown.exit_code == 0 and json.loads(shown.stdout)[0]["problem"].startswith("schedule cannot be computed")
        assert "cannot be computed" in shafaf(portal, "schedule", "show", "alpha").output
    with sqlite3.connect(data.state_db) as db:  # beta's last run long ago: its latest slot is owed
        db.execute("update runs set started = '2026-01-01T00:00:00Z' where agency_id = 'beta'")
    due = subprocess.run(
        [
            sys.executable,
            "-m",
            "shafaf",
            "harvest",
            "--due",
            "--json",
            "--registry",
            str(registry_path),
            "--data-dir",
            str(data.root),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert "Traceback" not in due.stderr and "alpha/services: schedule cannot be computed" in due.stderr, due.stderr
    ran = {(r["agency_id"], r["source_id"]) for r in json.loads(due.stdout)}
    assert ("beta", "services") in ran and ("alpha", "services") not in ran  # beta is still harvested on schedule
    assert shafaf(portal, "schedule", "reset", "alpha", "services").exit_code == 0


def _wait_for(condition, what: str, child: subprocess.Popen, log: Path) -> None:
    """Polls every 0.1 s for at most 60 s while the child lives."""
    for _ in range(600):
        if condition():
            return
        assert child.poll() is None, log.read_text()
        time.sleep(0.1)
    pytest.fail(f"{what} did not happen in 60 s: {log.read_text()}")


@pytest.mark.slow
def test_the_scheduler_reports_a_broken_rule_once_and_runs_the_others(tmp_path):
    registry_path = both_scheduled(tmp_path / "src", portal="  scheduler_poll_s: 0.2\n")
    reg = registry.load(registry_path)
    data = DataDir(tmp_path / "var")
    state = StateStore(data.state_db)
    with sqlite3.connect(data.state_db) as db:
        db.execute("insert into schedule_overrides values ('alpha', 'services', '\"0 0 31 2 *\"', '', 'old')")
    log_path = tmp_path / "scheduler.log"
    with log_path.open("wb") as log:
        child = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "shafaf",
                "scheduler",
                "--registry",
                str(registry_path),
                "--data-dir",
                str(data.root),
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:

            def done(run_id: str | None = None) -> bool:
                runs = [r for r in state.runs("beta") if run_id in (None, r["run_id"])]
                return bool(runs) and runs[0]["outcome"] not in ("running", "queued")

            _wait_for(done, "beta's scheduled run", child, log_path)  # the first pass: beta's missed slot
            asked = agency_requests.request_harvest(state, reg.agency("beta"), per_hour=6)
            _wait_for(lambda: done(asked.run_ids["services"]), "beta's requested run", child, log_path)  # a later pass
        finally:
            child.terminate()
            child.wait(timeout=30)
    output = log_path.read_text()
    assert "Traceback" not in output and output.count("alpha/services: schedule cannot be computed") == 1, output
    assert [r["outcome"] for r in state.runs("beta")] == ["ok", "unchanged"] or {
        r["outcome"] for r in state.runs("beta")
    } <= {"ok", "unchanged"}
