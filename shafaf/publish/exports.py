"""Full downloads, written after every publish (docs/reliability.md S3, S8, P7).

Datasette caps a streamed CSV at ``max_csv_mb`` and streams slowly, so the
publisher's caller runs ``write_exports`` once the publish has committed, and
``var/downloads/`` then holds, served as static files by the plugin:

- ``tables/<table>.csv``: every row of a public table, UTF-8, header, RFC 4180
  (CRLF, minimal quoting), values exactly as stored (NULL and '' both empty).
- ``tables/<table>.safe.csv``: the same with spreadsheet formulas defused
  (the rules are in ``shafaf.spreadsheet``).
- ``tables/<table>.json``: a JSON array of objects, one per row; NULL is null.
- ``agencies/<agency>.zip``: the agency's Frictionless data package: its
  ``datapackage.json`` and one CSV per dataset table with that agency's rows
  (see ``_write_agency_zip``).
- ``SHA256SUMS`` (``sha256sum -c`` format) and ``manifest.json``.

Only the tables of ``tables.PUBLIC_TABLES`` and only their contract columns
are read, from the public database opened read-only in one read transaction,
so every file describes the same published state. Rows are streamed from the
cursor; memory does not grow with the table.

Atomicity: every file is written to a hidden temp file beside its final name
(``.<name>.<pid>.tmp``) and fsynced; only when all of them are complete are
they renamed into place (``os.replace``), then ``SHA256SUMS`` and last
``manifest.json``. A crash leaves the previous files under their names and
only hidden temp files, which the next export removes. A lock file makes two
exports wait for each other.
"""

from __future__ import annotations

import copy
import csv
import dataclasses
import datetime as dt
import fcntl
import hashlib
import io
import json
import math
import os
import re
import sqlite3
import zipfile
from contextlib import contextmanager
from pathlib import Path
from typing import Any, BinaryIO, Iterator

from shafaf import standard
from shafaf.standard import tables
from shafaf.core import durable
from shafaf.core.durable import fsync_dir, fsync_file
from shafaf.core.errors import ExportError
from shafaf.config.registry import Registry, redact_url
from shafaf.core.ids import AGENCY_ID
from shafaf.publish.spreadsheet import safe_row, sql_may_need_prefix

MANIFEST = "manifest.json"
CHECKSUMS = "SHA256SUMS"
TABLES_DIR = "tables"
AGENCIES_DIR = "agencies"
LOCK = ".lock"
FORMAT_VERSION = 1

# The only names this module writes, and so the only ones the plugin serves besides MANIFEST and CHECKSUMS.
FILE_PATTERN = re.compile(r"[a-z0-9_.-]+(?:/[a-z0-9_.-]+)?\Z")
TEMP_FILE = re.compile(r"\..+\.tmp\Z")

BATCH = 500  # rows fetched, written and flushed at a time: what bounds memory
NUMERIC = ("INTEGER", "REAL")

_FRICTIONLESS_TYPES = {"INTEGER": "integer", "REAL": "number", "TEXT": "string"}


@dataclasses.dataclass(frozen=True)
class ExportedFile:
    """One written file, as ``manifest.json`` lists it."""

    file: str  # relative to the downloads directory, with '/'
    format: str  # csv, safe_csv, json, datapackage_zip, sha256sums
    bytes: int
    sha256: str
    rows: int | None
    table: str | None
    agency: str | None
    generated_at: str


@dataclasses.dataclass(frozen=True)
class Manifest:
    generated_at: str
    files: tuple[ExportedFile, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"format_version": FORMAT_VERSION, "generated_at": self.generated_at,
                "files": [dataclasses.asdict(f) for f in self.files]}


def write_exports(db_path: Path, downloads_dir: Path, *, registry: Registry) -> Manifest:
    """Write every download from the published database at ``db_path`` into ``downloads_dir``.

    Call it after a publish has committed. On failure it raises ExportError and
    the previous downloads stay in place (the published data is unaffected).
    """
    db_path, downloads_dir = Path(db_path), Path(downloads_dir)
    if not db_path.is_file():
        raise ExportError(f"no published database at {db_path}; publish before exporting")
    generated_at = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    for sub in (TABLES_DIR, AGENCIES_DIR):
        (downloads_dir / sub).mkdir(parents=True, exist_ok=True)
    with _locked(downloads_dir):
        remove_temp_files(downloads_dir)
        staging = _Staging(downloads_dir)
        try:
            with _read_snapshot(db_path) as conn:
                present = _present_columns(conn)
                if "agencies" not in present:  # the state database, or any other file, is never exported
                    raise ExportError(f"{db_path} is not a published Shafaf database (it has no agencies table)")
                files = []
                for table in tables.PUBLIC_TABLES:
                    if table in present:
                        files += _export_table(conn, table, present[table], staging, generated_at)
                for agency in _agencies(conn):
                    files.append(_write_agency_zip(conn, agency, present, staging, registry, generated_at))
            staging.commit()
            files.append(_write_checksums(downloads_dir, files, generated_at))
            manifest = Manifest(generated_at, tuple(files))
            durable.write_atomic(downloads_dir / MANIFEST,
                          (json.dumps(manifest.to_dict(), ensure_ascii=False, indent=2) + "\n").encode("utf-8"))
        except (OSError, sqlite3.Error, zipfile.BadZipFile) as e:
            staging.abort()
            raise ExportError(f"the downloads could not be written ({type(e).__name__}: {e}); "
                              f"the previous downloads stay in place") from e
        except BaseException:  # ExportError, KeyboardInterrupt...: the temp files go, the old downloads stay
            staging.abort()
            raise
        _remove_stale(downloads_dir, {f.file for f in files})
    return manifest


def read_manifest(downloads_dir: Path) -> dict[str, Any] | None:
    """The current manifest, or None before the first export."""
    try:
        return json.loads((Path(downloads_dir) / MANIFEST).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None


def remove_temp_files(downloads_dir: Path) -> None:
    """Remove the hidden temp files a crashed export left behind."""
    for folder in (downloads_dir, downloads_dir / TABLES_DIR, downloads_dir / AGENCIES_DIR):
        if folder.is_dir():
            for path in folder.iterdir():
                if TEMP_FILE.match(path.name) and path.is_file():
                    path.unlink(missing_ok=True)


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


# --- writing ------------------------------------------------------------------


class _Sink:
    """Where csv and json writers write: text collects in memory for one batch of rows, then
    ``flush`` encodes it to UTF-8, hashes and counts it and writes it to ``raw``."""

    def __init__(self, raw: BinaryIO):
        self.raw = raw
        self.text = io.StringIO()
        self.sha256 = hashlib.sha256()
        self.bytes = 0

    def flush(self) -> None:
        data = self.text.getvalue().encode("utf-8")
        self.text.seek(0)
        self.text.truncate()
        self.sha256.update(data)
        self.bytes += len(data)
        self.raw.write(data)


class _Staging:
    """Temp files beside their final names; nothing is renamed until every one is complete."""

    def __init__(self, root: Path):
        self.root = root
        self.pending: list[tuple[Path, Path]] = []

    def temp(self, relative: str) -> Path:
        final = self.root / relative
        tmp = final.with_name(f".{final.name}.{os.getpid()}.tmp")
        self.pending.append((tmp, final))
        return tmp

    def commit(self) -> None:
        for tmp, _ in self.pending:
            fsync_file(tmp)
        for tmp, final in self.pending:
            os.replace(tmp, final)
        for folder in {final.parent for _, final in self.pending}:
            fsync_dir(folder)
        self.pending.clear()

    def abort(self) -> None:
        for tmp, _ in self.pending:
            tmp.unlink(missing_ok=True)
        self.pending.clear()



@contextmanager
def _locked(downloads_dir: Path) -> Iterator[None]:
    with open(downloads_dir / LOCK, "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _csv_writer(sink: _Sink) -> Any:
    """RFC 4180: CRLF line ends, fields quoted only when they hold a comma, quote or line break."""
    return csv.writer(sink.text, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)


def _batches(conn: sqlite3.Connection, sql: str, params: tuple[Any, ...] = ()) -> Iterator[list[tuple[Any, ...]]]:
    """The query's rows, BATCH at a time: memory stays flat however long the table is."""
    cursor = conn.execute(sql, params)
    while batch := cursor.fetchmany(BATCH):
        yield batch


class _JsonRows:
    """A JSON array, one object per line; non-finite floats (which JSON lacks) become null.

    A batch of objects is encoded in one call; the separator between two
    top-level objects, ``}, {"``, cannot occur inside a value (every quote in
    a JSON string is escaped and values are scalars), so it marks the lines.
    """

    def __init__(self, sink: _Sink, names: list[str]):
        self.sink = sink
        self.names = names
        self.encode = json.JSONEncoder(ensure_ascii=False, allow_nan=False, separators=(", ", ": ")).encode
        self.first = True
        sink.text.write("[")

    def write(self, rows: list[tuple[Any, ...]]) -> None:
        if not rows:
            return
        names = self.names
        objects = [dict(zip(names, row)) for row in rows]
        try:
            text = self.encode(objects)
        except ValueError:
            text = self.encode([{n: None if isinstance(v, float) and not math.isfinite(v) else v for n, v in o.items()}
                                for o in objects])
        self.sink.text.write(("\n" if self.first else ",\n") + text[1:-1].replace('}, {"', '},\n{"'))
        self.first = False

    def close(self) -> None:
        self.sink.text.write("]\n" if self.first else "\n]\n")


def _export_table(conn: sqlite3.Connection, table: str, columns: dict[str, str], staging: _Staging,
                  generated_at: str) -> list[ExportedFile]:
    """One scan of the table writes its raw CSV, safe CSV and JSON together.

    Beside each row SQLite says whether a text cell starts with a formula
    trigger; a batch without one is written to the safe file as the same text
    as the raw file, and only the flagged rows go through ``safe_row``.
    """
    names = list(columns)
    n = len(names)
    numeric = [columns[c] in NUMERIC for c in names]
    suffixes = {"csv": ".csv", "safe_csv": ".safe.csv", "json": ".json"}
    paths = {fmt: staging.temp(f"{TABLES_DIR}/{table}{suffix}") for fmt, suffix in suffixes.items()}
    select = (f"SELECT {', '.join(f'[{c}]' for c in names)}, {sql_may_need_prefix(names)} "
              f"FROM [{table}] ORDER BY rowid")
    rows = 0
    with open(paths["csv"], "wb") as raw_f, open(paths["safe_csv"], "wb") as safe_f, open(paths["json"], "wb") as json_f:
        sinks = {"csv": _Sink(raw_f), "safe_csv": _Sink(safe_f), "json": _Sink(json_f)}
        raw, safe, js = _csv_writer(sinks["csv"]), _csv_writer(sinks["safe_csv"]), _JsonRows(sinks["json"], names)
        raw.writerow(names)
        safe.writerow(names)
        for sink in sinks.values():
            sink.flush()  # from here a batch's raw text may be copied to the safe file as it is
        for batch in _batches(conn, select):
            as_stored = [row[:n] for row in batch]
            raw.writerows(as_stored)
            if any(row[n] for row in batch):
                safe.writerows([safe_row(row[:n], numeric) if row[n] else row[:n] for row in batch])
            else:
                sinks["safe_csv"].text.write(sinks["csv"].text.getvalue())
            js.write(as_stored)
            rows += len(batch)
            for sink in sinks.values():
                sink.flush()
        js.close()
        for sink in sinks.values():
            sink.flush()
    return [ExportedFile(f"{TABLES_DIR}/{table}{suffixes[fmt]}", fmt, sink.bytes, sink.sha256.hexdigest(), rows,
                         table, None, generated_at) for fmt, sink in sinks.items()]


# --- an agency's data package -------------------------------------------------


def package_schema(kind: str, columns: dict[str, str]) -> dict[str, Any]:
    """The standard's Table Schema of ``kind`` with the portal's extra columns appended as fields.

    The package holds exactly what is published, so run_id and the derived
    columns (jalali_year, fiscal_year, withdrawn...) are included and described.
    """
    schema = copy.deepcopy(standard.load_schema(kind))
    schema.pop("$schema", None)
    known = {f["name"] for f in schema["fields"]}
    schema["fields"] = [f for f in schema["fields"] if f["name"] in columns]
    for name, sqlite_type in columns.items():
        if name not in known:
            schema["fields"].append({"name": name, **copy.deepcopy(
                tables.DERIVED_FIELDS.get(name, {"type": _FRICTIONLESS_TYPES[sqlite_type]}))})
    return schema


def _write_agency_zip(conn: sqlite3.Connection, agency: dict[str, Any], present: dict[str, dict[str, str]],
                      staging: _Staging, registry: Registry, generated_at: str) -> ExportedFile:
    """``agencies/<id>.zip``: datapackage.json and one CSV per dataset table, that agency's rows only."""
    agency_id = agency["id"]
    relative = f"{AGENCIES_DIR}/{agency_id}.zip"
    tmp = staging.temp(relative)
    stamp = dt.datetime.strptime(generated_at, "%Y-%m-%dT%H:%M:%SZ").timetuple()[:6]
    resources = []
    total = 0
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for kind in tables.DATASET_TABLES:
            if kind not in present:
                continue
            columns = present[kind]
            schema = package_schema(kind, columns)
            info = _member(f"{kind}.csv", stamp)
            with zf.open(info, "w", force_zip64=True) as member:
                sink = _Sink(member)
                rows, run_ids = _write_package_csv(conn, kind, agency_id, schema, sink)
            total += rows
            resources.append({
                "name": kind,
                "path": f"{kind}.csv",
                "profile": "tabular-data-resource",
                "format": "csv",
                "mediatype": "text/csv",
                "encoding": "utf-8",
                "bytes": sink.bytes,
                "hash": f"sha256:{sink.sha256.hexdigest()}",
                "schema": schema,
                "shafaf": {"rows": rows, "runs": _runs(conn, present, run_ids)},
            })
        descriptor = _descriptor(agency, registry, resources, generated_at)
        zf.writestr(_member("datapackage.json", stamp), json.dumps(descriptor, ensure_ascii=False, indent=2) + "\n")
    digest, size = _hash_file(tmp)
    return ExportedFile(relative, "datapackage_zip", size, digest, total, None, agency_id, generated_at)


def _member(name: str, stamp: tuple[int, ...]) -> zipfile.ZipInfo:
    """A deflated zip member, readable by everyone once extracted (rw-r--r--)."""
    info = zipfile.ZipInfo(name, date_time=stamp)  # type: ignore[arg-type]
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o100644 << 16
    return info


def _write_package_csv(conn: sqlite3.Connection, kind: str, agency_id: str, schema: dict[str, Any],
                       sink: _Sink) -> tuple[int, set[str]]:
    """The agency's rows of one table, in the schema's field order.

    A boolean is stored 0/1 and written true/false so the schema's boolean
    validates; any other stored value is written as it is, and fails
    validation visibly rather than being guessed.
    """
    names = [f["name"] for f in schema["fields"]]
    booleans = {f["name"] for f in schema["fields"] if f["type"] == "boolean"}
    selected = [f"CASE [{c}] WHEN 1 THEN 'true' WHEN 0 THEN 'false' ELSE [{c}] END" if c in booleans else f"[{c}]"
                for c in names]
    run_at = names.index("run_id") if "run_id" in names else None
    writer = _csv_writer(sink)
    writer.writerow(names)
    rows = 0
    run_ids: set[str] = set()
    sql = f"SELECT {', '.join(selected)} FROM [{kind}] WHERE agency_id = ? ORDER BY rowid"
    for batch in _batches(conn, sql, (agency_id,)):
        writer.writerows(batch)
        if run_at is not None:
            run_ids.update(row[run_at] for row in batch if row[run_at])
        rows += len(batch)
        sink.flush()
    sink.flush()
    return rows, run_ids


def _runs(conn: sqlite3.Connection, present: dict[str, dict[str, str]], run_ids: set[str]) -> list[dict[str, Any]]:
    """Provenance of a resource: the published harvest runs its rows came from (locations already redacted)."""
    if not run_ids:
        return []
    wanted = [c for c in ("run_id", "source_id", "dataset", "kind", "location", "started", "finished", "outcome",
                          "sha256", "rows_passed") if c in present.get("harvest_runs", {})]
    found: dict[str, dict[str, Any]] = {}
    if "run_id" in wanted:
        ids = sorted(run_ids)
        for start in range(0, len(ids), 500):
            chunk = ids[start:start + 500]
            sql = (f"SELECT {', '.join(f'[{c}]' for c in wanted)} FROM harvest_runs "
                   f"WHERE run_id IN ({', '.join('?' * len(chunk))})")
            for row in conn.execute(sql, chunk):
                run = dict(zip(wanted, row))
                if run.get("location"):
                    run["location"] = redact_url(run["location"])
                found[run["run_id"]] = run
    return [found.get(run_id, {"run_id": run_id}) for run_id in sorted(run_ids)]


def _descriptor(agency: dict[str, Any], registry: Registry, resources: list[dict[str, Any]],
                generated_at: str) -> dict[str, Any]:
    portal = registry.portal
    name_en = agency.get("name_en") or agency["id"]
    return {
        "name": agency["id"],
        "title": name_en,
        "title_fa": agency.get("name_fa") or name_en,
        "description": f"What the portal {portal.title_en} publishes for {name_en}: every dataset table, "
                       f"exactly as published, with the data standard's schemas.",
        "created": generated_at,
        "licenses": [{"name": portal.license.id, "title": portal.license.title, "path": portal.license.url}],
        "sources": _sources(registry, agency["id"]),
        "shafaf": {
            "agency_id": agency["id"],
            "published_at": agency.get("published_at"),
            "last_good_harvest": agency.get("last_good_harvest"),
            "generated_at": generated_at,
            "portal": portal.title_en,
        },
        "resources": resources,
    }


def _sources(registry: Registry, agency_id: str) -> list[dict[str, str]]:
    """The registry's sources of the agency: URLs redacted of credentials; local files by name only."""
    try:
        agency = registry.agency(agency_id)
    except KeyError:  # an agency found in a multi-agency source, not in the registry
        return []
    out = []
    for source in agency.sources:
        title = f"{source.dataset} ({source.kind} source {source.id})"
        if source.url:
            out.append({"title": title, "path": redact_url(source.url)})
        elif source.path is not None:
            out.append({"title": f"{title}: file {Path(source.path).name}"})
        else:
            out.append({"title": title})
    return out


# --- checksums, clean-up --------------------------------------------------------


def _hash_file(path: Path) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def _write_checksums(downloads_dir: Path, files: list[ExportedFile], generated_at: str) -> ExportedFile:
    text = "".join(f"{f.sha256}  {f.file}\n" for f in sorted(files, key=lambda f: f.file))
    data = text.encode("utf-8")
    durable.write_atomic(downloads_dir / CHECKSUMS, data)
    return ExportedFile(CHECKSUMS, "sha256sums", len(data), hashlib.sha256(data).hexdigest(), None, None, None,
                        generated_at)


def _remove_stale(downloads_dir: Path, keep: set[str]) -> None:
    """Remove files of tables or agencies that are no longer published."""
    for sub in (TABLES_DIR, AGENCIES_DIR):
        for path in (downloads_dir / sub).iterdir():
            if path.is_file() and not TEMP_FILE.match(path.name) and f"{sub}/{path.name}" not in keep:
                path.unlink(missing_ok=True)
