"""The plugin's pages, in-process against a real shafaf.db built in tmp_path.

Datasette's test client is async; pytest-asyncio is not a dependency, so each
test drives it with ``asyncio.run``.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest
import sqlite_utils
from datasette.app import Datasette

from shafaf import tables
from shafaf.errors import ShafafError

SCRIPT = "<script>alert(1)</script>"


def _service(agency_id: str, service_id: str, **values: object) -> dict[str, object]:
    row: dict[str, object] = {
        "agency_id": agency_id,
        "service_id": service_id,
        "online_information": 1,
        "online_application": 1,
        "online_identity": 0,
        "online_payment": None,
        "online_decision": 0,
        "online_issuance": 0,
        "smart": 0,
        "on_national_portal": 1,
        "via_gsb": 0,
        "standard_days": 7,
        "how_to_url": "https://tax.example.ir/help",
        "run_id": "run-1",
    }
    row.update(values)
    return row


def _performance(
    agency_id: str,
    service_id: str,
    start: str,
    end: str,
    channel: str,
    applications: int,
    satisfaction: float | None,
) -> dict[str, object]:
    return {
        "agency_id": agency_id,
        "service_id": service_id,
        "period_start": start,
        "period_end": end,
        "period_label": start[:7],
        "channel": channel,
        "applications": applications,
        "completed": applications,
        "satisfaction": satisfaction,
        "run_id": "run-1",
    }


def build_db(path: Path) -> None:
    db = sqlite_utils.Database(path)
    for table in tables.PUBLIC_TABLES:
        db[table].create(tables.columns(table))
    db["agencies"].insert_all(
        [
            {
                "id": "tax",
                "name_fa": "سازمان امور مالیاتی",
                "name_en": "Tax Affairs Organization",
                "parent": "mefa",
                "website": "https://www.tax.gov.ir",
                "last_outcome": "ok",
            },
            {
                "id": "evil",
                "name_fa": SCRIPT,
                "name_en": SCRIPT,
                "parent": SCRIPT,
                "website": "javascript:alert(2)",
                "last_outcome": "failed",
            },
            {"id": "mefa", "name_fa": "وزارت امور اقتصادی و دارایی", "name_en": "Ministry of Economy"},
        ]
    )
    db["services"].insert_all(
        [
            _service("tax", "T1", name_fa="ثبت‌نام مالیاتی", name_en="Tax registration", smart=1),
            _service("tax", "T2", name_fa="اظهارنامه", name_en="Tax return"),
            _service("tax", "T3", name_fa="گواهی", name_en="Certificate", smart=1),
            _service("evil", "E1", name_fa=SCRIPT, name_en=SCRIPT, how_to_url="javascript:alert(1)"),
        ]
    )
    db["service_performance"].insert_all(
        [
            # An older month, which the figures must ignore.
            _performance("tax", "T1", "2024-04-01", "2024-04-30", "online", 9999, 10),
            # The latest month: 1,000 + 3,000 applications, 3,000 online; satisfaction (80*1000 + 60*3000)/4000 = 65.
            _performance("tax", "T1", "2024-05-01", "2024-05-31", "in_person", 1000, 80),
            _performance("tax", "T2", "2024-05-01", "2024-05-31", "online", 3000, 60),
            # A quarter ending later is not a month, so it does not count as the latest month.
            _performance("tax", "T1", "2024-04-01", "2024-06-30", "online", 5, 99),
        ]
    )
    db["harvest_runs"].insert_all(
        [
            {
                "run_id": "run-1",
                "agency_id": "tax",
                "dataset": "services",
                "started": "2024-06-01T10:00:00Z",
                "finished": "2024-06-01T10:00:05Z",
                "outcome": "ok",
                "rows_passed": 3,
                "rows_failed": 0,
            },
            {
                "run_id": "run-2",
                "agency_id": "tax",
                "dataset": "service_performance",
                "started": "2024-06-02T10:00:00Z",
                "finished": "2024-06-02T10:00:05Z",
                "outcome": "needs_review",
                "reason": "too_many_invalid_rows",
                "rows_passed": 12,
                "rows_failed": 34,
            },
        ]
    )


@pytest.fixture
def ds(tmp_path: Path) -> Datasette:
    path = tmp_path / "shafaf.db"
    build_db(path)
    return Datasette([str(path)])


def get(ds: Datasette, path: str) -> httpx.Response:
    return asyncio.run(ds.client.get(path))


def test_home_lists_agencies_with_links(ds: Datasette) -> None:
    response = get(ds, "/")
    assert response.status_code == 200
    assert '<html lang="fa" dir="rtl">' in response.text
    assert "سازمان امور مالیاتی" in response.text
    assert 'href="/agencies/tax"' in response.text
    assert 'href="/shafaf"' in response.text
    assert "<bdi>شفاف</bdi>" in response.text  # no title in metadata: the fallback
    assert "۳" in response.text  # tax's services count, in Persian digits


def test_home_title_comes_from_metadata(tmp_path: Path) -> None:
    path = tmp_path / "shafaf.db"
    build_db(path)
    ds = Datasette([str(path)], metadata={"title": "شفاف استان"})
    assert "<bdi>شفاف استان</bdi>" in get(ds, "/").text


def test_home_in_english_keeps_the_language_in_links(ds: Datasette) -> None:
    response = get(ds, "/?lang=en")
    assert response.status_code == 200
    assert '<html lang="en" dir="ltr">' in response.text
    assert 'href="/agencies/tax?lang=en"' in response.text
    assert "Tax Affairs Organization" in response.text


def test_agency_page_in_persian(ds: Datasette) -> None:
    response = get(ds, "/agencies/tax")
    assert response.status_code == 200
    html = response.text
    assert '<html lang="fa" dir="rtl">' in html
    assert "سازمان امور مالیاتی" in html
    assert 'href="?lang=en"' in html
    # The parent is a published agency, so it links to its page.
    assert 'href="/agencies/mefa"' in html
    assert 'href="https://www.tax.gov.ir"' in html
    # Figures over the last month only, in Persian digits: 4,000 applications, 75% online, satisfaction 65.
    assert "۴٬۰۰۰" in html
    assert "۷۵٫۰٪" in html
    assert "۶۵٫۰" in html
    assert "9999" not in html and "۹٬۹۹۹" not in html
    assert "period_start=2024-05-01&amp;period_end=2024-05-31" in html
    # Services: three, two of them smart; how-to links are http(s).
    assert "ثبت‌نام مالیاتی" in html
    assert 'href="https://tax.example.ir/help"' in html
    assert 'href="/shafaf/services?agency_id=tax&amp;smart=1"' in html
    # Harvest runs, newest first, with outcome and counts.
    assert "نیازمند بررسی" in html
    assert "too_many_invalid_rows" in html
    assert "۳۴" in html
    assert html.index("service_performance</bdi>") < html.index("services</bdi>")
    assert "۲۰۲۴-۰۶-۰۲ ۱۰:۰۰" in html


def test_agency_page_in_english(ds: Datasette) -> None:
    response = get(ds, "/agencies/tax?lang=en")
    assert response.status_code == 200
    html = response.text
    assert '<html lang="en" dir="ltr">' in html
    assert "Tax Affairs Organization" in html
    assert "Tax registration" in html
    assert "4,000" in html and "75.0%" in html and "65.0" in html
    assert "Satisfaction (weighted by applications)" in html
    assert 'href="/agencies/mefa?lang=en"' in html
    assert 'href="?lang=fa"' in html
    assert not any(chr(0x06F0 + d) in html for d in range(10))


def test_agency_page_links_to_filtered_tables(ds: Datasette) -> None:
    html = get(ds, "/agencies/tax").text
    assert 'href="/shafaf/services?agency_id=tax"' in html
    assert 'href="/shafaf/services.csv?agency_id=tax&amp;_stream=on"' in html
    assert 'href="/shafaf/services.json?agency_id=tax"' in html
    assert 'href="/shafaf/harvest_runs?agency_id=tax"' in html
    assert 'href="/shafaf/agencies?id=tax"' in html


def test_linked_table_answers(ds: Datasette) -> None:
    response = get(ds, "/shafaf/services.json?agency_id=tax&_shape=array")
    assert response.status_code == 200
    assert {row["service_id"] for row in response.json()} == {"T1", "T2", "T3"}
    assert get(ds, "/shafaf/services.csv?agency_id=tax&_stream=on").status_code == 200


def test_datasette_pages_still_work(ds: Datasette) -> None:
    assert get(ds, "/shafaf/services.json").status_code == 200
    assert get(ds, "/shafaf").status_code == 200
    assert get(ds, "/shafaf/services").status_code == 200
    assert get(ds, "/.json").status_code == 200


def test_stylesheet_is_served_by_the_plugin(ds: Datasette) -> None:
    html = get(ds, "/").text
    assert 'href="/-/static-plugins/shafaf/shafaf.css"' in html
    response = get(ds, "/-/static-plugins/shafaf/shafaf.css")
    assert response.status_code == 200
    assert "text/css" in response.headers["content-type"]


def test_pages_load_nothing_from_elsewhere(ds: Datasette) -> None:
    for path in ("/", "/agencies/tax"):
        html = get(ds, path).text
        assert "<script" not in html
        assert 'src="http' not in html
        assert 'rel="stylesheet" href="http' not in html


@pytest.mark.parametrize(
    "path, secret",
    [
        ("/agencies/nope", "nope"),
        ("/agencies/nope?lang=en", "nope"),
        ("/agencies/..%2fetc", "etc"),
        ("/agencies/..%2Fetc%2Fpasswd", "passwd"),
        ("/agencies/TAX", "TAX"),
        ("/agencies/" + "a" * 65, "a" * 65),
        ("/agencies/tax/extra", "extra"),
    ],
)
def test_unknown_or_malformed_agency_is_404_without_echo(ds: Datasette, path: str, secret: str) -> None:
    response = get(ds, path)
    assert response.status_code == 404
    assert secret not in response.text
    assert "dir=" in response.text  # our page, in the asked-for direction


def test_script_in_names_is_escaped(ds: Datasette) -> None:
    for path in ("/", "/agencies/evil", "/agencies/evil?lang=en"):
        response = get(ds, path)
        assert response.status_code == 200
        assert SCRIPT not in response.text
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in response.text


def test_non_http_urls_are_not_linked(ds: Datasette) -> None:
    html = get(ds, "/agencies/evil").text
    assert "javascript:" not in html
    assert "راهنما" not in html.split("<tbody>")[1].split("</tbody>")[0]


def test_agency_without_data_still_renders(ds: Datasette) -> None:
    response = get(ds, "/agencies/mefa")
    assert response.status_code == 200
    assert "هنوز داده ماهانه عملکرد" in response.text
    assert "هنوز برداشتی" in response.text


def test_startup_refuses_without_the_shafaf_database(tmp_path: Path) -> None:
    other = tmp_path / "other.db"
    sqlite_utils.Database(other)["t"].insert({"x": 1})
    ds = Datasette([str(other)])
    with pytest.raises(ShafafError, match="shafaf"):
        asyncio.run(ds.invoke_startup())
