"""The plugin's pages, in-process against a real shafaf.db built in tmp_path.

Datasette's test client is async; pytest-asyncio is not a dependency, so each
test drives it with ``asyncio.run``.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import re
import sqlite3
from pathlib import Path

import httpx
import pytest
import sqlite_utils
from datasette.app import Datasette

from shafaf.config.registry import Portal
from shafaf.core.catalogue import LANGUAGES
from shafaf.core.errors import ShafafError
from shafaf.publish import indicators
from shafaf.standard import tables

SCRIPT = "<script>alert(1)</script>"
TODAY = dt.date(2024, 6, 15)


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
    agency_id: str, service_id: str, start: str, end: str, channel: str, applications: int, satisfaction: float | None
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
    db["validation_errors"].insert(
        {
            "run_id": "run-2",
            "agency_id": "tax",
            "dataset": "service_performance",
            "file": "perf.csv",
            "row_number": 7,
            "field": "applications",
            "value": SCRIPT,
            "error_type": "type-error",
            "message": "not a number",
            "message_fa": "عدد نیست",
        }
    )
    db.conn.close()
    # The precomputed tables the pages read, made by the publisher's own code.
    with sqlite3.connect(path) as conn:
        for agency_id in ("tax", "evil", "mefa"):
            indicators.compute_agency(conn, agency_id, portal=Portal(), today=TODAY)
        indicators.compute_scorecards(conn)


@pytest.fixture
def ds(tmp_path: Path) -> Datasette:
    path = tmp_path / "shafaf.db"
    build_db(path)
    return Datasette([str(path)])


def get(ds: Datasette, path: str) -> httpx.Response:
    return asyncio.run(ds.client.get(path))


def test_home_shows_national_figures_and_the_league_table(ds: Datasette) -> None:
    response = get(ds, "/")
    assert response.status_code == 200
    html = response.text
    assert '<html lang="fa" dir="rtl">' in html
    assert "سازمان امور مالیاتی" in html
    assert 'href="/agencies/tax"' in html
    assert 'href="/shafaf"' in html
    assert "<bdi>شفاف</bdi>" in html  # no title in metadata: the fallback
    assert "جدول رتبه‌بندی" in html and "در همهٔ دستگاه‌ها" in html
    assert 'action="/search"' in html
    # Services across agencies: tax 3 + evil 1, in Persian digits.
    assert 'data-figure="national:services" data-unit="services">۴</data>' in html


def test_league_table_sorts_on_each_column(ds: Datasette) -> None:
    for key in (
        "transparency",
        "smart",
        "online",
        "takeup",
        "satisfaction",
        "within_standard",
        "freshness",
        "validity",
        "name",
        "nonsense",
    ):
        response = get(ds, f"/?sort={key}")
        assert response.status_code == 200
    # Smart share: tax 2 of 3, evil 0 of 1, mefa none: tax first, mefa last.
    html = get(ds, "/?sort=smart&lang=en").text
    league = html.split('class="league"')[1]
    assert league.index("Tax Affairs") < league.index("&lt;script&gt;") < league.index("Ministry of Economy")
    assert 'aria-sort="descending"' in league


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


def test_language_is_remembered_in_a_cookie(ds: Datasette) -> None:
    async def run() -> tuple[httpx.Response, httpx.Response]:
        first = await ds.client.get("/?lang=en")
        second = await ds.client.get("/shafaf/services", cookies={"shafaf_lang": "en"})
        return first, second

    first, second = asyncio.run(run())
    assert "shafaf_lang=en" in first.headers["set-cookie"]
    assert "Path=/" in first.headers["set-cookie"] and "SameSite=Lax" in first.headers["set-cookie"]
    # Datasette's own page, in the portal's frame, in the remembered language.
    assert '<html lang="en" dir="ltr">' in second.text
    assert 'class="site"' in second.text and "Data quality" in second.text
    assert 'lang="en" dir="ltr"' in second.text


def test_lang_is_not_read_as_a_column_filter_by_datasette(ds: Datasette) -> None:
    response = get(ds, "/shafaf/services.json?agency_id=tax&lang=en&_shape=array")
    assert response.status_code == 200
    assert {row["service_id"] for row in response.json()} == {"T1", "T2", "T3"}


def test_datasette_pages_carry_the_portal_header_and_switch(ds: Datasette) -> None:
    html = get(ds, "/shafaf/services?agency_id=tax").text
    assert '<html lang="fa" dir="rtl">' in html
    assert "کیفیت داده" in html  # our header, in Persian
    assert 'href="?agency_id=tax&amp;lang=en"' in html  # the switch keeps the filters
    # Datasette's part of the page follows the page's language and direction, in our words (issue 18).
    assert '<div class="datasette">' in html and "<h1>فهرست خدمات</h1>" in html
    assert 'value="اعمال"' in html and 'aria-label="ستون"' in html  # the filter form, labelled
    assert re.search(r'type-(int|float)" dir="auto">[۰-۹]', html)  # numbers in Persian digits
    assert re.search(r'<td class="col-smart type-int" dir="auto">(بله|خیر)</td>', html)  # booleans as yes/no
    en = get(ds, "/shafaf/services?agency_id=tax&lang=en").text
    assert '<html lang="en" dir="ltr">' in en and 'value="Apply"' in en


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
    # The scorecard: smart services 2 of 3 = 66.7%, with a link to the indicator's rows.
    assert "سهم خدمات هوشمند" in html
    assert "۶۶٫۷٪" in html
    assert 'href="/shafaf/indicators?agency_id=tax&amp;indicator=share_smart&amp;window=current"' in html
    # Services: three, each linking to its page; how-to links are http(s).
    assert "ثبت‌نام مالیاتی" in html
    assert 'href="/agencies/tax/services/T1"' in html
    assert 'href="https://tax.example.ir/help"' in html
    # Harvest runs, newest first, with outcome and counts, dates in Jalali with the Gregorian beside.
    assert "نیازمند بررسی" in html
    assert '<span title="too_many_invalid_rows">ردیف‌های نامعتبر بیش از حد</span>' in html  # why, in words
    assert "۳۴" in html
    # Datasets by their titles in the standard, not their codes (issue 18).
    assert html.index("<td>عملکرد خدمات</td>") < html.index("<td>فهرست خدمات</td>")
    # The Jalali date, the Gregorian one in its tooltip only (Persian pages speak Jalali months).
    assert '<time datetime="2024-06-02T10:00:00Z" title="۲ ژوئن ۲۰۲۴">۱۳ خرداد ۱۴۰۳</time>' in html
    # The rejected row, its reason in Persian, its value escaped.
    assert "عدد نیست" in html and "perf.csv" in html
    # Downloads: the agency's data package and SQL.
    assert 'href="/downloads/agencies/tax.zip"' in html
    assert "/shafaf?sql=" in html


def test_agency_page_in_english(ds: Datasette) -> None:
    response = get(ds, "/agencies/tax?lang=en")
    assert response.status_code == 200
    html = response.text
    assert '<html lang="en" dir="ltr">' in html
    assert "Tax Affairs Organization" in html
    assert "Tax registration" in html
    assert "66.7%" in html
    assert "Share of services smart" in html
    assert 'href="/agencies/mefa?lang=en"' in html
    assert 'href="/agencies/tax/services/T1?lang=en"' in html
    assert 'href="?lang=fa"' in html
    assert "2 Jun 2024" in html and "13 Khordad 1403" in html
    assert "not a number" in html
    assert not any(chr(0x06F0 + d) in html for d in range(10))


def test_service_page_in_both_languages(ds: Datasette) -> None:
    fa = get(ds, "/agencies/tax/services/T1")
    assert fa.status_code == 200
    assert "ثبت‌نام مالیاتی" in fa.text and '<html lang="fa" dir="rtl">' in fa.text
    assert "<svg" in fa.text and 'role="img"' in fa.text
    assert 'href="/shafaf/service_performance?agency_id=tax&amp;service_id=T1"' in fa.text
    en = get(ds, "/agencies/tax/services/T1?lang=en")
    assert en.status_code == 200
    assert "Tax registration" in en.text and "in person" in en.text
    # May 2024: 1,000 in person; April: 9,999 online (the quarter row is not a month).
    assert "9,999" in en.text and "1,000" in en.text
    assert "May 2024" in en.text


@pytest.mark.parametrize(
    "path",
    [
        "/agencies/tax/services/NOPE",
        "/agencies/nope/services/T1",
        "/agencies/evil/services/T1",
        "/agencies/tax/services/T1%2F..",
        "/agencies/tax/services/" + "a" * 65,
    ],
)
def test_unknown_service_is_404_without_echo(ds: Datasette, path: str) -> None:
    response = get(ds, path)
    assert response.status_code == 404
    assert "NOPE" not in response.text and "a" * 65 not in response.text


def test_duplicates_quality_and_search_pages(ds: Datasette) -> None:
    for lang in ("", "?lang=en"):
        assert get(ds, "/duplicates" + lang).status_code == 200
        quality = get(ds, "/quality" + lang)
        assert quality.status_code == 200
        assert "perf.csv" in quality.text and SCRIPT not in quality.text
    assert "not a number" in get(ds, "/quality?lang=en").text
    # The hand-made database has no search index: the page still answers.
    assert get(ds, "/search").status_code == 200


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
    for path in ("/", "/agencies/tax", "/agencies/tax/services/T1", "/quality", "/duplicates"):
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
    for path in (
        "/",
        "/agencies/evil",
        "/agencies/evil?lang=en",
        "/agencies/evil/services/E1",
        "/agencies/evil/services/E1?lang=en",
        "/quality",
    ):
        response = get(ds, path)
        assert response.status_code == 200
        assert SCRIPT not in response.text
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in response.text


def test_non_http_urls_are_not_linked(ds: Datasette) -> None:
    html = get(ds, "/agencies/evil").text
    assert "javascript:" not in html
    services = html.split('class="services"')[1].split("<tbody>")[1].split("</tbody>")[0]
    assert "راهنما" not in services


def test_agency_without_data_still_renders(ds: Datasette) -> None:
    response = get(ds, "/agencies/mefa")
    assert response.status_code == 200
    assert "هنوز فهرست خدماتی" in response.text
    assert "هنوز برداشتی" in response.text


def test_startup_refuses_without_the_shafaf_database(tmp_path: Path) -> None:
    other = tmp_path / "other.db"
    sqlite_utils.Database(other)["t"].insert({"x": 1})
    ds = Datasette([str(other)])
    with pytest.raises(ShafafError, match="shafaf"):
        asyncio.run(ds.invoke_startup())


def test_every_reason_a_run_can_have_is_said_in_words_in_every_language() -> None:
    """A new member of Reason without a label would reach the run tables as a code (issue 18)."""
    from shafaf.core.models import Reason
    from shafaf.datasette_plugins import labels

    for lang in LANGUAGES:
        for member in Reason:
            words = labels.reason(member, lang)
            assert words and words != member.value, (lang, member)
        assert labels.reason("http_404", lang) != labels.reason("http_503", lang)
    assert labels.reason("http_503", "fa") == "پاسخ سرور: ۵۰۳"
    assert labels.reason("a_reason_of_tomorrow", "fa") is None
