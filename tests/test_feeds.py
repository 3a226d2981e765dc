"""Atom feeds read by feedparser, and the discovery files: ``/sitemap.xml``, ``/robots.txt``, ``/api``."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from harvestable_portal import build, datasette_for, get

from shafaf.datasette_plugins.catalogs import openapi

# An optional test package (pip install -e '.[test]'): without it this module is skipped, with the reason.
feedparser = pytest.importorskip("feedparser", reason="feedparser is not installed (pip install -e '.[test]')")

SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
DOCS = Path(__file__).resolve().parent.parent / "docs" / "api.md"


@pytest.fixture(scope="module")
def ds(tmp_path_factory):
    _, reg, data = build(tmp_path_factory.mktemp("feeds"))
    return datasette_for(reg, data)


def parsed(ds, path: str):
    response = get(ds, path)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/atom+xml; charset=utf-8"
    assert response.headers["access-control-allow-origin"] == "*"
    feed = feedparser.parse(response.content)
    assert not feed.bozo, feed.bozo_exception
    return feed


def test_portal_feed_has_publications_and_failed_harvests_newest_first(ds) -> None:
    feed = parsed(ds, "/feed.atom")
    assert feed.version == "atom10"
    titles = [e.title for e in feed.entries]
    assert any("services published (3 rows)" in t for t in titles)
    assert any(t.startswith("Gamma Organization") and "harvest failed" in t for t in titles)
    runs = [e for e in feed.entries if not e.tags[0].term.startswith("source_")]  # a source's spell comes first
    updated = [e.updated_parsed for e in runs]
    assert updated == sorted(updated, reverse=True)
    assert all(e.link.startswith("http://localhost/shafaf/harvest_runs?run_id=") for e in runs)
    assert [e.title for e in feed.entries if e.tags[0].term == "source_failing"] == [
        "Gamma Organization (سازمان ج): source services (services) is failing (not_found)"
    ]
    assert len({e.id for e in feed.entries}) == len(feed.entries)


def test_agency_feed_has_only_that_agency(ds) -> None:
    feed = parsed(ds, "/agencies/alpha/feed.atom")
    assert len(feed.entries) == 2 and all("Alpha Organization" in e.title for e in feed.entries)
    assert feed.feed.link == "http://localhost/agencies/alpha"
    failed = parsed(ds, "/agencies/gamma/feed.atom")
    assert [e.tags[0].term for e in failed.entries] == ["source_failing", "failed"]
    assert failed.entries[0].summary  # says why


@pytest.mark.parametrize("path", ["/agencies/nope/feed.atom", "/agencies/..%2f/feed.atom", "/agencies/ALPHA/feed.atom"])
def test_unknown_agency_feed_is_our_404(ds, path: str) -> None:
    response = get(ds, path)
    assert response.status_code == 404 and "nope" not in response.text


def test_sitemap_lists_pages_agencies_and_services(ds) -> None:
    response = get(ds, "/sitemap.xml")
    assert response.headers["content-type"] == "application/xml; charset=utf-8"
    locs = [e.text for e in ET.fromstring(response.content).iter(f"{SITEMAP}loc")]
    assert "http://localhost/" in locs and "http://localhost/agencies/gamma" in locs
    assert (
        "http://localhost/agencies/alpha/services/S1" in locs and "http://localhost/agencies/beta/services/B2" in locs
    )
    for loc in ("http://localhost/", "http://localhost/agencies/alpha", "http://localhost/api"):
        assert get(ds, loc.removeprefix("http://localhost")).status_code == 200


def test_robots_points_at_the_sitemap_and_keeps_crawlers_off_sql(ds) -> None:
    response = get(ds, "/robots.txt")
    assert response.headers["content-type"] == "text/plain; charset=utf-8"
    assert "Sitemap: http://localhost/sitemap.xml" in response.text
    assert "Disallow: /shafaf?" in response.text


def test_api_page_lists_every_route_with_a_curl_line_that_works(ds) -> None:
    response = get(ds, "/api?lang=en")
    assert response.status_code == 200
    for op in openapi.OPERATIONS:
        assert op.path in response.text
    assert "curl &#39;http://localhost/api/3/action/package_show?id=alpha-service-performance&#39;" in response.text
    for op in openapi.OPERATIONS:
        example = op.example.format(package="alpha-services", organization="alpha", resource="alpha-services-csv")
        assert get(ds, example).status_code == 200, example


def test_docs_describe_every_route() -> None:
    text = DOCS.read_text(encoding="utf-8")
    missing = [op.path for op in openapi.OPERATIONS if op.path not in text]
    assert not missing, f"docs/api.md does not mention {missing}"


def test_home_and_agency_pages_point_feed_readers_at_their_feeds(ds) -> None:
    assert re.search(
        r'<link rel="alternate" type="application/atom\+xml" title="[^"]+" href="/feed.atom">', get(ds, "/").text
    )
    page = get(ds, "/agencies/alpha").text
    assert re.search(
        r'<link rel="alternate" type="application/atom\+xml" title="[^"]+" href="/agencies/alpha/feed.atom">', page
    )


@pytest.mark.parametrize("path", ["/feed.atom", "/agencies/alpha/feed.atom"])
def test_feeds_say_their_language_and_answer_conditional_requests(ds, path: str) -> None:
    first = get(ds, path)
    assert first.status_code == 200 and 'xml:lang="en"' in first.text.split("\n", 2)[1]
    etag, modified = first.headers["etag"], first.headers["last-modified"]
    assert etag.startswith('"') and modified.endswith(" GMT")
    assert get(ds, path).headers["etag"] == etag  # the same feed, the same tag
    assert get(ds, path, headers={"if-none-match": etag}).status_code == 304
    assert get(ds, path, headers={"if-modified-since": modified}).status_code == 304
    assert get(ds, path, headers={"if-none-match": '"other"'}).status_code == 200
    assert get(ds, path, headers={"if-modified-since": "Thu, 01 Jan 2015 00:00:00 GMT"}).status_code == 200
