"""Real keys in the published database: the Table Schemas' primary and foreign keys, declared in SQLite, so that
Datasette's row URLs, foreign-key links and ``_labels`` work; and a database from an older (keyless) Shafaf is
given its keys on the next publish without losing a row."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest
import sqlite_utils

from shafaf import standard
from shafaf.datasette_plugins.app import make_datasette
from shafaf.harvest.runner import harvest
from shafaf.publish import dbfile, ddl
from shafaf.publish.writer import publish
from shafaf.standard import keys, tables


def _published(reg, data) -> sqlite_utils.Database:
    harvest(reg.agencies, registry=reg, data=data)
    assert all(r.ok for r in publish(reg.agencies, registry=reg, data=data))
    return sqlite_utils.Database(data.public_db)


def _old_shafaf(public_db: Path, script: str) -> None:
    """What an older Shafaf published: a new version, changed by ``script``, swapped in."""
    building = dbfile.start_version(public_db, base=dbfile.current_version(public_db))
    conn = sqlite3.connect(building)
    conn.executescript(script)
    conn.close()
    dbfile.swap_in(public_db, building)


def _keyless(table: str) -> str:
    """SQL turning ``table`` into the rowid table without keys that Shafaf published before issue 20."""
    columns = ", ".join(f"[{c}] {t}" for c, t in tables.columns(table).items())
    return (
        f"CREATE TABLE old_{table} ({columns}); INSERT INTO old_{table} SELECT * FROM [{table}]; "
        f"DROP TABLE [{table}]; ALTER TABLE old_{table} RENAME TO [{table}];"
    )


def test_every_dataset_table_has_its_schemas_primary_and_foreign_keys(reg, data) -> None:
    db = _published(reg, data)
    conn = db.conn
    for kind in tables.DATASET_TABLES:
        pk, fks = ddl.declared_keys(conn, kind)
        assert list(pk) == standard.primary_key(kind), kind
        assert keys.ForeignKey(("agency_id",), "agencies", ("id",)) in fks
        for fk in standard.load_schema(kind).get("foreignKeys", []):
            assert (
                keys.ForeignKey(tuple(fk["fields"]), fk["reference"]["resource"], tuple(fk["reference"]["fields"]))
                in fks
            )
    assert ddl.declared_keys(conn, "agencies")[0] == ("id",)
    assert ddl.declared_keys(conn, "harvest_runs")[0] == ("run_id",)
    assert conn.execute("PRAGMA foreign_key_check").fetchall() == []  # the published rows keep their keys


def test_row_urls_labels_and_foreign_key_links_in_datasette(reg, data) -> None:
    _published(reg, data)
    ds = make_datasette(data.public_db, reg.portal)

    def get(path: str):
        return asyncio.run(ds.client.get(path))

    row = get("/shafaf/services/alpha,S1.json")
    assert row.status_code == 200 and row.json()["primary_key_values"] == ["alpha", "S1"]
    assert get("/shafaf/services/alpha,no-such-service.json").status_code == 404
    perf = get("/shafaf/service_performance.json?_labels=on&_shape=array&_size=1").json()[0]
    assert perf["agency_id"] == {"value": "alpha", "label": "سازمان الف"}
    page = get("/shafaf/services?_labels=on")
    assert page.status_code == 200 and 'href="/shafaf/agencies/alpha"' in page.text
    agency = get("/shafaf/agencies/alpha")  # the rows linking to the agency, table by table
    assert agency.status_code == 200 and 'href="/shafaf/service_performance?agency_id=alpha"' in agency.text


def test_an_older_keyless_database_gets_its_keys_on_the_next_publish(reg, data) -> None:
    db = _published(reg, data)
    before = {t: sorted(db.execute(f"SELECT * FROM [{t}]").fetchall()) for t in tables.DATASET_TABLES}
    _old_shafaf(data.public_db, "".join(_keyless(t) for t in tables.DATASET_TABLES))
    assert ddl.declared_keys(sqlite3.connect(data.public_db), "services")[0] == ()
    beta = [a for a in reg.agencies if a.id == "beta"]
    assert all(r.ok for r in publish(beta, registry=reg, data=data))  # alpha's rows come from the copy
    db = sqlite_utils.Database(data.public_db)
    for kind in tables.DATASET_TABLES:
        assert list(ddl.declared_keys(db.conn, kind)[0]) == standard.primary_key(kind)
        after = sorted(db.execute(f"SELECT * FROM [{kind}] WHERE agency_id = 'alpha'").fetchall())
        assert after == [r for r in before[kind] if r[0] == "alpha"], kind
    assert {tuple(i.columns) for i in db["service_performance"].indexes} >= {
        ("agency_id", "period_start", "period_end")
    }


def test_rows_that_break_a_key_keep_the_table_as_it_was_and_lose_nothing(reg, data) -> None:
    db = _published(reg, data)
    count = db["service_performance"].count
    _old_shafaf(
        data.public_db,
        _keyless("service_performance")
        + "INSERT INTO service_performance SELECT * FROM service_performance WHERE agency_id = 'alpha' LIMIT 1;",
    )
    beta = [a for a in reg.agencies if a.id == "beta"]
    assert all(r.ok for r in publish(beta, registry=reg, data=data))
    db = sqlite_utils.Database(data.public_db)
    assert ddl.declared_keys(db.conn, "service_performance")[0] == ()  # not rebuilt: its rows do not fit the key
    assert db["service_performance"].count == count + 1
    assert list(ddl.declared_keys(db.conn, "services")[0]) == ["agency_id", "service_id"]


@pytest.mark.parametrize("table", tables.PUBLIC_TABLES)
def test_the_ddl_makes_every_public_table_with_its_columns(table: str) -> None:
    conn = sqlite3.connect(":memory:")
    if table != "agencies":
        conn.execute("CREATE TABLE agencies (id TEXT PRIMARY KEY)")
    ddl.create_table(conn, table)
    assert [r[1] for r in conn.execute(f"PRAGMA table_info([{table}])")] == list(tables.columns(table))
    assert ddl.declared_keys(conn, table) == (keys.primary_key(table), set(keys.foreign_keys(table)))


def test_no_table_keeps_two_indexes_of_the_same_columns(reg, data) -> None:
    """The primary key's own index is the one the upserts use; a second of the same columns doubled each write
    (services kept ``services_key`` beside it). An older database loses its copy on the next publish."""
    _published(reg, data)
    _old_shafaf(data.public_db, "CREATE UNIQUE INDEX services_key ON services (agency_id, service_id)")
    assert all(r.ok for r in publish(reg.agencies[:1], registry=reg, data=data))
    conn = sqlite3.connect(data.public_db)
    for (table,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall():
        indexes = [row[1] for row in conn.execute(f"PRAGMA index_list('{table}')")]
        columns = [tuple(r[2] for r in conn.execute(f"PRAGMA index_info('{name}')")) for name in indexes]
        assert len(columns) == len(set(columns)), (table, dict(zip(indexes, columns, strict=True)))
