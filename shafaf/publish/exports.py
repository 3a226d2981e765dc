"""Full downloads, written after a publish, at the cost of what changed (docs/reliability.md S3, S8, P7; issue 19).

Datasette caps a streamed CSV at ``max_csv_mb`` and streams slowly, so the
publisher's caller runs ``write_exports`` once the publish has committed, and
``var/downloads/`` then holds, served as static files by the plugin:

- ``tables/<table>.csv``: every row of a public table, UTF-8, header, RFC 4180
  (CRLF, minimal quoting), values exactly as stored (NULL and '' both empty).
- ``tables/<table>.safe.csv``: the same with spreadsheet formulas defused
  (the rules are in ``shafaf.spreadsheet``).
- ``tables/<table>.json``: a JSON array of objects, one per row; NULL is null.
- ``agencies/<agency>.zip``: the agency's Frictionless data package
  (``export_packages``).
- ``SHA256SUMS`` (``sha256sum -c`` format) and ``manifest.json``.

Only the tables of ``tables.PUBLIC_TABLES`` and only their contract columns
are read, from the public database opened read-only in one read transaction,
so every file describes the same published state. Rows are streamed from the
cursor; memory does not grow with the table.

Cost. The tables with an ``agency_id`` are joined from per-agency parts
(``export_parts``); an agency's parts and package are written again only when
its rows changed since the previous downloads (``export_versions.changed_since``);
the others' packages are hard-linked and their parts listed as they are in
the shared store. Joining the parts is a kernel copy of each table file
(hashed from a map of each part), not a query and formatting of every row.

Atomicity: every export is a new directory, swapped in by one rename of the
``downloads`` link (``export_versions``); a crash leaves the previous
downloads whole and a ``.building`` directory that the next export removes.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import shutil
import sqlite3
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from shafaf.config.registry import Registry
from shafaf.core.errors import ExportError
from shafaf.core.ids import AGENCY_ID
from shafaf.publish import export_versions as versions
from shafaf.publish.export_files import (  # noqa: F401 (the downloads' names, read by the plugin)
    AGENCIES_DIR,
    CHECKSUMS,
    FILE_PATTERN,
    MANIFEST,
    TABLES_DIR,
    ExportedFile,
    Manifest,
    read_manifest,
    write_checksums,
    write_manifest,
)
from shafaf.publish.export_packages import (
    fingerprint_common,
    package_fingerprint,
    package_schema,  # noqa: F401 (read by the tests and the plugin)
    write_agency_zip,
)
from shafaf.publish.export_parts import (
    PART_TABLES,
    assemble,
    part_files,
    part_key,
    parts_of,
    remove_unlisted,
    write_part,
    write_whole_table,
)
from shafaf.standard import tables


def write_exports(db_path: Path, downloads_dir: Path, *, registry: Registry) -> Manifest:
    """Write every download from the published database at ``db_path`` into a new version of ``downloads_dir``.

    Call it after a publish has committed. On failure it raises ExportError and
    the previous downloads stay in place (the published data is unaffected).
    """
    db_path, downloads_dir = Path(db_path), Path(downloads_dir)
    if not db_path.is_file():
        raise ExportError(f"no published database at {db_path}; publish before exporting")
    generated_at = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    with versions.locked(downloads_dir):
        versions.clean_orphans(downloads_dir)
        previous = versions.current(downloads_dir)
        building = versions.start(downloads_dir)
        store = versions.parts_store(downloads_dir)
        try:
            with _read_snapshot(db_path) as conn:
                present = _present_columns(conn)
                if "agencies" not in present:  # the state database, or any other file, is never exported
                    raise ExportError(f"{db_path} is not a published Shafaf database (it has no agencies table)")
                manifest, written = _write_version(
                    conn, db_path.resolve(), present, previous, building, store, registry, generated_at
                )
            versions.sync_files(written)
            versions.sync_tree(building)
            versions.swap_in(downloads_dir, building)
        except (OSError, sqlite3.Error, zipfile.BadZipFile) as e:
            versions.discard(building)
            raise ExportError(
                f"the downloads could not be written ({type(e).__name__}: {e}); the previous downloads stay in place"
            ) from e
        except BaseException:  # ExportError, KeyboardInterrupt...: the new version goes, the old downloads stay
            versions.discard(building)
            raise
        with contextlib.suppress(OSError):  # what no kept version lists; left for the next export if it fails
            remove_unlisted(store, [versions.read_state(v) for v in versions.kept(downloads_dir)])
    return manifest


def _write_version(
    conn: sqlite3.Connection,
    db_version: Path,
    present: dict[str, dict[str, str]],
    previous: Path | None,
    building: Path,
    store: Path,
    registry: Registry,
    generated_at: str,
) -> tuple[Manifest, list[Path]]:
    """Every file of the new downloads under ``building``: changed agencies written, the rest linked or listed.

    Returns the manifest and the part files written into ``store`` (to be synced before the swap).
    """
    old_state = versions.read_state(previous)
    changed = versions.changed_since(db_version, (old_state or {}).get("db"))
    old_files = {f["file"]: f for f in ((read_manifest(previous) or {}).get("files", []) if previous else [])}
    agency_ids = [row[0] for row in conn.execute("SELECT id FROM agencies ORDER BY id")]
    state: dict[str, Any] = {
        "db": versions.db_identity(db_version),
        "columns": present,
        "parts": {},
        "packages": {},
        "store": versions.STORE_FORMAT,
    }
    files: list[ExportedFile] = []
    written: list[Path] = []
    tag = building.name.removesuffix(versions.BUILDING)
    for table in tables.PUBLIC_TABLES:
        if table not in present:
            continue
        if table not in PART_TABLES:
            files += write_whole_table(conn, table, present[table], building, generated_at)
            continue
        reusable = (
            changed is not None
            and old_state is not None
            and old_state.get("store") == versions.STORE_FORMAT  # parts in the shared store, named per export
            and old_state["columns"].get(table) == present[table]
        )
        before = {p["key"]: p for p in old_state["parts"].get(table, [])} if reusable and old_state else {}
        parts, rewritten = [], False
        known = set(agency_ids)
        for agency_id in parts_of(conn, table, agency_ids):
            key = part_key(agency_id)
            if reusable and key in before and agency_id in known and agency_id not in (changed or ()):
                parts.append(before[key])  # its files in the store, as the previous version listed them
            else:
                parts.append(write_part(conn, table, present[table], agency_id, store, tag))
                written += part_files(store, table, parts[-1])
                rewritten = True
        state["parts"][table] = parts
        whole = [old_files.get(f"{TABLES_DIR}/{table}{s}") for s in (".csv", ".safe.csv", ".json")]
        if not rewritten and [p["key"] for p in parts] == list(before) and all(whole):
            for entry in whole:  # not one row of the table changed: the previous files as they are
                _link(previous / entry["file"], building / entry["file"])  # type: ignore[operator,index]
                files.append(ExportedFile(**entry))  # type: ignore[arg-type]
        else:
            files += assemble(table, present[table], parts, store, building, generated_at)
    common = fingerprint_common(registry, present)
    for agency in _agencies(conn):
        fingerprint = package_fingerprint(registry, agency["id"], present, common=common)
        entry = old_files.get(f"{AGENCIES_DIR}/{agency['id']}.zip")
        if (
            changed is not None
            and agency["id"] not in changed
            and entry
            and old_state
            and old_state["packages"].get(agency["id"]) == fingerprint
        ):
            _link(previous / entry["file"], building / entry["file"])  # type: ignore[operator]
            files.append(ExportedFile(**entry))
        else:
            files.append(write_agency_zip(conn, agency, present, building, registry, generated_at))
        state["packages"][agency["id"]] = fingerprint
    files.append(write_checksums(building, files, generated_at))
    (building / versions.PARTS / versions.STATE).write_text(
        json.dumps(state, sort_keys=True, ensure_ascii=False), encoding="utf-8"
    )
    manifest = Manifest(generated_at, tuple(files))
    write_manifest(building, manifest)
    return manifest, written


def _link(source: Path, target: Path) -> None:
    try:
        os.link(source, target)
    except OSError:
        shutil.copyfile(source, target)


# --- reading the published database -------------------------------------------


@contextmanager
def _read_snapshot(db_path: Path) -> Iterator[sqlite3.Connection]:
    """A read-only connection to the version published now: every file sees the same published state.

    A published version is never written again (``dbfile``), so it is opened
    immutable; the read transaction keeps the promise for a plain file too.
    """
    version = db_path.resolve()
    immutable = "&immutable=1" if db_path.is_symlink() else ""
    conn = sqlite3.connect(f"{version.as_uri()}?mode=ro{immutable}", uri=True, isolation_level=None, timeout=30)
    try:
        conn.execute("BEGIN")
        yield conn
    finally:
        conn.close()


def _present_columns(conn: sqlite3.Connection) -> dict[str, dict[str, str]]:
    """For each public table in the file, its contract columns (tables.columns) that the file has, in order."""
    existing = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    out = {}
    for table in tables.PUBLIC_TABLES:
        if table in existing:
            have = {row[1] for row in conn.execute(f"PRAGMA table_info([{table}])")}
            out[table] = {name: kind for name, kind in tables.columns(table).items() if name in have}
    return out


def _agencies(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    """The published agencies whose id is safe as a file name (the registry enforces it; this re-checks)."""
    conn.row_factory = sqlite3.Row
    try:
        rows = [dict(r) for r in conn.execute("SELECT * FROM agencies ORDER BY id")]
    finally:
        conn.row_factory = None
    return [r for r in rows if isinstance(r.get("id"), str) and AGENCY_ID.match(r["id"])]
