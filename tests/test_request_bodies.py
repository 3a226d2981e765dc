"""No request body can grow the server (found: asgi-csrf buffers any urlencoded body sent with a csrftoken cookie).

A 300 MB POST to ``/-/logout`` with ``Cookie: ds_csrftoken=x`` took ``shafaf serve`` from 84 to 948 MB and
was never answered. Now every route that takes a POST (Datasette's own, the CKAN API, the agency API, the
console, the upload page for anything but its multipart file) and every route that does not, with each framing
of a body (a Content-Length past the bound, one that is not a number, chunked with no length) and each content
type asgi-csrf or a view would read, is answered 413 (or refused before its body) while the server's memory
stays where it was; small bodies still reach their pages.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from conftest import write_registry
from served import served_process

from shafaf.config import registry
from shafaf.core.datadir import DataDir
from shafaf.datasette_plugins.security.request_body import MAX_BODY
from shafaf.harvest.runner import harvest
from shafaf.publish.writer import publish

pytestmark = pytest.mark.slow  # large bodies posted to a served portal on every route

PATHS = (
    "/-/logout",
    "/-/messages",
    "/shafaf",
    "/shafaf/services",
    "/api/3/action/package_search",
    "/api/3/action/datastore_search_sql",
    "/-/agencies/alpha/harvest",
    "/-/agencies/alpha/schedule",
    "/agencies/alpha/console",
    "/validate",
    "/no/such/page",
)
CONTENT_TYPES = (
    "application/x-www-form-urlencoded",
    "application/json",
    "multipart/form-data; boundary=x",
    "text/plain",
)
BODY_MB = 64  # past the bound 64 times: what an unbounded read would show in the server's RSS


@pytest.fixture(scope="module")
def portal(tmp_path_factory) -> Iterator[tuple[str, int]]:
    root = tmp_path_factory.mktemp("bodies")
    path = write_registry(root / "src")
    reg = registry.load(path)
    data = DataDir(root / "var")
    harvest(reg.agencies, registry=reg, data=data)
    publish(reg.agencies, registry=reg, data=data)
    with served_process(path, data.root, root / "serve.log", memory_limit=2_000_000_000) as (base, pid):
        yield base, pid


def rss_mb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) // 1024
    raise AssertionError("no VmRSS")


def post_raw(base: str, path: str, content_type: str, *, chunked: bool, length: str | None = None) -> int:
    """POST ``BODY_MB`` MB by hand (so the framing is ours); the status answered, or 0 for none."""
    host, port = base.split("//", 1)[1].split(":")
    framing = "Transfer-Encoding: chunked" if chunked else f"Content-Length: {length or BODY_MB << 20}"
    head = (
        f"POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: {content_type}\r\n"
        f"Cookie: ds_csrftoken=IjEi.x; ds_actor=x\r\n{framing}\r\n\r\n"
    )
    chunk = b"a" * (1 << 20)
    with socket.create_connection((host, int(port)), timeout=20) as s:
        s.sendall(head.encode())
        try:
            for _ in range(BODY_MB):
                s.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk) if chunked else chunk)
            if chunked:
                s.sendall(b"0\r\n\r\n")
        except OSError:
            pass  # the server answered and closed while we were still sending: what a bound does
        try:
            answer = s.recv(64)
        except OSError:
            return 0
    return int(answer.split()[1]) if answer.startswith(b"HTTP/1.1 ") else 0


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
@pytest.mark.parametrize("content_type", CONTENT_TYPES)
def test_a_large_body_is_refused_on_every_route_and_the_server_stays_small(portal, content_type, chunked):
    base, pid = portal
    before = rss_mb(pid)
    for path in PATHS:
        if path == "/validate" and content_type.startswith("multipart/"):
            continue  # the one body the page streams itself, to its own cap: tests/test_check_file.py
        status = post_raw(base, path, content_type, chunked=chunked)
        # With a length, refused by its header; chunked, when the page reads the body (others answer unread).
        assert status == 413 if not chunked else 0 < status < 500, (path, content_type, status)
        assert rss_mb(pid) < before + 40, (path, content_type, chunked, rss_mb(pid), before)
    assert httpx.get(f"{base}/shafaf/services.json?_size=1").status_code == 200


@pytest.mark.parametrize("length", [str(MAX_BODY + 1), "12abc", "-1", " 99999999999999999999"])
def test_a_content_length_past_the_bound_or_not_a_number_is_refused_before_the_body(portal, length):
    base, _ = portal
    assert post_raw(base, "/-/logout", CONTENT_TYPES[0], chunked=False, length=length) in (400, 413)


def test_small_bodies_still_reach_their_pages(portal):
    base, _ = portal
    answer = httpx.post(f"{base}/api/3/action/package_search", json={"rows": 1})
    assert answer.status_code == 200 and answer.json()["success"] is True
    refused = httpx.post(f"{base}/api/3/action/package_search", content=b"x" * (MAX_BODY + 1))
    assert refused.status_code == 413
