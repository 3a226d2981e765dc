"""Publishing survives being killed and a full disk, while a real server keeps answering (P1, P2, P3, P6).

Each agency's rows carry the run they came from ("old" or "new"), so any
reader can tell a whole publication from a half one: every agency must show
exactly the rows of one run.
"""

from __future__ import annotations

import random
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest
from publishing import AGENCIES, write_package, write_registry
from served import free_port

from shafaf.core.datadir import DataDir
from shafaf.core.models import Outcome, Reason
from shafaf.publish.dbfile import BUILDING, current_version, versions_dir
from shafaf.publish.writer import publish
from shafaf.state.store import StateStore

pytestmark = pytest.mark.slow  # kill loops, a million rows, a served portal under publishes

SERVICES, MONTHS = 100, 100  # 10,000 performance rows an agency: a publish of a few tenths of a second


@pytest.fixture
def portal(tmp_path):
    """Old data published; new data staged, ready to be published."""
    reg = write_registry(tmp_path)
    data = DataDir(tmp_path / "var")
    for agency in AGENCIES:
        write_package(data, reg, agency, run_id="old", services=SERVICES, rows_per_service=MONTHS)
    publish(list(reg.agencies), registry=reg, data=data)
    for agency in AGENCIES:
        write_package(data, reg, agency, run_id="new", services=SERVICES, rows_per_service=MONTHS)
    return tmp_path, reg, data


def state_of(db_path: Path) -> dict[str, str]:
    """For each agency, which run its published rows are from; fails on a mix or a wrong count."""
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        out = {}
        for agency in AGENCIES:
            runs = conn.execute(
                "SELECT run_id, count(*) FROM service_performance WHERE agency_id = ? GROUP BY run_id", (agency,)
            ).fetchall()
            assert len(runs) == 1 and runs[0][1] == SERVICES * MONTHS, (agency, runs)
            out[agency] = runs[0][0]
        return out
    finally:
        conn.close()


def publisher(tmp_path: Path, *args: str, preexec=None) -> subprocess.Popen:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "shafaf",
            "publish",
            *args,
            "--registry",
            str(tmp_path / "agencies.yml"),
            "--data-dir",
            str(tmp_path / "var"),
            "--json",
            "--no-downloads",
        ],  # the kills aim at publishing itself
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        preexec_fn=preexec,
    )


def started_publishing(proc: subprocess.Popen, data: DataDir, timeout: float = 60) -> float:
    """Wait for the marker that the publisher has started (its 'running' row in state.db); when it was seen.

    A kill aimed at a fixed delay after launch lands before anything began
    on a slow or busy machine and tests nothing; a kill aimed after this
    marker always lands inside a publish, or after it ended.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return time.monotonic()  # it ended already (a very fast publish): the kill will find nothing to cut
        try:
            with sqlite3.connect(f"file:{data.state_db}?mode=ro", uri=True, timeout=1) as conn:
                if conn.execute("SELECT 1 FROM publishes WHERE outcome = 'running'").fetchone():
                    return time.monotonic()
        except sqlite3.Error:
            pass  # state.db not made yet, or busy
        time.sleep(0.005)
    pytest.fail("the publisher never started")


def timed_publish(tmp_path: Path, *args: str) -> float:
    started = time.monotonic()
    proc = publisher(tmp_path, *args)
    proc.communicate(timeout=120)
    assert proc.returncode == 0
    return time.monotonic() - started


@pytest.mark.parametrize("mode", ["in-place", "rebuild"])
def test_killed_at_any_point_the_served_file_is_old_or_new_and_the_next_run_cleans_up(portal, mode):
    tmp_path, reg, data = portal
    args = ("--rebuild",) if mode == "rebuild" else ()
    # How long a whole publish takes here, so the kills land from start-up to the swap.
    duration = timed_publish(tmp_path, *args)
    for agency in AGENCIES:  # back to old data, so every kill has two states to choose from
        write_package(data, reg, agency, run_id="old", services=SERVICES, rows_per_service=MONTHS)
    timed_publish(tmp_path, *args)
    for agency in AGENCIES:
        write_package(data, reg, agency, run_id="new", services=SERVICES, rows_per_service=MONTHS)

    rng = random.Random(7)
    seen = set()
    # Offsets after the publisher's own start marker: from its first statement to past its end.
    offsets = sorted([0.0] + [rng.uniform(0.0, duration) for _ in range(7)])
    for offset in offsets:
        proc = publisher(tmp_path, *args)
        started_publishing(proc, data)
        time.sleep(offset)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        states = state_of(data.public_db)
        assert set(states.values()) <= {"old", "new"}
        seen.add(tuple(sorted(states.items())))
        if states == {a: "new" for a in AGENCIES}:  # it finished before the kill: back to old for the next one
            for agency in AGENCIES:
                write_package(data, reg, agency, run_id="old", services=SERVICES, rows_per_service=MONTHS)
            timed_publish(tmp_path, *args)
            for agency in AGENCIES:
                write_package(data, reg, agency, run_id="new", services=SERVICES, rows_per_service=MONTHS)

    # The next publish cleans what the killed ones left and marks them aborted.
    timed_publish(tmp_path, *args)
    assert state_of(data.public_db) == {a: "new" for a in AGENCIES}
    leftovers = [p for p in versions_dir(data.public_db).glob("*") if BUILDING in p.name]
    assert leftovers == []
    assert len(list(versions_dir(data.public_db).glob("shafaf-*.db"))) <= 2  # old versions pruned
    outcomes = [p["outcome"] for p in StateStore(data.state_db).publishes()]
    assert "running" not in outcomes and outcomes.count("aborted") >= 1
    assert (("alpha", "old"), ("beta", "old")) in seen  # at least one kill landed before anything was published


def _no_xfsz() -> None:
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG instead of killing


@pytest.mark.parametrize("mode", ["in-place", "rebuild"])
def test_a_full_disk_fails_with_disk_full_and_leaves_the_served_file(portal, mode):
    import resource

    tmp_path, reg, data = portal
    before = state_of(data.public_db)
    served = current_version(data.public_db)
    limit = served.stat().st_size // 4  # room for a little, not for an agency

    def small_disk() -> None:
        _no_xfsz()
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    proc = publisher(tmp_path, *(("--rebuild",) if mode == "rebuild" else ()), preexec=small_disk)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 1, err.decode()
    assert b"Traceback" not in err
    results = __import__("json").loads(out)
    assert {r["reason"] for r in results} <= {Reason.DISK_FULL, Reason.PUBLISH_ERROR}
    assert Reason.DISK_FULL in {r["reason"] for r in results}
    assert state_of(data.public_db) == before
    assert current_version(data.public_db) == served
    assert not [p for p in versions_dir(data.public_db).glob("*") if BUILDING in p.name]


def test_readers_of_a_running_server_never_see_half_a_publication(portal):
    """P3: a real server answers throughout in-place publishes, rebuilds and a killed publisher."""
    tmp_path, reg, data = portal
    port = free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "shafaf",
            "serve",
            "--port",
            str(port),
            "--registry",
            str(tmp_path / "agencies.yml"),
            "--data-dir",
            str(data.root),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    url = (
        f"http://127.0.0.1:{port}/shafaf.json?_shape=array&sql="
        + "select agency_id, run_id, count(*) as n from service_performance group by agency_id, run_id"
    )
    problems: list[str] = []
    seen: set[str] = set()
    stop = threading.Event()

    def read() -> None:
        with httpx.Client(timeout=10) as client:
            while not stop.is_set():
                try:
                    response = client.get(url)
                except httpx.TransportError as e:
                    problems.append(f"transport: {e}")
                    continue
                if response.status_code != 200:
                    problems.append(f"{response.status_code}: {response.text[:200]}")
                    continue
                rows = response.json()
                if sorted(r["agency_id"] for r in rows) != sorted(AGENCIES) or any(
                    r["n"] != SERVICES * MONTHS for r in rows
                ):
                    problems.append(f"half a publication: {rows}")
                seen.update(r["run_id"] for r in rows)

    try:
        for _ in range(100):  # wait for the server
            try:
                if httpx.get(f"http://127.0.0.1:{port}/-/versions.json", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        readers = [threading.Thread(target=read) for _ in range(4)]
        for r in readers:
            r.start()
        publish(list(reg.agencies), registry=reg, data=data)  # in place: old → new
        for agency in AGENCIES:
            write_package(data, reg, agency, run_id="rebuilt", services=SERVICES, rows_per_service=MONTHS)
        publish(list(reg.agencies), registry=reg, data=data, rebuild=True)  # a new file swapped in
        time.sleep(0.5)
        for agency in AGENCIES:
            write_package(data, reg, agency, run_id="killed", services=SERVICES, rows_per_service=MONTHS)
        proc = publisher(tmp_path)
        started_publishing(proc, data)
        time.sleep(0.2)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        time.sleep(0.5)
        stop.set()
        for r in readers:
            r.join()
    finally:
        stop.set()
        server.terminate()
        server.wait(timeout=10)
    assert problems == []
    assert {"new", "rebuilt"} <= seen  # the rebuilt file was served without a restart


def test_a_killed_publish_is_marked_aborted(portal):
    tmp_path, _, data = portal
    store = StateStore(data.state_db)
    store.start_publish(rebuild=False, agencies=2)  # what a killed publisher leaves behind
    timed_publish(tmp_path)
    outcomes = [p["outcome"] for p in store.publishes()]
    assert outcomes[-2:] == [str(Outcome.ABORTED), str(Outcome.OK)]


def test_publishing_a_million_rows_keeps_memory_flat(tmp_path):
    """Rows stream from the staged CSV into SQLite in batches: a 1M-row resource never sits in memory.

    Held in memory as tuples, a million rows of this shape take about 500 MB;
    streamed, the publisher stays near its own size plus SQLite's 16 MB page cache.
    """
    reg = write_registry(tmp_path, ("alpha",))
    data = DataDir(tmp_path / "var")
    assert write_package(data, reg, "alpha", run_id="big", services=1000, rows_per_service=1000) == 1_000_000
    # VmHWM, not ru_maxrss: Linux carries ru_maxrss over exec, so a child of a large pytest process
    # would report the parent's size.
    script = (
        "import sys; from shafaf.cli import cli; sys.argv = ['shafaf'] + sys.argv[1:];\n"
        "try:\n    cli()\nfinally:\n"
        "    hwm = [l for l in open('/proc/self/status') if l.startswith('VmHWM')][0].split()[1]\n"
        "    print('maxrss_kb', hwm, file=sys.stderr)"
    )
    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            script,
            "publish",
            "--registry",
            str(tmp_path / "agencies.yml"),
            "--data-dir",
            str(data.root),
            "--json",
            "--no-downloads",
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr
    maxrss_mb = int(proc.stderr.split("maxrss_kb")[1].split()[0]) / 1024
    assert maxrss_mb < 150, f"the publisher peaked at {maxrss_mb:.0f} MB"  # issue 9's ceiling for ingest
    with sqlite3.connect(data.public_db) as db:
        assert db.execute("SELECT count(*) FROM service_performance").fetchone()[0] == 1_000_000
