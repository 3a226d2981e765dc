"""The served portal: Datasette with Shafaf's metadata and plugin, on a published database."""

from __future__ import annotations

import asyncio

import pytest

from shafaf.datasette_plugins.app import SETTINGS, make_datasette
from shafaf.harvest.runner import harvest
from shafaf.publish.writer import publish
from shafaf.standard import search_index, tables


@pytest.fixture
def ds(reg, data):
    harvest(reg.agencies, registry=reg, data=data)
    publish(reg.agencies, registry=reg, data=data)
    return make_datasette(data.public_db, reg.portal)


def get(ds, path):
    return asyncio.run(ds.client.get(path))


def test_agency_page_shows_published_data_right_to_left(ds):
    response = get(ds, "/agencies/alpha")
    assert response.status_code == 200
    assert 'dir="rtl"' in response.text
    assert "سازمان الف" in response.text and "صدور گواهی" in response.text
    assert "/shafaf/services?agency_id=alpha" in response.text


def test_unknown_agency_is_404(ds):
    assert get(ds, "/agencies/gamma").status_code == 404


def test_tables_carry_titles_and_column_descriptions_from_the_standard(ds):
    meta = ds.table_metadata("shafaf", "service_performance")
    assert meta["title"] == "Service performance"
    assert meta["columns"]["completed"].startswith("Completed — ")
    response = get(ds, "/shafaf/service_performance?lang=en")
    assert response.status_code == 200 and "Service performance" in response.text
    assert "<h1>عملکرد خدمات</h1>" in get(ds, "/shafaf/service_performance").text  # the standard's title_fa


def test_every_public_table_is_described_and_nothing_else_is_published(ds):
    described = ds.metadata()["databases"]["shafaf"]["tables"]
    assert {t for t, meta in described.items() if not meta.get("hidden")} == set(tables.PUBLIC_TABLES)
    response = get(ds, "/shafaf.json")
    listed = response.json()["tables"]
    assert {t["name"] for t in listed} == set(tables.ALLOWED_TABLES)
    # the search index is listed as hidden (metadata, not Datasette's guess), and still answers SQL
    assert {t["name"] for t in listed if t["hidden"]} == set(search_index.SEARCH_TABLES)
    assert get(ds, "/shafaf/services_search_content.json?_size=1").status_code == 200


def test_json_and_csv_of_a_table_are_served(ds):
    response = get(ds, "/shafaf/services.json?agency_id=beta&_shape=array")
    assert [r["service_id"] for r in response.json()] == ["B1", "B2"]
    assert get(ds, "/shafaf/services.csv?agency_id=beta").status_code == 200


def test_settings_keep_sql_limits_and_skip_facet_suggestions(ds):
    assert ds.setting("sql_time_limit_ms") == SETTINGS["sql_time_limit_ms"] == 1000
    assert ds.setting("suggest_facets") is False


def test_the_servers_threads_and_tasks_are_not_public(ds):
    """``/-/threads`` lists the server's threads and asyncio tasks: whether the SQL threads are busy, to anyone."""
    for path in ("/-/threads", "/-/threads.json", "/-/threads/"):
        response = get(ds, path)
        assert response.status_code == 404, path
        assert "threads" not in response.text.lower()
