"""The ONLY module that writes ``shafaf.db``, the public database.

Every publish writes a new version of the file and swaps it in
(``dbfile``: a published version is never written again). Within it, each
agency is published in one SQLite transaction: its rows in every table are
deleted and re-inserted from the staged package between ``BEGIN IMMEDIATE``
and ``COMMIT``, so a failure halfway (a corrupt staged file, a full disk)
rolls that agency back to its old rows while the others are published.
Rows are streamed from the staged CSVs, never held all in memory.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import csv
import dataclasses
import json
import sqlite3
from pathlib import Path
from typing import Any, Callable, Iterator
from zoneinfo import ZoneInfo

import jdatetime
import sqlite_utils

from shafaf.publish import bulk_load, dbfile, duplicates, indicators, search
from shafaf.standard import tables
from shafaf.state import store as state_mod
from shafaf.core.errors import PublishError
from shafaf.core.datadir import DataDir
from shafaf.core.diskfull import is_disk_full
from shafaf.core.durable import transaction
from shafaf.core.models import Outcome, Reason
from shafaf.config.registry import Agency, Portal, Registry
from shafaf.state.store import StateStore, utc_now
from shafaf.standard.targets import judge_published

BATCH = 5000
SERVICE_KEY = ("agency_id", "service_id")
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
    """The writer's connection to a version being built, with explicit transactions.

    A rollback journal, so an agency that fails rolls back alone; no fsync
    until the version is finished (a crash leaves a ``.building`` file that
    the next publisher removes, and ``dbfile.swap_in`` syncs the whole file).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, timeout=30, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode=DELETE")
        conn.execute("PRAGMA synchronous=OFF")
        # A bigger page cache than the default 2 MB for the writer: index maintenance of a large agency stays
        # in memory (publishing 80k rows in place took 3.1 s instead of 5.2 s with 2 MB). 16 MB, not more: a
        # million rows publish as fast with 16 MB as with 64 MB (10 s new, 14 s in place), and the cache (the
        # sorter's too) is most of the publisher's peak: 124 MB with 16 MB, 213 MB with 64 MB.
        conn.execute("PRAGMA cache_size=-16384")
        yield conn
    finally:
        conn.close()


def ensure_schema(conn: sqlite3.Connection, *, with_indexes: bool = True) -> None:
    """Create the public tables and their indexes if they are missing.

    A new build passes ``with_indexes=False`` and calls ``create_indexes`` once
    its rows are in: building an index once is cheaper than maintaining it.
    """
    db = sqlite_utils.Database(conn)
    for table in tables.PUBLIC_TABLES:
        pk = "id" if table == "agencies" else ("run_id" if table == "harvest_runs" else None)
        db[table].create(_types(tables.columns(table)), pk=pk, if_not_exists=True)
        have = set(db[table].columns_dict)
        for name, kind in tables.columns(table).items():
            if name not in have:  # a shafaf.db published by an older Shafaf
                db[table].add_column(name, {"INTEGER": int, "REAL": float, "TEXT": str}[kind])
    # The key services are upserted on, so a withdrawn service keeps its one row (needed while loading).
    conn.execute(f"CREATE UNIQUE INDEX IF NOT EXISTS services_key ON services ({', '.join(SERVICE_KEY)})")
    search.create(conn)
    if with_indexes:
        create_indexes(conn)


def create_indexes(conn: sqlite3.Connection) -> None:
    db = sqlite_utils.Database(conn)
    for table in tables.PUBLIC_TABLES:
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


def _insert_csv(conn: sqlite3.Connection, table: str, path: Path, *, extra: dict[str, Any],
                upsert_key: tuple[str, ...] = ()) -> int:
    """Stream a staged CSV into ``table`` in batches; the caller owns the transaction.

    With ``upsert_key``, a row whose key is already published replaces it in place.
    """
    columns = tables.columns(table)
    with path.open(newline="", encoding="utf-8") as f:
        reader = csv.reader(f)
        header = next(reader)
        unknown = [h for h in header if h not in columns]
        if unknown:
            raise PublishError(Reason.PUBLISH_ERROR, f"{path} has columns not in the {table!r} table: {', '.join(unknown)}")
        casts = [_caster(columns[h]) for h in header]
        derive = _period_deriver(header) if "jalali_year" in columns else None
        names = header + list(extra) + (list(tables.PERIOD_COLUMNS) if derive else [])
        sql = f"INSERT INTO [{table}] ({', '.join(f'[{n}]' for n in names)}) VALUES ({', '.join('?' * len(names))})"
        if upsert_key:
            updates = ", ".join(f"[{n}] = excluded.[{n}]" for n in names if n not in upsert_key)
            sql += f" ON CONFLICT ({', '.join(upsert_key)}) DO UPDATE SET {updates}"
        tail = tuple(extra.values())

        def batches() -> Iterator[list[tuple[Any, ...]]]:
            batch: list[tuple[Any, ...]] = []
            for line_number, row in enumerate(reader, start=2):
                try:
                    values = tuple(cast(v) for cast, v in zip(casts, row)) + tail
                    batch.append(values + derive(row) if derive else values)
                except ValueError as e:
                    raise PublishError(Reason.PUBLISH_ERROR, f"{path}, row {line_number}: {e}") from e
                if len(batch) >= BATCH:
                    yield batch
                    batch = []
            yield batch

        return bulk_load.insert(conn, sql, batches())  # read and cast on one core, inserted on the other


def _replace_dataset(conn: sqlite3.Connection, table: str, path: Path, *, agency_id: str, run_id: str | None,
                     history: str, now: str) -> int:
    """An agency's rows of one dataset, replaced without erasing history.

    - services: upserted; a service missing from the new file is kept and marked withdrawn,
      its run_id still naming the last run that saw it.
    - tables with periods, from a source sending only recent periods (``history: recent``):
      only the periods present in the new file are replaced; older periods stay.
    - anything else: the agency's rows are replaced by the file's.
    """
    if table == "services":
        count = _insert_csv(conn, table, path, extra={"run_id": run_id, "withdrawn": 0, "withdrawn_at": None},
                            upsert_key=SERVICE_KEY)
        conn.execute(
            "UPDATE services SET withdrawn = 1, withdrawn_at = COALESCE(withdrawn_at, ?) "
            "WHERE agency_id = ? AND run_id IS NOT ?", (now, agency_id, run_id),
        )
        return count
    if history == "recent" and "period_start" in tables.columns(table):
        conn.executemany(
            f"DELETE FROM [{table}] WHERE agency_id = ? AND period_start = ? AND period_end = ?",
            [(agency_id, start, end) for start, end in _periods_in(path)],
        )
    else:
        conn.execute(f"DELETE FROM [{table}] WHERE agency_id = ?", (agency_id,))
    count = _insert_csv(conn, table, path, extra={"run_id": run_id})
    if table == "targets":
        judge_published(conn, agency_id)
    return count


def _periods_in(path: Path) -> set[tuple[str, str]]:
    """The distinct (period_start, period_end) of a staged CSV, read in one streaming pass."""
    with path.open(newline="", encoding="utf-8") as f:
        reader = csv.reader(f)
        header = next(reader)
        start, end = header.index("period_start"), header.index("period_end")
        return {(row[start], row[end]) for row in reader}


def _period_deriver(header: list[str]) -> Callable[[list[str]], tuple[Any, ...]]:
    """jalali_year, jalali_month and fiscal_year of a row, from its period_start."""
    at = header.index("period_start")

    def derive(row: list[str]) -> tuple[Any, ...]:
        return jalali_parts(row[at])

    return derive


@functools.lru_cache(maxsize=4096)
def jalali_parts(iso_date: str) -> tuple[int | None, int | None, int | None]:
    """(jalali_year, jalali_month, fiscal_year) of an ISO date; the Iranian fiscal year is the Jalali year."""
    if not iso_date:
        return (None, None, None)
    day = jdatetime.date.fromgregorian(date=dt.date.fromisoformat(iso_date))
    return (day.year, day.month, day.year)


def _insert_rows(conn: sqlite3.Connection, table: str, rows: list[dict[str, Any]]) -> int:
    columns = list(tables.columns(table))
    sql = f"INSERT INTO [{table}] ({', '.join(f'[{c}]' for c in columns)}) VALUES ({', '.join('?' * len(columns))})"
    conn.executemany(sql, [tuple(row.get(c) for c in columns) for row in rows])
    return len(rows)


def _validation_errors(pkg: Path) -> list[dict[str, Any]]:
    """Every staged report's refusal and row errors, with their messages in English and Persian.

    Reports staged before messages had a Persian text get one for a refused
    file from the catalogue; their row errors keep message_fa empty.
    """
    from shafaf.validate.messages import fatal_message

    out = []
    for report_path in sorted((pkg / "reports").glob("*.json")):
        report = json.loads(report_path.read_text(encoding="utf-8"))
        common = {k: report.get(k) for k in ("run_id", "agency_id", "source_id", "dataset", "file")}
        if report.get("fatal_reason"):
            message_fa = report.get("fatal_message_fa") or fatal_message(
                report["fatal_reason"], report.get("fatal_message") or "", file=report.get("file") or "",
                dataset=report.get("dataset") or "").fa
            out.append({**common, "row_number": None, "field": None, "value": None, "error_type": report["fatal_reason"],
                        "message": report.get("fatal_message"), "message_fa": message_fa})
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


def publish_agency(conn: sqlite3.Connection, agency: Agency, *, data: DataDir, state: StateStore,
                   derived: Derived | None = None) -> PublishResult:
    """Replace everything published for one agency inside one transaction.

    With ``derived``, the agency's indicators and search entries are rebuilt in
    the same transaction, so a reader never sees new rows with old figures.
    """
    pkg = data.packages(agency.id)
    descriptor = pkg / "datapackage.json"
    resources = json.loads(descriptor.read_text(encoding="utf-8"))["resources"] if descriptor.exists() else []
    runs = state.runs(agency.id, limit=RUNS_PUBLISHED_PER_AGENCY)
    counts: dict[str, int] = {}
    conn.execute("BEGIN IMMEDIATE")
    try:
        now = utc_now()
        for resource in resources:
            table = resource["name"]
            if table not in tables.DATASET_TABLES:
                continue
            provenance = resource.get("shafaf", {})
            counts[table] = _replace_dataset(conn, table, pkg / resource["path"], agency_id=agency.id,
                                             run_id=provenance.get("run_id"), history=provenance.get("history", "full"),
                                             now=now)
        conn.execute("DELETE FROM harvest_runs WHERE agency_id = ?", (agency.id,))
        _insert_rows(conn, "harvest_runs", runs)
        conn.execute("DELETE FROM validation_errors WHERE agency_id = ?", (agency.id,))
        _insert_rows(conn, "validation_errors", _validation_errors(pkg))
        conn.execute("DELETE FROM agencies WHERE id = ?", (agency.id,))
        _insert_rows(conn, "agencies", [_agency_row(agency, runs, utc_now())])
        if derived is not None:
            derived.agency(conn, agency.id)
        conn.execute("COMMIT")
    except BaseException as e:
        if conn.in_transaction:  # SQLite has already rolled back after SQLITE_FULL
            conn.execute("ROLLBACK")
        if isinstance(e, PublishError):
            return PublishResult(agency.id, False, {}, e.reason, e.message)
        if isinstance(e, (sqlite3.Error, OSError, ValueError, KeyError)):
            failure = as_publish_error(e)
            return PublishResult(agency.id, False, {}, failure.reason, failure.message)
        raise
    return PublishResult(agency.id, True, counts)


def as_publish_error(e: BaseException, folder: Path | None = None) -> PublishError:
    """A storage failure as a reason: a full disk (or a file size limit) is ``disk_full`` (``diskfull``)."""
    if is_disk_full(e, folder):
        return PublishError(Reason.DISK_FULL, f"the disk is full ({e}); the published data is unchanged")
    return PublishError(Reason.PUBLISH_ERROR, f"{type(e).__name__}: {e}")


def publish(agencies: list[Agency], *, registry: Registry, data: DataDir,
            on_result: Callable[[PublishResult], None] | None = None, rebuild: bool = False) -> list[PublishResult]:
    """Publish agencies one transaction each into a new version of the file; a failing one keeps its old rows.

    The served version is never written (``dbfile``): the new version starts
    as a copy of it, or empty for ``rebuild`` (and a first publish), which
    writes every agency and is swapped in only if all of them succeeded.
    One publisher at a time.
    """
    with dbfile.publish_lock(data.public_db):
        base = None if rebuild else dbfile.current_version(data.public_db)
        chosen = list(registry.agencies) if base is None else agencies
        state: StateStore | None = None
        publish_id = None
        try:
            state = StateStore(data.state_db)
            state.abort_stale_publishes()
            dbfile.clean_orphans(data.public_db)
            publish_id = state.start_publish(rebuild=base is None, agencies=len(chosen))
            results, version = _publish_version(chosen, base=base, registry=registry, data=data, state=state,
                                                on_result=on_result)
        except (PublishError, sqlite3.Error, OSError) as e:
            # The new version could not be made (no room for the copy, a failed check): nothing changed for anyone.
            failure = e if isinstance(e, PublishError) else as_publish_error(e, data.root)
            if state is not None and publish_id is not None:
                _finish(state, publish_id, Outcome.FAILED, version=None, message=failure.message)
            return failed_results(chosen, failure)
        except BaseException as e:
            if state is not None and publish_id is not None:
                _finish(state, publish_id, Outcome.FAILED, version=None, message=f"{type(e).__name__}: {e}")
            raise
        failed = [r.agency_id for r in results if not r.ok]
        message = f"{len(results) - len(failed)} agencies published" + (f", failed: {', '.join(failed)}" if failed else "")
        _finish(state, publish_id, Outcome.FAILED if failed else Outcome.OK, version=version, message=message)
    return results


def failed_results(agencies: list[Agency], failure: PublishError) -> list[PublishResult]:
    """Every agency of a publish that could not happen at all, failed with the same reason."""
    return [PublishResult(a.id, False, {}, failure.reason, failure.message) for a in agencies]


def _finish(state: StateStore, publish_id: str, outcome: Outcome, *, version: str | None, message: str) -> None:
    """Record how a publish ended; on a disk too full for even that, the next publisher marks it aborted."""
    try:
        state.finish_publish(publish_id, outcome, version=version, message=message)
    except (sqlite3.Error, OSError):
        pass


def _publish_version(agencies: list[Agency], *, base: Path | None, registry: Registry, data: DataDir, state: StateStore,
                     on_result: Callable[[PublishResult], None] | None) -> tuple[list[PublishResult], str | None]:
    """Write ``agencies`` into a new version (a copy of ``base``, or empty) and swap it in when it checks out.

    From a copy, each agency is its own transaction and the version is swapped
    in when at least one succeeded. A rebuild is all or nothing: the first
    failure abandons it. Derived rows (indicators, search, scorecards,
    duplicates) are recomputed before the swap, so a reader never sees new
    rows with old figures.
    """
    building = dbfile.start_version(data.public_db, base=base)
    rebuild = base is None
    results: list[PublishResult] = []
    try:
        derived = Derived(registry.portal)
        with connect(building) as conn:
            ensure_schema(conn, with_indexes=not rebuild)
            for agency in agencies:
                result = publish_agency(conn, agency, data=data, state=state, derived=None if rebuild else derived)
                results.append(result)
                if on_result:
                    on_result(result)
                if rebuild and not result.ok:
                    break  # the rebuild is abandoned: no point in writing the others
            abandoned = any(not r.ok for r in results) if rebuild else bool(results) and not any(r.ok for r in results)
            if not abandoned:
                _ensure_listed(conn, registry)
                if rebuild:
                    create_indexes(conn)
                derived.catalog(conn, done=set() if rebuild else {r.agency_id for r in results if r.ok})
        if abandoned:
            dbfile.discard(building)
            if not rebuild:
                return results, None
            done = {r.agency_id for r in results}
            skipped = [PublishResult(a.id, True, {}) for a in agencies if a.id not in done]
            return [_kept(r) for r in results + skipped], None
        if not dbfile.integrity_ok(building, quick=True):
            raise PublishError(Reason.PUBLISH_ERROR, f"the new version {building.name} failed PRAGMA quick_check")
        return results, str(dbfile.swap_in(data.public_db, building))
    except BaseException:
        dbfile.discard(building)
        raise


class Derived:
    """What publishing computes from the published rows, so pages never scan them: indicators, data coverage,
    discrepancies and the scorecard of each agency, ranks across agencies, search entries and possible duplicates."""

    def __init__(self, portal: Portal):
        self.portal = portal
        self.today = state_mod.wall_clock().astimezone(ZoneInfo(portal.timezone)).date()  # the one clock
        self.window = indicators.window_for(portal, self.today)

    def agency(self, conn: sqlite3.Connection, agency_id: str) -> None:
        """One agency's derived rows, inside the caller's transaction."""
        indicators.compute_agency(conn, agency_id, portal=self.portal, today=self.today, window=self.window)
        search.index_agency(conn, agency_id)

    def catalog(self, conn: sqlite3.Connection, *, done: set[str]) -> None:
        """Agencies not derived yet (their freshness still moves), then everything across agencies."""
        with transaction(conn):
            for (agency_id,) in conn.execute("SELECT id FROM agencies ORDER BY id").fetchall():
                if agency_id not in done:
                    self.agency(conn, agency_id)
            indicators.compute_scorecards(conn)
            duplicates.compute(conn, threshold=self.portal.duplicate_threshold)


def _kept(result: PublishResult) -> PublishResult:
    """A rebuild with a failed agency is not swapped in: every agency keeps what was served."""
    if not result.ok:
        return result
    return PublishResult(result.agency_id, False, {}, Reason.PUBLISH_ERROR,
                         "the rebuild was abandoned because another agency failed; the served file is unchanged")


def _ensure_listed(conn: sqlite3.Connection, registry: Registry) -> None:
    """Every agency of the registry has a row, even before its first publication."""
    known = {row[0] for row in conn.execute("SELECT id FROM agencies")}
    missing = [_agency_row(a, [], None) for a in registry.agencies if a.id not in known]
    if missing:
        with transaction(conn):
            _insert_rows(conn, "agencies", missing)
