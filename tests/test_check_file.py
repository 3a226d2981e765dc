"""``/validate``, "check my file": the report of ``shafaf validate`` for an upload or a URL, and nothing stored.

A real published portal served in-process (Datasette's client), real child
processes (``shafaf check-file``), real files: broken CSVs, zip bombs, deep
JSON, oversized and malformed bodies, and a loopback server for URLs.
"""

from __future__ import annotations

import asyncio
import hashlib
import http.server
import io
import json
import re
import sqlite3
import tempfile
import threading
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner
from conftest import write_registry

from shafaf.cli import cli
from shafaf.config import registry
from shafaf.core.datadir import DataDir
from shafaf.datasette_plugins.app import make_datasette
from shafaf.datasette_plugins.pages import check_file as page
from shafaf.datasette_plugins.pages import check_workers
from shafaf.harvest.runner import harvest
from shafaf.publish.writer import publish

pytestmark = pytest.mark.slow  # uploads checked by a served portal's worker, deadlines and kills

BROKEN = (
    "agency_id,service_id,name_fa,name_en\n"
    "tax,S1,خدمت یک,Service one\n"
    "tax,S1,خدمت تکراری,Repeated\n"
    "tax,,بی‌شناسه,No id\n"
)
GOOD = "agency_id,service_id,name_fa,name_en\ntax,S1,خدمت یک,Service one\n"


@pytest.fixture(scope="module")
def portal(tmp_path_factory) -> Iterator[tuple[Any, DataDir]]:
    root = tmp_path_factory.mktemp("check")
    path = write_registry(root / "src")
    reg = registry.load(path)
    data = DataDir(root / "var")
    harvest(reg.agencies, registry=reg, data=data)
    publish(list(reg.agencies), registry=reg, data=data)
    ds = make_datasette(data.public_db, reg.portal, registry_path=path)
    yield ds, data
    check_workers.stop_spares()


def configured(ds: Any, **settings: Any) -> None:
    """Set the page's limits for the next requests (and forget the per-client counts)."""
    ds._metadata_local.setdefault("plugins", {}).setdefault("shafaf", {})["check_file"] = settings
    page._windows.pop(id(ds), None)


@pytest.fixture
def ds(portal) -> Iterator[Any]:
    ds, _ = portal
    configured(ds)
    yield ds
    configured(ds)


def post(
    ds: Any, *, files: dict | None = None, data: dict | None = None, lang: str = "en", **kwargs: Any
) -> httpx.Response:
    """The form as a browser sends it: multipart, with an empty file part when no file is chosen."""
    files = files or {"file": ("", b"", "application/octet-stream")}
    return asyncio.run(ds.client.post(f"/validate?lang={lang}", files=files, data=data or {}, **kwargs))


def state_of(data: DataDir) -> dict[str, str]:
    """What a check must never change: every file of the data directory by its hash, state.db by its rows.

    (state.db's bytes may move without a change of content: its WAL is checkpointed when a connection closes.)
    """
    files = {
        str(p.relative_to(data.root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(data.root.rglob("*"))
        if p.is_file() and not p.name.startswith("state.db")
    }
    with sqlite3.connect(data.state_db) as db:
        for (table,) in db.execute("select name from sqlite_master where type = 'table' order by name").fetchall():
            rows = db.execute(f'select * from "{table}" order by 1').fetchall()
            files[f"state.db:{table}"] = hashlib.sha256(repr(rows).encode()).hexdigest()
    return files


def leftovers() -> set[str]:
    return {p.name for p in Path(tempfile.gettempdir()).glob("shafaf-check-*")}


def test_the_form_works_without_javascript_in_both_languages(ds):
    for lang, words in (("fa", "بررسی"), ("en", "Check")):
        answer = asyncio.run(ds.client.get(f"/validate?lang={lang}"))
        assert answer.status_code == 200
        html = answer.text
        assert 'enctype="multipart/form-data"' in html and 'name="csrftoken"' in html
        assert html.index('name="csrftoken"') < html.index('name="file"')  # asgi-csrf reads the token first
        assert words in html and "<script" not in html
        assert 'name="dataset"' in html and 'value="services"' in html


def test_a_broken_file_gets_the_report_of_shafaf_validate_and_nothing_is_stored(ds, portal, tmp_path):
    _, data = portal
    before, temps = state_of(data), leftovers()
    en = post(ds, files={"file": ("services.csv", BROKEN.encode(), "text/csv")})
    fa = post(ds, files={"file": ("services.csv", BROKEN.encode(), "text/csv")}, lang="fa")
    assert en.status_code == fa.status_code == 200
    assert "primary-key" in en.text and "Same key" in en.text and "INVALID" in en.text
    assert "نامعتبر" in fa.text and "کلید این سطر" in fa.text and "۳" in fa.text
    assert 'download="services.report.json"' in en.text
    assert state_of(data) == before  # neither state.db nor the published database nor a package changed
    assert leftovers() == temps  # the temporary folders are gone

    got = post(ds, files={"file": ("services.csv", BROKEN.encode(), "text/csv")}, data={"format": "json"})
    assert got.status_code == 200 and got.headers["content-type"].startswith("application/json")
    assert got.headers["content-disposition"] == 'attachment; filename="services.report.json"'
    (tmp_path / "services.csv").write_text(BROKEN, encoding="utf-8")
    cli_report = json.loads(CliRunner().invoke(cli, ["validate", str(tmp_path / "services.csv"), "--json"]).stdout)
    assert got.json() == cli_report


def test_the_dataset_chosen_or_from_the_name(ds):
    named = post(ds, files={"file": ("upload.csv", GOOD.encode(), "text/csv")})
    assert named.status_code == 422 and "choose the dataset" in named.text
    chosen = post(ds, files={"file": ("upload.csv", GOOD.encode(), "text/csv")}, data={"dataset": "services"})
    assert chosen.status_code == 200 and "valid as Services (&#39;services&#39;): 1 of 1 rows passed" in chosen.text
    assert post(ds, files={"file": ("upload.csv", GOOD.encode())}, data={"dataset": "nope"}).status_code == 400


def test_oversized_uploads_are_refused_before_and_while_reading(ds):
    configured(ds, max_bytes=1000)
    big = b"agency_id,service_id,name_fa,name_en\n" + b"tax,S,x,y\n" * 20_000
    declared = post(ds, files={"file": ("services.csv", big, "text/csv")})
    assert declared.status_code == 413 and "0.001 MB" in declared.text

    async def chunked() -> httpx.Response:  # no Content-Length: the cap is met while the body streams
        boundary = "b0undary"
        head = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="services.csv"\r\n'
            f"Content-Type: text/csv\r\n\r\n"
        ).encode()

        async def body():
            yield head
            for _ in range(100):
                yield b"tax,S,x,y\n" * 100
            yield f"\r\n--{boundary}--\r\n".encode()

        return await ds.client.post(
            "/validate?lang=en", content=body(), headers={"content-type": f"multipart/form-data; boundary={boundary}"}
        )

    streamed = asyncio.run(chunked())
    assert streamed.status_code == 413


def test_too_many_rows_is_a_refused_file(ds):
    configured(ds, max_rows=5)
    rows = GOOD + "".join(f"tax,S{n},خدمت,Service\n" for n in range(2, 10))
    got = post(ds, files={"file": ("services.csv", rows.encode(), "text/csv")}, data={"format": "json"})
    assert got.status_code == 200
    report = got.json()
    assert report["valid"] is False and report["fatal_reason"] == "too_large" and "at most 5" in report["fatal_message"]


@pytest.mark.parametrize(
    "body, problem",
    [
        (b"not a multipart body", "form could not be read"),
        (b'--x\r\nContent-Disposition: form-data; name="other"\r\n\r\nv\r\n--x--\r\n', "form could not be read"),
        (b'--x\r\nContent-Disposition: form-data; name="url"\r\n\r\n\r\n--x--\r\n', "Choose one file"),
    ],
)
def test_malformed_forms_are_400_with_a_message(ds, body, problem):
    got = asyncio.run(
        ds.client.post("/validate?lang=en", content=body, headers={"content-type": "multipart/form-data; boundary=x"})
    )
    assert got.status_code == 400 and problem in got.text


def test_a_file_and_a_url_together_are_refused(ds):
    got = post(ds, files={"file": ("services.csv", GOOD.encode())}, data={"url": "https://example.org/services.csv"})
    assert got.status_code == 400


def _zip(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, content in members.items():
            zf.writestr(name, content)
    return buf.getvalue()


@pytest.mark.parametrize(
    "name, content, reason",
    [
        ("services.zip", lambda: _zip({"services.csv": b"a" * 50_000_000}), "archive_rejected"),  # a bomb
        ("services.zip", lambda: _zip({"../services.csv": GOOD.encode()}), "archive_rejected"),
        ("services.zip", lambda: _zip({"services.csv": GOOD.encode(), "activities.csv": b"x"}), "archive_rejected"),
        ("services.xlsx", lambda: _zip({"xl/sheet.xml": b"<" * 50_000_000}), "archive_rejected"),  # an XLSX bomb
        ("services.xlsx", lambda: b"PK\x03\x04 not really", "unreadable"),
        ("services.json", lambda: b"[" * 100_000 + b"]" * 100_000, "invalid_json"),  # deep JSON
        (
            "services.csv",
            lambda: "agency_id,service_id,name_fa\ntax,S1,\u0633\u0644\u0627\u0645\n".encode("cp1256").replace(
                b"tax", b"t\xe4x"
            ),
            None,
        ),  # a cp1256 file: decoded, never garbled
    ],
)
def test_uploads_are_checked_like_harvested_files(ds, name, content, reason):
    got = post(ds, files={"file": (name, content(), "application/octet-stream")}, data={"format": "json"})
    assert got.status_code == 200, got.text
    report = got.json()
    if reason is None:
        assert report["fatal_reason"] in (None, "encoding")
    else:
        assert report["valid"] is False and report["fatal_reason"] == reason, report


def test_a_zip_holding_one_file_is_checked(ds):
    got = post(ds, files={"file": ("export.zip", _zip({"services.csv": BROKEN.encode()}))}, data={"format": "json"})
    assert got.json()["file"] == "services.csv" and got.json()["error_counts"]["primary-key"] == 1


class _Files(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802
        body = BROKEN.encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/csv")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def file_server() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Files)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_a_url_meets_the_network_rules_of_harvests(ds, file_server):
    blocked = post(ds, data={"url": f"{file_server}/services.csv", "format": "json"})
    assert blocked.json()["fatal_reason"] == "destination_blocked"  # the portal's harvests may not reach loopback
    assert post(ds, data={"url": "file:///etc/passwd", "dataset": "services"}).status_code == 422
    try:
        ds_portal = page.context(ds).registry.portal
        object.__setattr__(ds_portal, "allow_private_networks", True)
        fetched = post(ds, data={"url": f"{file_server}/services.csv", "format": "json"})
        assert fetched.json()["error_counts"].get("primary-key") == 1 and fetched.json()["url"].endswith(
            "/services.csv"
        )
    finally:
        object.__setattr__(ds_portal, "allow_private_networks", False)


def test_each_client_is_rate_limited(ds):
    configured(ds, per_client_per_hour=2)
    answers = [post(ds, files={"file": ("services.csv", GOOD.encode())}) for _ in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 429]
    assert int(answers[2].headers["retry-after"]) > 0 and "many files" in answers[2].text


def test_a_check_past_its_deadline_is_killed(ds):
    configured(ds, deadline_s=0.2, max_rows=1_000_000)
    rows = GOOD + "".join(f"tax,S{n},خدمت,Service\n" for n in range(2, 100_000))  # seconds of work
    before = leftovers()
    got = post(ds, files={"file": ("services.csv", rows.encode())})
    assert got.status_code == 503 and "took longer than" in got.text
    assert leftovers() == before


def test_a_forged_cross_site_post_is_refused_and_the_page_own_form_is_accepted(ds):
    # A browser sends the portal's cookies (here the language one) with a form another site made: no token, 403.
    forged = post(ds, files={"file": ("services.csv", GOOD.encode())}, cookies={"shafaf_lang": "en"})
    assert forged.status_code == 403 and "could not be read" in forged.text
    form = asyncio.run(ds.client.get("/validate?lang=en"))
    cookie = form.cookies["ds_csrftoken"]
    token = re.search(r'name="csrftoken" value="([^"]+)"', form.text)[1]
    assert token == cookie

    def sent(fields: list[tuple[str, tuple | str]], jar: dict[str, str]) -> int:
        return asyncio.run(ds.client.post("/validate?lang=en", files=fields, cookies=jar)).status_code

    upload = ("file", ("services.csv", GOOD.encode(), "text/csv"))
    assert sent([("csrftoken", (None, token)), upload], {"ds_csrftoken": cookie}) == 200
    assert sent([upload, ("csrftoken", (None, token))], {"ds_csrftoken": cookie}) == 403  # the token after the file
    assert sent([("csrftoken", (None, "x" + token)), upload], {"ds_csrftoken": cookie}) == 403
    assert sent([("csrftoken", (None, "forged")), upload], {"ds_csrftoken": "forged"}) == 403  # unsigned cookie
    assert sent([("csrftoken", (None, "")), upload], {"ds_csrftoken": ""}) == 403


def test_concurrent_uploads_while_the_portal_serves_readers(ds):
    configured(ds, concurrent=2, per_client_per_hour=100)

    async def run() -> tuple[list[int], list[int]]:
        uploads = [
            ds.client.post("/validate?lang=en", files={"file": ("services.csv", BROKEN.encode())}) for _ in range(4)
        ]
        readers = [ds.client.get(path) for path in ("/", "/agencies/alpha", "/shafaf/services.json") * 3]
        answers = await asyncio.gather(*uploads, *readers)
        return [a.status_code for a in answers[:4]], [a.status_code for a in answers[4:]]

    uploads, readers = asyncio.run(run())
    assert set(readers) == {200}
    assert uploads.count(200) >= 2 and set(uploads) <= {200, 503}


@pytest.mark.parametrize(
    "path", ["/shafaf", "/agencies/alpha/console", "/-/agencies/alpha/harvest", "/shafaf/services"]
)
def test_a_multipart_post_anywhere_else_is_415_not_a_crash(ds, path):
    # asgi-csrf 0.11 with python-multipart >= 0.0.26 raises TypeError on any multipart body with a cookie
    # (simonw/asgi-csrf#38): before the guard each of these was an unhandled exception, a 500.
    got = asyncio.run(ds.client.post(path, files={"f": ("a.csv", b"x")}, cookies={"shafaf_lang": "en"}))
    assert got.status_code == 415
