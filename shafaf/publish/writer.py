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
import dataclasses
import json
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path

from shafaf.config.registry import Agency, Registry
from shafaf.core.datadir import DataDir
from shafaf.core.diskfull import is_disk_full
from shafaf.core.durable import transaction
from shafaf.core.errors import PublishError
from shafaf.core.models import Outcome, Reason
from shafaf.publish import availability, bulk_load, dbfile
from shafaf.publish.agency_rows import (  # noqa: F401 (ensure_schema, jalali_parts: the writer's public names)
    agency_row,
    create_indexes,
    ensure_schema,
    insert_rows,
    jalali_parts,
    replace_dataset,
    validation_errors,
)
from shafaf.publish.derived import Derived
from shafaf.standard import tables
from shafaf.state.store import StateStore, utc_now

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


def publish_agency(
    conn: sqlite3.Connection, agency: Agency, *, data: DataDir, state: StateStore, derived: Derived | None = None
) -> PublishResult:
    """Replace everything published for one agency inside one transaction.

    With ``derived``, the agency's indicators and search entries are rebuilt in
    the same transaction, so a reader never sees new rows with old figures.
    """
    pkg = data.packages(agency.id)
    descriptor = pkg / "datapackage.json"
    resources = json.loads(descriptor.read_text(encoding="utf-8"))["resources"] if descriptor.exists() else []
    runs = state.runs(agency.id, limit=RUNS_PUBLISHED_PER_AGENCY)
    counts: dict[str, int] = {}
    bulk_load.detach_staged(conn)  # the previous agency's rows files: SQLite detaches only between transactions
    conn.execute("BEGIN IMMEDIATE")
    try:
        now = utc_now()
        for resource in resources:
            table = resource["name"]
            if table not in tables.DATASET_TABLES:
                continue
            provenance = resource.get("shafaf", {})
            counts[table] = replace_dataset(
                conn,
                table,
                pkg / resource["path"],
                agency_id=agency.id,
                run_id=provenance.get("run_id"),
                history=provenance.get("history", "full"),
                now=now,
            )
        conn.execute("DELETE FROM harvest_runs WHERE agency_id = ?", (agency.id,))
        insert_rows(conn, "harvest_runs", runs)
        conn.execute("DELETE FROM validation_errors WHERE agency_id = ?", (agency.id,))
        insert_rows(conn, "validation_errors", validation_errors(pkg))
        availability.replace(conn, agency, state)  # each source's availability from its run history (issue 23)
        conn.execute("DELETE FROM agencies WHERE id = ?", (agency.id,))
        insert_rows(conn, "agencies", [agency_row(agency, runs, utc_now())])
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


def publish(
    agencies: list[Agency],
    *,
    registry: Registry,
    data: DataDir,
    on_result: Callable[[PublishResult], None] | None = None,
    rebuild: bool = False,
) -> list[PublishResult]:
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
            results, version = _publish_version(
                chosen, base=base, registry=registry, data=data, state=state, on_result=on_result
            )
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
        message = f"{len(results) - len(failed)} agencies published" + (
            f", failed: {', '.join(failed)}" if failed else ""
        )
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


def _publish_version(
    agencies: list[Agency],
    *,
    base: Path | None,
    registry: Registry,
    data: DataDir,
    state: StateStore,
    on_result: Callable[[PublishResult], None] | None,
) -> tuple[list[PublishResult], str | None]:
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
        derived = Derived(registry.portal, rebuild=rebuild)
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
            cause = next(r for r in results if not r.ok)
            return [_kept(r, cause) for r in results + skipped], None
        if not dbfile.integrity_ok(building, quick=True):
            raise PublishError(Reason.PUBLISH_ERROR, f"the new version {building.name} failed PRAGMA quick_check")
        dbfile.write_changes(building, base=base, changed=derived.changed)
        return results, str(dbfile.swap_in(data.public_db, building))
    except BaseException:
        dbfile.discard(building)
        raise


def _kept(result: PublishResult, cause: PublishResult) -> PublishResult:
    """A rebuild with a failed agency is not swapped in: every agency keeps what was served, for that cause."""
    if not result.ok:
        return result
    why = " (the disk is full)" if cause.reason == Reason.DISK_FULL else ""
    return PublishResult(
        result.agency_id,
        False,
        {},
        cause.reason or Reason.PUBLISH_ERROR,
        f"the rebuild was abandoned because agency {cause.agency_id!r} failed{why}; the served file is unchanged",
    )


def _ensure_listed(conn: sqlite3.Connection, registry: Registry) -> None:
    """Every agency of the registry has a row, even before its first publication."""
    known = {row[0] for row in conn.execute("SELECT id FROM agencies")}
    missing = [agency_row(a, [], None) for a in registry.agencies if a.id not in known]
    if missing:
        with transaction(conn):
            insert_rows(conn, "agencies", missing)
