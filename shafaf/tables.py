"""Names and columns of the public tables in shafaf.db.

Shared by the publisher (which creates and fills them) and the Datasette
plugin (which reads them), so the two can never disagree. Only the tables
listed in ``PUBLIC_TABLES`` may exist in the public file.
"""

from __future__ import annotations

from . import standard

# Columns added to every dataset table, so each row leads back to the run that brought it.
PROVENANCE_COLUMNS: dict[str, str] = {"run_id": "TEXT"}

AGENCIES_COLUMNS: dict[str, str] = {
    "id": "TEXT",
    "name_fa": "TEXT",
    "name_en": "TEXT",
    "parent": "TEXT",
    "website": "TEXT",
    "contact_email": "TEXT",
    "description_fa": "TEXT",
    "description_en": "TEXT",
    "sources": "INTEGER",
    "last_harvest": "TEXT",
    "last_good_harvest": "TEXT",
    "last_outcome": "TEXT",
    "published_at": "TEXT",
}

HARVEST_RUNS_COLUMNS: dict[str, str] = {
    "run_id": "TEXT",
    "agency_id": "TEXT",
    "source_id": "TEXT",
    "dataset": "TEXT",
    "kind": "TEXT",
    "location": "TEXT",
    "started": "TEXT",
    "finished": "TEXT",
    "outcome": "TEXT",
    "reason": "TEXT",
    "phase": "TEXT",
    "message": "TEXT",
    "http_status": "INTEGER",
    "bytes": "INTEGER",
    "sha256": "TEXT",
    "rows_read": "INTEGER",
    "rows_passed": "INTEGER",
    "rows_failed": "INTEGER",
}

VALIDATION_ERRORS_COLUMNS: dict[str, str] = {
    "run_id": "TEXT",
    "agency_id": "TEXT",
    "source_id": "TEXT",
    "dataset": "TEXT",
    "file": "TEXT",
    "row_number": "INTEGER",
    "field": "TEXT",
    "value": "TEXT",
    "error_type": "TEXT",
    "message": "TEXT",
}

DATASET_TABLES: tuple[str, ...] = standard.DATASET_KINDS

PUBLIC_TABLES: tuple[str, ...] = (
    "agencies",
    *DATASET_TABLES,
    "harvest_runs",
    "validation_errors",
)


def dataset_columns(kind: str) -> dict[str, str]:
    """SQLite columns of a dataset table: the standard's fields, then provenance."""
    cols = {f["name"]: standard.SQLITE_TYPES[f["type"]] for f in standard.fields(kind)}
    cols.update(PROVENANCE_COLUMNS)
    return cols


def columns(table: str) -> dict[str, str]:
    if table in DATASET_TABLES:
        return dataset_columns(table)
    return {
        "agencies": AGENCIES_COLUMNS,
        "harvest_runs": HARVEST_RUNS_COLUMNS,
        "validation_errors": VALIDATION_ERRORS_COLUMNS,
    }[table]


def indexes(table: str) -> list[tuple[str, ...]]:
    """Indexes the pages and common queries need: agency, then periods."""
    if table == "agencies":
        return []
    cols = columns(table)
    out: list[tuple[str, ...]] = [("agency_id",)]
    if "period_start" in cols:
        out.append(("agency_id", "period_start", "period_end"))
        out.append(("period_start", "period_end"))
    if table == "harvest_runs":
        out.append(("agency_id", "started"))
    if table == "validation_errors":
        out.append(("run_id",))
    return out
