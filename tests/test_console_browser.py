"""The officer's console and "check my file" in a real browser, at phone width, in Persian and English.

One portal served by ``shafaf serve`` (real uvicorn, real cookies), one
Debian chromium. An officer signs in with the token, queues a harvest, sets
a schedule after previewing it, and checks a broken file; another site's
form posted with the officer's browser changes nothing (the session cookie
is ``SameSite=Strict``). With ``SHAFAF_SCREENSHOTS`` set, the screenshots go
to ``docs/images/`` (what docs/operations.md and datasets/README.md show).
"""

from __future__ import annotations

import http.server
import os
import shutil
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import write_registry
from served import served

from shafaf.config import registry
from shafaf.core.datadir import DataDir
from shafaf.harvest.runner import harvest
from shafaf.publish.writer import publish
from shafaf.state import tokens
from shafaf.state.store import StateStore

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
if not CHROMIUM.exists():
    pytest.skip(f"{CHROMIUM} is missing (apt-get install chromium; .ci/run does)", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (pip install -e '.[test]')")

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DOCS_IMAGES = Path(__file__).resolve().parents[1] / "docs" / "images"
PHONE = {"width": 390, "height": 844}
BROKEN = (
    "agency_id,service_id,name_fa,name_en\n"
    "alpha,S1,صدور گواهی,Certificate\n"
    "alpha,S1,تکراری,Repeated\n"
    "alpha,,بی‌شناسه,No id\n"
)


@pytest.fixture(scope="module")
def portal(tmp_path_factory) -> Iterator[dict[str, Any]]:
    root = tmp_path_factory.mktemp("console-browser")
    path = write_registry(root / "src")
    reg = registry.load(path)
    data = DataDir(root / "var")
    harvest(list(reg.agencies), registry=reg, data=data)
    publish(list(reg.agencies), registry=reg, data=data)
    token, _ = tokens.create(StateStore(data.state_db), "alpha", note="browser test")
    broken = root / "services.csv"
    broken.write_text(BROKEN, encoding="utf-8")
    with served(path, data.root, root / "serve.log") as base:
        yield {"base": base, "token": token, "data": data, "broken": broken}


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture
def page(browser, tmp_path) -> Iterator[Any]:
    context = browser.new_context(viewport=PHONE, device_scale_factor=1)
    page = context.new_page()
    page.problems = []  # console errors and dialogs: none may happen
    page.on("console", lambda m: page.problems.append(m.text) if m.type == "error" else None)
    page.on("dialog", lambda d: (page.problems.append(f"dialog {d.message}"), d.dismiss()))
    yield page
    context.close()


def shot(page: Any, name: str, tmp_path: Path) -> None:
    target = tmp_path / f"{name}.png"
    page.screenshot(path=str(target), full_page=True)
    if os.environ.get("SHAFAF_SCREENSHOTS"):
        DOCS_IMAGES.mkdir(parents=True, exist_ok=True)
        shutil.copy(target, DOCS_IMAGES / target.name)


WIDEST = """() => [...document.querySelectorAll('main *')].filter(e => e.getBoundingClientRect().right > innerWidth + 1
   || e.getBoundingClientRect().left < -1).map(e => e.tagName + '.' + e.className).slice(0, 8)"""


def fits_the_phone(page: Any) -> bool:
    wide = page.evaluate("document.documentElement.scrollWidth") > PHONE["width"] + 1
    assert not wide, page.evaluate(WIDEST)
    return True


def requests_of(portal: dict[str, Any]) -> int:
    with sqlite3.connect(portal["data"].state_db) as db:
        return db.execute("select count(*) from harvest_requests").fetchone()[0]


def sign_in(page: Any, portal: dict[str, Any], lang: str) -> None:
    page.goto(f"{portal['base']}/agencies/alpha/console?lang={lang}")
    page.fill("#token", portal["token"])
    page.click(".console-sign-in button[type=submit]")
    page.wait_for_load_state()


@pytest.mark.parametrize(
    "lang, words",
    [
        (
            "fa",
            {
                "signed": "وارد شدید",
                "harvest": "برداشت این منبع هم‌اکنون",
                "asked": "برداشت درخواست شد",
                "change": "تغییر زمان‌بندی",
                "preview": "نمایش برداشت‌های بعدی",
                "save": "ذخیره این زمان‌بندی",
                "saved": "زمان‌بندی ذخیره شد",
                "out": "خروج",
            },
        ),
        (
            "en",
            {
                "signed": "You are signed in",
                "harvest": "Harvest this source now",
                "asked": "Harvest asked for",
                "change": "Change the schedule",
                "preview": "Show the next harvests",
                "save": "Save this schedule",
                "saved": "The schedule is saved",
                "out": "Sign out",
            },
        ),
    ],
)
def test_an_officer_signs_in_queues_a_harvest_and_sets_a_schedule(page, portal, lang, words, tmp_path):
    before = requests_of(portal)
    sign_in(page, portal, lang)
    assert words["signed"] in page.inner_text("main")
    assert portal["token"] not in page.content() and portal["token"] not in page.url
    assert page.get_attribute("html", "dir") == ("rtl" if lang == "fa" else "ltr")
    assert fits_the_phone(page)
    shot(page, f"console-{lang}-390", tmp_path)

    page.click("#source-services form:has(input[value=harvest]) button")
    page.wait_for_load_state()
    assert words["asked"] in page.inner_text("main") and requests_of(portal) == before + 1

    page.click("#source-services summary")
    page.check("#kind-jalali-services")
    page.fill("#source-services input[name=jalali_day]", "۵" if lang == "fa" else "5")
    page.fill("#at-services", "02:00")
    page.click("#source-services button[value=preview]")
    page.wait_for_load_state()
    assert page.locator("#source-services ol.preview li").count() == 5
    assert fits_the_phone(page)
    shot(page, f"console-schedule-{lang}-390", tmp_path)
    page.click("#source-services button[value=save]")
    page.wait_for_load_state()
    assert words["saved"] in page.inner_text("main")

    page.click(".console-sign-out button")
    page.wait_for_load_state()
    assert page.locator("#token").count() == 1  # signed out: the token form again
    assert page.problems == []


@pytest.mark.parametrize(
    "lang, words", [("fa", ("نامعتبر", "کلید این سطر", "چه باید کرد")), ("en", ("INVALID", "Same key", "What to fix"))]
)
def test_an_officer_checks_a_broken_file_and_reads_the_report(page, portal, lang, words, tmp_path):
    page.goto(f"{portal['base']}/validate?lang={lang}")
    page.set_input_files("#file", str(portal["broken"]))
    page.click("form.check-file button:not([name])")
    page.wait_for_load_state()
    report = page.inner_text(".check-report")
    assert all(w in report for w in words), report
    assert page.locator(".check-report a[download='services.report.json']").count() == 1
    assert fits_the_phone(page)
    shot(page, f"check-file-{lang}-390", tmp_path)
    assert page.problems == []


class _Forger(http.server.BaseHTTPRequestHandler):
    """Another site: a page whose form posts to the portal's console."""

    target = ""

    def do_GET(self) -> None:  # noqa: N802
        body = (
            f'<form method="post" action="{self.target}"><input name="action" value="harvest">'
            f'<button id="go">win a prize</button></form>'
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


def test_another_sites_form_cannot_act_for_the_signed_in_officer(page, portal):
    sign_in(page, portal, "en")
    before = requests_of(portal)
    _Forger.target = f"{portal['base']}/agencies/alpha/console"
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Forger)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        # "localhost" is another site than "127.0.0.1": the Strict cookie stays home.
        page.goto(f"http://localhost:{server.server_address[1]}/")
        page.click("#go")
        page.wait_for_load_state()
        assert "نخست با توکن دستگاه وارد شوید" in page.inner_text("main")  # no cookie came: not even the language
    finally:
        server.shutdown()
        server.server_close()
    assert requests_of(portal) == before
