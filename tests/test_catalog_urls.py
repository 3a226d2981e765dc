"""A URL we do not publish never reaches a catalog, and never costs a 500 (issue 15 case 6, docs/reliability.md S5).

Before ``urls``: an agency website like ``https://example.ir/a b`` made
``/catalog.ttl`` answer 500 (rdflib refuses it in Turtle), the registry
accepted anything starting with ``http``, and ``javascript:alert(1)`` from a
national file's ``new_agencies`` website reached ``organization_show``'s
extras and ``foaf:homepage``. One function decides (``urls.problem``): the
registry refuses with a line, harvest drops a harvested one, and the catalog
writers drop one already in a published database (tested here by writing
each bad shape into a published ``agencies`` row of a real served portal).
"""

from __future__ import annotations

import json
import sqlite3
import textwrap
from pathlib import Path

import httpx
import pytest
import rdflib
from cli_child import run
from conftest import write_registry
from publishing import republish
from rdflib.namespace import FOAF
from served import served

from shafaf.config import registry
from shafaf.core import urls
from shafaf.core.datadir import DataDir
from shafaf.core.errors import RegistryError
from shafaf.harvest.runner import harvest
from shafaf.publish.writer import publish

# Each bad URL carries a marker found nowhere else, so "no bad URL in the answer" is a plain substring check.
BAD_URLS = {
    "space": "https://bad-space.example/a b",
    "javascript": "javascript:alert('bad-javascript')",
    "data": "data:text/html,<script>bad-data</script>",
    "no scheme": "//bad-noscheme.example/x",
    "non-ASCII host": "http://بدنشانی.ir/x",
    "no host": "http://",
    "quotes and brackets": 'https://bad-quote.example/"><svg onload=alert(1)>',
    "newline": "https://bad-newline.example/a\nb",
    "credentials": "https://user:pw@bad-credentials.example/",
}
MARKERS = {
    "space": "bad-space",
    "javascript": "bad-javascript",
    "data": "bad-data",
    "no scheme": "bad-noscheme",
    "non-ASCII host": "بدنشانی",
    "quotes and brackets": "bad-quote",
    "newline": "bad-newline",
    "credentials": "bad-credentials",
}
BAD_EMAILS = ["bad mail@bad-email.example", 'x"><b>@bad-email.example', "bad-email.example"]
ROUTES = [
    "/catalog.ttl",
    "/catalog.jsonld",
    "/data.json",
    "/data.json?lang=en",
    "/feed.atom",
    "/agencies/alpha/feed.atom",
    "/api/3/action/organization_show?id=alpha",
    "/api/3/action/package_show?id=alpha-services",
    "/api/3/action/package_search",
    "/api/3/action/organization_list?all_fields=true",
    "/sitemap.xml",
    "/agencies/alpha",
]


@pytest.fixture(scope="module")
def portal(tmp_path_factory):
    """alpha and beta published; yields (base URL, the published database) of a real ``shafaf serve``."""
    root = tmp_path_factory.mktemp("portal")
    reg = registry.load(write_registry(root / "src"))
    data = DataDir(root / "var")
    harvest(list(reg.agencies), registry=reg, data=data)
    assert all(r.ok for r in publish(list(reg.agencies), registry=reg, data=data))
    with served(reg.path, data.root, root / "serve.log") as base:
        yield base, data.public_db


def set_alpha(db: Path, *, website: str | None, email: str | None = None) -> None:
    """What an older Shafaf (or a hand edit) may have published, swapped in as a new version."""
    republish(db, "UPDATE agencies SET website = ?, contact_email = ? WHERE id = 'alpha'", (website, email))


def alpha_homepages(turtle: str) -> list[str]:
    graph = rdflib.Graph().parse(data=turtle, format="turtle")
    return [str(o) for s, o in graph.subject_objects(FOAF.homepage) if "/agencies/alpha" in str(s)]


@pytest.mark.slow
@pytest.mark.parametrize("shape", list(BAD_URLS))
def test_every_catalog_route_answers_without_the_bad_url(portal, shape):
    base, db = portal
    set_alpha(db, website=BAD_URLS[shape], email=BAD_EMAILS[len(shape) % len(BAD_EMAILS)])
    try:
        with httpx.Client(base_url=base, timeout=30) as client:
            for route in ROUTES:
                answer = client.get(route)
                assert answer.status_code == 200, (route, answer.status_code, answer.text[:500])
                body = answer.text
                assert shape not in MARKERS or MARKERS[shape] not in body, (route, shape)
                assert "javascript:" not in body and "data:text/html" not in body and "bad-email" not in body, route
            assert alpha_homepages(client.get("/catalog.ttl").text) == []
            org = client.get("/api/3/action/organization_show?id=alpha").json()["result"]
            assert "website" not in {e["key"] for e in org["extras"]}
    finally:
        set_alpha(db, website="https://alpha.example.ir")


def test_a_good_website_is_still_published(portal):
    base, db = portal
    set_alpha(db, website="https://alpha.example.ir/خدمات?x=1", email="info@alpha.example.ir")
    with httpx.Client(base_url=base, timeout=30) as client:
        assert alpha_homepages(client.get("/catalog.ttl").text) == ["https://alpha.example.ir/خدمات?x=1"]
        extras = {
            e["key"]: e["value"]
            for e in client.get("/api/3/action/organization_show?id=alpha").json()["result"]["extras"]
        }
        assert extras["website"] == "https://alpha.example.ir/خدمات?x=1"
        assert "mailto:info@alpha.example.ir" in client.get("/catalog.ttl").text


FIRST_BAD_URL = next(iter(BAD_URLS))


@pytest.mark.parametrize("shape", list(BAD_URLS))
@pytest.mark.parametrize("field", ["website", "license", "webhook_url", "source url"])
def test_the_registry_refuses_each_bad_url_with_its_line(tmp_path, shape, field):
    bad = json.dumps(BAD_URLS[shape], ensure_ascii=False)
    if shape == "credentials" and field == "source url":
        pytest.skip("a source's own URL may carry credentials: it is fetched, and only ever shown redacted")
    lines = {
        "website": ("", f"    website: {bad}\n", "    sources:\n      - dataset: services\n        path: s.csv\n"),
        "license": (f"  license: {{id: x, title: x, url: {bad}}}\n", "", "    sources: []\n"),
        "webhook_url": (f"  webhook_url: {bad}\n", "", "    sources: []\n"),
        "source url": ("", "", f"    sources:\n      - dataset: services\n        kind: http\n        url: {bad}\n"),
    }[field]
    (tmp_path / "s.csv").write_text("service_id\nS1\n", encoding="utf-8")
    path = tmp_path / "agencies.yml"
    path.write_text(
        f"portal:\n  title_en: t\n{lines[0]}agencies:\n  - id: alpha\n    name_fa: الف\n"
        f"    name_en: Alpha\n{lines[1]}{lines[2]}",
        encoding="utf-8",
    )
    with pytest.raises(RegistryError) as e:
        registry.load(path)
    text = str(e.value)
    assert "agencies.yml:" in text and "must start with https:// or http://" in text, text
    if shape == FIRST_BAD_URL:  # the command's refusal is the loader's, shown once a field (a process costs a second)
        result = run(["harvest", "--registry", str(path), "--data-dir", str(tmp_path / "var")])
        assert result.returncode == 1 and not result.crashed and "agencies.yml:" in result.stderr


@pytest.mark.slow
def test_a_website_harvested_from_a_national_file_is_checked(tmp_path):
    root = tmp_path / "src"
    path = write_registry(
        root,
        extra=textwrap.indent(
            textwrap.dedent("""\
        - id: national
          name_fa: دفتر ملی
          name_en: National Office
          sources:
            - id: all-services
              dataset: services
              path: files/national.csv
              agency_column: dept
              new_agencies: {name_en: dept_name, website: site}
              fields: {agency_id: dept, service_id: code, name_en: title}
        """),
            "  ",
        ),
    )
    (root / "files" / "national.csv").write_text(
        "dept,dept_name,site,code,title\n"
        "gamma,Gamma,javascript:alert(1),G1,Gamma service\n"
        "delta,Delta,https://delta.example.ir,D1,Delta service\n",
        encoding="utf-8",
    )
    data = DataDir(tmp_path / "var")
    result = run(["harvest", "--json", "national", "--registry", str(path), "--data-dir", str(data.root)])
    national = result.runs()[0]
    assert (
        national["outcome"] == "ok" and "websites that are not http(s) addresses were left out" in national["message"]
    )
    assert "gamma" in national["message"]
    assert run(["publish", "--registry", str(path), "--data-dir", str(data.root), "--no-downloads"]).returncode == 0
    with sqlite3.connect(data.public_db) as conn:
        sites = dict(conn.execute("SELECT id, website FROM agencies WHERE id IN ('gamma', 'delta')").fetchall())
    assert sites == {"gamma": None, "delta": "https://delta.example.ir"}


@pytest.mark.parametrize(
    "value",
    [
        "https://example.ir",
        "http://127.0.0.1:8001/x",
        "https://example.ir/خدمات?q=۱",
        "https://[2001:db8::1]/",
        "https://xn--mgbh0fb.xn--mgba3a4f16a/",
    ],
)
def test_urls_we_publish(value):
    assert urls.problem(value) is None
