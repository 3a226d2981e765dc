"""Immutable, versioned snapshots of what is published, for read replicas (issue 19, docs/scaling.md).

A snapshot is a directory named after the database version it holds:

    <out>/<version>/shafaf.db        the published version, byte for byte
    <out>/<version>/downloads/       the downloads made from it (what their manifest lists)
    <out>/<version>/SNAPSHOT.json    version, sizes and SHA-256 of the database and of every download

``write`` builds it under ``<version>.building``, verifies it and renames it;
``verify`` re-checks one anywhere (after a copy to another host). A replica's
directory (``install``) holds ``snapshots/<version>/`` and three links:
``current`` → the snapshot served, and ``shafaf.db`` → ``current/shafaf.db``,
``downloads`` → ``current/downloads``, so one ``os.replace`` of ``current``
switches database and downloads together, and ``shafaf serve --replica
--data-dir <replica>`` moves to the new version at its next query.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import sqlite3
from pathlib import Path
from typing import Any

from shafaf.core import durable
from shafaf.core.datadir import DataDir
from shafaf.core.durable import fsync_dir
from shafaf.core.errors import ShafafError
from shafaf.publish import dbfile, export_versions
from shafaf.publish.export_files import MANIFEST, hash_file, read_manifest

SNAPSHOT = "SNAPSHOT.json"
DB = "shafaf.db"
DOWNLOADS = "downloads"
CURRENT = "current"
SNAPSHOTS = "snapshots"
KEEP = 2
FORMAT_VERSION = 1


class SnapshotError(ShafafError):
    """A snapshot could not be written, or does not hold what its SNAPSHOT.json says."""


def write(data: DataDir, out: Path) -> Path:
    """A verified snapshot of the version published now (and its downloads) under ``out``; returns its directory.

    Files are hard-linked from the data directory where ``out`` is on the same
    file system (published files are never written again), else copied.
    """
    version = dbfile.current_version(data.public_db)
    if version is None or not version.is_file():
        raise SnapshotError(f"nothing is published in {data.root}: run 'shafaf publish' first")
    downloads = export_versions.current(data.downloads)
    manifest = read_manifest(downloads) if downloads else None
    if manifest is None:
        raise SnapshotError(f"{data.downloads} has no downloads yet: run 'shafaf publish' without --no-downloads")
    state = export_versions.read_state(downloads)
    if state is None or state.get("db", {}).get("name") != version.name:
        raise SnapshotError(
            f"the downloads in {data.downloads} were not made from the published version "
            f"{version.name}; publish again (with the downloads) before taking a snapshot"
        )
    final = Path(out) / version.stem
    if final.exists():
        verify(final)
        return final
    building = final.with_name(final.name + ".building")
    shutil.rmtree(building, ignore_errors=True)
    (building / DOWNLOADS).mkdir(parents=True)
    try:
        _place(version, building / DB)
        files = []
        for entry in manifest["files"]:
            target = building / DOWNLOADS / entry["file"]
            target.parent.mkdir(parents=True, exist_ok=True)
            _place(downloads / entry["file"], target)
            files.append({"file": f"{DOWNLOADS}/{entry['file']}", "bytes": entry["bytes"], "sha256": entry["sha256"]})
        _place(downloads / MANIFEST, building / DOWNLOADS / MANIFEST)
        db_sha, db_bytes = hash_file(building / DB)
        record = {
            "format_version": FORMAT_VERSION,
            "version": version.stem,
            "created": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "database": {"file": DB, "bytes": db_bytes, "sha256": db_sha},
            "downloads_generated_at": manifest.get("generated_at"),
            "files": files,
        }
        (building / SNAPSHOT).write_text(json.dumps(record, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        export_versions.sync_tree(building)
        verify(building)
        os.rename(building, final)
        fsync_dir(final.parent)
    except BaseException:
        shutil.rmtree(building, ignore_errors=True)
        raise
    return final


def _place(source: Path, target: Path) -> None:
    try:
        os.link(source, target)
    except OSError:
        shutil.copyfile(source, target)


def verify(folder: Path) -> dict[str, Any]:
    """Check a snapshot against its SNAPSHOT.json: every byte hashed, the database's integrity checked."""
    folder = Path(folder)
    try:
        record = json.loads((folder / SNAPSHOT).read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise SnapshotError(f"{folder} is not a snapshot ({SNAPSHOT}: {e})") from e
    wrong = []
    for entry in [record["database"], *record["files"]]:
        path = folder / entry["file"]
        try:
            digest, size = hash_file(path)
        except OSError as e:
            wrong.append(f"{entry['file']}: {e.strerror or e}")
            continue
        if (digest, size) != (entry["sha256"], entry["bytes"]):
            wrong.append(
                f"{entry['file']}: {size} bytes, sha256 {digest[:12]}…; expected {entry['bytes']} bytes, "
                f"sha256 {entry['sha256'][:12]}…"
            )
    if not wrong and not _integrity_ok(folder / DB):
        wrong.append(f"{DB}: PRAGMA integrity_check failed")
    if wrong:
        raise SnapshotError(
            f"the snapshot {folder} does not hold what {SNAPSHOT} says: "
            + "; ".join(wrong[:5])
            + (f" (and {len(wrong) - 5} more)" if len(wrong) > 5 else "")
        )
    return record


def _integrity_ok(path: Path) -> bool:
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro&immutable=1", uri=True)
    try:
        return conn.execute("PRAGMA quick_check").fetchone()[0] == "ok"
    except sqlite3.DatabaseError:
        return False
    finally:
        conn.close()


def install(snapshot: Path, replica: Path) -> Path:
    """Verify ``snapshot`` and make it the one ``replica`` serves; returns its place under ``replica/snapshots``.

    The snapshot is moved into ``replica/snapshots/`` when it is elsewhere on
    the same file system (copied otherwise); then ``current`` is swapped.
    """
    snapshot, replica = Path(snapshot), Path(replica)
    record = verify(snapshot)
    home = replica / SNAPSHOTS
    home.mkdir(parents=True, exist_ok=True)
    placed = home / record["version"]
    if snapshot.resolve() != placed.resolve():
        if not placed.exists():
            tmp = home / f"{record['version']}.building"
            shutil.rmtree(tmp, ignore_errors=True)
            shutil.copytree(snapshot, tmp, copy_function=_copy_or_link)
            export_versions.sync_tree(tmp)
            os.rename(tmp, placed)
        verify(placed)
    for name, target in ((DB, f"{CURRENT}/{DB}"), (DOWNLOADS, f"{CURRENT}/{DOWNLOADS}")):
        if not (replica / name).is_symlink():
            (replica / name).unlink(missing_ok=True)
            os.symlink(target, replica / name)
    link = replica / f".{CURRENT}.link-{os.getpid()}"
    link.unlink(missing_ok=True)
    os.symlink(os.path.relpath(placed, replica), link)
    durable.replace(link, replica / CURRENT)
    _prune(home, keep=placed)
    return placed


def _copy_or_link(source: str, target: str) -> None:
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)


def _prune(home: Path, *, keep: Path) -> None:
    """Keep the snapshot served and the one before it (readers still on it finish)."""
    versions = sorted(p for p in home.iterdir() if p.is_dir() and not p.name.endswith(".building"))
    for old in versions[:-KEEP]:
        if old != keep:
            shutil.rmtree(old, ignore_errors=True)


def served_version(replica: Path) -> str | None:
    """The version a replica's directory serves now."""
    try:
        return Path(os.readlink(Path(replica) / CURRENT)).name
    except OSError:
        return None
