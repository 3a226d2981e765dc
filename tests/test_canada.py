"""Canada's national service inventory, through the example registry, to published rows.

The real file (tests/fixtures/canada, 1,752 services of some eighty
departments) is served gzip-encoded by a loopback server, harvested with
``metadata/examples/canada-service-inventory.yml`` as written (only the URL
and the private-network switch differ), split by department, unpivoted by
channel and published.
"""

from __future__ import annotations

import csv
import gzip
import sqlite3

import pytest
from canada_example import FIXTURE

from shafaf.core.models import Outcome
from shafaf.harvest.runner import harvest

pytestmark = pytest.mark.slow  # harvests and publishes every Canadian department


@pytest.fixture(scope="module")
def original_rows() -> list[dict[str, str]]:
    with gzip.open(FIXTURE, "rt", encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def published(canada_published):
    """One harvest and publish for the session (conftest): the file is large enough to make that worth sharing."""
    return canada_published


def test_every_department_is_registered_and_published(published, original_rows):
    runs, results, data, _ = published
    own = [r for r in runs if r.agency_id == "tbs-sct" and r.source_id.startswith("inventory-")]
    assert [r.outcome for r in own[:2]] == [Outcome.OK, Outcome.OK]
    departments = {row["owner_org"] for row in original_rows}
    with sqlite3.connect(data.public_db) as db:
        agencies = dict(db.execute("SELECT id, name_en FROM agencies"))
        assert departments <= set(agencies)
        assert agencies["atssc-scdata"].startswith("Administrative Tribunals Support Service of Canada")
        published_services = db.execute("SELECT count(*) FROM services").fetchone()[0]
    # Nearly every row passes: the rejects are the few the standard refuses (a service listed twice...).
    assert published_services >= 0.95 * len(original_rows)
    assert all(r.ok for r in results)


def test_yes_no_codes_and_fiscal_years_map_onto_the_standard(published):
    _, _, data, _ = published
    with sqlite3.connect(data.public_db) as db:
        db.row_factory = sqlite3.Row
        service = db.execute(
            "SELECT * FROM services WHERE agency_id = 'atssc-scdata' AND service_id = '3595'"
        ).fetchone()
        assert service["name_en"] == "ATSSC Law Library Services"
        assert service["online_application"] == 0 and service["online_identity"] == 0  # N
        assert service["category"] == "INFO"
        counts = db.execute("SELECT count(*) FROM services WHERE online_application IS NULL").fetchone()[0]
        assert counts > 0  # NA became empty, not false


def test_channel_columns_become_rows_and_add_up(published, original_rows):
    _, _, data, _ = published
    with sqlite3.connect(data.public_db) as db:
        rows = dict(
            db.execute(
                "SELECT channel, applications FROM service_performance WHERE agency_id = 'atssc-scdata' AND service_id = '3595'"
            )
        )
        period = db.execute(
            "SELECT DISTINCT period_start, period_end, period_label FROM service_performance WHERE service_id = '3595'"
        ).fetchall()
    # phone 2, online 1, in person 10, mail 1; email 300 + fax NA + other NA = other 300
    assert rows == {"phone": 2, "online": 1, "in_person": 10, "mail": 1, "other": 300}
    source = next(r for r in original_rows if r["service_id"] == "3595")
    assert sum(rows.values()) == int(source["num_applications_total"])
    assert period == [("2023-04-01", "2024-03-31", "2023-2024")]


def test_a_second_harvest_of_the_same_file_is_unchanged(published):
    _, _, data, reg = published
    again = harvest([reg.agency("tbs-sct")], registry=reg, data=data)
    assert [r.outcome for r in again] == [Outcome.UNCHANGED, Outcome.UNCHANGED]
