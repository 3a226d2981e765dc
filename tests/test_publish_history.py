"""History, not deletion: withdrawn services stay, older periods stay; Jalali columns are derived."""

from __future__ import annotations

import sqlite3
import textwrap

from shafaf.config import registry
from shafaf.core.datadir import DataDir
from shafaf.harvest.runner import harvest
from shafaf.publish.writer import publish

SERVICES = "service_id,name_fa,name_en\nS1,یک,One\nS2,دو,Two\nS3,سه,Three\n"
PERFORMANCE = "service_id,period,channel,applications\nS1,1402-12,online,10\nS1,1403-01,online,20\n"


def setup(tmp_path, history: str = "recent"):
    (tmp_path / "services.csv").write_text(SERVICES, encoding="utf-8")
    (tmp_path / "perf.csv").write_text(PERFORMANCE, encoding="utf-8")
    path = tmp_path / "agencies.yml"
    path.write_text(
        textwrap.dedent(f"""\
        agencies:
          - id: alpha
            name_fa: الف
            name_en: Alpha
            sources:
              - dataset: services
                path: services.csv
              - dataset: service_performance
                path: perf.csv
                history: {history}
        """),
        encoding="utf-8",
    )
    reg = registry.load(path)
    data = DataDir(tmp_path / "var")
    harvest(reg.agencies, registry=reg, data=data)
    publish(list(reg.agencies), registry=reg, data=data)
    return reg, data


def rows(data: DataDir, sql: str) -> list[tuple]:
    with sqlite3.connect(data.public_db) as db:
        return db.execute(sql).fetchall()


def test_a_service_missing_from_the_new_inventory_is_kept_as_withdrawn(tmp_path):
    reg, data = setup(tmp_path)
    first_run = rows(data, "SELECT run_id FROM services WHERE service_id = 'S2'")[0][0]
    (tmp_path / "services.csv").write_text("service_id,name_fa,name_en\nS1,یک,One\nS3,سه,Three\n", encoding="utf-8")
    harvest(reg.agencies, registry=reg, data=data)
    publish(list(reg.agencies), registry=reg, data=data)
    got = rows(data, "SELECT service_id, withdrawn, withdrawn_at IS NOT NULL, run_id FROM services ORDER BY service_id")
    assert [(s, w, at) for s, w, at, _ in got] == [("S1", 0, 0), ("S2", 1, 1), ("S3", 0, 0)]
    assert got[1][3] == first_run  # the run that last saw it
    assert got[0][3] != first_run

    # It comes back: no longer withdrawn, one row still.
    (tmp_path / "services.csv").write_text(SERVICES, encoding="utf-8")
    harvest(reg.agencies, registry=reg, data=data)
    publish(list(reg.agencies), registry=reg, data=data)
    assert rows(data, "SELECT service_id, withdrawn FROM services ORDER BY service_id") == [
        ("S1", 0),
        ("S2", 0),
        ("S3", 0),
    ]


def test_recent_history_keeps_older_periods(tmp_path):
    reg, data = setup(tmp_path, history="recent")
    (tmp_path / "perf.csv").write_text(
        "service_id,period,channel,applications\nS1,1403-01,online,25\nS1,1403-02,online,30\n", encoding="utf-8"
    )
    harvest(reg.agencies, registry=reg, data=data)
    publish(list(reg.agencies), registry=reg, data=data)
    got = rows(data, "SELECT period_label, applications FROM service_performance ORDER BY period_start")
    assert got == [("1402-12", 10), ("1403-01", 25), ("1403-02", 30)]


def test_full_history_replaces_every_period(tmp_path):
    reg, data = setup(tmp_path, history="full")
    (tmp_path / "perf.csv").write_text(
        "service_id,period,channel,applications\nS1,1403-02,online,30\n", encoding="utf-8"
    )
    harvest(reg.agencies, registry=reg, data=data)
    publish(list(reg.agencies), registry=reg, data=data)
    assert rows(data, "SELECT period_label FROM service_performance") == [("1403-02",)]


def test_period_tables_carry_jalali_year_month_and_fiscal_year(tmp_path):
    _, data = setup(tmp_path)
    got = rows(
        data,
        "SELECT period_label, period_start, jalali_year, jalali_month, fiscal_year "
        "FROM service_performance ORDER BY period_start",
    )
    # Esfand 1402 starts 2024-02-20; Farvardin 1403 starts 2024-03-20 (1402 was not a leap year in jdatetime's count).
    assert got == [("1402-12", "2024-02-20", 1402, 12, 1402), ("1403-01", "2024-03-20", 1403, 1, 1403)]
    indexes = {
        r[0]
        for r in rows(data, "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'service_performance'")
    }
    assert any("fiscal_year" in name for name in indexes)
