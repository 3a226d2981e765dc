"""Idle and dripping clients cannot hold the server's connections (docs/reliability.md S13).

Found: 3,000 connections that each sent half a request line were all still open on ``shafaf serve`` after
8 s (uvicorn waits for headers for ever, and any byte cancels its keep-alive timer). Now every shape of a
late request: nothing sent, half a request line, headers without their blank line, a byte a second after a
good response on a keep-alive connection, is answered 408 and closed once the header deadline passes, the
server's descriptors go back to where they were, and a client sending at a normal pace is never cut.
"""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Iterator

import httpx
import pytest
from click.testing import CliRunner
from conftest import write_registry
from served import served_process

from shafaf.cli import cli
from shafaf.config import registry
from shafaf.core.datadir import DataDir
from shafaf.datasette_plugins.security.connections import HEADER_DEADLINE_S
from shafaf.harvest.runner import harvest
from shafaf.publish.writer import publish

pytestmark = pytest.mark.slow  # connections held to a served portal until its header deadline

DEADLINE = 2.0  # the test's --header-timeout; the default is HEADER_DEADLINE_S
LATE = {
    "nothing": b"",
    "half a request line": b"GET /shafaf/services HT",
    "headers without their end": b"GET / HTTP/1.1\r\nHost: x\r\nAccept: text/html\r\n",
}


@pytest.fixture(scope="module")
def portal(tmp_path_factory) -> Iterator[tuple[str, int]]:
    root = tmp_path_factory.mktemp("slow-clients")
    path = write_registry(root / "src")
    reg = registry.load(path)
    data = DataDir(root / "var")
    harvest(reg.agencies, registry=reg, data=data)
    publish(reg.agencies, registry=reg, data=data)
    args = ("--header-timeout", str(DEADLINE))
    with served_process(path, data.root, root / "serve.log", serve_args=args) as (base, pid):
        yield base, pid


def _connect(base: str) -> socket.socket:
    host, port = base.split("//", 1)[1].split(":")
    return socket.create_connection((host, int(port)), timeout=DEADLINE * 10)


def _response(s: socket.socket, request: bytes) -> bytes:
    """Send ``request`` and read its whole (chunked) response, leaving the connection open."""
    s.sendall(request)
    answer = b""
    while not answer.endswith(b"\r\n0\r\n\r\n"):
        chunk = s.recv(65536)
        assert chunk, answer
        answer += chunk
    return answer


def _until_closed(s: socket.socket) -> bytes:
    """Everything the server sends until it closes the connection (a timeout here fails the test)."""
    answer = b""
    while chunk := s.recv(4096):
        answer += chunk
    return answer


def _descriptors(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


@pytest.mark.parametrize("sent", list(LATE), ids=list(LATE))
def test_a_request_whose_headers_are_late_is_answered_408_and_closed(portal, sent):
    base, pid = portal
    before = _descriptors(pid)
    held = [_connect(base) for _ in range(200)]
    for s in held:
        s.sendall(LATE[sent])
    assert httpx.get(f"{base}/shafaf/services.json?_size=1").status_code == 200  # the others are served meanwhile
    for s in held:
        assert _until_closed(s).startswith(b"HTTP/1.1 408 "), sent
        s.close()
    time.sleep(0.2)
    assert _descriptors(pid) <= before + 2


def test_a_drip_after_a_good_response_is_cut_and_a_normal_pace_is_not(portal):
    base, _ = portal
    request = b"GET /-/versions.json HTTP/1.1\r\nHost: x\r\n\r\n"
    with _connect(base) as drip:
        assert _response(drip, request).startswith(b"HTTP/1.1 200")
        started = time.monotonic()
        for byte in request:  # a byte every tenth of the deadline: each one used to restart uvicorn's timer
            drip.sendall(bytes([byte]))
            time.sleep(DEADLINE / 10)
            if _readable(drip):
                break
        assert _until_closed(drip).startswith(b"HTTP/1.1 408 ")
        assert time.monotonic() - started < DEADLINE * 3
    with _connect(base) as steady:
        for _ in range(3):  # a request every quarter deadline on one connection: each one served
            assert _response(steady, request).startswith(b"HTTP/1.1 200")
            time.sleep(DEADLINE / 4)


def _readable(s: socket.socket) -> bool:
    try:
        return bool(s.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT))
    except BlockingIOError:
        return False


def test_the_default_deadline_is_the_one_the_help_names():
    text = CliRunner().invoke(cli, ["serve", "--help"]).output
    assert f"default {HEADER_DEADLINE_S:g};" in " ".join(text.split())
