"""``/downloads/`` through Datasette's real app: listing, file responses, and strict paths (S7, S9).

Datasette's test client is async and pytest-asyncio is not a dependency, so
each test drives it with ``asyncio.run``. Paths an HTTP client would
normalise (``..``, NUL) are sent straight to the ASGI app with their raw bytes.
"""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path
from typing import Any

import pytest
from conftest import write_registry

from shafaf.config import registry
from shafaf.core.datadir import DataDir
from shafaf.datasette_plugins.app import make_datasette
from shafaf.harvest.runner import harvest
from shafaf.publish.exports import read_manifest, write_exports
from shafaf.publish.writer import publish


def _site(root: Path) -> tuple[registry.Registry, DataDir]:
    """The conftest registry harvested, published and exported under ``root``."""
    reg = registry.load(write_registry(root / "src"))
    data = DataDir(root / "var")
    harvest(reg.agencies, registry=reg, data=data)
    assert all(r.ok for r in publish(list(reg.agencies), registry=reg, data=data))
    write_exports(data.public_db, data.downloads, registry=reg)
    return reg, data


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> tuple[registry.Registry, DataDir]:
    """One site for the tests that only read it."""
    return _site(tmp_path_factory.mktemp("downloads"))


@pytest.fixture
def exported(shared) -> DataDir:
    return shared[1]


@pytest.fixture
def ds(shared):
    reg, data = shared
    return make_datasette(data.public_db, reg.portal)


@pytest.fixture
def fresh(tmp_path: Path) -> tuple[registry.Registry, DataDir]:
    """A site of its own, for a test that changes it."""
    return _site(tmp_path)


def get(ds, path: str, **kwargs: Any):
    return asyncio.run(ds.client.get(path, **kwargs))


def raw_request(ds, raw_path: bytes, method: str = "GET") -> tuple[int, dict[str, str], bytes]:
    """One request straight to the ASGI app, its path bytes untouched by any client."""
    messages: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        messages.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": raw_path.decode("latin-1"),
        "raw_path": raw_path,
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"localhost")],
        "client": ("127.0.0.1", 50000),
        "server": ("localhost", 80),
    }
    asyncio.run(ds.app()(scope, receive, send))
    start = next(m for m in messages if m["type"] == "http.response.start")
    headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in start["headers"]}
    body = b"".join(m.get("body", b"") for m in messages if m["type"] == "http.response.body")
    return start["status"], headers, body


def test_index_lists_every_file_of_the_manifest(ds, exported):
    response = get(ds, "/downloads/")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
    assert response.headers["x-content-type-options"] == "nosniff"
    manifest = read_manifest(exported.downloads)
    for entry in manifest["files"]:
        if entry["file"] != "SHA256SUMS":
            assert f'href="/downloads/{entry["file"]}"' in response.text and entry["sha256"] in response.text
    assert 'href="/downloads/SHA256SUMS"' in response.text and 'href="/downloads/manifest.json"' in response.text
    assert get(ds, "/downloads").status_code == 200


def test_index_is_framed_and_speaks_the_page_language(ds, exported):
    """/downloads/ is a page of the portal (issue 18): its header, Persian words and a Jalali date on fa, English on en."""
    import re

    fa, en = get(ds, "/downloads/").text, get(ds, "/downloads/?lang=en").text
    assert '<html lang="fa" dir="rtl">' in fa and '<html lang="en" dir="ltr">' in en
    assert 'class="site"' in fa and "shafaf.css" in fa  # the frame: our header and stylesheets
    assert "<h1>دریافت داده</h1>" in fa and "<h1>Downloads</h1>" in en
    made = re.search(r"<time [^>]*>([^<]+)</time>", fa).group(1)
    assert re.fullmatch(r"[۰-۹]+ [آ-ی ]+ [۰-۹]{4}", made), made  # ۱۲ آذر ۱۴۰۵, not 2026-12-03T…Z
    assert "UTC" not in fa and "rows," not in fa


def test_index_before_any_export(reg, data):
    harvest(reg.agencies, registry=reg, data=data)
    publish(list(reg.agencies), registry=reg, data=data)
    ds = make_datasette(data.public_db, reg.portal)
    response = get(ds, "/downloads/?lang=en")
    assert response.status_code == 200 and "Nothing has been exported yet" in response.text
    assert "هنوز هیچ پرونده‌ای ساخته نشده است" in get(ds, "/downloads/").text
    assert get(ds, "/downloads/manifest.json").status_code == 404
    assert get(ds, "/downloads/tables/services.csv").status_code == 404


@pytest.mark.parametrize(
    "name, content_type",
    [
        ("tables/services.csv", "text/csv; charset=utf-8"),
        ("tables/services.safe.csv", "text/csv; charset=utf-8"),
        ("tables/harvest_runs.json", "application/json; charset=utf-8"),
        ("agencies/alpha.zip", "application/zip"),
    ],
)
def test_a_file_downloads_with_its_type_and_exact_bytes(ds, exported, name, content_type):
    response = get(ds, f"/downloads/{name}")
    assert response.status_code == 200
    assert response.content == (exported.downloads / name).read_bytes()
    assert response.headers["content-type"] == content_type
    assert response.headers["content-disposition"] == f'attachment; filename="{name.rsplit("/", 1)[-1]}"'
    assert response.headers["x-content-type-options"] == "nosniff"
    assert int(response.headers["content-length"]) == len(response.content)


def test_the_listings_are_served_inline(ds, exported):
    manifest = get(ds, "/downloads/manifest.json")
    assert manifest.status_code == 200 and manifest.headers["content-type"].startswith("application/json")
    assert manifest.json() == json.loads((exported.downloads / "manifest.json").read_text(encoding="utf-8"))
    sums = get(ds, "/downloads/SHA256SUMS")
    assert sums.status_code == 200 and sums.headers["content-type"] == "text/plain; charset=utf-8"
    assert sums.content == (exported.downloads / "SHA256SUMS").read_bytes()


def test_head_sends_headers_only(ds, exported):
    status, headers, body = raw_request(ds, b"/downloads/tables/services.csv", method="HEAD")
    assert status == 200 and body == b""
    assert int(headers["content-length"]) == (exported.downloads / "tables" / "services.csv").stat().st_size


@pytest.mark.parametrize(
    "raw_path",
    [
        b"/downloads/../shafaf.db",
        b"/downloads/tables/../../shafaf.db",
        b"/downloads/tables/../../state.db",
        b"/downloads/%2e%2e/shafaf.db",
        b"/downloads/%2E%2E/%2E%2E/etc/passwd",
        b"/downloads/..%2fshafaf.db",
        b"/downloads/tables%2f..%2f..%2fshafaf.db",
        b"/downloads/tables\\services.csv",
        b"/downloads/..\\shafaf.db",
        b"/downloads/tables/services.csv%00",
        b"/downloads/tables/services.csv\x00",
        b"/downloads/tables/services.csv\x00.zip",
        b"/downloads//etc/passwd",
        b"/downloads/tables/",
        b"/downloads/tables",
        b"/downloads/.lock",
        b"/downloads/TABLES/services.csv",
        b"/downloads/tables/nope.csv",
        b"/downloads/tables/services.csv/",
        b"/downloads/agencies/alpha.zip/x",
        b"/downloads/a/b/c.csv",
        b"/downloads/~2e~2e/shafaf.db",
    ],
)
def test_traversal_and_unknown_paths_are_404(ds, raw_path):
    status, headers, body = raw_request(ds, raw_path)
    assert status == 404, raw_path
    assert b"root:" not in body and b"SQLite format" not in body


def test_only_files_the_manifest_lists_are_served(fresh):
    reg, exported = fresh
    ds = make_datasette(exported.public_db, reg.portal)
    downloads = exported.downloads
    (downloads / "tables" / ".services.csv.123.tmp").write_text("half written", encoding="utf-8")
    (downloads / "tables" / "extra.csv").write_text("not exported", encoding="utf-8")
    for name in ("tables/.services.csv.123.tmp", "tables/extra.csv"):
        assert get(ds, f"/downloads/{name}").status_code == 404, name
    # Even a listed name is refused when it resolves outside the downloads directory.
    outside = exported.root / "secret.csv"
    outside.write_text("outside", encoding="utf-8")
    os.symlink(outside, downloads / "tables" / "link.csv")
    manifest = read_manifest(downloads)
    manifest["files"].append(dict(manifest["files"][0], file="tables/link.csv"))
    (downloads / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    assert get(ds, "/downloads/tables/link.csv").status_code == 404
    assert get(ds, "/downloads/tables/services.csv").status_code == 200


def test_downloads_sit_beside_the_database_link(ds, exported):
    """shafaf.db may be a link into var/db/; the downloads are found beside the link, not the version file."""
    from shafaf.datasette_plugins.downloads import downloads_dir

    assert downloads_dir(ds) == Path(os.path.abspath(exported.downloads))


def test_a_new_export_is_served_without_a_restart(fresh):
    import sqlite3

    reg, exported = fresh
    ds = make_datasette(exported.public_db, reg.portal)
    before = get(ds, "/downloads/tables/services.csv").content
    with sqlite3.connect(exported.public_db) as conn:
        conn.execute("UPDATE services SET name_en = 'Renamed' WHERE service_id = 'S1'")
    write_exports(exported.public_db, exported.downloads, registry=reg)
    after = get(ds, "/downloads/tables/services.csv").content
    assert after != before and b"Renamed" in after
    assert after == (exported.downloads / "tables" / "services.csv").read_bytes()
