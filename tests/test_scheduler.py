"""The scheduler and the one-run-at-a-time lease (docs/reliability.md C1-C5), with real processes and a real server.

Sources are served by the loopback fault server; a "gate" behaviour holds a
response until the test releases it, so a run is reliably in flight while
other triggers arrive, without sleeping for a guessed time.
"""

from __future__ import annotations

import datetime as dt
import json
import multiprocessing
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from faultserver import Request, hang, http_registry, respond

from shafaf.config import registry
from shafaf.core.datadir import DataDir
from shafaf.core.errors import RateLimited
from shafaf.core.models import Outcome, Reason, Trigger
from shafaf.harvest.runner import Runner
from shafaf.schedule.scheduler import run_due
from shafaf.state import agency_requests
from shafaf.state import store as state_mod
from shafaf.state.store import Run, StateStore, new_run_id, utc_now

pytestmark = pytest.mark.slow  # a real scheduler process, its slots, signals and kills

GOOD = "service_id,name_fa,name_en\nS1,خدمت یک,One\nS2,خدمت دو,Two\n"
CSV = {"Content-Type": "text/csv; charset=utf-8"}
UTC = dt.UTC


def write_registry(
    root: Path,
    base_url: str,
    *,
    agencies: tuple[str, ...] = ("alpha",),
    schedule: str = '"0 2 * * *"',
    extra: str = "",
    concurrency: int = 4,
    deadline_s: float = 60,
) -> registry.Registry:
    portal = {
        "allow_private_networks": True,  # the test server is on loopback
        "fetch_deadline_s": deadline_s,
        "fetch_connect_timeout_s": 2,
        "fetch_read_timeout_s": 30,
        "fetch_retries": 0,
        "harvest_concurrency": concurrency,
        "run_lease_s": 3,
    }
    return registry.load(
        http_registry(root, base_url, agencies=agencies, portal=portal, schedule=schedule, extra=extra)
    )


class Gate:
    """A behaviour that signals when a request arrives and answers only once released."""

    def __init__(self, body: str = GOOD):
        self.arrived = threading.Event()
        self.release = threading.Event()
        self.body = body
        self.active = 0
        self.most = 0
        self._lock = threading.Lock()

    def __call__(self, conn: socket.socket, request: Request) -> None:
        with self._lock:
            self.active += 1
            self.most = max(self.most, self.active)
        self.arrived.set()
        try:
            self.release.wait(30)
            respond(200, self.body, CSV)(conn, request)
        finally:
            with self._lock:
                self.active -= 1


def runs(data: DataDir, agency_id: str = "alpha") -> list[dict]:
    return StateStore(data.state_db).runs(agency_id)


def old_attempt(data: DataDir, reg: registry.Registry, agency_id: str, started: str) -> None:
    """A finished run long ago, as a portal that was down since then would have it."""
    agency = reg.agency(agency_id)
    source = agency.sources[0]
    StateStore(data.state_db).save(
        Run(
            run_id=new_run_id(),
            agency_id=agency_id,
            source_id=source.id,
            dataset=source.dataset,
            kind=source.kind,
            location=source.location,
            started=started,
            finished=started,
            outcome=Outcome.OK,
        )
    )


# --- C1: many triggers at once, one run


def _attempts(registry_path: str, data_root: str, threads: int, barrier, results, slot: str) -> None:
    """In a child process: ``threads`` triggers of alpha/services released together."""
    reg = registry.load(registry_path)
    runner = Runner(reg, DataDir(Path(data_root)))
    agency = reg.agency("alpha")
    start = threading.Barrier(threads)

    def one(i: int) -> None:
        start.wait()
        # Half come from the schedule (with the slot they are owed), half are manual or requested.
        got = runner.source(
            agency,
            agency.sources[0],
            due_after=slot if i % 2 else None,
            trigger=Trigger.SCHEDULE if i % 2 else Trigger.MANUAL,
        )
        results.put([(str(r.outcome), None if r.reason is None else str(r.reason)) for r in got])

    barrier.wait()
    workers = [threading.Thread(target=one, args=(i,)) for i in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()


def test_a_hundred_simultaneous_triggers_make_one_run(tmp_path, fault_server):
    gate = Gate()
    fault_server.add("/alpha.csv", gate)
    reg = write_registry(tmp_path / "src", fault_server.base_url)
    data = DataDir(tmp_path / "var")
    StateStore(data.state_db)
    ctx = multiprocessing.get_context("fork")
    processes, per_process = 4, 25
    barrier, results = ctx.Barrier(processes), ctx.Queue()
    slot = utc_now()
    children = [
        ctx.Process(target=_attempts, args=(str(reg.path), str(data.root), per_process, barrier, results, slot))
        for _ in range(processes)
    ]
    for child in children:
        child.start()
    outcomes = [results.get(timeout=60) for _ in range(processes * per_process - 1)]  # all but the one in flight
    gate.release.set()
    outcomes.append(results.get(timeout=60))
    for child in children:
        child.join(timeout=30)
        assert child.exitcode == 0
    flat = [o for got in outcomes for o in got]
    assert flat.count(("ok", None)) == 1
    assert flat.count(("skipped", "already_running")) == 99
    recorded = runs(data)
    assert [r["outcome"] for r in recorded].count("ok") == 1
    assert [(r["outcome"], r["reason"]) for r in recorded].count(("skipped", "already_running")) == 99
    assert fault_server.hits("/alpha.csv") == 1
    assert StateStore(data.state_db).leases() == []


# --- C2: a killed run is aborted and the next one runs cleanly


def test_sigkill_mid_run_is_marked_aborted_and_the_next_run_is_clean(tmp_path, fault_server):
    gate = Gate()
    fault_server.add("/alpha.csv", gate)
    reg = write_registry(tmp_path / "src", fault_server.base_url)
    data = DataDir(tmp_path / "var")
    child = subprocess.Popen(
        [sys.executable, "-m", "shafaf", "harvest", "alpha", "--registry", str(reg.path), "--data-dir", str(data.root)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        assert gate.arrived.wait(30), "the harvest never reached the server"
        (killed,) = [r for r in runs(data) if r["outcome"] == "running"]
        os.kill(child.pid, signal.SIGKILL)
        assert child.wait(timeout=10) == -signal.SIGKILL
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    gate.release.set()
    with sqlite3.connect(data.state_db) as db:  # left behind (read without StateStore, which would sweep it)
        assert db.execute("select run_id from leases").fetchall() == [(killed["run_id"],)]

    (run,) = Runner(reg, data).source(reg.agency("alpha"), reg.agency("alpha").sources[0])
    assert run.outcome == Outcome.OK
    by_id = {r["run_id"]: r for r in runs(data)}
    assert by_id[killed["run_id"]]["outcome"] == "aborted"
    assert by_id[killed["run_id"]]["reason"] == "lease_expired"
    assert "stopped before the run finished" in by_id[killed["run_id"]]["message"]
    assert not [r for r in runs(data) if r["outcome"] == "running"]
    assert StateStore(data.state_db).leases() == []


def _lease(data: DataDir, *, host: str, pid: int, expires: str) -> str:
    run_id = new_run_id()
    state = StateStore(data.state_db)
    state.save(
        Run(
            run_id=run_id,
            agency_id="alpha",
            source_id="services",
            dataset="services",
            kind="http",
            location="x",
            started=utc_now(),
        )
    )
    with state.connect() as conn:
        conn.execute(
            "INSERT INTO leases VALUES (?, 'alpha', 'services', 'running', ?, ?, ?, ?)",
            (run_id, host, pid, utc_now(), expires),
        )
    return run_id


def test_a_lease_of_another_machine_is_taken_over_only_once_it_lapsed(tmp_path, fault_server):
    fault_server.add("/alpha.csv", respond(200, GOOD, CSV))
    reg = write_registry(tmp_path / "src", fault_server.base_url)
    data = DataDir(tmp_path / "var")
    runner = Runner(reg, data)
    agency = reg.agency("alpha")
    live = _lease(data, host="other-host", pid=1, expires="2999-01-01T00:00:00.000000Z")
    (skipped,) = runner.source(agency, agency.sources[0])
    assert (skipped.outcome, skipped.reason) == (Outcome.SKIPPED, Reason.ALREADY_RUNNING) and live in skipped.message
    with StateStore(data.state_db).connect() as conn:
        conn.execute("UPDATE leases SET expires = '2000-01-01T00:00:00.000000Z'")  # no heartbeat since
    (run,) = runner.source(agency, agency.sources[0])
    assert run.outcome == Outcome.OK
    assert {r["run_id"]: r["outcome"] for r in runs(data)}[live] == "aborted"


def test_a_wall_clock_jump_never_takes_the_lease_of_a_live_run_on_this_machine(tmp_path, fault_server):
    fault_server.add("/alpha.csv", respond(200, GOOD, CSV))
    reg = write_registry(tmp_path / "src", fault_server.base_url)
    data = DataDir(tmp_path / "var")
    # A live process here (this one) whose lease "expired" because the clock jumped a day forward.
    _lease(data, host=socket.gethostname(), pid=os.getpid(), expires="2000-01-01T00:00:00.000000Z")
    (run,) = Runner(reg, data).source(reg.agency("alpha"), reg.agency("alpha").sources[0])
    assert (run.outcome, run.reason) == (Outcome.SKIPPED, Reason.ALREADY_RUNNING)
    assert fault_server.hits("/alpha.csv") == 0


# --- due runs: missed windows, clock jumps, publishing what changed


def test_a_missed_window_runs_once_then_nothing_is_due(tmp_path, fault_server):
    fault_server.add("/alpha.csv", respond(200, GOOD, CSV))
    reg = write_registry(tmp_path / "src", fault_server.base_url, schedule='"0 * * * *"')  # hourly
    data = DataDir(tmp_path / "var")
    old_attempt(data, reg, "alpha", "2026-11-20T00:00:00Z")  # down for days: hundreds of missed slots
    first = run_due(reg, data)
    assert [(r.agency_id, r.outcome) for r in first.runs] == [("alpha", Outcome.OK)]
    assert first.published == ["alpha"]
    assert run_due(reg, data).runs == []
    assert fault_server.hits("/alpha.csv") == 1
    with sqlite3.connect(data.public_db) as db:
        assert db.execute("select count(*) from services where agency_id = 'alpha'").fetchone() == (2,)


class JumpingClock:
    """The wall clock, set forward or back by the test: every stored time follows it, as on a real jump."""

    def __init__(self) -> None:
        self.offset = dt.timedelta(0)

    def __call__(self) -> dt.datetime:
        return dt.datetime.now(UTC) + self.offset


def test_clock_jumps_make_one_run_and_no_double_run(tmp_path, fault_server, monkeypatch):
    fault_server.add("/alpha.csv", respond(200, GOOD, CSV))
    reg = write_registry(tmp_path / "src", fault_server.base_url)  # 02:00 Tehran daily
    data = DataDir(tmp_path / "var")
    clock = JumpingClock()
    monkeypatch.setattr(state_mod, "wall_clock", clock)
    assert len(run_due(reg, data, publish=False).runs) == 1
    clock.offset = -dt.timedelta(hours=1)  # back an hour: the run already made still covers today's slot
    assert run_due(reg, data, publish=False).runs == []
    clock.offset = dt.timedelta(days=3)  # forward three days: one run, not three
    assert len(run_due(reg, data, publish=False).runs) == 1
    clock.offset = dt.timedelta(days=3, minutes=1)
    assert run_due(reg, data, publish=False).runs == []
    clock.offset = -dt.timedelta(days=2)  # far back: a run stamped "in the future" does not block harvests
    assert len(run_due(reg, data, publish=False).runs) == 1
    assert fault_server.hits("/alpha.csv") == 3


def test_the_second_identical_pass_publishes_nothing_new(tmp_path, fault_server):
    fault_server.add("/alpha.csv", respond(200, GOOD, CSV))
    reg = write_registry(tmp_path / "src", fault_server.base_url)
    data = DataDir(tmp_path / "var")
    now = dt.datetime.now(UTC)
    assert run_due(reg, data, now=now).published == ["alpha"]
    again = run_due(reg, data, now=now + dt.timedelta(days=1))
    assert [r.outcome for r in again.runs] == [Outcome.UNCHANGED] and again.published == []


def test_concurrency_is_bounded_and_a_hung_agency_does_not_hold_the_others(tmp_path, fault_server):
    gate = Gate()
    for name in ("a1", "a2", "a3", "a4"):
        fault_server.add(f"/{name}.csv", gate)
    fault_server.add("/hung.csv", hang())
    reg = write_registry(
        tmp_path / "src", fault_server.base_url, agencies=("hung", "a1", "a2", "a3", "a4"), concurrency=2, deadline_s=2
    )
    data = DataDir(tmp_path / "var")
    releaser = threading.Timer(0.3, gate.release.set)
    releaser.start()
    started = time.monotonic()
    try:
        result = run_due(reg, data, publish=False)
    finally:
        releaser.cancel()
    took = time.monotonic() - started
    assert gate.most == 1  # two workers: the hung agency holds one, the other four share the second
    outcomes = {r.agency_id: (r.outcome, r.reason) for r in result.runs}
    assert {outcomes[a] for a in ("a1", "a2", "a3", "a4")} == {(Outcome.OK, None)}
    assert outcomes["hung"] == (Outcome.FAILED, Reason.DEADLINE_EXCEEDED)
    assert took < 2 + 3  # the hung one ends at its deadline, not at the server's whim
    assert StateStore(data.state_db).leases() == []


# --- agencies' requests


def test_a_requested_harvest_runs_under_its_queued_run_id(tmp_path, fault_server):
    fault_server.add("/alpha.csv", respond(200, GOOD, CSV))
    reg = write_registry(tmp_path / "src", fault_server.base_url, schedule="null")
    data = DataDir(tmp_path / "var")
    state = StateStore(data.state_db)
    request = agency_requests.request_harvest(state, reg.agency("alpha"), per_hour=5)
    (run_id,) = request.run_ids.values()
    assert {r["run_id"]: r["outcome"] for r in runs(data)} == {run_id: "queued"}
    result = run_due(reg, data)
    assert [(r.run_id, r.outcome) for r in result.runs] == [(run_id, Outcome.OK)]
    assert run_due(reg, data).runs == []  # taken once
    with sqlite3.connect(data.public_db) as db:
        assert db.execute("select outcome from harvest_runs where run_id = ?", (run_id,)).fetchone() == ("ok",)


def test_a_queued_run_is_started_once_and_survives_a_stopped_scheduler(tmp_path, fault_server):
    fault_server.add("/alpha.csv", respond(200, GOOD, CSV))
    reg = write_registry(tmp_path / "src", fault_server.base_url, schedule="null")
    data = DataDir(tmp_path / "var")
    state = StateStore(data.state_db)
    (run_id,) = agency_requests.request_harvest(state, reg.agency("alpha"), per_hour=5).run_ids.values()
    stopped = threading.Event()
    stopped.set()  # SIGTERM arrived before the pass could start it
    assert run_due(reg, data, stop=stopped).runs == []
    assert {r["run_id"]: r["outcome"] for r in runs(data)} == {run_id: "queued"}
    agency = reg.agency("alpha")
    first = Runner(reg, data).source(agency, agency.sources[0], run_id=run_id, trigger=Trigger.REQUEST)
    assert [r.outcome for r in first] == [Outcome.OK]
    # A second scheduler that had listed the same queued run finds it taken: nothing runs.
    assert Runner(reg, data).source(agency, agency.sources[0], run_id=run_id, trigger=Trigger.REQUEST) == []
    assert fault_server.hits("/alpha.csv") == 1


def test_requests_are_rate_limited_per_agency(tmp_path, fault_server):
    reg = write_registry(tmp_path / "src", fault_server.base_url, agencies=("alpha", "beta"))
    state = StateStore(DataDir(tmp_path / "var").state_db)
    for _ in range(2):
        agency_requests.request_harvest(state, reg.agency("alpha"), per_hour=2)
    with pytest.raises(RateLimited) as caught:
        agency_requests.request_harvest(state, reg.agency("alpha"), per_hour=2)
    assert 3500 <= caught.value.retry_after <= 3601
    agency_requests.request_harvest(state, reg.agency("beta"), per_hour=2)  # another agency's budget


# --- webhook


def test_the_webhook_gets_each_failure_and_each_agency_gone_stale_once(tmp_path, fault_server):
    received: list[dict] = []

    def hook(conn: socket.socket, request: Request) -> None:
        received.append(json.loads(request.body))
        respond(204)(conn, request)

    fault_server.add("/hook", hook)
    fault_server.add("/alpha.csv", respond(500, "broken"))
    reg = write_registry(
        tmp_path / "src",
        fault_server.base_url,
        extra=f"webhook_url: {fault_server.url('/hook')}\nstale_after_missed_runs: 1\n",
    )
    data = DataDir(tmp_path / "var")
    now = dt.datetime.now(UTC)
    first = run_due(reg, data, now=now)
    assert first.problems == []
    assert [(m["event"], m["agency_id"]) for m in received] == [
        ("run_failed", "alpha"),
        ("source_failing", "alpha"),
        ("agency_stale", "alpha"),
    ]  # its first run failed
    assert received[0]["reason"] == "http_500" and received[2]["sources"] == ["services"]
    run_due(reg, data, now=now + dt.timedelta(days=1))
    assert [m["event"] for m in received[3:]] == ["run_failed"]  # stale and failing were already told


# --- the scheduler process: missed runs at start-up, SIGTERM


def test_scheduler_runs_missed_slots_at_start_up_and_stops_cleanly_on_sigterm(tmp_path, fault_server):
    gate = Gate()
    fault_server.add("/alpha.csv", gate)
    fault_server.add("/beta.csv", respond(200, GOOD, CSV))
    reg = write_registry(tmp_path / "src", fault_server.base_url, agencies=("alpha", "beta"))
    data = DataDir(tmp_path / "var")
    old_attempt(data, reg, "alpha", "2026-01-01T00:00:00Z")
    old_attempt(data, reg, "beta", "2026-01-01T00:00:00Z")
    log = tmp_path / "scheduler.log"
    with log.open("wb") as out:
        child = subprocess.Popen(
            [sys.executable, "-m", "shafaf", "scheduler", "--registry", str(reg.path), "--data-dir", str(data.root)],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        try:
            assert gate.arrived.wait(30), log.read_text()
            child.send_signal(signal.SIGTERM)
            threading.Timer(0.2, gate.release.set).start()  # the run in flight finishes after the signal
            assert child.wait(timeout=30) == 0, log.read_text()
        finally:
            if child.poll() is None:
                child.kill()
                child.wait()
    outcomes = {a: [r["outcome"] for r in runs(data, a)] for a in ("alpha", "beta")}
    assert outcomes == {"alpha": ["ok", "ok"], "beta": ["ok", "ok"]}  # one new run each, the old one below it
    assert fault_server.hits("/alpha.csv") == 1 and fault_server.hits("/beta.csv") == 1
    assert StateStore(data.state_db).leases() == []
    assert "stopped" in log.read_text()
    with sqlite3.connect(data.public_db) as db:
        assert {r[0] for r in db.execute("select agency_id from services")} == {"alpha", "beta"}


def test_status_shows_next_due_freshness_and_stale(tmp_path, fault_server):
    from click.testing import CliRunner

    from shafaf.cli import cli

    fault_server.add("/alpha.csv", respond(200, GOOD, CSV))
    reg = write_registry(tmp_path / "src", fault_server.base_url, agencies=("alpha", "beta"))
    data = DataDir(tmp_path / "var")
    run_due(reg, data, publish=False)
    old_attempt(data, reg, "beta", "2026-01-01T00:00:00Z")  # beta's last good run is months old
    with StateStore(data.state_db).connect() as conn:
        conn.execute("DELETE FROM runs WHERE agency_id = 'beta' AND started > '2026-01-02'")
    result = CliRunner().invoke(cli, ["status", "--json", "--registry", str(reg.path), "--data-dir", str(data.root)])
    rows = {r["agency_id"]: r for r in json.loads(result.stdout)}
    assert rows["alpha"]["stale"] is False and rows["alpha"]["freshness_days"] < 1
    assert rows["alpha"]["next_due"] > utc_now() and rows["alpha"]["schedule"] == "0 2 * * *"
    assert rows["beta"]["stale"] is True and rows["beta"]["freshness_days"] > 30
    text = CliRunner().invoke(cli, ["status", "--registry", str(reg.path), "--data-dir", str(data.root)]).stdout
    assert "STALE" in text.splitlines()[2] and "STALE" not in text.splitlines()[1]
