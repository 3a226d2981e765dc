"""Downloads after a one-agency publish (issue 19): only that agency's parts and package are written again,
and the files are exactly those of an export made from scratch; a kill at any point leaves old or new.

Real parts: the publisher's staged packages (tests/publishing.py), real
publishes into real SQLite files, a SIGKILLed ``shafaf publish`` process.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from publishing import AGENCIES, write_package, write_registry

from shafaf.core.datadir import DataDir
from shafaf.publish import dbfile, export_versions
from shafaf.publish.export_parts import part_key
from shafaf.publish.exports import read_manifest, write_exports
from shafaf.publish.writer import publish

pytestmark = pytest.mark.slow  # kills during publishes and their downloads

SERVICES, MONTHS = 20, 30


@pytest.fixture
def portal(tmp_path):
    reg = write_registry(tmp_path)
    data = DataDir(tmp_path / "var")
    for agency in AGENCIES:
        write_package(data, reg, agency, run_id="old", services=SERVICES, rows_per_service=MONTHS)
    publish(list(reg.agencies), registry=reg, data=data)
    write_exports(data.public_db, data.downloads, registry=reg)
    return tmp_path, reg, data


def _files(downloads: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(downloads)): p.read_bytes()
        for p in downloads.rglob("*")
        if p.is_file() and not str(p.relative_to(downloads)).startswith(".parts")
    }


def _inode(path: Path) -> int:
    return path.stat().st_ino


def _part(version: Path, table: str, agency_id: str) -> Path:
    """The raw CSV part a downloads version was joined from, for one agency (in the store the versions share)."""
    state = export_versions.read_state(version)
    (entry,) = [p for p in state["parts"][table] if p["key"] == part_key(agency_id)]
    return (
        export_versions.root_of(version.parent.parent / "downloads")
        / export_versions.PARTS
        / table
        / (entry["file"] + ".csv")
    )


def _assert_store_holds_what_is_listed(data: DataDir) -> None:
    """The shared parts store holds exactly the parts the kept versions list: it does not grow with publishes."""
    listed = {
        (table, part["file"])
        for version in export_versions.kept(data.downloads)
        for table, parts in export_versions.read_state(version)["parts"].items()
        for part in parts
    }
    store = export_versions.parts_store(data.downloads)
    on_disk = {(f.parent.name, f.name.split(".", 1)[0]) for f in store.rglob("*") if f.is_file()}
    assert on_disk == listed


def test_a_one_agency_publish_rewrites_that_agency_and_matches_an_export_from_scratch(portal, tmp_path):
    _, reg, data = portal
    old = data.downloads.resolve()
    write_package(data, reg, "beta", run_id="new", services=SERVICES, rows_per_service=MONTHS)
    assert publish([reg.agency("beta")], registry=reg, data=data)[0].ok
    write_exports(data.public_db, data.downloads, registry=reg)
    new = data.downloads.resolve()
    assert new != old
    assert _part(new, "service_performance", "alpha") == _part(old, "service_performance", "alpha")  # not rewritten
    assert _part(new, "service_performance", "beta") != _part(old, "service_performance", "beta")
    assert all(_part(v, "service_performance", a).is_file() for v in (old, new) for a in ("alpha", "beta"))
    assert _inode(new / "agencies" / "alpha.zip") == _inode(old / "agencies" / "alpha.zip")
    assert _inode(new / "agencies" / "beta.zip") != _inode(old / "agencies" / "beta.zip")
    assert b"(new)" in (new / "tables" / "services.csv").read_bytes()

    scratch = tmp_path / "scratch" / "downloads"
    write_exports(data.public_db, scratch, registry=reg)
    mine, theirs = _files(data.downloads), _files(scratch)
    assert set(mine) == set(theirs)
    tables_only = [name for name in mine if name.startswith("tables/")]
    assert tables_only and all(mine[name] == theirs[name] for name in tables_only)
    manifest = read_manifest(data.downloads)
    for entry in manifest["files"]:  # every file is what the manifest and SHA256SUMS say
        assert hashlib.sha256((data.downloads / entry["file"]).read_bytes()).hexdigest() == entry["sha256"]
    sums = dict(line.split("  ")[::-1] for line in (data.downloads / "SHA256SUMS").read_text().splitlines())
    assert sums == {e["file"]: e["sha256"] for e in manifest["files"] if e["file"] != "SHA256SUMS"}
    for _ in range(3):  # more publishes: the parts of versions pruned since leave the store
        write_package(data, reg, "beta", run_id="new", services=SERVICES, rows_per_service=MONTHS)
        publish([reg.agency("beta")], registry=reg, data=data)
        write_exports(data.public_db, data.downloads, registry=reg)
    _assert_store_holds_what_is_listed(data)


def test_without_the_chain_of_change_records_every_part_is_made_again(portal):
    _, reg, data = portal
    old = data.downloads.resolve()
    write_package(data, reg, "beta", run_id="new", services=SERVICES, rows_per_service=MONTHS)
    publish([reg.agency("beta")], registry=reg, data=data)
    current = dbfile.current_version(data.public_db)
    current.with_name(current.name + dbfile.CHANGES).unlink()  # a version made by an older Shafaf
    write_exports(data.public_db, data.downloads, registry=reg)
    new = data.downloads.resolve()
    assert _part(new, "services", "alpha") != _part(old, "services", "alpha")
    assert b"(new)" in (new / "tables" / "services.csv").read_bytes()


def test_an_export_with_nothing_changed_links_every_file(portal):
    _, reg, data = portal
    old = data.downloads.resolve()
    write_exports(data.public_db, data.downloads, registry=reg)
    new = data.downloads.resolve()
    assert _inode(new / "tables" / "service_performance.json") == _inode(old / "tables" / "service_performance.json")
    assert len(export_versions.kept(data.downloads)) == 2  # the one before stays


def test_an_older_shafafs_plain_downloads_directory_is_replaced_by_the_link(tmp_path):
    reg = write_registry(tmp_path)
    data = DataDir(tmp_path / "var")
    for agency in AGENCIES:
        write_package(data, reg, agency, run_id="old", services=3, rows_per_service=2)
    publish(list(reg.agencies), registry=reg, data=data)
    (data.downloads / "tables").mkdir(parents=True)
    (data.downloads / "manifest.json").write_text('{"files": []}', encoding="utf-8")
    write_exports(data.public_db, data.downloads, registry=reg)
    assert data.downloads.is_symlink() and (data.downloads / "tables" / "services.csv").exists()


def _state(data: DataDir) -> tuple[str, str]:
    """(the database's run of beta, the downloads' run of beta), each whole or the test fails."""
    with sqlite3.connect(f"file:{data.public_db}?mode=ro", uri=True) as conn:
        runs = {r[0] for r in conn.execute("SELECT run_id FROM service_performance WHERE agency_id = 'beta'")}
    assert len(runs) == 1, runs
    manifest = read_manifest(data.downloads)
    for entry in manifest["files"]:
        assert hashlib.sha256((data.downloads / entry["file"]).read_bytes()).hexdigest() == entry["sha256"]
    rows = json.loads((data.downloads / "tables" / "service_performance.json").read_text(encoding="utf-8"))
    down = {r["run_id"] for r in rows if r["agency_id"] == "beta"}
    assert len(down) == 1 and len(rows) == 2 * SERVICES * MONTHS, down
    return runs.pop(), down.pop()


def test_a_kill_during_a_one_agency_publish_leaves_database_and_downloads_old_or_new(portal):
    tmp_path, reg, data = portal
    rng = random.Random(19)
    seen = set()
    for attempt in range(6):
        write_package(data, reg, "beta", run_id=f"run{attempt}", services=SERVICES, rows_per_service=MONTHS)
        before = _state(data)
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "shafaf",
                "publish",
                "beta",
                "--registry",
                str(reg.path),
                "--data-dir",
                str(data.root),
                "--json",
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        time.sleep(rng.uniform(0.3, 2.0))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        db_run, downloads_run = _state(data)
        assert db_run in (before[0], f"run{attempt}") and downloads_run in (before[1], f"run{attempt}")
        seen.add((db_run == f"run{attempt}", downloads_run == f"run{attempt}"))
        # The next export (after the next publish) starts from whatever the kill left.
    print("kills landed at (database new, downloads new):", sorted(seen))
    publish([reg.agency("beta")], registry=reg, data=data)
    write_exports(data.public_db, data.downloads, registry=reg)
    assert _state(data) == ("run5", "run5")
    assert not list((data.root / "exports").glob("*.building"))
    assert os.path.isdir(data.downloads)
    _assert_store_holds_what_is_listed(data)  # the parts killed exports wrote are gone


def test_the_package_fingerprint_is_the_digest_of_its_json_list(portal):
    """Encoding what agencies share once changes no fingerprint: packages made before are not made again."""
    from shafaf.publish.export_packages import _sources, package_fingerprint
    from shafaf.standard import tables

    _, reg, _ = portal
    present = {t: tables.columns(t) for t in tables.DATASET_TABLES}
    p = reg.portal
    for agency_id in ("alpha", "beta", "not-in-the-registry"):
        parts = [p.title_en, p.license.id, p.license.title, p.license.url, _sources(reg, agency_id), present]
        want = hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode("utf-8")).hexdigest()[:32]
        assert package_fingerprint(reg, agency_id, present) == want
