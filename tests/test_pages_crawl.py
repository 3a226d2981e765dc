"""Every page type of the demo portal, found by following links, in a real browser at phone and desktop widths.

The bundled demo agencies are harvested and published once (``shafaf demo
--no-serve``) and served by ``shafaf serve``. Starting from ``/`` and
``/?lang=en``, same-origin links are followed breadth-first; one URL is kept
per route pattern and language (``/agencies/*``, ``/shafaf/*/*`` ...), so the
crawl covers every kind of page, Datasette's own included, without visiting
hundreds of alike. Each page is opened once in one chromium and looked at at
390, 1366, 768 and 360 CSS px (the viewport is resized, the page not
reloaded), and these must hold:

- the page is no wider than the viewport (wide tables scroll inside their own region);
- on a Persian page no word is English or a raw code (text an agency wrote, URLs,
  identifiers and acronyms excepted: see ``LATIN_ALLOWED``), and no Gregorian
  month is named;
- axe-core reports no serious or critical violation (all rules at 390 and 1366 px; the
  rule that depends on the layout, scrollable-region-focusable, at 768 and 360).

No link reaches the data officer's pages, so they are added: a demo agency's
console signed out, then signed in with a token made for the test (a
schedule's preview shown, every ``<details>`` open), ``/validate`` and its
report on a file with errors; at 390 and 1366 px, in one browser context per
language (its cookies are the session). Datasette's column menu is opened on
a table page in each language.
"""

from __future__ import annotations

import collections
import html.parser
import re
import subprocess
import sys
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from served import served

from shafaf.cli.options import BUNDLED_REGISTRY
from shafaf.config import registry
from shafaf.core.datadir import DataDir
from shafaf.state import tokens
from shafaf.state.store import StateStore

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
if not CHROMIUM.exists():
    pytest.skip(f"{CHROMIUM} is missing (apt-get install chromium; .ci/run does)", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (pip install -e '.[test]')")
axe_sync = pytest.importorskip(
    "axe_playwright_python.sync_playwright", reason="axe-playwright-python is not installed (pip install -e '.[test]')"
)
from test_browser import CHROMIUM_ARGS  # noqa: E402  (after the skips: it needs playwright too)

AXE_SCRIPT = axe_sync.Axe().axe_script

WIDTHS = (390, 1366, 768, 360)
# All of axe's rules run at the phone and the desktop width; at the others, the rule whose result changes with
# the layout (a region that scrolls only when the screen is narrow). Colours, names and labels seldom change
# between two phone widths, and a full axe run costs a second a page on a busy 2-core machine.
FULL_AXE_WIDTHS = (390, 1366)
LAYOUT_RULES = ["scrollable-region-focusable"]
MAX_PAGES = 44
# The data officer's pages (behind a token, so no link reaches them) are looked at at the phone and desktop widths.
CONSOLE_AGENCY = "tax"
CONSOLE_WIDTHS = (390, 1366)
SEARCH_SAMPLE = "SA-0103"  # a service code: a search for it must find its service
# Datasette's table pages are crawled with two rows (their SQL link then asks for three): the same page, a small part
# of axe's work (colour contrast, most of it, visits every cell).
TABLE_ROWS = ("_size", "2")
# Query parameters that make a different kind of page; others (sorting, facets, paging) do not.
PAGE_KINDS = ("q", "sql", "_search")
# Path segments that name a kind of page rather than one object.
LITERAL_SEGMENTS = {
    "agencies",
    "services",
    "search",
    "quality",
    "duplicates",
    "discrepancies",
    "downloads",
    "api",
    "schedules",
    "console",
    "validate",
}
DATABASE = "shafaf"
SKIPPED_PREFIXES = (
    "/-/",
    "/api/3",
    "/catalog",
    "/feeds",
    "/data.json",
    "/sitemap",
    "/downloads/tables/",
    "/downloads/agencies/",
)

GREGORIAN_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
    "Jan ",
    "Feb ",
    "Mar ",
    "Apr ",
    "Jun ",
    "Jul ",
    "Aug ",
    "Sep ",
    "Oct ",
    "Nov ",
    "Dec ",
    "ژانویه",
    "ژانویهٔ",
    "فوریه",
    "فوریهٔ",
    "مارس",
    "آوریل",
    "ژوئن",
    "ژوئیه",
    "ژوئیهٔ",
    "اوت",
    "سپتامبر",
    "اکتبر",
    "نوامبر",
    "دسامبر",
)
# Latin text a Persian page may show: URLs and addresses, file names, service and dataset identifiers
# (SA-0103), acronyms (CSV, JSON, SQL, API, CKAN, DCAT), ISO dates and times in code.
LATIN_ALLOWED = re.compile(
    r"https?://\S*|\S+@\S+\.\S+|[\w./-]+\.(?:csv|json|zip|db|txt|yml|xml|jsonld|ttl|rdf)\b"
    r"|\b[A-Z][A-Z0-9]*(?:-[A-Z0-9]+)*\b|\b[A-Z]{1,4}-?\d[\w-]*\b|/[\w./?=&%-]+"
)
LATIN_WORD = re.compile(r"[A-Za-z][A-Za-z_]+")
# Names of tools, written as their makers write them.
PROPER_NAMES = {"Atom", "ckanapi", "Datasette", "OpenAPI", "Vazirmatn"}
# On a Persian page, text inside these is written in another language on purpose (SQL, a URL as typed, a code
# shown as code), or is the published data as it is stored (the cells of Datasette's table, row and SQL pages).
VERBATIM_SELECTOR = "code, pre, textarea, kbd, samp, [lang]:not([lang|='fa']), script, style, .rows-and-columns td"

TEXT_SCRIPT = """(selector) => {
  const out = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode;
    const el = node.parentElement;
    if (!el || el.closest(selector)) continue;
    // Not rendered (inside display: none, a closed <details>, a menu not opened): not on the page.
    if (el.getClientRects().length === 0 || getComputedStyle(el).visibility === 'hidden') continue;
    const text = node.textContent.trim();
    if (text) out.push(text);
  }
  const tips = [];
  for (const el of document.querySelectorAll('[title], [aria-label], [placeholder], [alt]')) {
    if (el.closest(selector)) continue;
    for (const a of ['title', 'aria-label', 'placeholder', 'alt']) {
      const v = el.getAttribute(a);
      if (v && v.trim()) (a === 'title' ? tips : out).push(v.trim());
    }
  }
  return [out, tips];
}"""
# The smallest text of a chart as rendered: its font size in viewBox units times the SVG's scale on screen.
CHART_TEXT_SCRIPT = """() => [...document.querySelectorAll('svg.chart text')]
  .filter(t => t.getBoundingClientRect().width > 0)
  .map(t => parseFloat(getComputedStyle(t).fontSize) * t.getScreenCTM().a)
  .reduce((a, b) => Math.min(a, b), 99)"""
AXE_RUN = """(options) => axe.run(document, options).then(r => r.violations
  .filter(v => v.impact === 'serious' || v.impact === 'critical')
  .map(v => ({id: v.id, impact: v.impact, targets: v.nodes.slice(0, 4).map(n => n.target)})))"""
# After a resize: two frames, so the layout and the resize listeners have run.
FRAMES_SCRIPT = "() => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))"
WIDTH_SCRIPT = "() => Math.max(document.documentElement.scrollWidth, document.body.scrollWidth)"
WIDEST_SCRIPT = """(width) => [...document.querySelectorAll('body *')]
  .filter(e => { const r = e.getBoundingClientRect(); return r.width > 0 && (r.right > width + 1 || r.left < -1); })
  .filter(e => !e.parentElement.closest('[role=region], .scroll'))
  .slice(0, 4).map(e => e.tagName.toLowerCase() + (e.className && typeof e.className === 'string' ? '.' + e.className.split(' ').join('.') : '')
   + ' ' + Math.round(e.getBoundingClientRect().left) + '..' + Math.round(e.getBoundingClientRect().right))"""


@dataclass
class Seen:
    url: str
    lang: str = ""
    widths: dict[int, int] = field(default_factory=dict)
    overflowing: dict[int, list[str]] = field(default_factory=dict)
    texts: list[str] = field(default_factory=list)  # visible text, labels, placeholders, alt text
    tooltips: list[str] = field(default_factory=list)  # title attributes: the Gregorian date may wait there
    axe: dict[int, list[dict]] = field(default_factory=dict)
    chart_text: dict[int, float] = field(default_factory=dict)  # smallest chart text, CSS px


class _Links(html.parser.HTMLParser):
    """The links of a page, and its search forms as the link a search for ``SEARCH_SAMPLE`` would follow."""

    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []
        self._form: tuple[str, list[tuple[str, str]]] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "a" and a.get("href"):
            self.hrefs.append(a["href"] or "")
        elif tag == "form" and (a.get("method") or "get").lower() == "get":
            self._form = (a.get("action") or "", [])
        elif tag == "input" and self._form is not None and a.get("name"):
            kind = (a.get("type") or "text").lower()
            if kind == "search" or a["name"] == "q":
                self._form[1].append((a["name"] or "", SEARCH_SAMPLE))
            elif kind == "hidden":
                self._form[1].append((a["name"] or "", a.get("value") or ""))

    def handle_endtag(self, tag: str) -> None:
        if tag == "form" and self._form is not None:
            action, fields = self._form
            if any(v == SEARCH_SAMPLE for _, v in fields):
                self.hrefs.append(action + "?" + urllib.parse.urlencode(fields))
            self._form = None


def route_pattern(url: str) -> tuple[str, tuple[str, ...], str]:
    """(the path with object names as ``*``, the page-kind parameters it has, its language)."""
    parts = urllib.parse.urlsplit(url)
    query = urllib.parse.parse_qs(parts.query)
    segments = parts.path.split("/")
    if segments[1:2] == [DATABASE]:  # Datasette's pages: /shafaf, /shafaf/<table>, /shafaf/<table>/<row>
        segments = segments[:2] + ["*" for _ in segments[2:]]
    else:
        segments = [s if s in LITERAL_SEGMENTS or not s else "*" for s in segments]
    lang = (query.get("lang") or ["fa"])[0]
    return "/".join(segments), tuple(sorted(k for k in query if k in PAGE_KINDS)), lang


def with_language(url: str, lang: str) -> str:
    """``url`` asking for ``lang`` (as the cookie a visitor's choice sets would), unless it asks for one."""
    parts = urllib.parse.urlsplit(url)
    query = urllib.parse.parse_qsl(parts.query)
    if not any(k == "lang" for k, _ in query):
        query.append(("lang", lang))
    return parts.path + "?" + urllib.parse.urlencode(query)


def crawl(base: str, starts: tuple[str, ...] = ("/?lang=fa", "/?lang=en"), limit: int = MAX_PAGES) -> list[str]:
    """Same-origin HTML pages reachable from ``starts``, one per route pattern and language, breadth-first.

    Each URL carries its ``lang``: a link without one keeps the language of the page it is on, as a
    visitor's cookie would. No cookie is kept, so what a URL shows does not depend on the crawl's order.
    """
    queue = collections.deque(starts)
    patterns: set[tuple] = set()
    pages: list[str] = []
    while queue and len(pages) < limit:
        url = queue.popleft()
        pattern = route_pattern(url)
        if pattern in patterns:
            continue
        patterns.add(pattern)
        response = httpx.get(base + url, timeout=10)
        if response.status_code != 200 or not response.headers.get("content-type", "").startswith("text/html"):
            continue
        pages.append(url)
        parser = _Links()
        parser.feed(response.text)
        for href in parser.hrefs:
            absolute = urllib.parse.urljoin(base + url, href)
            parts = urllib.parse.urlsplit(absolute)
            if f"{parts.scheme}://{parts.netloc}" != base or parts.path.startswith(SKIPPED_PREFIXES):
                continue
            if re.search(r"\.(csv|json|zip|db|txt|xml|atom|rdf|ttl|jsonld|woff2|css|js|png|svg)$", parts.path):
                continue
            kept = [(k, v) for k, v in urllib.parse.parse_qsl(parts.query) if k in PAGE_KINDS or k == "lang"]
            if re.fullmatch(rf"/{DATABASE}/[^/]+", parts.path):
                kept.append(TABLE_ROWS)
            target = with_language(parts.path + ("?" + urllib.parse.urlencode(kept) if kept else ""), pattern[2])
            if route_pattern(target) not in patterns:
                queue.append(target)
    return pages


@dataclass
class Portal:
    base: str
    token: str  # a data officer's token of CONSOLE_AGENCY
    sample: Path  # a file with errors, for /validate's report


@pytest.fixture(scope="module")
def portal(tmp_path_factory) -> Iterator[Portal]:
    root = tmp_path_factory.mktemp("crawl-portal")
    data = root / "var"
    done = subprocess.run(
        [sys.executable, "-m", "shafaf", "demo", "--no-serve", "--data-dir", str(data)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    token, _ = tokens.create(StateStore(DataDir(data).state_db), CONSOLE_AGENCY, note="the crawl")
    with served(BUNDLED_REGISTRY, data, root / "serve.log") as base:
        yield Portal(base, token, _sample_with_errors(root / "services.csv"))


def _sample_with_errors(path: Path) -> Path:
    """The demo agency's services file with a misspelt header and a value that is not a yes/no."""
    source = next(s for s in registry.load(BUNDLED_REGISTRY).agency(CONSOLE_AGENCY).sources if s.dataset == "services")
    lines = source.path.read_text(encoding="utf-8").splitlines()
    lines[0] = lines[0].replace("standard_days", "standard_dayz")
    cells = lines[1].split(",")
    cells[lines[0].split(",").index("smart")] = "maybe"
    lines[1] = ",".join(cells)
    path.write_text("\n".join(lines[:6]) + "\n", encoding="utf-8")
    return path


def axe_violations(page, rules: list[str] | None = None) -> list[dict]:
    """axe-core's serious and critical violations on the page as it is now (all rules, or ``rules``).

    axe is put in the page once (``Axe.run`` evaluates its 500 kB script at every call) and answers with only
    what the tests print. It runs first without building each node's CSS selector (a quarter of its time), and
    again with them only when it found something, to name the elements.
    """
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(AXE_SCRIPT)
    options: dict = {"resultTypes": ["violations"], "selectors": False}
    if rules:
        options["runOnly"] = {"type": "rule", "values": rules}
    found = page.evaluate(AXE_RUN, options)
    return page.evaluate(AXE_RUN, options | {"selectors": True}) if found else []


def inspect(page, url: str, widths: tuple[int, ...] = WIDTHS) -> Seen:
    """What ``page`` shows now (already loaded at ``widths[0]``), at each width: resized, not reloaded."""
    seen = Seen(url)
    seen.lang = page.get_attribute("html", "lang") or ""
    seen.texts, seen.tooltips = page.evaluate(TEXT_SCRIPT, VERBATIM_SELECTOR)
    for width in widths:
        if width != widths[0]:
            page.set_viewport_size({"width": width, "height": 900})
            page.evaluate(FRAMES_SCRIPT)
        seen.widths[width] = page.evaluate(WIDTH_SCRIPT)
        seen.chart_text[width] = page.evaluate(CHART_TEXT_SCRIPT)
        if seen.widths[width] > width:
            seen.overflowing[width] = page.evaluate(WIDEST_SCRIPT, width)
        seen.axe[width] = axe_violations(page, None if width in FULL_AXE_WIDTHS else LAYOUT_RULES)
    return seen


def _look(page, url: str) -> Seen:
    page.set_viewport_size({"width": WIDTHS[0], "height": 900})
    page.goto(url, wait_until="load")
    return inspect(page, url)


def console_pages(page, portal: Portal, lang: str) -> list[Seen]:
    """The data officer's pages: the console signed out, signed in with a schedule's preview, /validate and its
    report on a file with errors; at the phone and desktop widths, every ``<details>`` open."""
    out = []
    console = f"{portal.base}/agencies/{CONSOLE_AGENCY}/console?lang={lang}"

    def look(label: str) -> None:
        page.evaluate("() => document.querySelectorAll('details').forEach(d => { d.open = true; })")
        out.append(inspect(page, f"{page.url.split('#')[0]}#{label}", CONSOLE_WIDTHS))
        page.set_viewport_size({"width": CONSOLE_WIDTHS[0], "height": 900})

    page.set_viewport_size({"width": CONSOLE_WIDTHS[0], "height": 900})
    page.goto(console, wait_until="load")
    look("signed-out")
    page.fill("#token", portal.token)
    with page.expect_navigation(wait_until="load"):
        page.click("form.console-sign-in button[type=submit]")
    page.evaluate("() => document.querySelectorAll('details').forEach(d => { d.open = true; })")
    with page.expect_navigation(wait_until="load"):
        page.click("form.console-schedule button[value=preview] >> nth=0")
    assert page.locator("ol.preview li").count(), page.content()[:2000]
    look("signed-in")
    page.goto(f"{portal.base}/validate?lang={lang}", wait_until="load")
    look("form")
    page.set_input_files("#file", str(portal.sample))
    with page.expect_navigation(wait_until="load"):
        page.click("form.check-file button[type=submit]:not([name])")
    assert page.locator("section.check-report table.check-errors").count(), page.content()[:2000]
    look("report")
    return out


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as p:
        launched = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture(scope="module")
def looked(portal, browser) -> list[Seen]:
    """Every page the crawl found, then the console's; one browser context (its cookies) per language."""
    urls = crawl(portal.base)
    out = []
    for lang in ("fa", "en"):
        context = browser.new_context()
        try:
            page = context.new_page()
            for url in urls:
                if route_pattern(url)[2] == lang:
                    out.append(_look(page, portal.base + url))
            out.extend(console_pages(page, portal, lang))
        finally:
            context.close()
    return out


def test_the_crawl_reaches_every_page_type(looked):
    paths = {route_pattern(s.url)[0] for s in looked}
    for expected in (
        "/",
        "/agencies/*",
        "/agencies/*/services/*",
        "/search",
        "/quality",
        "/duplicates",
        "/api",
        "/downloads/",
        "/shafaf",
        "/shafaf/*",
        "/shafaf/*/*",
    ):
        assert expected in paths, sorted(paths)
    assert {s.lang for s in looked} == {"fa", "en"}
    console = {(route_pattern(s.url)[0], s.url.rsplit("#", 1)[1]) for s in looked if "#" in s.url}
    assert console == {
        ("/agencies/*/console", "signed-out"),
        ("/agencies/*/console", "signed-in"),
        ("/validate", "form"),
        ("/validate", "report"),
    }


def test_no_page_is_wider_than_the_viewport(looked):
    wide = {s.url: {w: (px, s.overflowing.get(w)) for w, px in s.widths.items() if px > w} for s in looked}
    assert {u: w for u, w in wide.items() if w} == {}


def test_chart_text_is_legible_at_every_width(looked):
    """Axis labels, legends and titles render at 11 CSS px or more, on a phone too (they were 6–7 px)."""
    small = {s.url: {w: round(px, 1) for w, px in s.chart_text.items() if px < 11} for s in looked}
    assert {u: w for u, w in small.items() if w} == {}
    assert any(px < 99 for s in looked for px in s.chart_text.values()), "no chart was seen"


def foreign_words(texts: list[str]) -> list[str]:
    """Latin words on a Persian page that are not a URL, file name, identifier or acronym."""
    out = []
    for text in texts:
        for word in LATIN_WORD.findall(LATIN_ALLOWED.sub(" ", text)):
            if word in PROPER_NAMES:
                continue
            out.append(f"{word!r} in {text[:60]!r}")
    return out


def test_persian_pages_have_no_english_or_raw_codes(looked):
    found = {s.url: sorted(set(foreign_words(s.texts + s.tooltips)))[:12] for s in looked if s.lang == "fa"}
    assert {u: w for u, w in found.items() if w} == {}


def test_persian_pages_name_no_gregorian_month(looked):
    """Persian pages speak Jalali months; the Gregorian may stay in a tooltip (``title``), where it helps."""
    found = {
        s.url: sorted({m.strip() for t in s.texts for m in GREGORIAN_MONTHS if m in t + " "})
        for s in looked
        if s.lang == "fa"
    }
    assert {u: m for u, m in found.items() if m} == {}


def test_no_serious_or_critical_accessibility_violation(looked):
    found = {s.url: {w: v for w, v in s.axe.items() if v} for s in looked}
    assert {u: v for u, v in found.items() if v} == {}


def test_the_checks_can_fail():
    """The word and month checks catch what the issue saw: raw codes, English labels, Gregorian months."""
    assert foreign_words(["وضعیت: in_progress", "digital_uptake", "Ministry of Interior"])
    assert not foreign_words(["https://example.ir/a_b", "SA-0103", "CSV و JSON", "services.csv"])
    assert route_pattern("/agencies/post/services/SA-1?lang=en") == ("/agencies/*/services/*", (), "en")
    assert route_pattern("/shafaf/services/1") == ("/shafaf/*/*", (), "fa")
    assert with_language("/shafaf/services?_size=5", "en") == "/shafaf/services?_size=5&lang=en"


def test_axe_reports_what_the_crawl_must_not_find(browser):
    """The cheaper axe run (once injected, no selectors until something is found) still finds and names faults."""
    page = browser.new_page()
    try:
        page.set_content(
            '<html lang="en"><head><title>t</title></head><body><main><img src="x.png">'
            '<div style="width:100px;overflow-x:auto"><table><tr><td style="white-space:nowrap">'
            + "a wide table cell " * 20
            + "</td></tr></table></div></main></body></html>"
        )
        found = {v["id"]: v["targets"] for v in axe_violations(page)}
        assert {"image-alt", "scrollable-region-focusable"} <= set(found), found
        assert found["image-alt"] == [["img"]]
        assert axe_violations(page, LAYOUT_RULES)[0]["id"] == "scrollable-region-focusable"
    finally:
        page.close()


@pytest.mark.parametrize(
    "lang, words",
    [("fa", ("مرتب‌سازی صعودی", "مرتب‌سازی نزولی", "نوع: ")), ("en", ("Sort ascending", "Sort descending", "Type: "))],
)
def test_the_column_menu_speaks_the_page_language(portal, browser, lang, words):
    """Datasette's column menu (its table.js) in the page's words, inside the window.

    At the desktop width: on a phone Datasette shows each row as a card without the column headings (the sort
    is a select of the filter form there), so no menu opens.
    """
    page = browser.new_page(viewport={"width": 1366, "height": 900})
    try:
        page.goto(f"{portal.base}/{DATABASE}/services?_size=2&lang={lang}", wait_until="load")
        page.locator(".rows-and-columns th .dropdown-menu-icon").nth(1).click()
        menu = page.locator(".dropdown-menu")
        menu.wait_for(state="visible")
        text = menu.inner_text()
        assert all(w in text for w in words), text
        if lang == "fa":
            assert foreign_words([text]) == [], text
        box = menu.bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= 1366, box
    finally:
        page.close()
