"""Where the public database lives on disk, and how a new version replaces the served one.

The rule that keeps readers whole: **a published version is never written
again.** ``var/shafaf.db`` is a symbolic link to one version,
``var/db/shafaf-<time>.db``. Every publish, of one agency or of all, writes a
new version under ``<name>.building`` (a copy of the served version to
change some agencies, or an empty file for a rebuild), checks it, and swaps
the link with one ``os.replace``. Versions are in ``journal_mode=DELETE``
and have no sidecars once built, so readers open them ``immutable=1``: no
locks, no ``-wal``/``-shm``, nothing a writer can change or delete under
them. A reader holding an old version keeps reading it (an unlinked file
stays readable until closed) and moves to the new one at its next query
(``serve.ServedDatabase`` re-opens when the link's target changes).

What this rules out (issue 15's P3 in docs/reliability.md): a writer that checkpoints and deletes a
WAL and its ``-shm`` on close while read-only readers still map them, so
that they mix pages of two states ("database disk image is malformed");
readers starving a writer; a WAL growing without bound under read load.

One publisher at a time holds ``var/publish.lock`` (``flock``), so anything
found half-built when the lock is taken was left by a killed publisher and
is removed.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import fcntl
import json
import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path

from shafaf.core.durable import fsync_dir, fsync_file
from shafaf.core.errors import PublishError
from shafaf.core.filecopy import copy_fd
from shafaf.core.models import Reason

BUILDING = ".building"
KEEP_VERSIONS = 2  # the current one and the one before it, to roll back to by hand
CHANGES = ".changes.json"  # beside a version: the version it was made from and the agencies it changed
KEEP_CHANGES = 1000  # change records outlive their versions: the downloads follow the chain (export_versions)


def versions_dir(public_db: Path) -> Path:
    return public_db.parent / "db"


def current_version(public_db: Path) -> Path | None:
    """The file the public name points at (itself, for a plain file made by an older Shafaf)."""
    if public_db.is_symlink():
        return (public_db.parent / os.readlink(public_db)).resolve()
    return public_db if public_db.exists() else None


def start_version(public_db: Path, *, base: Path | None) -> Path:
    """A new version's building file: a copy of ``base`` (the served version, to change some agencies), or empty."""
    target = new_version_path(public_db)
    building = target.with_name(target.name + BUILDING)
    building.parent.mkdir(parents=True, exist_ok=True)
    if base is not None:
        try:
            copy_database(base, building)
        except BaseException:
            discard(building)
            raise
    return building


def discard(building: Path) -> None:
    """Remove an unfinished version and whatever SQLite left beside it."""
    for path in (building, *(Path(f"{building}{sidecar}") for sidecar in ("-journal", "-wal", "-shm"))):
        path.unlink(missing_ok=True)


def copy_database(source: Path, dest: Path) -> None:
    """``source``'s bytes into ``dest``, copied by the kernel (a few tenths of a second for hundreds of MB).

    A file with a live ``-wal`` (one an older Shafaf wrote in place) is copied
    through SQLite's backup instead, so the copy holds the WAL's commits too.
    """
    if Path(f"{source}-wal").exists():
        reader = sqlite3.connect(f"{source.resolve().as_uri()}?mode=ro", uri=True)
        writer = sqlite3.connect(dest)
        try:
            reader.backup(writer)
        finally:
            writer.close()
            reader.close()
        return
    with source.open("rb") as src, dest.open("wb") as dst:
        copy_fd(src.fileno(), dst.fileno(), os.fstat(src.fileno()).st_size)


def new_version_path(public_db: Path) -> Path:
    """A fresh, sortable version name; the file is built under ``<name>.building`` first."""
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%f")
    return versions_dir(public_db) / f"{public_db.stem}-{stamp}.db"


@contextlib.contextmanager
def publish_lock(public_db: Path) -> Iterator[None]:
    """Hold the one publisher lock, or fail at once naming who to wait for."""
    public_db.parent.mkdir(parents=True, exist_ok=True)
    path = public_db.parent / "publish.lock"
    with path.open("a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as e:
            if e.errno in (errno.EAGAIN, errno.EACCES):
                raise PublishError(
                    Reason.PUBLISH_ERROR,
                    f"another publish is running on {public_db.parent} "
                    f"(it holds {path}); try again when it has finished",
                ) from e
            raise
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def clean_orphans(public_db: Path) -> list[Path]:
    """Remove what a killed publisher left: half-built versions and their sidecars. Needs the lock."""
    removed = []
    folder = versions_dir(public_db)
    if folder.is_dir():
        for path in folder.iterdir():
            if BUILDING in path.name:
                path.unlink(missing_ok=True)
                removed.append(path)
    for path in public_db.parent.glob(f".{public_db.name}.link-*"):
        path.unlink(missing_ok=True)
        removed.append(path)
    return removed


def swap_in(public_db: Path, built: Path) -> Path:
    """Make ``built`` (a finished ``.building`` file) the published version, atomically."""
    final = built.with_name(built.name.removesuffix(BUILDING))
    if any(Path(f"{built}{sidecar}").exists() for sidecar in ("-wal", "-journal")):
        # Readers open versions immutable and would ignore a hot journal or a WAL: never serve one unfinished.
        raise PublishError(Reason.PUBLISH_ERROR, f"{built.name} still has a journal or WAL beside it; not swapped in")
    for sidecar in ("-wal", "-shm", "-journal"):
        Path(str(final) + sidecar).unlink(missing_ok=True)  # never pair a new file with a stale sidecar
    fsync_file(built)
    os.replace(built, final)
    link = public_db.parent / f".{public_db.name}.link-{os.getpid()}"
    link.unlink(missing_ok=True)
    os.symlink(os.path.relpath(final, public_db.parent), link)
    os.replace(link, public_db)  # readers see the old version or the new, never neither
    fsync_dir(public_db.parent)
    fsync_dir(final.parent)
    prune_versions(public_db)
    return final


def prune_versions(public_db: Path, keep: int = KEEP_VERSIONS) -> None:
    """Delete old versions; a reader still holding one keeps reading it until it re-opens."""
    current = current_version(public_db)
    folder = versions_dir(public_db)
    if not folder.is_dir():
        return
    versions = sorted(p for p in folder.glob(f"{public_db.stem}-*.db") if BUILDING not in p.name)
    for old in versions[:-keep]:
        if old == current:
            continue
        for path in (old, Path(f"{old}-wal"), Path(f"{old}-shm")):
            path.unlink(missing_ok=True)
    for record in sorted(folder.glob(f"{public_db.stem}-*.db{CHANGES}"))[:-KEEP_CHANGES]:
        record.unlink(missing_ok=True)


def write_changes(built: Path, *, base: Path | None, changed: set[str] | None) -> None:
    """Record, before ``built`` is swapped in, what it changed from ``base`` (``changed`` None: everything)."""
    final = built.with_name(built.name.removesuffix(BUILDING))
    record = {"base": base.name if base is not None else None, "changed": None if changed is None else sorted(changed)}
    path = final.with_name(final.name + CHANGES)
    with open(path, "w", encoding="utf-8") as f:
        f.write(json.dumps(record, sort_keys=True) + "\n")
        f.flush()
        os.fsync(f.fileno())


def read_changes(version: Path) -> dict | None:
    """The change record of a version, or None (made by an older Shafaf, or by hand)."""
    try:
        return json.loads(version.with_name(version.name + CHANGES).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def integrity_ok(path: Path, *, quick: bool = False) -> bool:
    """PRAGMA integrity_check, or quick_check (b-trees and records, not index contents: ten times faster)."""
    conn = sqlite3.connect(path)
    try:
        return conn.execute(f"PRAGMA {'quick_check' if quick else 'integrity_check'}").fetchone()[0] == "ok"
    finally:
        conn.close()
