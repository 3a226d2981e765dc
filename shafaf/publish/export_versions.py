"""Versions of the downloads: a new directory per export, swapped in by one rename of a link.

``var/downloads`` is a symbolic link to ``var/exports/<time>/`` (the files
the manifest lists, and ``.parts/state.json``: which per-agency parts the
table files were joined from, never served). The parts themselves are in
``var/exports/.parts/``, a store the versions share (``export_parts``). An export builds ``var/exports/<time>.building/``
(hard links for what did not change), syncs it, renames it, and points the
link at it with one ``os.replace``: a reader, a replica copying a snapshot,
or a crash sees the old downloads or the new, never a mix. The version
before stays for readers still downloading; older ones are removed. One
exporter at a time holds ``var/exports/.lock``; what it finds ``.building``
was left by a killed one and is removed.

Which agencies changed since the previous downloads is read from the
database versions' change records (``dbfile.read_changes``): the chain from
the published version back to the one the parts were made from. A broken
chain (a version without a record, a rebuild, a file changed in place) means
every part is made again.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from shafaf.core import durable
from shafaf.core.durable import fsync_dir
from shafaf.publish import dbfile

EXPORTS = "exports"
PARTS = ".parts"
STATE = "state.json"
STORE_FORMAT = 1  # parts in the shared store (``parts_store``), each named by the export that wrote it
BUILDING = ".building"
LOCK = ".lock"
KEEP = 2
CHAIN_LIMIT = 1000  # versions walked back at most, before making every part again


def root_of(downloads: Path) -> Path:
    return downloads.parent / EXPORTS


@contextlib.contextmanager
def locked(downloads: Path) -> Iterator[None]:
    """Hold the one exporter lock (two exports wait for each other)."""
    root = root_of(downloads)
    root.mkdir(parents=True, exist_ok=True)
    with open(root / LOCK, "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def parts_store(downloads: Path) -> Path:
    """Where the per-agency parts of every kept version are (never served: a ``.``-led name)."""
    return root_of(downloads) / PARTS


def kept(downloads: Path) -> list[Path]:
    """The downloads versions on disk (finished ones: the served one and the one before it)."""
    root = root_of(downloads)
    if not root.is_dir():
        return []
    return sorted(p for p in root.iterdir() if _is_version(p))


def _is_version(path: Path) -> bool:
    return path.is_dir() and not path.name.startswith(".") and not path.name.endswith(BUILDING)


def current(downloads: Path) -> Path | None:
    """The directory the downloads are served from now (a plain directory for an older Shafaf), or None."""
    if downloads.is_symlink():
        target = downloads.resolve()
        return target if target.is_dir() else None
    return downloads if downloads.is_dir() else None


def clean_orphans(downloads: Path) -> None:
    """Remove what a killed export left; needs the lock."""
    for path in root_of(downloads).glob(f"*{BUILDING}"):
        shutil.rmtree(path, ignore_errors=True)


def start(downloads: Path) -> Path:
    """A new, empty version to build, with its tables/, agencies/ and .parts/ folders."""
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%f")
    building = root_of(downloads) / f"{stamp}{BUILDING}"
    for sub in ("tables", "agencies", PARTS):
        (building / sub).mkdir(parents=True)
    return building


def discard(building: Path) -> None:
    shutil.rmtree(building, ignore_errors=True)


def sync_tree(folder: Path) -> None:
    """Every file and folder under ``folder`` on disk before it is swapped in.

    A file with more than one link is a link to the previous version's, synced when that one was built.
    """
    for dirpath, _dirs, names in os.walk(folder):
        for name in names:
            path = os.path.join(dirpath, name)
            if os.stat(path).st_nlink > 1:
                continue
            fd = os.open(path, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        fsync_dir(Path(dirpath))


def sync_files(paths: list[Path]) -> None:
    """The files written outside the version being built (its new parts in the store), and their folders, on disk."""
    for path in paths:
        durable.fsync_file(path)
    for folder in {path.parent for path in paths}:
        fsync_dir(folder)


def swap_in(downloads: Path, building: Path) -> Path:
    """Make ``building`` the served downloads, atomically; returns its final directory."""
    final = building.with_name(building.name.removesuffix(BUILDING))
    os.rename(building, final)
    root = final.parent
    fsync_dir(root)
    if downloads.exists() and not downloads.is_symlink():  # an older Shafaf's plain directory: moved aside once
        os.rename(downloads, root / f"0-previous-{final.name}")  # sorts first: the next export removes it
    link = downloads.with_name(f".{downloads.name}.link-{os.getpid()}")
    link.unlink(missing_ok=True)
    os.symlink(os.path.relpath(final, downloads.parent), link)
    durable.replace(link, downloads)
    prune(downloads)
    return final


def prune(downloads: Path, keep: int = KEEP) -> None:
    """Remove old versions; a reader holding a file of one keeps reading it until it closes it."""
    live = current(downloads)
    versions = kept(downloads)
    for old in versions[:-keep]:
        if old != live:
            shutil.rmtree(old, ignore_errors=True)


def read_state(version: Path | None) -> dict[str, Any] | None:
    """What the parts of a downloads version were made from, or None (no parts: an older Shafaf, or none yet)."""
    if version is None:
        return None
    try:
        return json.loads((version / PARTS / STATE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def db_identity(db_version: Path) -> dict[str, Any]:
    """The database version the parts describe: its name, and its size and time (a file changed in place differs)."""
    st = db_version.stat()
    return {"name": db_version.name, "size": st.st_size, "mtime_ns": st.st_mtime_ns}


def changed_since(db_version: Path, made_from: dict[str, Any] | None) -> set[str] | None:
    """Agencies whose rows differ between the version the parts were made from and ``db_version``; None: unknown."""
    if not made_from:
        return None
    if db_version.name == made_from.get("name"):
        return set() if db_identity(db_version) == made_from else None
    changed: set[str] = set()
    here = db_version
    for _ in range(CHAIN_LIMIT):
        record = dbfile.read_changes(here)
        if record is None or record.get("changed") is None or not record.get("base"):
            return None
        changed.update(record["changed"])
        if record["base"] == made_from.get("name"):
            return changed
        here = here.with_name(record["base"])
    return None
