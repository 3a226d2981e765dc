"""Security headers and path safety on every response (docs/reliability.md S6, S7, S9).

``wrap(app, datasette)`` is the outermost ASGI layer (composed with the search
wrapper in the package's ``asgi_wrapper`` hook), so it sees every response:
our pages, downloads, Datasette's HTML/JSON/CSV pages, static files and errors.

Headers (added unless the response already set that header):
``Content-Security-Policy`` (below), ``X-Content-Type-Options: nosniff``,
``X-Frame-Options: DENY``, ``Referrer-Policy: strict-origin-when-cross-origin``,
``Cross-Origin-Opener-Policy: same-origin`` and a ``Permissions-Policy`` that
turns off the powerful features no page uses.

The CSP. Our own templates have no inline script or style. Datasette 0.65's
templates have three inline scripts: the "close open menus" script on every
page (``_close_open_menus.html``), the CodeMirror/SQL-formatter start-up on
the database and query pages (``_codemirror_foot.html``), and
``DATASETTE_ALLOW_FACET = true|false;`` on table pages. They are static text,
so ``script-src`` allows exactly those by sha256: the hashes are computed at
import from the installed Datasette's template files (script blocks with no
Jinja in them; Datasette's Jinja environment does not trim whitespace, so the
file text is the served text). Any other inline script - an injected one
included - is blocked; no ``'unsafe-inline'`` for scripts, and no ``eval``.
``tests/test_security.py`` checks that every inline script Datasette serves
has its hash in the policy, so a Datasette upgrade that changes them fails
the tests instead of silently losing the features. With these hashes no
Datasette feature breaks: the SQL editor, formatter, column menus and facet
menus all run from ``/-/static/`` plus the hashed start-up scripts. Plugins'
``extra_body_script`` output would be blocked (Shafaf registers none).

``style-src`` has ``'unsafe-inline'``: Datasette renders per-database colours
and error boxes as ``style="..."`` attributes, which hashes cannot allow
without ``'unsafe-hashes'`` for each value. Injected CSS cannot run script;
the script policy above is what stops XSS.

Path safety (S6, S7):

* A request whose path (raw or percent-decoded, with ``\\`` read as ``/`` and
  tab/CR/LF removed, as browsers do) starts with ``//`` is answered with our
  404 page: Datasette would otherwise redirect ``/\\example.com/`` to
  ``/\\example.com``, which browsers follow to ``example.com``.
* Every redirect's ``Location`` must be same-origin: a relative URL with no
  scheme and no host after the same normalisation. An absolute URL naming the
  request's own host is reduced to its path; anything else becomes our 404.
* Every HTML 404 is our 404 page, which reflects nothing of the request
  (Datasette's own, e.g. "Table not found: <name>", echo the path).
* ``/-/threads`` (``.json``) is a 404: Datasette lists the server's threads
  and asyncio tasks there, to anyone; it tells an attacker whether the SQL
  threads are busy (how well a flood works) and nothing a reader needs.

Content types (S9): Datasette serves ``.csv`` as ``text/plain`` unless
``?_dl=1``; here a successful ``.csv`` response is ``text/csv`` with
``Content-Disposition: attachment``. JSON is already ``application/json``.
"""

from __future__ import annotations

import base64
import hashlib
import re
import urllib.parse
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import datasette as datasette_package
from datasette.utils.asgi import Request

from shafaf.datasette_plugins import common

if TYPE_CHECKING:
    from datasette.app import Datasette

Asgi = Callable[[dict[str, Any], Callable[..., Awaitable[Any]], Callable[..., Awaitable[Any]]], Awaitable[None]]

_INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.S)
# Inline scripts Datasette renders from template variables we know the values of.
_TEMPLATED_SCRIPTS = ("DATASETTE_ALLOW_FACET = true;", "DATASETTE_ALLOW_FACET = false;")


def script_hash(script: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode("ascii") + "'"


def datasette_script_hashes() -> list[str]:
    """CSP hashes of the static inline scripts in the installed Datasette's templates."""
    scripts = set(_TEMPLATED_SCRIPTS)
    templates = Path(datasette_package.__file__).parent / "templates"
    for template in sorted(templates.rglob("*.html")):
        for body in _INLINE_SCRIPT.findall(template.read_text(encoding="utf-8")):
            if "{{" not in body and "{%" not in body and body.strip():
                scripts.add(body)
    return sorted(script_hash(s) for s in scripts)


CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self' " + " ".join(datasette_script_hashes()),
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)

HEADERS: dict[bytes, bytes] = {
    b"content-security-policy": CONTENT_SECURITY_POLICY.encode("ascii"),
    b"x-content-type-options": b"nosniff",
    b"x-frame-options": b"DENY",
    b"referrer-policy": b"strict-origin-when-cross-origin",
    b"cross-origin-opener-policy": b"same-origin",
    b"permissions-policy": b"camera=(), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=()",
}

_SAFE_FILENAME = re.compile(r"[A-Za-z0-9._~-]{1,200}\Z")
HIDDEN_PATHS = frozenset({"/-/threads", "/-/threads.json"})


def _browser_form(url: str) -> str:
    """``url`` as a browser reads it: leading C0/space stripped, tab/CR/LF removed, ``\\`` as ``/``."""
    url = url.lstrip("".join(chr(c) for c in range(0x21)))
    return re.sub(r"[\t\n\r]", "", url).replace("\\", "/")


def is_open_redirect_path(scope: dict[str, Any]) -> bool:
    """True for paths like ``//host``, ``/\\host`` and ``/%5Chost`` that could become an off-site redirect."""
    raw = scope.get("raw_path") or scope.get("path", "").encode("utf-8", "surrogateescape")
    raw_path = raw.partition(b"?")[0].decode("latin-1")
    for candidate in (raw_path, urllib.parse.unquote(raw_path), scope.get("path", "")):
        if _browser_form(candidate).startswith("//"):
            return True
    return False


def same_origin_location(location: str, host: str | None) -> str | None:
    """``location`` as a same-origin relative URL, or None when it points elsewhere."""
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in location.strip("\t\n\r ")):
        return None
    parts = urllib.parse.urlsplit(_browser_form(location))
    if not parts.scheme and not parts.netloc:
        return location if not _browser_form(location).startswith("//") else None
    if parts.scheme in ("http", "https") and host and parts.netloc.lower() == host.lower():
        path = (
            parts.path
            if parts.path.startswith("/") and not parts.path.startswith("//")
            else "/" + parts.path.lstrip("/")
        )
        return urllib.parse.urlunsplit(("", "", path, parts.query, parts.fragment))
    return None


def _header(headers: list[tuple[bytes, bytes]], name: bytes) -> bytes | None:
    for key, value in headers:
        if key.lower() == name:
            return value
    return None


def _is_csv_path(scope: dict[str, Any]) -> bool:
    return scope.get("path", "").endswith(".csv") and not scope.get("path", "").startswith("/downloads/")


def wrap(app: Asgi, datasette: Datasette) -> Asgi:
    """``app`` with security headers on every response, safe redirects and a 404 that reflects nothing."""

    async def not_found(scope: dict[str, Any], receive: Any, send: Any) -> None:
        await datasette.invoke_startup()  # a no-op after the first request; Datasette runs it inside us
        # Our 404 page has no form, so it needs no CSRF token (Datasette's is set inside this layer).
        request = Request(dict(scope, csrftoken=scope.get("csrftoken") or (lambda: "")), receive)
        response = await common.not_found(request, datasette)
        await response.asgi_send(send)

    async def secured(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope.get("type") != "http":
            await app(scope, receive, send)
            return

        async def send_secured(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {key.lower() for key, _ in headers}
                headers += [(k, v) for k, v in HEADERS.items() if k not in present]
                message = dict(message, headers=headers)
            await send(message)

        if is_open_redirect_path(scope) or scope.get("path", "").rstrip("/") in HIDDEN_PATHS:
            await not_found(scope, receive, send_secured)
            return

        host = (_header(scope.get("headers", []), b"host") or b"").decode("latin-1") or None
        replaced = False  # the inner response is being dropped in favour of our 404

        async def send_checked(message: dict[str, Any]) -> None:
            nonlocal replaced
            if replaced:
                return
            if message["type"] != "http.response.start":
                await send_secured(message)
                return
            status = message["status"]
            headers = list(message.get("headers", []))
            content_type = (_header(headers, b"content-type") or b"").decode("latin-1").lower()
            if status == 404 and content_type.startswith("text/html") and not scope.get("shafaf_404"):
                replaced = True
                await not_found(dict(scope, shafaf_404=True), receive, send_secured)
                return
            if 300 <= status < 400 and _header(headers, b"location") is not None:
                location = same_origin_location(_header(headers, b"location").decode("latin-1"), host)
                if location is None:
                    replaced = True
                    await not_found(dict(scope, shafaf_404=True), receive, send_secured)
                    return
                headers = [(k, v) for k, v in headers if k.lower() != b"location"]
                headers.append((b"location", location.encode("latin-1")))
            if status == 200 and _is_csv_path(scope):
                headers = [(k, v) for k, v in headers if k.lower() != b"content-type"]
                headers.append((b"content-type", b"text/csv; charset=utf-8"))
                if _header(headers, b"content-disposition") is None:
                    name = scope["path"].rsplit("/", 1)[-1]
                    disposition = f'attachment; filename="{name}"' if _SAFE_FILENAME.match(name) else "attachment"
                    headers.append((b"content-disposition", disposition.encode("ascii")))
            await send_secured(dict(message, headers=headers))

        await app(scope, receive, send_checked)

    return secured
