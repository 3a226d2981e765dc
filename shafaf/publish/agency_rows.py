"""An agency's rows in the version being built: the public tables' schema, and each staged dataset loaded.

The writer (``writer.publish_agency``) calls these inside the agency's one
transaction. Rows are streamed from the staged CSVs in batches, never held
all in memory; a service missing from a newer inventory is kept, withdrawn.
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import json
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import jdatetime
import sqlite_utils

from shafaf.config.registry import Agency
from shafaf.core.errors import PublishError
from shafaf.core.models import Outcome, Reason
from shafaf.normalize.periods import fiscal_year
from shafaf.publish import bulk_load, ddl, search
from shafaf.standard import SQLITE_PYTHON_TYPES, primary_key, tables
from shafaf.standard.sqlite_cells import caster
from shafaf.standard.targets import judge_published
from shafaf.validate import rows_file

BATCH = 5000
SERVICE_KEY = tuple(primary_key("services"))  # what services are upserted on


def ensure_schema(conn: sqlite3.Connection, *, with_indexes: bool = True) -> None:
    """Create the public tables and their indexes if they are missing.

    A new build passes ``with_indexes=False`` and calls ``create_indexes`` once
    its rows are in: building an index once is cheaper than maintaining it.
    """
    db = sqlite_utils.Database(conn)
    for table in tables.PUBLIC_TABLES:
        ddl.create_table(conn, table)  # with the standard's primary and foreign keys (standard/keys.py)
        have = set(db[table].columns_dict)
        for name, kind in tables.columns(table).items():
            if name not in have:  # a shafaf.db published by an older Shafaf
                db[table].add_column(name, _types({name: kind})[name])
        ddl.ensure_keys(conn, table)  # an older Shafaf's keyless table, rebuilt once with its keys
    # Services are upserted on their primary key (a withdrawn service keeps its one row); an older Shafaf kept a
    # second unique index of the same columns, which only doubled the cost of every write.
    conn.execute("DROP INDEX IF EXISTS services_key")
    search.create(conn)
    if with_indexes:
        create_indexes(conn)


def create_indexes(conn: sqlite3.Connection) -> None:
    db = sqlite_utils.Database(conn)
    for table in tables.PUBLIC_TABLES:
        for columns in tables.indexes(table):
            db[table].create_index(list(columns), if_not_exists=True)


def _types(columns: dict[str, str]) -> dict[str, type]:
    """sqlite-utils' Python type of each column's SQLite type (the one map of them)."""
    return {name: SQLITE_PYTHON_TYPES[kind] for name, kind in columns.items()}


def _insert_csv(
    conn: sqlite3.Connection, table: str, path: Path, *, extra: dict[str, Any], upsert_key: tuple[str, ...] = ()
) -> int:
    """Stream a staged CSV into ``table`` in batches; the caller owns the transaction.

    With ``upsert_key``, a row whose key is already published replaces it in place.
    """
    columns = tables.columns(table)
    with path.open(newline="", encoding="utf-8") as f:
        reader = csv.reader(f)
        header = next(reader)
        unknown = [h for h in header if h not in columns]
        if unknown:
            raise PublishError(
                Reason.PUBLISH_ERROR, f"{path} has columns not in the {table!r} table: {', '.join(unknown)}"
            )
        casts = [caster(columns[h]) for h in header]
        derive = _period_deriver(header) if "jalali_year" in columns else None
        names = header + list(extra) + (list(tables.PERIOD_COLUMNS) if derive else [])
        sql = f"INSERT INTO [{table}] ({', '.join(f'[{n}]' for n in names)}) VALUES ({', '.join('?' * len(names))})"
        conflict = ""
        if upsert_key:
            updates = ", ".join(f"[{n}] = excluded.[{n}]" for n in names if n not in upsert_key)
            conflict = f" ON CONFLICT ({', '.join(upsert_key)}) DO UPDATE SET {updates}"
        sql += conflict
        tail = tuple(extra.values())
        if rows_file.describes(staged := rows_file.path_for(path), path, header):
            # the same rows typed for SQLite at staging: copied by SQLite, nothing parsed or cast again
            return bulk_load.copy_staged(
                conn,
                table,
                staged,
                header=header,
                names=names,
                extra=tail,
                parts=jalali_parts if derive else None,
                conflict=conflict,
                name=str(path),
            )

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


def replace_dataset(
    conn: sqlite3.Connection, table: str, path: Path, *, agency_id: str, run_id: str | None, history: str, now: str
) -> int:
    """An agency's rows of one dataset, replaced without erasing history.

    - services: upserted; a service missing from the new file is kept and marked withdrawn,
      its run_id still naming the last run that saw it.
    - tables with periods, from a source sending only recent periods (``history: recent``):
      only the periods present in the new file are replaced; older periods stay.
    - anything else: the agency's rows are replaced by the file's.
    """
    if table == "services":
        count = _insert_csv(
            conn, table, path, extra={"run_id": run_id, "withdrawn": 0, "withdrawn_at": None}, upsert_key=SERVICE_KEY
        )
        conn.execute(
            "UPDATE services SET withdrawn = 1, withdrawn_at = COALESCE(withdrawn_at, ?) "
            "WHERE agency_id = ? AND run_id IS NOT ?",
            (now, agency_id, run_id),
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
    return (day.year, day.month, fiscal_year(iso_date))


def insert_rows(conn: sqlite3.Connection, table: str, rows: list[dict[str, Any]]) -> int:
    columns = list(tables.columns(table))
    sql = f"INSERT INTO [{table}] ({', '.join(f'[{c}]' for c in columns)}) VALUES ({', '.join('?' * len(columns))})"
    conn.executemany(sql, [tuple(row.get(c) for c in columns) for row in rows])
    return len(rows)


def validation_errors(pkg: Path) -> list[dict[str, Any]]:
    """Every staged report's refusal and row errors, with their messages in English and Persian.

    Reports staged before messages had a Persian text get one for a refused
    file from the catalogue; their row errors keep message_fa empty.
    """
    from shafaf.validate.file_messages import fatal_message

    out = []
    for report_path in sorted((pkg / "reports").glob("*.json")):
        report = json.loads(report_path.read_text(encoding="utf-8"))
        common = {k: report.get(k) for k in ("run_id", "agency_id", "source_id", "dataset", "file")}
        if report.get("fatal_reason"):
            message_fa = (
                report.get("fatal_message_fa")
                or fatal_message(
                    report["fatal_reason"],
                    report.get("fatal_message") or "",
                    file=report.get("file") or "",
                    dataset=report.get("dataset") or "",
                ).fa
            )
            out.append(
                {
                    **common,
                    "row_number": None,
                    "field": None,
                    "value": None,
                    "error_type": report["fatal_reason"],
                    "message": report.get("fatal_message"),
                    "message_fa": message_fa,
                }
            )
        for error in report.get("errors", []):
            out.append({**common, **error})
    return out


def agency_row(agency: Agency, runs: list[dict[str, Any]], published_at: str) -> dict[str, Any]:
    good = [r["started"] for r in runs if r["outcome"] in (Outcome.OK, Outcome.UNCHANGED)]
    return {
        "id": agency.id,
        "name_fa": agency.name_fa,
        "name_en": agency.name_en,
        "parent": agency.parent,
        "website": agency.website,
        "contact_email": agency.contact_email,
        "description_fa": agency.description_fa,
        "description_en": agency.description_en,
        "sources": len(agency.sources),
        "last_harvest": runs[0]["started"] if runs else None,
        "last_good_harvest": max(good) if good else None,
        "last_outcome": runs[0]["outcome"] if runs else None,
        "published_at": published_at,
    }
