"""The staged rows typed for SQLite (validate/rows_file.py) and the publisher's copy of them (publish/bulk_load.py).

A publish from the rows files must be the publish from the staged CSVs, value
for value and type for type, for every dataset kind and input shape; a rows
file that no longer describes its CSV is never trusted.
"""

from __future__ import annotations

import csv
import shutil
import sqlite3
from pathlib import Path

import pytest

from benchmarks import generate
from shafaf.config import registry
from shafaf.core.datadir import DataDir
from shafaf.harvest.runner import harvest
from shafaf.publish import bulk_load
from shafaf.publish.writer import publish
from shafaf.standard import tables
from shafaf.standard.sqlite_cells import caster
from shafaf.validate import rows_file

ROOT = Path(__file__).resolve().parent.parent


def _demo(tmp: Path) -> Path:
    """The demo registry (every dataset kind, six agencies, value maps, Jalali labels) over a copy of its files."""
    shutil.copytree(ROOT / "metadata" / "demo", tmp / "demo")
    shutil.copy(ROOT / "metadata" / "agencies.yml", tmp / "agencies.yml")
    return tmp / "agencies.yml"


def _generated(shape: str):
    def make(tmp: Path) -> Path:  # two agencies, invalid rows and repeated keys among good ones
        return generate.write_registry(tmp, {"g1": 3000, "g2": 500}, invalid_rate=0.01, shape=shape)

    return make


REGISTRIES = {"demo": _demo, "standard": _generated("standard"), "labels": _generated("labels")}


def _tables(db: Path) -> dict[str, list[tuple]]:
    """Every dataset table of a published file: each value with its SQLite type, in row order."""
    conn = sqlite3.connect(db)
    try:
        out = {}
        for table in tables.DATASET_TABLES:
            cols = list(tables.columns(table))
            select = ", ".join([f"[{c}]" for c in cols] + [f"typeof([{c}])" for c in cols])
            out[table] = conn.execute(f"SELECT {select} FROM [{table}] ORDER BY rowid").fetchall()
        return out
    finally:
        conn.close()


def _staged(data: DataDir) -> list[Path]:
    return sorted((data.root / "packages").glob("*/*.csv"))


@pytest.fixture(scope="module", params=sorted(REGISTRIES))
def harvested(request, tmp_path_factory):
    tmp = tmp_path_factory.mktemp(f"rows-{request.param}")
    reg = registry.load(REGISTRIES[request.param](tmp / "src"))
    data = DataDir(tmp / "var")
    harvest(reg.agencies, registry=reg, data=data)
    return reg, data


def test_every_staged_csv_has_its_rows_typed_as_the_publisher_casts_them(harvested):
    _, data = harvested
    staged = _staged(data)
    assert staged
    for path in staged:
        rows_path = rows_file.path_for(path)
        with path.open(newline="", encoding="utf-8") as f:
            reader = csv.reader(f)
            header = next(reader)
            kinds = tables.columns(path.stem)
            casts = [caster(kinds[h]) for h in header]
            expected = [tuple((v, type(v).__name__) for v in map(lambda c, x: c(x), casts, row)) for row in reader]
        assert rows_file.describes(rows_path, path, header), path
        conn = sqlite3.connect(rows_path)
        got = [tuple((v, type(v).__name__) for v in row) for row in conn.execute("SELECT * FROM staged ORDER BY rowid")]
        conn.close()
        assert got == expected, path
    assert not list((data.root / "packages").glob("*/.*.db"))  # nothing of staging left behind


def test_a_publish_from_the_rows_files_is_the_publish_from_the_csvs(harvested, tmp_path, monkeypatch):
    reg, data = harvested
    copied = []
    real_copy = bulk_load.copy_staged
    monkeypatch.setattr(bulk_load, "copy_staged", lambda *a, **k: copied.append(a[1]) or real_copy(*a, **k))
    first = DataDir(tmp_path / "from-rows")
    shutil.copytree(data.root, first.root)
    assert all(r.ok for r in publish(reg.agencies, registry=reg, data=first))
    assert len(copied) == len(_staged(first))  # every dataset copied by SQLite, none parsed again
    assert all(r.ok for r in publish(reg.agencies, registry=reg, data=first))  # in place: agencies detach in turn
    second = DataDir(tmp_path / "from-csvs")
    shutil.copytree(data.root, second.root)
    for path in _staged(second):
        rows_file.path_for(path).unlink()
    copied.clear()
    assert all(r.ok for r in publish(reg.agencies, registry=reg, data=second))
    assert copied == []
    assert _tables(first.public_db) == _tables(second.public_db)


def test_a_csv_changed_after_staging_is_published_from_the_csv(harvested, tmp_path):
    reg, data = harvested
    data = DataDir(shutil.copytree(data.root, tmp_path / "var"))
    path = next(p for p in _staged(data) if p.stem == "services")
    text = path.read_text(encoding="utf-8")
    first_id = list(csv.DictReader(text.splitlines()))[0]["service_id"]
    path.write_text(text.replace(first_id, first_id[:-1] + "Z", 1), encoding="utf-8")  # same size, same header
    copied = shutil.copy(path, tmp_path / "copy.csv")
    header = next(csv.reader(text.splitlines()))
    assert not rows_file.describes(rows_file.path_for(path), path, header)
    assert all(r.ok for r in publish(reg.agencies, registry=reg, data=data))
    conn = sqlite3.connect(data.public_db)
    ids = {r[0] for r in conn.execute("SELECT service_id FROM services WHERE agency_id = ?", (path.parent.name,))}
    conn.close()
    assert first_id[:-1] + "Z" in ids
    assert not rows_file.describes(rows_file.path_for(path), Path(copied), header)  # a copy is another file


def test_a_rows_file_of_another_csv_or_a_broken_one_is_not_trusted(tmp_path):
    csv_path = tmp_path / "services.csv"
    csv_path.write_text("agency_id,service_id\na,S1\n", encoding="utf-8")
    rows_path = rows_file.path_for(csv_path)
    with rows_file.writing(rows_path, ["agency_id", "service_id"]) as conn:
        rows_file.insert(conn, ["agency_id", "service_id"], [[("a", "S1")]])
        rows_file.seal(conn, csv_path, ["agency_id", "service_id"], 1)
    assert rows_file.describes(rows_path, csv_path, ["agency_id", "service_id"])
    assert not rows_file.describes(rows_path, csv_path, ["service_id", "agency_id"])  # another header
    rows_path.write_bytes(b"not a database" * 100)
    assert not rows_file.describes(rows_path, csv_path, ["agency_id", "service_id"])
    with pytest.raises(RuntimeError), rows_file.writing(rows_path, ["a"]):
        raise RuntimeError("validation failed midway")
    assert not rows_path.exists()  # an unfinished rows file is removed


def test_the_publisher_reads_a_package_staged_without_rows_files(reg, data):
    """A package staged before rows files existed (or by another engine) is published from its CSVs."""
    harvest(reg.agencies, registry=reg, data=data)
    for path in _staged(data):
        rows_file.path_for(path).unlink()
    assert all(r.ok for r in publish(reg.agencies, registry=reg, data=data))
    conn = sqlite3.connect(data.public_db)
    assert conn.execute("SELECT count(*) FROM services").fetchone()[0] == 5
    conn.close()


def test_a_value_sqlite_cannot_hold_leaves_no_rows_file_and_the_same_verdict(tmp_path):
    """An integer past 64 bits passes the standard (no maximum) but has no SQLite value: staging must not fail."""
    from shafaf.validate.engine import validate_file
    from shafaf.validate.mapping import MappingOptions

    path = tmp_path / "service_performance.csv"
    path.write_text(
        "agency_id,service_id,period_start,period_end,channel,applications\n"
        "alpha,S1,2024-03-20,2024-04-19,online,12\n"
        "alpha,S2,2024-03-20,2024-04-19,online,123456789012345678901234\n",
        encoding="utf-8",
    )
    reports = []
    for engine, rows_path in (("columnar", tmp_path / "out.rows.db"), ("compiled", None)):
        out = tmp_path / f"{engine}.csv"
        report = validate_file(
            path, "service_performance", mapping=MappingOptions(agency_id="alpha"), out_csv=out, out_rows=rows_path
        )
        reports.append((report.to_dict(), out.read_bytes()))
    assert reports[0] == reports[1]
    assert not (tmp_path / "out.rows.db").exists()


def test_a_staged_integer_sqlite_cannot_hold_is_a_clean_publish_failure(reg, data):
    """The publisher's CSV path with the same value: a PublishError naming the file and row, not a traceback."""
    harvest(reg.agencies, registry=reg, data=data)
    path = data.packages("alpha") / "service_performance.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    header = lines[0].split(",")
    row = lines[1].split(",")
    row[header.index("applications")] = "123456789012345678901234"
    row[header.index("channel")] = "phone" if row[header.index("channel")] != "phone" else "mail"
    path.write_text("\n".join([*lines, ",".join(row)]) + "\n", encoding="utf-8")
    results = {r.agency_id: r for r in publish(reg.agencies, registry=reg, data=data)}
    assert not results["alpha"].ok
    assert "service_performance.csv, row" in results["alpha"].message
    assert "64-bit" in results["alpha"].message
