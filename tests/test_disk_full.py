"""P2 on a real small disk: a publish that cannot be written says ``disk_full`` and changes nothing.

The data folder lives on a tmpfs mounted for the test, so state.db, the
served version and the new one compete for the same bytes, as they do on a
portal's disk. Whatever fills it (the copy of the served version, the rows,
the indexes, or a disk already full when the publish starts), the served
version stays byte for byte, a running server keeps answering, nothing
half-built is left, no publish is left ``running``, and the command says why
without a traceback.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from publishing import AGENCIES, write_package, write_registry
from served import served
from small_disk import fill, free_bytes, small_disk

from shafaf.core.datadir import DataDir
from shafaf.publish.dbfile import BUILDING, current_version, versions_dir
from shafaf.publish.writer import publish

pytestmark = pytest.mark.slow  # each case fills a small real disk under a publish


def _publish(root: Path, *args: str) -> tuple[int, list[dict] | None, str]:
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "shafaf",
            "publish",
            *args,
            "--registry",
            str(root / "agencies.yml"),
            "--data-dir",
            str(root / "var"),
            "--json",
            "--no-downloads",
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    try:
        results = json.loads(proc.stdout)
    except json.JSONDecodeError:
        results = None
    return proc.returncode, results, proc.stderr


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _publishes(data: DataDir) -> list[tuple[str, str]]:
    with sqlite3.connect(data.state_db) as conn:
        return conn.execute("SELECT outcome, coalesce(message, '') FROM publishes ORDER BY publish_id").fetchall()


@pytest.fixture
def on_small_disk(tmp_path):
    """Two agencies published on a 24 MB tmpfs; new rows staged for both."""
    with small_disk(tmp_path / "disk", megabytes=24) as root:
        reg = write_registry(root)
        data = DataDir(root / "var")
        for agency in AGENCIES:
            write_package(data, reg, agency, run_id="old", services=100, rows_per_service=40)
        publish(list(reg.agencies), registry=reg, data=data)
        for agency in AGENCIES:
            write_package(data, reg, agency, run_id="new", services=100, rows_per_service=40)
        yield root, reg, data


@pytest.mark.parametrize("leave", [0, 64 * 1024, "half a version"], ids=["full", "64 kB free", "no room for the copy"])
@pytest.mark.parametrize("args", [(), ("--rebuild",), ("alpha",)], ids=["all", "rebuild", "one agency"])
def test_a_full_disk_fails_the_publish_with_disk_full_and_keeps_the_served_version(on_small_disk, leave, args):
    root, reg, data = on_small_disk
    served_version = current_version(data.public_db)
    digest = _digest(served_version)
    if leave == "half a version":
        leave = served_version.stat().st_size // 2
    ballast = fill(root, leave=leave)
    try:
        code, results, stderr = _publish(root, *args)
        assert code == 1, stderr
        assert "Traceback" not in stderr
        assert results is not None, f"--json printed no results: {stderr}"
        assert results and all(not r["ok"] and r["reason"] == "disk_full" for r in results), results
        assert all("disk is full" in r["message"] for r in results)
        assert current_version(data.public_db) == served_version
        assert _digest(served_version) == digest
        assert not [p for p in versions_dir(data.public_db).iterdir() if BUILDING in p.name]
    finally:
        ballast.unlink()
    assert "running" not in [outcome for outcome, _ in _publishes(data)]  # read once there is room to open state.db
    # Once there is room again, the same publish goes through.
    code, results, stderr = _publish(root, *args)
    assert code == 0, stderr
    assert current_version(data.public_db) != served_version
    assert free_bytes(root) > 0


def test_a_running_server_keeps_answering_through_a_full_disk(on_small_disk, tmp_path):
    root, reg, data = on_small_disk
    with served(root / "agencies.yml", data.root, tmp_path / "serve.log") as base:
        sql = f"{base}/shafaf.json?_shape=array&sql=select+distinct+run_id+from+service_performance"
        assert httpx.get(sql, timeout=10).json() == [{"run_id": "old"}]
        ballast = fill(root)
        try:
            code, results, _ = _publish(root)
            assert code == 1 and {r["reason"] for r in results} == {"disk_full"}
            for path in ("/", "/agencies/alpha", "/shafaf/service_performance.json?_size=5"):
                assert httpx.get(base + path, timeout=10).status_code == 200
            assert httpx.get(sql, timeout=10).json() == [{"run_id": "old"}]
        finally:
            ballast.unlink()
        code, _, stderr = _publish(root)
        assert code == 0, stderr
        assert httpx.get(sql, timeout=10).json() == [{"run_id": "new"}]
