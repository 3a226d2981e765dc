"""The ONLY module that writes ``shafaf.db``, the public database.

Each agency is published in one SQLite transaction: its rows in every table
are deleted and re-inserted from the staged package between ``BEGIN
IMMEDIATE`` and ``COMMIT``, so a reader sees the old data or the new, and a
failure halfway (a corrupt staged file, a full disk) rolls back to the old.
Rows are streamed from the staged CSVs, never held all in memory.
"""

from __future__ import annotations

import contextlib
import csv
import dataclasses
import json
import sqlite3
from pathlib import Path
from typing import Any, Callable, Iterator

import sqlite_utils

from . import tables
from .errors import PublishError
from .datadir import DataDir
from .models import Outcome, Reason
from .registry import Agency, Registry
from .state import StateStore, utc_now

BATCH = 5000
RUNS_PUBLISHED_PER_AGENCY = 200


@dataclasses.dataclass(frozen=True)
class PublishResult:
    agency_id: str
    ok: bool
    rows: dict[str, int]
    reason: Reason | None = None
    message: str = ""


@contextlib.contextmanager
def connect(path: Path) -> Iterator[sqlite3.Connection]:
    """A writer connection in WAL mode with explicit transactions."""
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, timeout=30, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        yield conn
    finally:
        conn.close()


def ensure_schema(conn: sqlite3.Connection) -> None:
    """Create the public tables and their indexes if they are missing."""
    db = sqlite_utils.Database(conn)
    for table in tables.PUBLIC_TABLES:
        pk = "id" if table == "agencies" else ("run_id" if table == "harvest_runs" else None)
        db[table].create(_types(tables.columns(table)), pk=pk, if_not_exists=True)
        have = set(db[table].columns_dict)
        for name, kind in tables.columns(table).items():
            if name not in have:  # a shafaf.db published by an older Shafaf
                db[table].add_column(name, {"INTEGER": int, "REAL": float, "TEXT": str}[kind])
        for columns in tables.indexes(table):
            db[table].create_index(list(columns), if_not_exists=True)


def _types(columns: dict[str, str]) -> dict[str, type]:
    return {name: {"INTEGER": int, "REAL": float, "TEXT": str}[kind] for name, kind in columns.items()}


def _caster(kind: str) -> Callable[[str], Any]:
    if kind == "INTEGER":
        return lambda v: None if v == "" else 1 if v == "true" else 0 if v == "false" else int(v)
    if kind == "REAL":
        return lambda v: None if v == "" else float(v)
    return lambda v: None if v == "" else v


def _insert_csv(conn: sqlite3.Connection, table: str, path: Path, *, extra: dict[str, Any]) -> int:
    """Stream a staged CSV into ``table`` in batches; the caller owns the transaction."""
    columns = tables.columns(table)
    with path.open(newline="", encoding="utf-8") as f:
        reader = csv.reader(f)
        header = next(reader)
        unknown = [h for h in header if h not in columns]
        if unknown:
            raise PublishError(Reason.PUBLISH_ERROR, f"{path} has columns not in the {table!r} table: {', '.join(unknown)}")
        casts = [_caster(columns[h]) for h in header]
        names = header + list(extra)
        sql = f"INSERT INTO [{table}] ({', '.join(f'[{n}]' for n in names)}) VALUES ({', '.join('?' * len(names))})"
        tail = tuple(extra.values())
        count = 0
        batch: list[tuple[Any, ...]] = []
        for line_number, row in enumerate(reader, start=2):
            try:
                batch.append(tuple(cast(v) for cast, v in zip(casts, row)) + tail)
            except ValueError as e:
                raise PublishError(Reason.PUBLISH_ERROR, f"{path}, row {line_number}: {e}") from e
            if len(batch) >= BATCH:
                conn.executemany(sql, batch)
                count += len(batch)
                batch.clear()
        conn.executemany(sql, batch)
        return count + len(batch)


def _insert_rows(conn: sqlite3.Connection, table: str, rows: list[dict[str, Any]]) -> int:
    columns = list(tables.columns(table))
    sql = f"INSERT INTO [{table}] ({', '.join(f'[{c}]' for c in columns)}) VALUES ({', '.join('?' * len(columns))})"
    conn.executemany(sql, [tuple(row.get(c) for c in columns) for row in rows])
    return len(rows)


def _validation_errors(pkg: Path) -> list[dict[str, Any]]:
    out = []
    for report_path in sorted((pkg / "reports").glob("*.json")):
        report = json.loads(report_path.read_text(encoding="utf-8"))
        common = {k: report.get(k) for k in ("run_id", "agency_id", "source_id", "dataset", "file")}
        if report.get("fatal_reason"):
            out.append({**common, "row_number": None, "field": None, "value": None,
                        "error_type": report["fatal_reason"], "message": report.get("fatal_message")})
        for error in report.get("errors", []):
            out.append({**common, **error})
    return out


def _agency_row(agency: Agency, runs: list[dict[str, Any]], published_at: str) -> dict[str, Any]:
    good = [r["started"] for r in runs if r["outcome"] in (Outcome.OK, Outcome.UNCHANGED)]
    return {
        "id": agency.id, "name_fa": agency.name_fa, "name_en": agency.name_en, "parent": agency.parent,
        "website": agency.website, "contact_email": agency.contact_email,
        "description_fa": agency.description_fa, "description_en": agency.description_en,
        "sources": len(agency.sources),
        "last_harvest": runs[0]["started"] if runs else None,
        "last_good_harvest": max(good) if good else None,
        "last_outcome": runs[0]["outcome"] if runs else None,
        "published_at": published_at,
    }


def publish_agency(conn: sqlite3.Connection, agency: Agency, *, data: DataDir, state: StateStore) -> PublishResult:
    """Replace everything published for one agency inside one transaction."""
    pkg = data.packages(agency.id)
    descriptor = pkg / "datapackage.json"
    resources = json.loads(descriptor.read_text(encoding="utf-8"))["resources"] if descriptor.exists() else []
    runs = state.runs(agency.id, limit=RUNS_PUBLISHED_PER_AGENCY)
    counts: dict[str, int] = {}
    conn.execute("BEGIN IMMEDIATE")
    try:
        for resource in resources:
            table = resource["name"]
            if table not in tables.DATASET_TABLES:
                continue
            conn.execute(f"DELETE FROM [{table}] WHERE agency_id = ?", (agency.id,))
            run_id = resource.get("shafaf", {}).get("run_id")
            counts[table] = _insert_csv(conn, table, pkg / resource["path"], extra={"run_id": run_id})
        conn.execute("DELETE FROM harvest_runs WHERE agency_id = ?", (agency.id,))
        _insert_rows(conn, "harvest_runs", runs)
        conn.execute("DELETE FROM validation_errors WHERE agency_id = ?", (agency.id,))
        _insert_rows(conn, "validation_errors", _validation_errors(pkg))
        conn.execute("DELETE FROM agencies WHERE id = ?", (agency.id,))
        _insert_rows(conn, "agencies", [_agency_row(agency, runs, utc_now())])
        conn.execute("COMMIT")
    except BaseException as e:
        conn.execute("ROLLBACK")
        if isinstance(e, PublishError):
            return PublishResult(agency.id, False, {}, e.reason, e.message)
        if isinstance(e, sqlite3.OperationalError) and "full" in str(e).lower():
            return PublishResult(agency.id, False, {}, Reason.DISK_FULL, f"the disk is full: {e}")
        if isinstance(e, (sqlite3.Error, OSError, ValueError, KeyError)):
            return PublishResult(agency.id, False, {}, Reason.PUBLISH_ERROR, f"{type(e).__name__}: {e}")
        raise
    return PublishResult(agency.id, True, counts)


def publish(agencies: list[Agency], *, registry: Registry, data: DataDir,
            on_result: Callable[[PublishResult], None] | None = None) -> list[PublishResult]:
    """Publish the given agencies one transaction each; a failing one leaves its old rows."""
    state = StateStore(data.state_db)
    results = []
    with connect(data.public_db) as conn:
        ensure_schema(conn)
        for agency in agencies:
            result = publish_agency(conn, agency, data=data, state=state)
            results.append(result)
            if on_result:
                on_result(result)
        _ensure_listed(conn, registry)
    return results


def _ensure_listed(conn: sqlite3.Connection, registry: Registry) -> None:
    """Every agency of the registry has a row, even before its first publication."""
    known = {row[0] for row in conn.execute("SELECT id FROM agencies")}
    missing = [_agency_row(a, [], None) for a in registry.agencies if a.id not in known]
    if missing:
        conn.execute("BEGIN IMMEDIATE")
        _insert_rows(conn, "agencies", missing)
        conn.execute("COMMIT")
