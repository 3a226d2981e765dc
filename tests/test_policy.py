"""The row policy, the shrink guard and schema drift, on real published data.

The Canada Revenue Agency's 48 services from Canada's 2024 service inventory
(tests/fixtures/canada) are harvested as one agency's file. Ten of them have
a how_to_url that is a page title or several URLs, which the standard
refuses: real errors for the row policy to weigh.
"""

from __future__ import annotations

import csv
import gzip
import json
import sqlite3
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from shafaf.cli import cli
from shafaf.config import registry
from shafaf.core.datadir import DataDir
from shafaf.core.models import Outcome, Reason
from shafaf.harvest.runner import harvest
from shafaf.publish.writer import publish

FIXTURE = Path(__file__).parent / "fixtures" / "canada" / "service_inventory_2024.csv.gz"
AGENCY = "cra-arc"


def cra_rows() -> tuple[list[str], list[list[str]]]:
    with gzip.open(FIXTURE, "rt", encoding="utf-8-sig", newline="") as f:
        reader = csv.reader(f)
        header = next(reader)
        at = header.index("owner_org")
        return header, [row for row in reader if row[at] == AGENCY]


def write_file(path: Path, header: list[str], rows: list[list[str]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows([header, *rows])


def write_registry(root: Path, threshold: float) -> Path:
    path = root / "agencies.yml"
    path.write_text(
        textwrap.dedent(f"""\
        portal:
          row_error_threshold: {threshold}
        agencies:
          - id: {AGENCY}
            name_fa: سازمان درآمد کانادا
            name_en: Canada Revenue Agency
            sources:
              - dataset: services
                path: services.csv
                fields: {{service_id: service_id, name_en: service_name_en, how_to_url: service_uri_en}}
        """),
        encoding="utf-8",
    )
    return path


@pytest.fixture
def cra(tmp_path):
    header, rows = cra_rows()
    assert len(rows) == 48
    write_file(tmp_path / "services.csv", header, rows)
    return tmp_path, header, rows


def published_count(data: DataDir) -> int:
    """Services currently listed (withdrawn ones stay published as history)."""
    with sqlite3.connect(data.public_db) as db:
        return db.execute("SELECT count(*) FROM services WHERE agency_id = ? AND withdrawn = 0", (AGENCY,)).fetchone()[
            0
        ]


def test_the_threshold_rejects_a_file_with_too_many_bad_rows(cra):
    root, _, _ = cra
    reg = registry.load(write_registry(root, 0.10))
    run = harvest(reg.agencies, registry=reg, data=DataDir(root / "var"))[0]
    assert (run.outcome, run.reason) == (Outcome.FAILED, Reason.TOO_MANY_INVALID_ROWS)
    assert (run.rows_read, run.rows_failed) == (48, 10)
    assert "10 of 48 rows" in run.message and "21%" in run.message


def test_below_the_threshold_bad_rows_are_left_out_and_listed(cra):
    root, _, _ = cra
    reg = registry.load(write_registry(root, 0.25))
    data = DataDir(root / "var")
    run = harvest(reg.agencies, registry=reg, data=data)[0]
    assert (run.outcome, run.rows_passed, run.rows_failed) == (Outcome.OK, 38, 10)
    publish(list(reg.agencies), registry=reg, data=data)
    assert published_count(data) == 38
    with sqlite3.connect(data.public_db) as db:
        fields = {row[0] for row in db.execute("SELECT field FROM validation_errors WHERE agency_id = ?", (AGENCY,))}
    assert fields == {"how_to_url"}


def test_a_much_smaller_file_is_held_until_accepted(cra):
    root, header, rows = cra
    reg_path = write_registry(root, 0.25)
    reg = registry.load(reg_path)
    data = DataDir(root / "var")
    harvest(reg.agencies, registry=reg, data=data)
    publish(list(reg.agencies), registry=reg, data=data)
    staged = (data.packages(AGENCY) / "services.csv").read_bytes()

    write_file(root / "services.csv", header, rows[:15])  # a third of last time's file
    run = harvest(reg.agencies, registry=reg, data=data)[0]
    assert (run.outcome, run.reason) == (Outcome.NEEDS_REVIEW, Reason.SUSPICIOUS_SHRINK)
    assert "--accept-shrink" in run.message and "where the last good file had 38" in run.message
    assert (data.packages(AGENCY) / "services.csv").read_bytes() == staged
    publish(list(reg.agencies), registry=reg, data=data)
    assert published_count(data) == 38

    args = ["--registry", str(reg_path), "--data-dir", str(data.root)]
    result = CliRunner().invoke(cli, ["harvest", "--accept-shrink", *args])
    assert result.exit_code == 2 and "needs the agencies" in result.output
    result = CliRunner().invoke(cli, ["harvest", "--accept-shrink", AGENCY, *args])
    assert result.exit_code == 0, result.output
    CliRunner().invoke(cli, ["publish", *args])
    assert 0 < published_count(data) <= 15


def test_schema_drift_is_named_in_the_report_and_the_run(cra):
    root, header, rows = cra
    reg = registry.load(write_registry(root, 0.25))
    data = DataDir(root / "var")
    harvest(reg.agencies, registry=reg, data=data)

    gone = header.index("special_remarks_en")
    counted = header.index("num_applications_online")
    drifted = [h for i, h in enumerate(header) if i != gone]
    changed = [[("N/A" if i == counted else c) for i, c in enumerate(row) if i != gone] for row in rows]
    write_file(root / "services.csv", drifted, changed)
    run = harvest(reg.agencies, registry=reg, data=data)[0]
    assert run.outcome == Outcome.OK
    assert "column 'special_remarks_en' disappeared" in run.message
    assert "column 'num_applications_online' held numbers and now holds text" in run.message
    report = json.loads((data.packages(AGENCY) / "reports" / "services.json").read_text(encoding="utf-8"))
    assert len(report["schema_drift"]) == 2
