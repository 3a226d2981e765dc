"""The table downloads, built from per-agency parts so a one-agency change rewrites one agency's rows.

A table with an ``agency_id`` (``PART_TABLES``) is kept, beside the
downloads, as one part per agency: its rows as CSV lines (no header), as
spreadsheet-safe CSV lines (only when a cell needed defusing; otherwise the
raw part serves both), and as JSON objects (no brackets). The parts live in
one store shared by the downloads versions (``exports/.parts/<table>/``),
each file named by its agency's key and the export that wrote it, and never
written again: an export writes the parts of the agencies that changed,
lists the others' files in its state as they are (no link or copy per part),
and joins the parts, in agency order, into ``tables/<table>.csv``,
``.safe.csv`` and ``.json`` by the kernel (``core.filecopy``): the same bytes
a scan of the table in that order would give, hashed from a map of each
part. Parts no kept version lists are removed (``remove_unlisted``). Tables
whose rows move with every publish (``agencies``, the ranks of
``agency_scorecard``, ``possible_duplicates``) are small and written whole
(``write_whole_table``).

Row order: agency by agency (agencies in id order, then any other
``agency_id``, then none), each agency's rows in the order they were
published (rowid).
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from shafaf.core.filecopy import copy_fd, hash_into
from shafaf.publish.export_files import (
    NUMERIC,
    TABLES_DIR,
    ExportedFile,
    JsonRows,
    Sink,
    batches,
    csv_writer,
    json_array_end,
    json_array_start,
)
from shafaf.publish.spreadsheet import safe_row, sql_may_need_prefix
from shafaf.standard import tables

WHOLE = ("agencies", "agency_scorecard", "possible_duplicates")
PART_TABLES: tuple[str, ...] = tuple(
    t for t in tables.PUBLIC_TABLES if "agency_id" in tables.columns(t) and t not in WHOLE
)
SUFFIXES = {"csv": ".csv", "safe_csv": ".safe.csv", "json": ".json"}


def part_key(agency_id: str | None) -> str:
    """A part's file name for an agency id (any text: the name is a digest), or for rows without one."""
    if agency_id is None:
        return "_none"
    return hashlib.sha256(agency_id.encode("utf-8")).hexdigest()[:24]


def agency_ids_in(conn: sqlite3.Connection, table: str) -> list[str | None]:
    """The distinct agency_id of ``table`` by a loose scan of its agency index: one seek per agency, not per row."""
    out: list[str | None] = []
    if conn.execute(f"SELECT 1 FROM [{table}] WHERE agency_id IS NULL LIMIT 1").fetchone():
        out.append(None)
    (current,) = conn.execute(f"SELECT min(agency_id) FROM [{table}]").fetchone()
    while current is not None:
        out.append(current)
        (current,) = conn.execute(f"SELECT min(agency_id) FROM [{table}] WHERE agency_id > ?", (current,)).fetchone()
    return out


def _rows_into(
    conn: sqlite3.Connection,
    select: str,
    params: tuple[Any, ...],
    names: list[str],
    numeric: list[bool],
    sinks: dict[str, Sink],
) -> tuple[int, bool]:
    """The query's rows into the raw, safe and JSON sinks; (rows, whether any cell was defused).

    Beside each row SQLite says whether a text cell starts with a formula
    trigger; a batch without one is written to the safe sink as the raw text.
    """
    n = len(names)
    raw, safe, js = csv_writer(sinks["csv"]), csv_writer(sinks["safe_csv"]), JsonRows(sinks["json"], names)
    rows, defused = 0, False
    for batch in batches(conn, select, params):
        as_stored = [row[:n] for row in batch]
        raw.writerows(as_stored)
        if any(row[n] for row in batch):
            safe.writerows([safe_row(row[:n], numeric) if row[n] else row[:n] for row in batch])
            defused = True
        else:
            sinks["safe_csv"].text.write(sinks["csv"].text.getvalue())
        js.write(as_stored)
        rows += len(batch)
        for sink in sinks.values():
            sink.flush()
    return rows, defused


def _select(table: str, columns: dict[str, str], where: str = "") -> str:
    names = list(columns)
    return (
        f"SELECT {', '.join(f'[{c}]' for c in names)}, {sql_may_need_prefix(names)} "
        f"FROM [{table}]{where} ORDER BY rowid"
    )


def write_part(
    conn: sqlite3.Connection, table: str, columns: dict[str, str], agency_id: str | None, store: Path, tag: str
) -> dict[str, Any]:
    """One agency's rows of ``table`` as new part files in ``store/<table>/`` (named with ``tag``, the export's own);
    what ``assemble`` needs to know of them."""
    names = list(columns)
    numeric = [columns[c] in NUMERIC for c in names]
    key = part_key(agency_id)
    stem = f"{key}-{tag}"
    (store / table).mkdir(parents=True, exist_ok=True)
    paths = {fmt: store / table / f"{stem}{suffix}" for fmt, suffix in SUFFIXES.items()}
    where, params = (" WHERE agency_id IS NULL", ()) if agency_id is None else (" WHERE agency_id = ?", (agency_id,))
    with open(paths["csv"], "wb") as raw_f, open(paths["safe_csv"], "wb") as safe_f, open(paths["json"], "wb") as js_f:
        sinks = {"csv": Sink(raw_f), "safe_csv": Sink(safe_f), "json": Sink(js_f)}
        rows, defused = _rows_into(conn, _select(table, columns, where), params, names, numeric, sinks)
    if not defused:
        paths["safe_csv"].unlink()  # the raw part is the safe one too
    return {"key": key, "file": stem, "rows": rows, "defused": defused}


def part_files(store: Path, table: str, part: dict[str, Any]) -> list[Path]:
    """The files of one part in the store (its safe CSV only when a cell was defused)."""
    kinds = (".csv", ".safe.csv", ".json") if part["defused"] else (".csv", ".json")
    return [store / table / f"{part['file']}{suffix}" for suffix in kinds]


def remove_unlisted(store: Path, states: list[dict[str, Any] | None]) -> int:
    """Delete the parts that none of ``states`` (the kept downloads versions') lists; returns how many files went.

    A killed export's parts, and those of versions pruned since, go here; a
    part a kept version lists is never touched. Needs the exporter lock.
    """
    listed = {
        (table, part["file"])
        for state in states
        if state
        for table, parts in state.get("parts", {}).items()
        for part in parts
        if "file" in part
    }
    removed = 0
    if not store.is_dir():
        return 0
    for folder in os.scandir(store):
        if not folder.is_dir(follow_symlinks=False):
            continue
        for entry in os.scandir(folder.path):
            if (folder.name, entry.name.split(".", 1)[0]) not in listed:
                os.unlink(entry.path)
                removed += 1
    return removed


def assemble(
    table: str, columns: dict[str, str], parts: list[dict[str, Any]], store: Path, out: Path, generated_at: str
) -> list[ExportedFile]:
    """``tables/<table>.{csv,safe.csv,json}`` under ``out``, joined from ``parts`` in their order, hashed on the way."""
    text = io.StringIO()
    csv.writer(text, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL).writerow(list(columns))
    header = text.getvalue().encode("utf-8")
    rows = sum(p["rows"] for p in parts)
    folder = os.path.join(store, table)  # a string: thousands of parts, no Path object each
    files = []
    for fmt, suffix in SUFFIXES.items():
        target = out / TABLES_DIR / f"{table}{suffix}"
        if fmt == "safe_csv" and not any(p["defused"] for p in parts):
            os.link(out / TABLES_DIR / f"{table}.csv", target)  # nothing to defuse: the same bytes
            files.append(
                ExportedFile(
                    f"{TABLES_DIR}/{table}{suffix}",
                    fmt,
                    files[0].bytes,
                    files[0].sha256,
                    rows,
                    table,
                    None,
                    generated_at,
                )
            )
            continue
        with open(target, "wb") as f:
            sink = Sink(f)
            if fmt == "json":
                filled = [p for p in parts if p["rows"]]
                sink.write(json_array_start(not filled))
                for i, part in enumerate(filled):
                    if i:
                        sink.write(b",\n")
                    _copy(f"{folder}/{part['file']}.json", sink)
                sink.write(json_array_end(not filled))
            else:
                sink.write(header)
                for part in parts:
                    own = ".safe.csv" if fmt == "safe_csv" and part["defused"] else ".csv"
                    _copy(f"{folder}/{part['file']}{own}", sink)
        files.append(
            ExportedFile(
                f"{TABLES_DIR}/{table}{suffix}",
                fmt,
                sink.bytes,
                sink.sha256.hexdigest(),
                rows,
                table,
                None,
                generated_at,
            )
        )
    return files


def _copy(path: str, sink: Sink) -> None:
    """A part's bytes appended to the sink's file by the kernel, hashed from a map of the part (no Python copy)."""
    sink.raw.flush()  # what was written before goes first; the copy appends at the file's own position
    fd = os.open(path, os.O_RDONLY)
    try:
        size = os.fstat(fd).st_size
        hash_into(fd, sink.sha256, size)
        if copy_fd(fd, sink.raw.fileno(), size) != size:
            raise OSError(f"{path} changed while it was joined into the download")
    finally:
        os.close(fd)
    sink.bytes += size


def write_whole_table(
    conn: sqlite3.Connection, table: str, columns: dict[str, str], out: Path, generated_at: str
) -> list[ExportedFile]:
    """A table written in one scan (rowid order) as its raw CSV, safe CSV and JSON."""
    names = list(columns)
    numeric = [columns[c] in NUMERIC for c in names]
    empty = conn.execute(f"SELECT 1 FROM [{table}] LIMIT 1").fetchone() is None
    paths = {fmt: out / TABLES_DIR / f"{table}{suffix}" for fmt, suffix in SUFFIXES.items()}
    with open(paths["csv"], "wb") as raw_f, open(paths["safe_csv"], "wb") as safe_f, open(paths["json"], "wb") as js_f:
        sinks = {"csv": Sink(raw_f), "safe_csv": Sink(safe_f), "json": Sink(js_f)}
        for fmt in ("csv", "safe_csv"):
            csv_writer(sinks[fmt]).writerow(names)
            sinks[fmt].flush()  # from here a batch's raw text may be copied to the safe file as it is
        sinks["json"].write(json_array_start(empty))
        rows, _ = _rows_into(conn, _select(table, columns), (), names, numeric, sinks)
        sinks["json"].write(json_array_end(empty))
    return [
        ExportedFile(
            f"{TABLES_DIR}/{table}{suffix}",
            fmt,
            sinks[fmt].bytes,
            sinks[fmt].sha256.hexdigest(),
            rows,
            table,
            None,
            generated_at,
        )
        for fmt, suffix in SUFFIXES.items()
    ]


def parts_of(conn: sqlite3.Connection, table: str, agency_ids: list[str]) -> Iterator[str | None]:
    """The agencies a table's parts are made for, in download order: the published agencies, then any other."""
    present = agency_ids_in(conn, table)
    known, have = set(agency_ids), set(present)
    yield from (a for a in agency_ids if a in have)
    yield from (a for a in present if a is not None and a not in known)
    if None in present:
        yield None
