"""Security headers, redirects, path safety and content types on every response (docs/reliability.md S6, S7, S9).

The app is ``make_datasette`` on a small published database (``build_db`` of
test_agency_page, with hostile names added), driven in-process.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import re
from typing import Any

import pytest
import sqlite_utils
from datasette.app import Datasette
from test_agency_page import _service, build_db

from shafaf.config.registry import Portal
from shafaf.datasette_plugins.app import SETTINGS, make_datasette
from shafaf.datasette_plugins.security import headers as security

SCRIPT = "<script>alert(1)</script>"
SVG = '"><svg onload=alert(1)>'
CSP = (
    "default-src 'self'; script-src 'self' {hashes}; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)


@pytest.fixture(scope="module")
def ds(tmp_path_factory: pytest.TempPathFactory) -> Datasette:
    path = tmp_path_factory.mktemp("security") / "shafaf.db"
    build_db(path)  # agency "evil" is named <script>alert(1)</script>
    sqlite_utils.Database(path)["services"].insert(_service("evil", "E2", name_fa=SVG, name_en=SVG))
    return make_datasette(path, Portal())


def get(ds: Datasette, path: str) -> Any:
    return asyncio.run(ds.client.get(path))


def raw_request(ds: Datasette, raw_path: bytes, query: bytes = b"") -> tuple[int, dict[str, str], bytes]:
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
        "method": "GET",
        "scheme": "http",
        "path": raw_path.decode("latin-1"),
        "raw_path": raw_path,
        "query_string": query,
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


def assert_secured(headers: Any) -> None:
    assert headers["content-security-policy"] == security.CONTENT_SECURITY_POLICY
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["x-frame-options"] == "DENY"
    assert headers["referrer-policy"] in ("strict-origin-when-cross-origin", "no-referrer")
    assert headers["cross-origin-opener-policy"] == "same-origin"
    assert "camera=()" in headers["permissions-policy"]


def test_policy_is_exactly_the_documented_one_with_no_inline_script() -> None:
    policy = security.CONTENT_SECURITY_POLICY
    hashes = re.search(r"script-src 'self' ((?:'sha256-[A-Za-z0-9+/=]+' ?)+);", policy).group(1)
    assert policy == CSP.format(hashes=hashes)
    assert "unsafe-inline" not in policy.split("script-src")[1].split(";")[0]
    assert "unsafe-eval" not in policy


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/?lang=en",
        "/agencies/tax",
        "/agencies/evil",
        "/shafaf",
        "/shafaf/services",
        "/shafaf/services/1",
        "/shafaf/services.json",
        "/shafaf/services.csv",
        "/shafaf/services.csv?_dl=1",
        "/shafaf?sql=select+1",
        "/-/versions",
        "/-/versions.json",
        "/-/static-plugins/shafaf/shafaf.css",
        "/-/static/app.css",
        "/downloads/",
        "/downloads/nope.csv",
        "/agencies/nobody",
        "/nope",
        "/shafaf/nope",
        "/shafaf/nope.json",
        "/agencies/tax/",
        "/-/agencies.schema.json",
    ],
)
def test_every_response_carries_the_security_headers(ds: Datasette, path: str) -> None:
    response = get(ds, path)
    assert response.status_code in (200, 302, 404), path
    assert_secured(response.headers)
    for name in response.headers:  # never two of one header (downloads set some of their own)
        assert len(response.headers.get_list(name)) == 1 or name in ("vary", "set-cookie", "link"), name


def test_downloads_keep_their_own_referrer_policy(ds: Datasette) -> None:
    assert get(ds, "/downloads/").headers.get_list("referrer-policy") == ["no-referrer"]


@pytest.mark.parametrize(
    "path", ["/shafaf", "/shafaf/services", "/shafaf?sql=select+1", "/-/versions", "/nope", "/shafaf/services/1"]
)
def test_every_inline_script_datasette_serves_is_allowed_by_hash(ds: Datasette, path: str) -> None:
    """So the SQL editor, menus and facets keep working; a Datasette upgrade that changes them fails here."""
    html = get(ds, path).text
    for body in re.findall(r"<script(?![^>]*\bsrc=)[^>]*>(.*?)</script>", html, re.S):
        digest = base64.b64encode(hashlib.sha256(body.encode("utf-8")).digest()).decode("ascii")
        assert f"'sha256-{digest}'" in security.CONTENT_SECURITY_POLICY, (path, body[:60])


@pytest.mark.parametrize(
    "raw_path",
    [
        b"//example.com/x",
        b"//example.com/",
        b"//example.com",
        b"/\\example.com/",
        b"/\\example.com",
        b"/%5Cexample.com",
        b"/%5cexample.com/",
        b"/%5C%5Cexample.com/",
        b"/%2F%2Fexample.com/",
        b"/\t/example.com/",
        b"///example.com/",
    ],
)
def test_open_redirect_paths_are_our_404(ds: Datasette, raw_path: bytes) -> None:
    status, headers, body = raw_request(ds, raw_path)
    assert status == 404, raw_path
    assert "location" not in headers
    assert b"example.com" not in body
    assert_secured(headers)


@pytest.mark.parametrize("raw_path", [b"/shafaf/services/", b"/agencies/tax/", b"/agencies/%2e%2e/", b"/shafaf/a%2Fb"])
def test_redirects_stay_on_the_site(ds: Datasette, raw_path: bytes) -> None:
    status, headers, _ = raw_request(ds, raw_path)
    if status in (301, 302, 303, 307, 308):
        location = headers["location"]
        assert location.startswith("/") and not location.startswith(("//", "/\\")), location
    else:
        assert status == 404


@pytest.mark.parametrize(
    "location, expected",
    [
        ("/shafaf/services", "/shafaf/services"),
        ("/agencies/tax?lang=en", "/agencies/tax?lang=en"),
        ("?lang=en", "?lang=en"),
        ("http://localhost/shafaf?x=1", "/shafaf?x=1"),
        ("http://localhost//evil.example", "/evil.example"),
        ("//evil.example/", None),
        ("/\\evil.example/", None),
        ("\\\\evil.example", None),
        ("/\t/evil.example", None),
        (" //evil.example", None),
        ("https://evil.example/", None),
        ("javascript:alert(1)", None),
        ("/x\r\nSet-Cookie: a=b", None),
    ],
)
def test_same_origin_location(location: str, expected: str | None) -> None:
    assert security.same_origin_location(location, "localhost") == expected


@pytest.mark.parametrize(
    "raw_path",
    [
        b"/agencies/..%2f..%2fetc%2fpasswd",
        b"/agencies/%2e%2e/",
        b"/agencies/%2e%2e/%2e%2e/etc/passwd",
        b"/agencies/..",
        b"/agencies/a%00b",
        b"/agencies/tax%00",
        b"/agencies/a\\b",
        b"/agencies/a%5Cb",
        b"/agencies/TAX",
        b"/agencies/" + b"a" * 65,
        b"/agencies/%3Cscript%3Ealert(1)%3C%2Fscript%3E",
        b"/agencies/tax/../../etc/passwd",
    ],
)
def test_traversal_paths_are_404_and_reflect_nothing(ds: Datasette, raw_path: bytes) -> None:
    status, headers, body = raw_request(ds, raw_path)
    for _ in range(3):  # Datasette's same-site %-to-~ and trailing-slash redirects end in a 404
        if status not in (301, 302):
            break
        status, headers, body = raw_request(ds, headers["location"].encode("latin-1"))
    assert status == 404, raw_path
    assert b"root:" not in body and b"passwd" not in body and b"etc" not in body
    assert b"script" not in body.lower() and b"%3C" not in body and b"%2e" not in body.lower()


def test_datasette_404_pages_reflect_nothing(ds: Datasette) -> None:
    for path in ("/shafaf/zzqq-marker", "/zzqq-marker", "/shafaf/services/zzqq-marker"):
        response = get(ds, path)
        assert response.status_code == 404, path
        assert "zzqq" not in response.text, path
        assert response.headers["content-type"].startswith("text/html")


def test_trace_is_disabled(ds: Datasette) -> None:
    assert SETTINGS["trace_debug"] is False
    html = get(ds, "/shafaf?sql=select+%27%3Cb%3Exx%3C%2Fb%3E%27&_trace=1")
    assert html.status_code == 200
    assert "_trace" not in html.text.replace("_trace=1", "") and "<b>xx</b>" not in html.text
    data = get(ds, "/shafaf.json?sql=select+1&_trace=1").json()
    assert "_trace" not in data
    assert "_trace" not in get(ds, "/shafaf/services.json?_trace=1").json()


def test_json_and_csv_content_types(ds: Datasette) -> None:
    for path in ("/shafaf/services.json", "/shafaf.json?sql=select+1", "/-/versions.json", "/shafaf/nope.json"):
        assert get(ds, path).headers["content-type"].startswith("application/json"), path
    for path in (
        "/shafaf/services.csv",
        "/shafaf/services.csv?_dl=1",
        "/shafaf/services.csv?agency_id=tax&_stream=on",
        "/shafaf.csv?sql=select+1",
    ):
        response = get(ds, path)
        assert response.status_code == 200, path
        assert response.headers["content-type"] == "text/csv; charset=utf-8", path
        assert response.headers["content-disposition"].startswith("attachment"), path
    assert get(ds, "/shafaf/services.csv").headers["content-disposition"] == 'attachment; filename="services.csv"'


def test_user_data_is_never_served_as_html_outside_escaped_pages(ds: Datasette) -> None:
    for path in ("/shafaf/services.json?_shape=array", "/shafaf/services.csv", "/shafaf/agencies.json"):
        response = get(ds, path)
        assert not response.headers["content-type"].startswith("text/html"), path
        assert SCRIPT in response.text or SCRIPT.replace("/", "\\/") in response.text or "alert(1)" in response.text


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/?lang=en",
        "/agencies/evil",
        "/agencies/evil?lang=en",
        "/shafaf/agencies",
        "/shafaf/services?agency_id=evil",
    ],
)
def test_hostile_names_render_escaped(ds: Datasette, path: str) -> None:
    html = get(ds, path).text
    assert "alert(1)" in html, path  # the data is shown ...
    assert "<script>alert" not in html and "<svg onload" not in html, path  # ... as text
    if path.startswith("/agencies/evil"):
        assert "&lt;svg onload=alert(1)&gt;" in html
    if path.startswith("/") and not path.startswith("/shafaf"):
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_metadata_shows_no_server_paths(tmp_path) -> None:
    """P7: where the databases, state.db and the registry live stays on the server; the rest is Datasette's."""
    db_path = tmp_path / "shafaf.db"
    build_db(db_path)
    registry_path = tmp_path / "agencies.yml"
    registry_path.write_text("agencies: []\n", encoding="utf-8")
    served = make_datasette(db_path, Portal(), registry_path=registry_path)
    assert served.plugin_config("shafaf")["state_db"]  # the plugin still has them
    for path in ("/-/metadata.json", "/-/metadata", "/-/databases.json", "/-/databases"):
        response = get(served, path)
        assert response.status_code == 200
        assert str(tmp_path) not in response.text and "state_db" not in response.text
    assert get(served, "/-/metadata.json").json()["plugins"]["shafaf"]["title_en"] == Portal().title_en
    assert {db["name"] for db in get(served, "/-/databases.json").json()} >= {"shafaf"}
