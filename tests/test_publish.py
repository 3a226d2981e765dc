from __future__ import annotations

import sqlite3

import sqlite_utils

from shafaf.core.models import Reason
from shafaf.harvest.runner import harvest
from shafaf.publish.writer import publish
from shafaf.standard import tables


def _db(data) -> sqlite_utils.Database:
    return sqlite_utils.Database(data.public_db)


def test_publish_loads_every_table_with_provenance(reg, data):
    runs = harvest(reg.agencies, registry=reg, data=data)
    results = publish(reg.agencies, registry=reg, data=data)
    assert all(r.ok for r in results)
    db = _db(data)
    assert set(db.table_names()) == set(tables.ALLOWED_TABLES)  # nothing else reaches the public file (P7)
    services = list(db.query("select * from services where agency_id = 'alpha' order by service_id"))
    assert [s["service_id"] for s in services] == ["S1", "S2", "S3"]
    assert services[0]["smart"] == 1 and services[0]["fee"] == 10000 and services[1]["standard_days"] == 3.0
    assert services[0]["online_decision"] is None  # empty: the stage does not apply
    assert services[0]["run_id"] == runs[0].run_id
    perf = list(db.query("select * from service_performance where service_id = 'S2' and channel = 'online'"))
    assert perf[0]["applications"] == 1234 and perf[0]["satisfaction"] == 85.5
    assert db["harvest_runs"].count == 3
    agency = db["agencies"].get("alpha")
    assert agency["name_en"] == "Alpha Organization" and agency["last_outcome"] == "ok"
    indexes = {tuple(i.columns) for i in db["service_performance"].indexes}
    assert ("agency_id", "period_start", "period_end") in indexes and ("fiscal_year", "jalali_month") in indexes


def test_publish_is_idempotent(reg, data):
    harvest(reg.agencies, registry=reg, data=data)
    publish(reg.agencies, registry=reg, data=data)
    publish(reg.agencies, registry=reg, data=data)
    assert _db(data)["services"].count == 5


def test_failed_publish_midway_keeps_the_previous_rows(reg, data):
    """The replace is one transaction: a corrupt staged file halfway rolls everything back."""
    harvest(reg.agencies, registry=reg, data=data)
    publish(reg.agencies, registry=reg, data=data)
    before = list(_db(data).query("select * from services where agency_id = 'alpha' order by service_id"))

    staged = data.packages("alpha") / "service_performance.csv"
    lines = staged.read_text(encoding="utf-8").splitlines()
    lines[4] = lines[4].replace(",60,", ",not-a-number,")  # the last row: earlier rows are already inserted
    staged.write_text("\n".join(lines) + "\n", encoding="utf-8")
    services = data.packages("alpha") / "services.csv"
    services.write_text(services.read_text(encoding="utf-8").replace("Certificate", "CHANGED"), encoding="utf-8")

    results = publish(reg.agencies, registry=reg, data=data)
    alpha, beta = results
    assert not alpha.ok and alpha.reason == Reason.PUBLISH_ERROR and "row 5" in alpha.message
    assert beta.ok  # the other agency is published regardless
    after = list(_db(data).query("select * from services where agency_id = 'alpha' order by service_id"))
    assert after == before
    assert _db(data)["service_performance"].count == 4
    conn = sqlite3.connect(data.public_db)
    assert conn.execute("pragma integrity_check").fetchone()[0] == "ok"


def test_agencies_without_data_are_listed(reg, data):
    publish([], registry=reg, data=data)
    assert {r["id"] for r in _db(data)["agencies"].rows} == {"alpha", "beta"}
