"""Datasette's own pages in Persian: column menus (table.js) in our words, cells with Persian digits and Jalali dates.

A real published portal (the test registry's agencies) served in-process by
Datasette with our plugin; the browser side (a column menu opened in
Chromium) is in tests/test_pages_crawl.py.
"""

from __future__ import annotations

import asyncio
import csv
import io
import re
import sqlite3
import urllib.parse
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from conftest import write_registry

from shafaf.config import registry
from shafaf.core.catalogue import LANGUAGES
from shafaf.core.datadir import DataDir
from shafaf.core.errors import ShafafError
from shafaf.datasette_plugins import cell_values, i18n, table_menu
from shafaf.datasette_plugins.app import make_datasette
from shafaf.harvest.runner import harvest
from shafaf.publish.writer import publish

# Datasette's words as they stand in its table.js (menu entries inside its HTML, strings the script writes); the
# script's comments may keep theirs.
ENGLISH = (
    ">Sort ascending<",
    ">Sort descending<",
    ">Facet by this<",
    ">Hide this column<",
    ">Show all columns<",
    ">Show not-blank rows<",
    "Type: ",
    " NOT NULL",
    '"Remove this filter"',
)
CELLS_SQL = (
    "select '2024-11-01' as day, '2026-12-03T17:44:05Z' as moment, '2024-11-01 08:30+03:30' as local, "
    "'1403-08' as month, 1234 as n, 0.5 as share, 'SA-0103' as code, '2024-13-45' as not_a_day"
)


@pytest.fixture(scope="module")
def portal(tmp_path_factory) -> Iterator[dict[str, Any]]:
    root = tmp_path_factory.mktemp("datasette-fa")
    path = write_registry(root / "src")
    reg = registry.load(path)
    data = DataDir(root / "var")
    harvest(reg.agencies, registry=reg, data=data)
    publish(list(reg.agencies), registry=reg, data=data)
    yield {"ds": make_datasette(data.public_db, reg.portal, registry_path=path), "db": data.public_db}


def get(portal: dict[str, Any], path: str) -> httpx.Response:
    return asyncio.run(portal["ds"].client.get(path))


def cell_texts(html: str) -> list[str]:
    """The text of every cell of the rows table, tags removed (attributes, such as a tooltip, left out)."""
    return [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", html, re.S)]


# --- the column menus ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("lang", sorted(set(LANGUAGES) - {"en"}))
def test_the_menu_script_has_no_english_word_left(lang):
    script = table_menu.script(lang)
    assert [w for w in ENGLISH if w in script] == []
    assert "مرتب‌سازی صعودی" in script if lang == "fa" else True
    # Only words changed: the logic is Datasette's, line for line.
    original = table_menu.SOURCE.read_text(encoding="utf-8")
    assert script.count("\n") == original.count("\n") + 1
    assert "function iconClicked(ev)" in script and "DATASETTE_ALLOW_FACET" in script


def test_a_string_datasette_no_longer_has_fails_loudly(tmp_path, monkeypatch):
    """An upgraded table.js without one of the strings replaced: an error naming it, not English on fa pages."""
    changed = tmp_path / "table.js"
    changed.write_text(table_menu.SOURCE.read_text(encoding="utf-8").replace("Facet by this", "Facet"))
    monkeypatch.setattr(table_menu, "SOURCE", changed)
    with pytest.raises(ShafafError, match="Facet by this"):
        table_menu.script.__wrapped__("fa")


def test_table_pages_load_the_menus_in_their_language(portal):
    fa = get(portal, "/shafaf/services?lang=fa").text
    en = get(portal, "/shafaf/services?lang=en").text
    src = re.search(r'<script src="(/-/shafaf/table\.fa\.js\?[0-9a-f]+)" defer>', fa)
    assert src, fa[:2000]
    assert '<script src="/-/static/table.js" defer>' in en
    served = get(portal, src[1])
    assert served.status_code == 200
    assert served.headers["content-type"].startswith("application/javascript")
    assert served.text == table_menu.script("fa")
    assert get(portal, "/-/shafaf/table.xx.js").status_code == 404


def test_column_notes_are_in_the_page_language(portal):
    """The note a column's menu shows (data-column-description) is the standard's Persian one on fa pages."""
    fa = get(portal, "/shafaf/services?lang=fa").text
    en = get(portal, "/shafaf/services?lang=en").text
    notes_fa = re.findall(r'data-column-description="([^"]*)"', fa)
    notes_en = re.findall(r'data-column-description="([^"]*)"', en)
    assert notes_fa and notes_en
    assert [n for n in notes_fa if re.search(r"[A-Za-z]{4,}", re.sub(r"\b[a-z_]+\b", "", n))] == []
    assert any("Service ID" in n for n in notes_en)


# --- the cells -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value, shown",
    [
        ("2024-11-01", "۱۱ آبان ۱۴۰۳"),
        ("2026-12-03T17:44:05Z", "۱۲ آذر ۱۴۰۵، ۱۷:۴۴:۰۵ به وقت جهانی"),
        ("2026-12-03 17:44", "۱۲ آذر ۱۴۰۵، ۱۷:۴۴"),
        ("2024-11-01 08:30+03:30", "۱۱ آبان ۱۴۰۳، ۰۸:۳۰ (+۰۳:۳۰)"),
        ("1403-08", "آبان ۱۴۰۳"),
        (1234, "۱۲۳۴"),
        (0.5, "۰٫۵"),
    ],
)
def test_persian_cells(value, shown):
    rendered = cell_values.render(value, "fa", "reference_month")
    assert re.sub(r"<[^>]+>", "", str(rendered)) == shown
    if isinstance(value, str):
        assert f'title="{value}"' in rendered  # the value as stored, what a filter or SQL compares


@pytest.mark.parametrize("value", ["2024-13-45", "2024-11", "SA-0103", "<b>2024-11-01</b>", True, None, b"\x00", {}])
def test_other_values_are_left_to_datasette(value):
    assert cell_values.render(value, "fa", "reference_month") is None


def test_a_jalali_month_only_where_the_column_is_a_month():
    """``1403-08`` may be a code elsewhere: only a ``*month`` column reads it as a month."""
    assert cell_values.render("1403-08", "fa", "service_id") is None
    assert "آبان ۱۴۰۳" in cell_values.render("1403-08", "fa", "data_last_month")


@pytest.mark.parametrize("value", ["2024-11-01", "2026-12-03T17:44:05Z", "1403-08", 1234])
def test_english_pages_are_untouched(value):
    assert cell_values.render(value, "en", "reference_month") is None


def test_a_query_page_in_persian_and_in_english(portal):
    sql = urllib.parse.quote_plus(CELLS_SQL)
    fa = cell_texts(get(portal, f"/shafaf?sql={sql}&lang=fa").text)
    en = cell_texts(get(portal, f"/shafaf?sql={sql}&lang=en").text)
    assert fa == [
        "۱۱ آبان ۱۴۰۳",
        "۱۲ آذر ۱۴۰۵، ۱۷:۴۴:۰۵ به وقت جهانی",
        "۱۱ آبان ۱۴۰۳، ۰۸:۳۰ (+۰۳:۳۰)",
        "آبان ۱۴۰۳",
        "۱۲۳۴",
        "۰٫۵",
        "SA-0103",
        "2024-13-45",
    ]
    assert en == [
        "2024-11-01",
        "2026-12-03T17:44:05Z",
        "2024-11-01 08:30+03:30",
        "1403-08",
        "1234",
        "0.5",
        "SA-0103",
        "2024-13-45",
    ]


def test_table_and_row_pages_show_jalali_dates_on_persian_pages_only(portal):
    with sqlite3.connect(portal["db"]) as db:
        run_id, started = db.execute("select run_id, started from harvest_runs order by rowid limit 1").fetchone()
    table_fa = get(portal, "/shafaf/harvest_runs?_size=1&lang=fa").text
    table_en = get(portal, "/shafaf/harvest_runs?_size=1&lang=en").text
    assert f'<time datetime="{started}" title="{started}">' in table_fa
    assert started not in cell_texts(table_fa) and started in cell_texts(table_en)
    assert "<time" not in table_en.split('class="rows-and-columns"', 1)[1]
    row_fa = get(portal, f"/shafaf/harvest_runs/{urllib.parse.quote(run_id)}?lang=fa")
    assert row_fa.status_code == 200
    assert f'<time datetime="{started}"' in row_fa.text


def test_json_and_csv_keep_the_stored_values(portal):
    """render_cell is for HTML: a Persian visitor's JSON and CSV carry the values as stored."""
    sql = urllib.parse.quote_plus(CELLS_SQL)
    rows = get(portal, f"/shafaf.json?sql={sql}&_shape=array&lang=fa").json()
    assert rows == [
        {
            "day": "2024-11-01",
            "moment": "2026-12-03T17:44:05Z",
            "local": "2024-11-01 08:30+03:30",
            "month": "1403-08",
            "n": 1234,
            "share": 0.5,
            "code": "SA-0103",
            "not_a_day": "2024-13-45",
        }
    ]
    table = list(csv.reader(io.StringIO(get(portal, "/shafaf/harvest_runs.csv?_size=1&lang=fa").text)))
    started = table[0].index("started")
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}T[\d:.]+Z?", table[1][started]), table[1]


def test_two_languages_at_once_do_not_mix(portal):
    """The language render_cell reads belongs to the request's task: concurrent fa and en pages keep theirs."""
    sql = urllib.parse.quote_plus(CELLS_SQL)

    async def both() -> list[httpx.Response]:
        return await asyncio.gather(
            *(portal["ds"].client.get(f"/shafaf?sql={sql}&lang={lang}") for lang in ["fa", "en"] * 4)
        )

    for i, response in enumerate(asyncio.run(both())):
        first = cell_texts(response.text)[0]
        assert first == ("۱۱ آبان ۱۴۰۳" if i % 2 == 0 else "2024-11-01")


@pytest.mark.parametrize("table", ["indicators", "data_coverage", "agency_scorecard", "services_search"])
def test_a_rowid_tables_row_links_are_in_persian_digits_and_point_where_they_did(portal, table):
    """Datasette draws the link of a row without a primary key (its rowid) without ``render_cell``."""
    with sqlite3.connect(portal["db"]) as db:
        first = db.execute(f"select rowid from {table} order by rowid limit 1").fetchone()
    if first is None:
        pytest.skip(f"{table} is empty in this portal")
    link = f'<a href="/shafaf/{table}/{first[0]}">'
    fa = get(portal, f"/shafaf/{table}?_size=1&lang=fa").text
    en = get(portal, f"/shafaf/{table}?_size=1&lang=en").text
    shown = {lang: re.findall(re.escape(link) + r"(.*?)</a>", html) for lang, html in (("fa", fa), ("en", en))}
    assert shown == {"fa": [i18n.digits(str(first[0]), "fa")], "en": [str(first[0])]}  # the address keeps its own
