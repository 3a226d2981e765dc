"""The public tables' SQLite keys, from the standard's Table Schemas: primary keys, foreign keys, and the DDL.

A dataset table's primary key is its Table Schema's ``primaryKey``; its
foreign keys are the schema's ``foreignKeys`` (a performance row's
``agency_id, service_id`` names a service) and ``agency_id`` naming the
agency. Declared in SQLite, they make the schema document itself and let
Datasette do what it does with keys: row URLs by primary key
(``/shafaf/services/tax,SA-0103``), foreign-key links and ``_labels``
(Datasette follows single-column foreign keys; the compound ones are there
for readers of the schema and for tools such as sqlite-utils). The
publisher does not turn on ``PRAGMA foreign_keys``: validation already
checks what it can, and an agency's rows are replaced table by table inside
one transaction.
"""

from __future__ import annotations

import dataclasses

from shafaf import standard
from shafaf.standard import tables

# Tables outside the standard's schemas with a key of their own.
OTHER_PRIMARY_KEYS: dict[str, tuple[str, ...]] = {"agencies": ("id",), "harvest_runs": ("run_id",)}


@dataclasses.dataclass(frozen=True)
class ForeignKey:
    columns: tuple[str, ...]
    table: str
    other_columns: tuple[str, ...]


def primary_key(table: str) -> tuple[str, ...]:
    """The table's primary key; empty for the derived tables, which keep SQLite's rowid alone."""
    if table in tables.DATASET_TABLES:
        return tuple(standard.primary_key(table))
    return OTHER_PRIMARY_KEYS.get(table, ())


def foreign_keys(table: str) -> tuple[ForeignKey, ...]:
    """The agency a dataset row belongs to, then the Table Schema's own foreign keys."""
    if table not in tables.DATASET_TABLES:
        return ()
    out = [ForeignKey(("agency_id",), "agencies", ("id",))]
    for fk in standard.load_schema(table).get("foreignKeys", []):
        fields = fk["fields"] if isinstance(fk["fields"], list) else [fk["fields"]]
        ref = fk["reference"]
        other = ref["fields"] if isinstance(ref["fields"], list) else [ref["fields"]]
        out.append(ForeignKey(tuple(fields), ref.get("resource") or table, tuple(other)))
    return tuple(out)


def _names(columns: tuple[str, ...]) -> str:
    return ", ".join(f"[{c}]" for c in columns)


def create_table_sql(table: str, *, name: str | None = None) -> str:
    """``CREATE TABLE`` for a public table with its columns, types and keys (``name``: build it under another)."""
    columns = [f"[{c}] {kind}" for c, kind in tables.columns(table).items()]
    if primary_key(table):
        columns.append(f"PRIMARY KEY ({_names(primary_key(table))})")
    for fk in foreign_keys(table):
        columns.append(f"FOREIGN KEY ({_names(fk.columns)}) REFERENCES [{fk.table}] ({_names(fk.other_columns)})")
    return f"CREATE TABLE [{name or table}] (\n   " + ",\n   ".join(columns) + "\n)"
