"""Read replicas (issue 19): snapshots written and verified, installed by one link swap, served read-only,
with entity tags a CDN can revalidate.

Real parts: published SQLite versions and downloads (tests/publishing.py),
the real CLI in a subprocess, the real Datasette app through its client.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

import pytest
from publishing import AGENCIES, write_package, write_registry

from shafaf.core.datadir import DataDir
from shafaf.datasette_plugins.app import make_datasette
from shafaf.publish import snapshot
from shafaf.publish.exports import write_exports
from shafaf.publish.writer import publish

pytestmark = pytest.mark.slow  # snapshots of a published portal, served


def _publish(reg, data: DataDir, run_id: str, agencies=AGENCIES) -> None:
    for agency in agencies:
        write_package(data, reg, agency, run_id=run_id, services=5, rows_per_service=4)
    assert all(r.ok for r in publish([reg.agency(a) for a in agencies], registry=reg, data=data))
    write_exports(data.public_db, data.downloads, registry=reg)


@pytest.fixture
def primary(tmp_path):
    reg = write_registry(tmp_path)
    data = DataDir(tmp_path / "var")
    _publish(reg, data, "old")
    return reg, data


def get(ds, path: str, **kwargs):
    return asyncio.run(ds.client.get(path, **kwargs))


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "shafaf", *args], capture_output=True, text=True, timeout=120)


def test_a_snapshot_holds_the_published_version_and_its_downloads_and_verifies(primary, tmp_path):
    reg, data = primary
    out = cli("snapshot", "write", str(tmp_path / "snaps"), "--data-dir", str(data.root))
    assert out.returncode == 0, out.stderr
    folder = Path(out.stdout.strip())
    assert folder.name == data.public_db.resolve().stem
    assert (folder / "shafaf.db").read_bytes() == data.public_db.read_bytes()
    assert (folder / "downloads" / "tables" / "services.csv").read_bytes() == (
        data.downloads / "tables" / "services.csv"
    ).read_bytes()
    assert not list((folder / "downloads").glob(".parts"))  # the parts stay on the primary
    assert cli("snapshot", "verify", str(folder)).returncode == 0
    # A byte changed in transit is found, named, and the command fails without a traceback.
    (tmp_path / "copied").mkdir()
    subprocess.run(["cp", "-r", str(folder), str(tmp_path / "copied")], check=True)
    copy = tmp_path / "copied" / folder.name
    target = copy / "downloads" / "tables" / "services.csv"
    target.write_bytes(target.read_bytes().replace(b"Service", b"Sarvice", 1))
    bad = cli("snapshot", "verify", str(copy))
    assert bad.returncode == 1 and "downloads/tables/services.csv" in bad.stderr and "Traceback" not in bad.stderr


def test_a_snapshot_is_refused_when_the_downloads_are_not_of_the_published_version(primary, tmp_path):
    reg, data = primary
    write_package(data, reg, "beta", run_id="new", services=5, rows_per_service=4)
    publish([reg.agency("beta")], registry=reg, data=data)  # --no-downloads, in effect
    with pytest.raises(snapshot.SnapshotError, match="publish again"):
        snapshot.write(data, tmp_path / "snaps")


def test_a_replica_serves_the_installed_snapshot_and_moves_to_the_next_without_a_restart(primary, tmp_path):
    reg, data = primary
    replica = tmp_path / "replica"
    first = snapshot.install(snapshot.write(data, tmp_path / "snaps"), replica)
    ds = make_datasette(replica / "shafaf.db", reg.portal, registry_path=reg.path, replica=True)
    page = get(ds, "/shafaf/services.json?_shape=array")
    assert page.status_code == 200 and "(old)" in page.text
    tag = page.headers["etag"]
    assert "max-age=" in page.headers["cache-control"]  # Datasette's own (default_cache_ttl) is kept
    ours = get(ds, "/agencies/alpha")
    assert ours.status_code == 200 and ours.headers["cache-control"] == "public, max-age=60" and ours.headers["etag"]
    again = get(ds, "/shafaf/services.json?_shape=array", headers={"if-none-match": tag})
    assert again.status_code == 304 and again.content == b""
    assert get(ds, "/downloads/tables/services.csv").status_code == 200

    _publish(reg, data, "new")
    second = snapshot.install(snapshot.write(data, tmp_path / "snaps"), replica)
    assert second != first and snapshot.served_version(replica) == second.name
    page = get(ds, "/shafaf/services.json?_shape=array", headers={"if-none-match": tag})
    assert page.status_code == 200 and "(new)" in page.text and page.headers["etag"] != tag
    assert b"(new)" in get(ds, "/downloads/tables/services.csv").content
    assert not (replica / "state.db").exists()


def test_a_replica_answers_agency_requests_primary_only(primary, tmp_path):
    reg, data = primary
    replica = tmp_path / "replica"
    snapshot.install(snapshot.write(data, tmp_path / "snaps"), replica)
    ds = make_datasette(replica / "shafaf.db", reg.portal, registry_path=reg.path, replica=True)
    answer = asyncio.run(ds.client.post("/-/agencies/alpha/harvest", headers={"authorization": "Bearer x"}))
    assert answer.status_code == 403 and "primary only" in answer.json()["error"]
    assert "etag" not in answer.headers
    assert not (replica / "state.db").exists()


def test_the_same_snapshot_has_the_same_tags_on_every_replica(primary, tmp_path):
    reg, data = primary
    snap = snapshot.write(data, tmp_path / "snaps")
    tags = []
    for name in ("r1", "r2"):
        snapshot.install(snap, tmp_path / name)
        ds = make_datasette(tmp_path / name / "shafaf.db", reg.portal, registry_path=reg.path, replica=True)
        tags.append(get(ds, "/agencies/alpha").headers.get("etag"))
    assert tags[0] and tags[0] == tags[1]
