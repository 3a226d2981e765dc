"""The bundled demo, end to end: `shafaf demo --no-serve`, then the served portal on a real port."""

from __future__ import annotations

import asyncio

import httpx
import pytest
import sqlite_utils
from click.testing import CliRunner
from served import served

from shafaf.cli import cli
from shafaf.cli.options import BUNDLED_REGISTRY
from shafaf.config import registry
from shafaf.datasette_plugins.app import make_datasette

pytestmark = pytest.mark.slow  # the whole demo harvested, published and served


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("demo") / "var"
    result = CliRunner().invoke(cli, ["demo", "--no-serve", "--data-dir", str(data_dir)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return data_dir


def test_every_demo_agency_is_published(demo_dir):
    db = sqlite_utils.Database(demo_dir / "shafaf.db")
    reg = registry.load(BUNDLED_REGISTRY)
    assert {r["id"] for r in db["agencies"].rows} == {a.id for a in reg.agencies}
    for agency in reg.agencies:
        counts = {
            t: db[t].count_where("agency_id = ?", [agency.id])
            for t in ("services", "service_performance", "service_standards", "activities", "targets")
        }
        assert all(counts.values()), (agency.id, counts)


def test_post_arrives_the_iranian_way_and_is_read_right(demo_dir):
    """Windows-1256 and UTF-8-BOM files, Persian digits and headers, Jalali periods and dates."""
    db = sqlite_utils.Database(demo_dir / "shafaf.db")
    row = next(
        db.query("select * from service_performance where agency_id = 'post' order by period_start desc limit 1")
    )
    assert row["period_label"] == "۱۴۰۵-۰۷"
    assert (row["period_start"], row["period_end"]) == ("2026-09-23", "2026-10-22")
    assert row["service_id"].isascii() and isinstance(row["applications"], int)
    names = [r["name_fa"] for r in db.query("select name_fa from services where agency_id = 'post'")]
    assert names and not any("ي" in n or "ك" in n for n in names)  # Arabic letters unified
    updated = [r["updated"] for r in db.query("select updated from services where agency_id = 'post'")]
    assert all(u.startswith("202") for u in updated)  # Jalali dates stored as Gregorian ISO


def test_rejected_rows_are_published_with_row_and_column(demo_dir):
    db = sqlite_utils.Database(demo_dir / "shafaf.db")
    errors = list(db.query("select * from validation_errors where agency_id = 'social-security'"))
    assert len(errors) == 4
    assert {e["field"] for e in errors} == {"completed", "satisfaction"}
    assert all(e["row_number"] and e["file"] == "service_performance.csv" for e in errors)
    runs = list(
        db.query("select * from harvest_runs where agency_id = 'social-security' and dataset = 'service_performance'")
    )
    assert runs[0]["outcome"] == "ok" and runs[0]["rows_failed"] == 4


def test_every_page_renders(demo_dir):
    """Every agency page and every service page of the demo, in both languages, and the lists."""
    ds = make_datasette(demo_dir / "shafaf.db", registry.load(BUNDLED_REGISTRY).portal)
    db = sqlite_utils.Database(demo_dir / "shafaf.db")
    services = [(r["agency_id"], r["service_id"]) for r in db.query("select agency_id, service_id from services")]
    agencies = sorted({agency_id for agency_id, _ in services})
    assert len(agencies) == 6 and len(services) > 50

    async def pages():
        out = []
        paths = [f"/agencies/{a}" for a in agencies] + [f"/agencies/{a}/services/{s}" for a, s in services]
        paths += ["/", "/quality", "/duplicates", "/search?q=%DA%A9%D8%A7%D8%B1%D8%AA"]
        for path in paths:
            for lang in ("fa", "en"):
                out.append((path, lang, await ds.client.get(f"{path}{'&' if '?' in path else '?'}lang={lang}")))
        return out

    for path, lang, response in asyncio.run(pages()):
        assert response.status_code == 200, (path, lang)
        assert ('dir="rtl"' if lang == "fa" else 'dir="ltr"') in response.text


def test_a_service_reported_in_jalali_months_has_its_monthly_figures(demo_dir):
    """Post reports Jalali months (1403-08 runs 2024-10-22 to 2024-11-20): they are months on the service page too."""
    ds = make_datasette(demo_dir / "shafaf.db", registry.load(BUNDLED_REGISTRY).portal)
    db = sqlite_utils.Database(demo_dir / "shafaf.db")
    service_id = next(db.query("select service_id from services where agency_id = 'post' order by service_id"))[
        "service_id"
    ]
    response = asyncio.run(ds.client.get(f"/agencies/post/services/{service_id}?lang=en"))
    assert response.status_code == 200
    assert "No monthly performance" not in response.text
    assert "Aban 1403" in response.text


def test_shafaf_serve_answers_on_a_real_port(demo_dir):
    with served(BUNDLED_REGISTRY, demo_dir, demo_dir / "serve.log") as base:
        response = httpx.get(f"{base}/agencies/tax", timeout=5)
        assert response.status_code == 200 and 'dir="rtl"' in response.text
        table = httpx.get(f"{base}/shafaf/targets.json?agency_id=tax&_shape=array", timeout=5)
        assert {r["indicator"] for r in table.json()} >= {"smart_services_share"}
