"""A one-agency publish costs one agency (issue 19): what it derives, and that the result is a full publish's.

Real parts: the conftest registry harvested and published into real SQLite
files; the real ``compute_agency`` is wrapped only to record which agencies
it was called for.
"""

from __future__ import annotations

import datetime as dt
import sqlite3

import pytest

from shafaf.harvest.runner import harvest
from shafaf.publish import derived as derived_mod
from shafaf.publish import indicators
from shafaf.publish.writer import publish
from shafaf.state import store as state_mod

DERIVED_TABLES = ("indicators", "agency_scorecard", "data_coverage", "discrepancies", "possible_duplicates")


@pytest.fixture
def derived_for(monkeypatch):
    """The agencies ``indicators.compute_agency`` ran for, in order."""
    calls: list[str] = []
    real = indicators.compute_agency

    def recording(conn, agency_id, **kwargs):
        calls.append(agency_id)
        return real(conn, agency_id, **kwargs)

    monkeypatch.setattr(indicators, "compute_agency", recording)
    return calls


def _rows(db, table: str) -> list[tuple]:
    with sqlite3.connect(db) as conn:
        names = [r[1] for r in conn.execute(f"PRAGMA table_info([{table}])") if r[1] != "computed_at"]
        return sorted(conn.execute(f"SELECT {', '.join(f'[{n}]' for n in names)} FROM [{table}]").fetchall(), key=repr)


def test_a_one_agency_publish_derives_that_agency_only(reg, data, derived_for):
    harvest(reg.agencies, registry=reg, data=data)
    assert all(r.ok for r in publish(reg.agencies, registry=reg, data=data))
    derived_for.clear()
    assert all(r.ok for r in publish([reg.agency("beta")], registry=reg, data=data))
    assert derived_for == ["beta"]


def test_the_next_day_every_agency_is_derived_again(reg, data, derived_for, monkeypatch):
    harvest(reg.agencies, registry=reg, data=data)
    publish(reg.agencies, registry=reg, data=data)
    tomorrow = state_mod.wall_clock() + dt.timedelta(days=1)
    monkeypatch.setattr(state_mod, "wall_clock", lambda: tomorrow)
    derived_for.clear()
    publish([reg.agency("beta")], registry=reg, data=data)
    assert sorted(derived_for) == ["alpha", "beta"]
    with sqlite3.connect(data.public_db) as conn:  # alpha's freshness moved with the day
        days = conn.execute("SELECT value FROM indicators WHERE agency_id = 'alpha' AND indicator = 'freshness_days'")
        assert days.fetchone()[0] == 1


def test_a_one_agency_publish_leaves_what_a_full_publish_would(reg, data, tmp_path):
    harvest(reg.agencies, registry=reg, data=data)
    publish(reg.agencies, registry=reg, data=data)
    staged = data.packages("beta") / "services.csv"
    staged.write_text(
        staged.read_text(encoding="utf-8").replace("Certificate", "Renamed certificate"), encoding="utf-8"
    )
    publish([reg.agency("beta")], registry=reg, data=data)
    one = {table: _rows(data.public_db, table) for table in DERIVED_TABLES}
    publish(reg.agencies, registry=reg, data=data, rebuild=True)
    assert one == {table: _rows(data.public_db, table) for table in DERIVED_TABLES}
    assert one["indicators"] and one["agency_scorecard"]


def test_derived_knows_what_changed(reg, data):
    harvest(reg.agencies, registry=reg, data=data)
    publish(reg.agencies, registry=reg, data=data)
    d = derived_mod.Derived(reg.portal)
    assert d.changed == set()
    assert derived_mod.Derived(reg.portal, rebuild=True).changed is None
