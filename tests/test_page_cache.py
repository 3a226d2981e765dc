"""Rendered pages are kept only while the files they were read from are unchanged."""

from __future__ import annotations

import asyncio

import pytest
from publishing import AGENCIES, write_package, write_registry

from shafaf.core.datadir import DataDir
from shafaf.datasette_plugins.app import make_datasette
from shafaf.datasette_plugins.pages import page_cache
from shafaf.publish.writer import publish


@pytest.fixture
def portal(tmp_path):
    reg = write_registry(tmp_path)
    data = DataDir(tmp_path / "var")
    for agency in AGENCIES:
        write_package(data, reg, agency, run_id="old", services=5, rows_per_service=3)
    publish(list(reg.agencies), registry=reg, data=data)
    return reg, data


def get(ds, path):
    return asyncio.run(ds.client.get(path))


@pytest.mark.parametrize("rebuild", [False, True], ids=["in-place", "rebuild"])
def test_a_publish_is_seen_on_the_next_request(portal, rebuild):
    reg, data = portal
    ds = make_datasette(data.public_db, reg.portal)
    first = get(ds, "/agencies/alpha?lang=en")
    assert first.status_code == 200 and "Service 1 (old)" in first.text
    assert get(ds, "/agencies/alpha?lang=en").text == first.text  # kept
    write_package(data, reg, "alpha", run_id="new", services=5, rows_per_service=3)
    publish([reg.agency("alpha")], registry=reg, data=data, rebuild=rebuild)
    again = get(ds, "/agencies/alpha?lang=en")
    assert "Service 1 (new)" in again.text and "(old)" not in again.text


def test_pages_are_kept_per_language_and_query_and_only_when_found(portal):
    reg, data = portal
    ds = make_datasette(data.public_db, reg.portal)
    page_cache.clear()
    fa, en = get(ds, "/agencies/alpha"), get(ds, "/agencies/alpha?lang=en")
    assert 'dir="rtl"' in fa.text and 'dir="ltr"' in en.text
    assert get(ds, "/agencies/alpha").text == fa.text and get(ds, "/agencies/alpha?lang=en").text == en.text
    assert get(ds, "/agencies/nobody").status_code == 404
    assert len(page_cache._entries) == 2  # the 404 was not kept
    assert get(ds, "/?sort=" + "x" * 300).status_code == 200
    assert len(page_cache._entries) == 2  # nor a page with a query string longer than ours ever are


def test_files_version_changes_with_every_commit(tmp_path):
    import sqlite3

    path = tmp_path / "x.db"
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("create table t (x)")
    seen = {page_cache.files_version([str(path)])}
    for i in range(50):  # faster than any timestamp tick: the headers tell the commits apart
        with conn:
            conn.execute("insert into t values (?)", (i,))
        if i % 10 == 0:
            conn.execute("PRAGMA wal_checkpoint(RESTART)")
        seen.add(page_cache.files_version([str(path)]))
    assert len(seen) == 51


def test_a_page_is_drawn_again_once_it_is_older_than_its_age(portal, monkeypatch):
    reg, data = portal
    ds = make_datasette(data.public_db, reg.portal)
    clock = [1000.0]
    monkeypatch.setattr(page_cache.time, "monotonic", lambda: clock[0])
    page_cache.clear()
    get(ds, "/agencies/alpha")
    ((kept_at, *_),) = page_cache._entries.values()
    clock[0] += page_cache.MAX_AGE_S + 1
    get(ds, "/agencies/alpha")
    ((drawn_at, *_),) = page_cache._entries.values()
    assert drawn_at == kept_at + page_cache.MAX_AGE_S + 1


def test_the_cache_keeps_to_its_size_in_bytes(portal, monkeypatch):
    reg, data = portal
    ds = make_datasette(data.public_db, reg.portal)
    page_cache.clear()
    one = len(get(ds, "/agencies/alpha").content)
    monkeypatch.setattr(page_cache, "MAX_BYTES", int(one * 2.5))  # room for two pages
    for path in ("/agencies/alpha?lang=en", "/agencies/beta", "/agencies/beta?lang=en"):
        get(ds, path)
    assert len(page_cache._entries) == 2 and page_cache._bytes <= page_cache.MAX_BYTES
    assert page_cache._bytes == sum(len(entry[3]) for entry in page_cache._entries.values())
