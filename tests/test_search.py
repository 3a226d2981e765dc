"""Persian-aware full-text search: the FTS5 index on the search form, directly and through Datasette.

A real SQLite file built with the publisher's schema; Datasette's test client
driven with ``asyncio.run`` (as in test_agency_page.py).
"""

from __future__ import annotations

import asyncio
import re
import sqlite3
import urllib.parse
from pathlib import Path

import httpx
import pytest
from datasette.app import Datasette

from shafaf.config.registry import Portal
from shafaf.datasette_plugins import app as serve
from shafaf.datasette_plugins.pages.search import normalize_search_value, rewrite_query_string
from shafaf.normalize import search_form
from shafaf.publish import search
from shafaf.publish.writer import ensure_schema
from shafaf.standard import search_index

SERVICES = [
    # agency, service, name_fa, name_en, description, category
    ("tax", "T1", "کارت ملی", "National card", "صدور و تمدید", "هویت"),
    ("civil", "C1", "كارت ملي", None, None, None),  # Arabic yeh and kaf
    ("civil", "C2", "کارت‌ملی", None, None, None),  # one word joined by a ZWNJ
    ("post", "P1", "کارت‌ملي", None, None, None),  # ZWNJ and Arabic yeh
    ("post", "P2", "صدور گواهی ۱۰", "Certificate 10", None, None),  # Persian digits
    ("health", "H1", "کَارت", None, "دفترچه بیمه", None),  # a diacritic (fatha)
    ("health", "H2", "ارسال مرسوله", "Parcel", "کارت‌ها ارسال می‌شود", "پست"),  # «کارت» only in the description
]
CARD_ROWS = {"T1", "C1", "C2", "P1"}
HOSTILE = [
    '"',
    "AND",
    "*",
    "NEAR(",
    "'",
    "OR NOT",
    '"کارت',
    "name_fa:کارت",
    "کارت*",
    "^",
    "(",
    ")",
    "-",
    "+",
    "\x00",
    "\u200c",
    "ـ",
    "؟",
    "a" * 1000,
    "کارت " * 200 + '"',
]


def build_db(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA synchronous = OFF")  # a test file: no need to wait for the disk
    ensure_schema(conn)
    search.create(conn)
    conn.executemany(
        "INSERT INTO services (agency_id, service_id, name_fa, name_en, description, category, run_id) "
        "VALUES (?, ?, ?, ?, ?, ?, 'run-1')",
        SERVICES,
    )
    conn.executemany(
        "INSERT INTO activities (agency_id, activity_id, title_fa, title_en, run_id) VALUES (?, ?, ?, ?, 'run-1')",
        [("tax", "A1", "هوشمندسازی کارت ملي", "Smart card"), ("post", "A2", "نوسازی ناوگان", "Fleet renewal")],
    )
    for agency in sorted({row[0] for row in SERVICES}):
        search.index_agency(conn, agency)
    return conn


@pytest.fixture
def conn(tmp_path: Path) -> sqlite3.Connection:
    return build_db(tmp_path / "shafaf.db")


def ids(rows: list[dict]) -> set[str]:
    return {row.get("service_id") or row.get("activity_id") for row in rows}


@pytest.mark.parametrize("query", ["کارت ملی", "كارت ملي", "کارت‌ملی", "کارت‌ملي", "  کارت   ملی ", "كَارتـ مِلي"])
def test_every_spelling_of_a_query_finds_every_spelling_of_the_rows(conn, query):
    assert ids(search.search(conn, query)) == CARD_ROWS


@pytest.mark.parametrize("query", ["کارت", "كارت", "کَارت", "کارتـ"])
def test_diacritics_are_ignored_on_both_sides(conn, query):
    assert ids(search.search(conn, query)) == CARD_ROWS | {"H1", "H2"}


@pytest.mark.parametrize("query", ["10", "۱۰", "١٠", "گواهی 10", "CERTIFICATE"])
def test_digits_and_case_are_folded(conn, query):
    assert ids(search.search(conn, query)) == {"P2"}


def test_results_carry_the_original_text_best_match_first(conn):
    rows = search.search(conn, "كارت")
    assert rows[-1]["service_id"] == "H2"  # found in the description only: ranked below name matches
    by_id = {row["service_id"]: row for row in rows}
    assert by_id["C1"]["name_fa"] == "كارت ملي" and by_id["C2"]["name_fa"] == "کارت‌ملی"
    assert by_id["H1"]["name_fa"] == "کَارت"
    assert {"rowid", "agency_id", "run_id", "rank"} <= set(by_id["T1"])
    assert len(search.search(conn, "کارت", limit=2)) == 2
    assert search.search(conn, "کارت", limit=0) == []


@pytest.mark.parametrize("query", HOSTILE)
def test_hostile_queries_are_plain_words_and_never_raise(conn, query):
    rows = search.search(conn, query)
    assert isinstance(rows, list)
    assert search.search(conn, query, table="activities") is not None


def test_operators_are_words_not_syntax(conn):
    assert search.search(conn, "کارت OR مرسوله") == []  # «or» is a word no row holds, not a union
    assert ids(search.search(conn, "name_fa:کارت")) == set()  # no column filter either


def test_activities_are_searched_on_their_titles(conn):
    assert ids(search.search(conn, "کارت ملی", table="activities")) == {"A1"}
    assert ids(search.search(conn, "renewal", table="activities")) == {"A2"}
    with pytest.raises(ValueError, match="searchable"):
        search.search(conn, "کارت", table="agencies")


def test_index_agency_replaces_only_that_agencys_entries(conn):
    conn.execute("BEGIN IMMEDIATE")
    conn.execute("DELETE FROM services WHERE agency_id = 'civil'")
    conn.execute("INSERT INTO services (agency_id, service_id, name_fa) VALUES ('civil', 'C9', 'ثبت ولادت')")
    assert search.index_agency(conn, "civil") == {"services": 1, "activities": 0}
    conn.execute("COMMIT")
    assert ids(search.search(conn, "کارت ملی")) == CARD_ROWS - {"C1", "C2"}
    assert ids(search.search(conn, "ولادت")) == {"C9"}


def test_index_agency_joins_the_callers_transaction(conn):
    conn.execute("BEGIN IMMEDIATE")
    conn.execute("DELETE FROM services WHERE agency_id = 'tax'")
    search.index_agency(conn, "tax")
    conn.execute("ROLLBACK")
    assert ids(search.search(conn, "کارت ملی")) == CARD_ROWS


def test_create_is_idempotent_and_indexes_a_file_published_before_search(tmp_path):
    conn = sqlite3.connect(tmp_path / "old.db", isolation_level=None)
    ensure_schema(conn)
    for table in ("services_search", "activities_search"):  # a file published before search existed
        conn.execute(f"DROP TABLE {table}")
    conn.execute("INSERT INTO services (agency_id, service_id, name_fa) VALUES ('tax', 'T1', 'كارت ملي')")
    assert search.create(conn) == ["services_search", "activities_search"]
    assert search.create(conn) == []
    assert ids(search.search(conn, "کارت ملی")) == {"T1"}
    names = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert set(search_index.SEARCH_TABLES) <= names
    assert {n for n in names if n.startswith(("services_search", "activities_search"))} == set(
        search_index.SEARCH_TABLES
    )


def test_rebuild_after_rowids_changed(conn):
    conn.execute("BEGIN IMMEDIATE")  # what a VACUUM may do: the same rows under new rowids
    rows = conn.execute("SELECT * FROM services ORDER BY rowid DESC").fetchall()
    conn.execute("DELETE FROM services")
    conn.executemany(f"INSERT INTO services VALUES ({', '.join('?' * len(rows[0]))})", rows)
    conn.execute("COMMIT")
    for row in search.search(conn, "کارت"):  # a stale index may miss rows, never returns a wrong one
        assert "کارت" in search_form(f"{row['name_fa']} {row['description']}")
    search.rebuild(conn)
    assert ids(search.search(conn, "کارت ملی")) == CARD_ROWS


def test_sql_function_is_the_same_search_form(conn):
    search_index.register_function(conn)
    assert conn.execute(
        "SELECT shafaf_search_form('كارت‌ملي ۱۰'), shafaf_search_form(NULL), shafaf_search_form(12)"
    ).fetchone() == ("کارت ملی 10", None, "12")
    rows = conn.execute("SELECT rowid FROM services_search WHERE services_search MATCH shafaf_search_form('كارت')")
    assert len(rows.fetchall()) == 6


# --- Datasette -------------------------------------------------------------------------------


@pytest.fixture
def ds(tmp_path: Path) -> Datasette:
    """The portal's Datasette, with the search metadata the lead adds to ``serve.metadata``."""
    path = tmp_path / "shafaf.db"
    build_db(path).close()
    meta = serve.metadata(Portal())
    for table, extra in search_index.DATASETTE_METADATA.items():
        meta["databases"][serve.DATABASE]["tables"].setdefault(table, {}).update(extra)
    return Datasette([str(path)], metadata=meta, settings=serve.SETTINGS)


def get(ds: Datasette, path: str, **params: str) -> httpx.Response:
    return asyncio.run(ds.client.get(path + ("?" + urllib.parse.urlencode(params) if params else "")))


def service_ids(response: httpx.Response) -> set[str]:
    assert response.status_code == 200, response.text[:500]
    return {row["service_id"] for row in response.json()}


@pytest.mark.parametrize("query", ["كارت ملي", "کارت ملی", "کارت‌ملی", "کارت‌ملي"])
def test_datasette_table_search_is_normalized(ds, query):
    response = get(ds, "/shafaf/services.json", _search=query, _shape="array")
    assert service_ids(response) == CARD_ROWS
    by_id = {row["service_id"]: row for row in response.json()}
    assert by_id["T1"]["name_fa"] == "کارت ملی" and by_id["C1"]["name_fa"] == "كارت ملي"  # original text


def test_datasette_column_search_other_filters_and_activities(ds):
    assert service_ids(get(ds, "/shafaf/services.json", _search_name_fa="كارت", _shape="array")) == CARD_ROWS | {"H1"}
    assert service_ids(get(ds, "/shafaf/services.json", _search="كارت", agency_id="civil", _shape="array")) == {
        "C1",
        "C2",
    }
    assert service_ids(get(ds, "/shafaf/services.json", _search="۱۰", _shape="array")) == {"P2"}
    response = get(ds, "/shafaf/activities.json", _search="كارت ملي", _shape="array")
    assert response.status_code == 200 and [r["activity_id"] for r in response.json()] == ["A1"]


def test_datasette_table_page_has_a_search_box(ds):
    response = get(ds, "/shafaf/services", _search="كارت ملي")
    assert response.status_code == 200
    assert 'name="_search"' in response.text and "کارت ملی" in response.text


@pytest.mark.parametrize("query", ["", *HOSTILE])
def test_datasette_hostile_searches_do_not_fail(ds, query):
    response = get(ds, "/shafaf/services.json", _search=query, _shape="array")
    assert response.status_code == 200, response.text[:300]


def test_datasette_sql_can_use_the_search_form_function(ds):
    response = get(ds, "/shafaf.json", sql="select shafaf_search_form('كارت‌ملي') as form", _shape="array")
    assert response.status_code == 200 and response.json() == [{"form": "کارت ملی"}]


def test_requests_without_search_pass_through_byte_for_byte():
    for query_string in [
        b"",
        b"agency_id=tax&_shape=array",
        b"a=%D9%83&b=+x+&c&=&&_searchmode=raw&_size=1",
        b"_sort=name_fa&x=%ZZ",
        "name=\u0643".encode("utf-8"),
    ]:
        assert rewrite_query_string(query_string) == query_string


def test_only_search_values_are_rewritten():
    query_string = b"agency_id=%D9%83&_search=%D9%83%D8%A7%D8%B1%D8%AA+%D9%85%D9%84%D9%8A&_searchmode=escaped&x=1"
    rewritten = rewrite_query_string(query_string)
    assert rewritten.startswith(b"agency_id=%D9%83&_search=") and rewritten.endswith(b"&_searchmode=escaped&x=1")
    assert urllib.parse.parse_qs(rewritten.decode("ascii"))["_search"] == ["کارت ملی"]
    assert rewrite_query_string(b"_search=&x=1") == b"x=1"  # an empty search box is no search
    assert rewrite_query_string(b"_search=%22") == b""
    assert rewrite_query_string("_search_name_fa=كارت".encode()) == b"_search_name_fa=" + urllib.parse.quote_plus(
        "کارت"
    ).encode("ascii")  # raw UTF-8 bytes are read as UTF-8


def test_raw_mode_operators_survive_normalization():
    assert (
        normalize_search_value('كارت AND ملي OR NOT "کارت‌ملی" NEAR(a b)') == 'کارت AND ملی OR NOT "کارت ملی" NEAR(a b)'
    )


# --- The /search page (issue 18) ---------------------------------------------------------------


@pytest.mark.parametrize("query", ["P2", "p2", "P۲", " P2 "])
def test_search_page_finds_a_service_by_its_code_first(ds, query):
    """A citizen copies a code (SA-0103) from a form: the service with that code comes first, in any case or digits."""
    response = get(ds, "/search", q=query, lang="en")
    assert response.status_code == 200
    results = re.findall(r'href="/agencies/([a-z0-9-]+)/services/([^"?]+)', response.text.split('class="results"')[1])
    assert results[0] == ("post", "P2")


def test_search_page_counts_results_and_shows_a_snippet(ds):
    en = get(ds, "/search", q="کارت", lang="en").text
    assert re.search(r"Found: \d+ services and 1 activities\.", en)
    assert '<p class="snippet" dir="auto">صدور و تمدید</p>' in en  # T1's description
    fa = get(ds, "/search", q="کارت").text
    assert re.search(r"یافته‌ها: [۰-۹]+ خدمت و ۱ فعالیت\.", fa)


def test_a_code_that_is_no_service_finds_nothing_by_code(ds):
    text = get(ds, "/search", q="ZZ-9999", lang="en").text
    assert "Found: 0 services and 0 activities." in text
