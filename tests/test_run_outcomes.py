"""Every run ends with an outcome, whatever raises inside it (issue 15, case 8b), and a killed run shows as what it is.

Failures of several exception types are injected at each phase of a real
harvest (capture, validation, staging, the state write itself) with a real
registry, data dir and state.db; the run of the agency hit ends ``failed``
with reason ``internal``, no run stays ``running``, no lease is left, the
other agencies are harvested, and the traceback reaches the operator once.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from click.testing import CliRunner
from conftest import write_registry
from faultserver import http_registry
from served import served

from shafaf.cli import cli
from shafaf.config import registry
from shafaf.core.datadir import DataDir
from shafaf.core.models import Outcome, Reason
from shafaf.harvest import runner as harvest_mod
from shafaf.harvest.runner import harvest
from shafaf.publish.writer import publish
from shafaf.stage import package as stage
from shafaf.state.store import StateStore

ERRORS: list[BaseException] = [
    UnicodeEncodeError("utf-8", "lone \ud800", 5, 6, "surrogates not allowed"),
    KeyError("name_en"),
    TypeError("unsupported operand"),
    RuntimeError("boom /srv/secret/path"),
    RecursionError("deep"),
    ZeroDivisionError("division by zero"),
    sqlite3.OperationalError("database is locked"),
    MemoryError(),
]


def _when_alpha(
    original: Callable[..., Any], error: BaseException, is_alpha: Callable[..., bool]
) -> Callable[..., Any]:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if is_alpha(*args, **kwargs):
            raise error
        return original(*args, **kwargs)

    return wrapper


def _capture(monkeypatch, error):
    real = harvest_mod.harvesters.for_kind

    def for_kind(kind: str) -> Any:
        harvester = real(kind)

        class Failing:
            capture = staticmethod(
                _when_alpha(harvester.capture, error, lambda source, *a, **k: source.agency_id == "alpha")
            )

        return Failing

    monkeypatch.setattr(harvest_mod.harvesters, "for_kind", for_kind)


def _validate(monkeypatch, error):
    monkeypatch.setattr(
        stage, "validate_file", _when_alpha(stage.validate_file, error, lambda *a, **k: "alpha" in str(a[0]))
    )


def _stage(monkeypatch, error):
    monkeypatch.setattr(
        stage,
        "package_descriptor",
        _when_alpha(stage.package_descriptor, error, lambda pkg, agency, *a, **k: agency.id == "alpha"),
    )


def _state_write(monkeypatch, error):
    monkeypatch.setattr(
        StateStore,
        "finish",
        _when_alpha(StateStore.finish, error, lambda self, run, outcome, **k: run.agency_id == "alpha"),
    )


PHASES = {"capture": _capture, "validate": _validate, "stage": _stage, "state write": _state_write}


@pytest.fixture
def three(tmp_path) -> tuple[registry.Registry, DataDir]:
    path = write_registry(tmp_path / "src")
    files = path.parent / "files"
    (files / "gamma_services.csv").write_bytes((files / "alpha_services.csv").read_bytes())
    path.write_text(
        path.read_text(encoding="utf-8")
        + textwrap.indent(
            textwrap.dedent("""\
        - id: gamma
          name_fa: سازمان ج
          name_en: Gamma
          sources:
            - dataset: services
              path: files/gamma_services.csv
        """),
            "  ",
        ),
        encoding="utf-8",
    )
    return registry.load(path), DataDir(tmp_path / "var")


def _assert_ended(data: DataDir, runs: list, phase: str, error: BaseException) -> None:
    by = {(r.agency_id, r.source_id): r for r in runs}
    for key in (("alpha", "services"), ("alpha", "service_performance")):
        run = by[key]
        assert (run.outcome, run.reason) == (Outcome.FAILED, Reason.INTERNAL), (phase, error, run)
        assert f"{key[0]}/{key[1]}" in run.message and type(error).__name__ in run.message
        assert run.location in run.message and "/srv/secret" not in run.message and "\ud800" not in run.message
        assert "\n" not in run.message
        assert "Traceback (most recent call last)" in (data.raw("alpha", run.run_id) / "traceback.txt").read_text()
    assert by[("beta", "services")].outcome == Outcome.OK and by[("gamma", "services")].outcome == Outcome.OK
    with sqlite3.connect(data.state_db) as db:  # raw: StateStore would sweep, and hide a run left running
        assert db.execute("select count(*) from runs where outcome = 'running'").fetchone()[0] == 0
        assert db.execute("select count(*) from leases").fetchone()[0] == 0
        stored = dict(db.execute("select agency_id || '/' || source_id, outcome from runs where agency_id = 'alpha'"))
    assert stored == {"alpha/services": "failed", "alpha/service_performance": "failed"}


@pytest.mark.slow
@pytest.mark.parametrize("phase", list(PHASES))
@pytest.mark.parametrize("error", ERRORS, ids=[type(e).__name__ for e in ERRORS])
def test_any_exception_in_any_phase_ends_the_run_failed_and_the_others_go_on(three, monkeypatch, caplog, phase, error):
    reg, data = three
    PHASES[phase](monkeypatch, error)
    with caplog.at_level(logging.ERROR, logger="shafaf.harvest"):
        runs = harvest(list(reg.agencies), registry=reg, data=data)
    _assert_ended(data, runs, phase, error)
    logged = [r for r in caplog.records if r.name == "shafaf.harvest"]
    assert len(logged) == 2 and all("traceback in" in r.getMessage() and r.exc_info is None for r in logged)


def test_an_outcome_already_recorded_stands_when_a_later_step_raises(three, monkeypatch, caplog):
    reg, data = three
    monkeypatch.setattr(
        StateStore,
        "remember_source",
        _when_alpha(
            StateStore.remember_source, RuntimeError("late"), lambda self, agency_id, *a, **k: agency_id == "alpha"
        ),
    )
    with caplog.at_level(logging.ERROR, logger="shafaf.harvest"):
        runs = harvest(list(reg.agencies), registry=reg, data=data)
    assert {r.outcome for r in runs} == {Outcome.OK}
    assert "was already recorded and stands" in caplog.text
    assert StateStore(data.state_db).leases() == []


def test_a_lone_surrogate_that_got_past_the_registry_fails_only_its_agency(three):
    """What a registry loaded by an older Shafaf held: every agency's harvest ended with a UnicodeEncodeError."""
    reg, data = three
    alpha = dataclasses.replace(reg.agency("alpha"), name_fa="lone \ud800 x")
    reg = dataclasses.replace(reg, agencies=(alpha, *reg.agencies[1:]))
    runs = harvest(list(reg.agencies), registry=reg, data=data)
    _assert_ended(data, runs, "stage", UnicodeEncodeError("utf-8", "", 0, 1, ""))


@pytest.mark.slow
def test_when_even_the_failure_cannot_be_written_the_run_is_aborted_once_its_process_is_gone(three, tmp_path):
    reg, data = three
    script = tmp_path / "broken_state.py"
    script.write_text(
        textwrap.dedent(f"""\
        import sqlite3, sys
        from pathlib import Path
        from shafaf.config import registry
        from shafaf.core.datadir import DataDir
        from shafaf.harvest.runner import harvest
        from shafaf.state.store import StateStore

        def refuse(self, run, *args, **kwargs):
            if run.agency_id == "alpha":
                raise sqlite3.OperationalError("disk I/O error")
            return real_finish(self, run, *args, **kwargs)

        real_finish = StateStore.finish
        StateStore.finish = refuse
        StateStore.end_run = lambda self, run, *a, **k: (_ for _ in ()).throw(sqlite3.OperationalError("disk I/O error"))
        reg = registry.load({str(reg.path)!r})
        runs = harvest(list(reg.agencies), registry=reg, data=DataDir(Path({str(data.root)!r})))
        print(sorted((r.agency_id, r.source_id, str(r.outcome)) for r in runs))
        """),
        encoding="utf-8",
    )
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "('beta', 'services', 'ok')" in done.stdout and "('alpha', 'services', 'failed')" in done.stdout
    assert "will show as aborted once this process has ended" in done.stderr
    with sqlite3.connect(data.state_db) as db:  # the holder kept its lease: it could not write the outcome
        assert db.execute("select count(*) from runs where outcome = 'running'").fetchone()[0] == 2
    state = StateStore(data.state_db)  # the next opening sees the holder gone
    assert {r["outcome"] for r in state.runs("alpha")} == {"aborted"} and state.leases() == []


@pytest.mark.slow
def test_the_cli_exits_non_zero_with_one_line_per_run_and_no_traceback(three, tmp_path):
    reg, data = three
    script = tmp_path / "failing_cli.py"
    script.write_text(
        textwrap.dedent("""\
        import sys
        from shafaf.stage import package as stage
        from shafaf.cli import cli

        real = stage.validate_file
        def validate_file(path, *args, **kwargs):
            if "alpha" in str(path):
                raise KeyError("name_en")
            return real(path, *args, **kwargs)
        stage.validate_file = validate_file
        cli(sys.argv[1:])
        """),
        encoding="utf-8",
    )
    done = subprocess.run(
        [sys.executable, str(script), "harvest", "--registry", str(reg.path), "--data-dir", str(data.root)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr and done.stderr.count("stopped on KeyError; traceback in") == 2, done.stderr
    assert "internal" in done.stdout and "beta" in done.stdout


# --- a SIGKILLed harvest shows as aborted everywhere, without waiting for its source's next trigger


@pytest.mark.slow
def test_a_sigkilled_harvest_is_aborted_in_status_the_page_and_the_published_runs(tmp_path, fault_server):
    import threading

    arrived, release = threading.Event(), threading.Event()

    def gate(conn, request):
        arrived.set()
        release.wait(30)

    fault_server.add("/alpha.csv", gate)
    path = http_registry(
        tmp_path / "src",
        fault_server.base_url,
        agencies=["alpha"],
        portal={"allow_private_networks": True, "fetch_retries": 0, "run_lease_s": 3},
    )
    reg = registry.load(path)
    data = DataDir(tmp_path / "var")
    child = subprocess.Popen(
        [sys.executable, "-m", "shafaf", "harvest", "alpha", "--registry", str(path), "--data-dir", str(data.root)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        assert arrived.wait(60), "the harvest never reached the server"  # the marker: the run is mid-fetch
        with sqlite3.connect(data.state_db) as db:
            (killed,) = db.execute("select run_id from runs where outcome = 'running'").fetchone()
        os.kill(child.pid, signal.SIGKILL)
        assert child.wait(timeout=10) == -signal.SIGKILL
    finally:
        release.set()
        if child.poll() is None:
            child.kill()
            child.wait()
    status = CliRunner().invoke(cli, ["status", "--json", "--registry", str(path), "--data-dir", str(data.root)])
    (row,) = json.loads(status.stdout)
    assert (row["outcome"], row["reason"]) == ("aborted", "lease_expired"), row
    assert "stopped before the run finished" in row["message"]
    publish(list(reg.agencies), registry=reg, data=data)
    with served(path, data.root, tmp_path / "serve.log") as base:
        page = httpx.get(f"{base}/agencies/alpha?lang=en").text
        published = httpx.get(f"{base}/shafaf/harvest_runs.json", params={"run_id": killed, "_shape": "array"}).json()
    assert [(r["outcome"], r["reason"]) for r in published] == [("aborted", "lease_expired")]
    assert "outcome-aborted" in page and "outcome-running" not in page  # the schedule panel and the run list
