"""Serving: the Datasette app of the portal, its metadata from the standard, and its settings.

Titles and descriptions come from the standard and the registry's portal
section, never from harvested data, because Datasette renders metadata
descriptions as trusted HTML.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from pathlib import Path
from typing import Any

from datasette import database as datasette_database
from datasette.app import Datasette
from datasette.database import Database
from datasette.tracer import trace

from shafaf import standard
from shafaf.config.registry import Portal
from shafaf.datasette_plugins import column_notes, sql_truncation
from shafaf.datasette_plugins.security import sql_limits, sql_pools
from shafaf.standard import search_index

DATABASE = "shafaf"

# Chosen for a public, read-only portal (see docs/reliability.md): keep the SQL time limit short, and skip facet
# suggestion, which scans large tables on every page. Three threads run public SQL (Datasette's pool; our
# pages have their own, datasette_plugins/sql_pools.py); a CSV stream stops at 100 MB (Datasette's contract:
# a truncated 200; the full files are in /downloads/).
#
# The limits Datasette has no setting for, with the reasons for their values in their modules:
#   per value 1 MB, per row 100 columns, SQL text 100 KB, no ATTACH     sql_limits.SQLITE_LIMITS
#   per result 16 MB of values, counted while rows are fetched (400)    sql_limits.RESULT_MAX_BYTES
#   SQLite's heap in the server process 256 MB (400 past it)            sql_limits.HEAP_LIMIT_BYTES
#   our pages' own pool of 2 threads                                    sql_pools.OWN_SQL_THREADS
#   no public query joins a queue whose oldest waited 2 s, or of 64     sql_pools.MAX_WAIT_S, MAX_WAITING
#   (then 503 with Retry-After)
SETTINGS: dict[str, Any] = {
    "sql_time_limit_ms": 1000,
    "max_returned_rows": 1000,
    "num_sql_threads": 3,
    "max_csv_mb": 100,
    "suggest_facets": False,
    "facet_time_limit_ms": 500,
    "trace_debug": False,
    "template_debug": False,
    "allow_download": False,
}

# Tables that grow with services × periods × channels get no default facets: on a million rows each
# facet is a scan of an index (about 60 ms), and three of them made every table page 240 ms (docs/performance.md).
# Readers still ask for them with ?_facet=.
UNFACETED = frozenset({"service_performance", "service_standards"})

_TABLE_TEXT = {
    "agencies": ("Agencies", "The agencies this portal publishes, from its registry, with their last harvest."),
    "harvest_runs": (
        "Harvest runs",
        "Every harvest of every source: when, what came back, how many rows passed, and why a run failed.",
    ),
    "validation_errors": (
        "Validation errors",
        "Rows and files the portal rejected, with the row, column, value and reason.",
    ),
    "indicators": (
        "Indicators",
        "Every indicator of every agency, per month, last 12 months and year, with its numerator "
        "and denominator; formulas in docs/indicators.md.",
    ),
    "agency_scorecard": (
        "Agency scorecard",
        "One row per agency: the headline indicators and the agency's rank on each.",
    ),
    "possible_duplicates": (
        "Possible duplicate services",
        "Services of different agencies whose names look alike, with the similarity score.",
    ),
    "data_coverage": (
        "Data coverage",
        "One row per agency and dataset: rows published, the last month covered and "
        "how many months that is behind the portal's reference month (stale past "
        "the portal's setting).",
    ),
    "discrepancies": (
        "Reported against measured",
        "An agency's reported result (targets) beside the value the "
        "portal computes from the agency's own rows, flagged beyond the "
        "portal's tolerance.",
    ),
    "source_availability": (
        "Source availability",
        "One row per source: the share of runs whose fetch succeeded and "
        "the median and 95th-percentile fetch time over 30 and 90 days, the "
        "last failure and its reason, and the failures in a row; "
        "definitions in docs/indicators.md.",
    ),
}


def metadata(
    portal: Portal, *, state_db: Path | None = None, registry_path: Path | None = None, replica: bool = False
) -> dict[str, Any]:
    """Datasette metadata: portal titles, license, and each table's and column's description."""
    table_meta: dict[str, Any] = {}
    for kind in standard.DATASET_KINDS:
        schema = standard.load_schema(kind)
        table_meta[kind] = {
            "title": schema["title"],
            "description": schema["description"],
            "columns": column_notes.descriptions(kind, "en"),
        }
        if standard.has_periods(kind) and kind not in UNFACETED:
            table_meta[kind]["facets"] = ["agency_id", "fiscal_year", "jalali_month"]
    for table, (title, description) in _TABLE_TEXT.items():
        table_meta[table] = {"title": title, "description": description}
    # issue 20: dataset rows' agency_id is a foreign key to agencies: _labels and links show the agency's name.
    table_meta["agencies"]["label_column"] = "name_fa" if portal.default_language == "fa" else "name_en"
    for table, extra in search_index.DATASETTE_METADATA.items():
        table_meta[table].update(extra)  # searched through the normalized FTS5 tables
    for table in search_index.SEARCH_TABLES:
        # The search index and FTS5's shadow tables: derived from the public tables (no other data), and
        # read by ?_search= and SQL, so they stay reachable; hidden from the listing, not left to
        # Datasette's guess (it hides what looks like FTS).
        table_meta[table] = {"hidden": True}
    for table in ("agency_scorecard", "indicators"):
        table_meta[table]["columns"] = column_notes.descriptions(table, "en")
    return {
        "title": portal.title_fa,
        "description": portal.description_en,
        "license": portal.license.title,
        "license_url": portal.license.url,
        "source": "Each agency's own files, harvested and validated by Shafaf",
        "databases": {DATABASE: {"tables": table_meta}},
        "plugins": {
            "shafaf": {
                "title_fa": portal.title_fa,
                "title_en": portal.title_en,
                "description_fa": portal.description_fa,
                "description_en": portal.description_en,
                "default_language": portal.default_language,
                "license_id": portal.license.id,  # CKAN's license_id and DCAT's license (catalog.py)
                "themes": {kind: list(codes) for kind, codes in portal.themes},  # issue 20: dcat:theme, CKAN groups
                # The agency API and the schedule panel (datasette_plugins/harvest_status.py).
                **(
                    {"state_db": str(state_db), "registry": str(registry_path)}
                    if state_db and registry_path and not replica
                    else {}
                ),
                # A read replica (docs/scaling.md): no state.db at all; agency requests are the primary's.
                **({"replica": True} if replica else {}),
            }
        },
    }


class ServedDatabase(Database):
    """The published file: the version ``shafaf.db`` links to, opened immutable, re-opened once a publish swaps it.

    Every publish writes a new version and swaps the link (``dbfile``); a
    version is never written again, so it is opened ``immutable=1``: SQLite
    takes no locks and keeps no ``-wal``/``-shm`` for it, and nothing a
    publisher does can change a file under a reader. Datasette's long-lived
    per-thread connections would go on reading the old version, so this
    checks the link's target (a stat, microseconds) before each query and
    re-opens when it changed. It mirrors ``Database.execute_fn`` of Datasette
    0.65 (pinned in setup.py).
    The queries of our pages run on their own pool, with a bound on waiting
    public SQL (``sql_pools``); ``execute`` mirrors ``Database.execute`` with
    the serving limits of ``sql_limits`` (a result is counted in bytes while it
    is fetched).
    """

    _pools: sql_pools.SqlPools | None = None

    async def execute(
        self,
        sql: str,
        params: Any = None,
        truncate: bool = False,
        custom_time_limit: int | None = None,
        page_size: int | None = None,
        log_sql_errors: bool = True,
    ) -> Any:
        time_limit_ms = self.ds.sql_time_limit_ms
        if custom_time_limit and custom_time_limit < time_limit_ms:
            time_limit_ms = custom_time_limit
        public = not sql_pools.in_own_pages()

        def run(conn: sqlite3.Connection) -> Any:
            return sql_limits.execute(
                conn,
                sql,
                params,
                time_limit_ms=time_limit_ms,
                max_returned_rows=self.ds.max_returned_rows,
                page_size=page_size or self.ds.page_size,
                truncate=truncate,
                log_sql_errors=log_sql_errors,
                public=public,
            )

        with trace("sql", database=self.name, sql=sql.strip(), params=params):
            results = await self.execute_fn(run)
        if public:
            sql_truncation.mark(results.truncated, len(results.rows))  # issue 20: said in a CSV's headers
        return results

    async def execute_fn(self, fn: Any) -> Any:
        identity = _identity(self.path)
        if self.ds.executor is None:  # Datasette's non-threaded mode
            if self._read_connection is None or getattr(self, "_read_identity", None) != identity:
                self._read_connection, self._read_identity = self._open(self._read_connection)
            return fn(self._read_connection)

        key = f"{self.name}@served"

        def in_thread() -> Any:
            conn, seen = getattr(datasette_database.connections, key, (None, None))
            if conn is None or seen != identity:
                conn, seen = self._open(conn)
                setattr(datasette_database.connections, key, (conn, seen))
            return fn(conn)

        if self._pools is None:
            self._pools = sql_pools.SqlPools(self.ds.executor)
        return await self._pools.run(in_thread)

    def connect(self, write: bool = False) -> sqlite3.Connection:
        """The current version, read-only and immutable (Datasette never writes to the published file)."""
        if write:
            raise sqlite3.OperationalError("the published database is read-only: publish writes a new version")
        return self._connect_version()[0]

    def _connect_version(self) -> tuple[sqlite3.Connection, tuple[int, int] | None]:
        """A connection to the version the link names now, and that version's identity.

        A publish may remove an old version between reading the link and
        opening its target; the link then names a newer one, so read it again.
        """
        for _ in range(5):
            target = os.path.realpath(self.path)
            try:
                conn = sqlite3.connect(
                    f"{Path(target).as_uri()}?mode=ro&immutable=1", uri=True, check_same_thread=False
                )
            except sqlite3.OperationalError:
                continue
            self._all_file_connections.append(conn)
            return conn, _identity(target)
        raise sqlite3.OperationalError(f"cannot open the published database {Path(self.path).name}")

    def _open(self, old: sqlite3.Connection | None) -> tuple[sqlite3.Connection, tuple[int, int] | None]:
        if old is not None:
            old.close()
            if old in self._all_file_connections:
                self._all_file_connections.remove(old)
        conn, identity = self._connect_version()
        self.ds._prepare_connection(conn, self.name)
        return conn, identity


def _identity(path: str | None) -> tuple[int, int] | None:
    try:
        st = os.stat(path) if path else None
    except FileNotFoundError:
        return None
    return (st.st_dev, st.st_ino) if st else None


def make_datasette(
    db_path: Path, portal: Portal, *, registry_path: Path | None = None, replica: bool = False
) -> Datasette:
    """The Datasette app for the portal; the shafaf plugin is loaded through its entry point.

    With ``registry_path``, the agency API and schedule panel use the
    registry and the ``state.db`` beside ``db_path``; a ``replica`` opens no
    ``state.db`` and answers the agency API with 403 (the primary's).
    """
    state_db = Path(db_path).parent / "state.db"
    ds = Datasette(
        [],
        metadata=metadata(portal, state_db=state_db, registry_path=registry_path, replica=replica),
        settings=SETTINGS,
        cors=False,
    )
    ds.add_database(ServedDatabase(ds, path=str(db_path), is_mutable=True), name=DATABASE)
    # Datasette adds an in-memory ``_memory`` database when it is given no files: public SQL with none of the
    # portal's data, on Datasette's unwrapped Database. The portal serves one database; it is removed.
    if "_memory" in ds.databases:
        ds.remove_database("_memory")
    return ds


def serve(
    db_path: Path,
    portal: Portal,
    *,
    host: str = "127.0.0.1",
    port: int = 8001,
    registry_path: Path | None = None,
    replica: bool = False,
    header_timeout: float | None = None,
) -> None:
    """Serve the portal until interrupted (uvicorn, as ``datasette serve`` does); ``header_timeout``: see
    ``security/connections``."""
    import uvicorn

    from shafaf.datasette_plugins.security.connections import GuardedH11Protocol

    ds = make_datasette(db_path, portal, registry_path=registry_path, replica=replica)
    with contextlib.closing(sqlite3.connect(":memory:")) as conn:
        sql_limits.limit_process(conn)  # the server's SQLite heap, whatever the query
    # Late headers close their connection (security/connections.py); idle keep-alive is uvicorn's 5 s.
    protocol = GuardedH11Protocol
    if header_timeout is not None:
        protocol = type("GuardedH11Protocol", (GuardedH11Protocol,), {"header_deadline_s": header_timeout})
    uvicorn.run(ds.app(), host=host, port=port, log_level="warning", http=protocol)
