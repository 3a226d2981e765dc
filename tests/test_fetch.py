"""The guarded fetch against a real misbehaving loopback server (docs/reliability.md H1-H6, H8-H11, H14, H16, H20).

Every test uses small limits (deadline 2-3 s, read timeout 0.5 s, backoff
0.01 s, a few MB cap) and asserts the reason, the wall time and, for the
bombs, the memory. Nothing here reaches an address outside loopback: the
blocked destinations are refused before any packet is sent, and the short
deadline keeps a test from hanging if that check ever went missing.
"""

from __future__ import annotations

import dataclasses
import email.utils
import gzip
import os
import socket
import ssl
import subprocess
import threading
import time
import tracemalloc
import zlib
from pathlib import Path

import pytest
from faultserver import (
    FaultServer,
    chunked_unterminated,
    drip,
    endless,
    gzip_bomb,
    hang,
    redirect,
    respond,
    sequence,
    stream,
    truncated,
)

from shafaf.core.errors import HarvestError
from shafaf.core.models import Reason
from shafaf.harvest.net import netguard
from shafaf.harvest.net.fetch import FetchPolicy, Validators, fetch, fetch_bytes, fetch_json

MB = 1_000_000
CSV = b"id,name\n1,a\n2,b\n"

# Loopback is the only network a test has, so tests allow private networks unless they test the guard.
POLICY = FetchPolicy(
    deadline_s=3,
    max_bytes=4 * MB,
    connect_timeout_s=0.5,
    read_timeout_s=0.5,
    retries=2,
    backoff_s=0.01,
    retry_after_cap_s=0.3,
    max_redirects=5,
    allow_private_networks=True,
)
GUARDED = dataclasses.replace(POLICY, allow_private_networks=False, deadline_s=2)


def failure(call, *args, **kwargs) -> tuple[HarvestError, float]:
    start = time.monotonic()
    with pytest.raises(HarvestError) as info:
        call(*args, **kwargs)
    return info.value, time.monotonic() - start


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


# --- the happy path and the contract ---------------------------------------------


def test_fetch_writes_the_file_with_its_hash_and_validators(fault_server, tmp_path):
    url = fault_server.add(
        "/a.csv",
        respond(
            200, CSV, {"Content-Type": "text/csv", "ETag": '"v1"', "Last-Modified": "Mon, 02 Nov 2026 10:00:00 GMT"}
        ),
    )
    got = fetch(url, tmp_path / "out" / "a.csv", policy=POLICY, expect="csv")
    assert got.path.read_bytes() == CSV and got.bytes == len(CSV) and got.status == 200
    import hashlib

    assert got.sha256 == hashlib.sha256(CSV).hexdigest()
    assert (got.etag, got.last_modified, got.content_type) == ('"v1"', "Mon, 02 Nov 2026 10:00:00 GMT", "text/csv")
    assert leftovers(tmp_path / "out") == ["a.csv"]
    sent = fault_server.requests[0].headers
    assert sent["accept-encoding"] == "gzip, deflate"


def test_conditional_request_and_304_leave_the_old_file(fault_server, tmp_path):
    def answer(conn, request):
        if request.headers.get("if-none-match") == '"v1"' and request.headers.get("if-modified-since"):
            respond(304, b"", {"ETag": '"v1"'})(conn, request)
        else:
            respond(200, CSV)(conn, request)

    url = fault_server.add("/a.csv", answer)
    dest = tmp_path / "a.csv"
    dest.write_bytes(b"old")
    got = fetch(
        url, dest, policy=POLICY, validators=Validators(etag='"v1"', last_modified="Mon, 02 Nov 2026 10:00:00 GMT")
    )
    assert got.not_modified and got.path is None and got.status == 304 and got.etag == '"v1"'
    assert dest.read_bytes() == b"old" and leftovers(tmp_path) == ["a.csv"]


def test_params_are_merged_and_secrets_are_redacted(fault_server):
    url = fault_server.add("/api", respond(500, b"boom"))
    error, _ = failure(
        fetch_json,
        url + "?q=1",
        policy=POLICY,
        params={"api_key": "SECRET-Q", "page": 2},
        headers={"Authorization": "Bearer SECRET-H", "X-Api-Key": "SECRET-K"},
    )
    assert error.reason == "http_500" and error.status == 500
    assert fault_server.requests[0].query == {"q": "1", "api_key": "SECRET-Q", "page": "2"}
    assert fault_server.requests[0].headers["authorization"] == "Bearer SECRET-H"
    chain, seen = [], error
    while seen is not None:
        chain += [str(seen), repr(seen)]
        seen = seen.__cause__ or seen.__context__
    assert "SECRET" not in " ".join(chain) + str(error.url)
    assert "api_key=REDACTED" in error.url


@pytest.mark.parametrize("value", ["Bearer SECRET\r\nX-Evil: 1", "SECRET\x01", "SECRET\u0634"])
def test_unsendable_header_values_are_refused_without_echoing_them(fault_server, value):
    url = fault_server.add("/x", respond(200, b"{}"))
    error, _ = failure(fetch_json, url, policy=POLICY, headers={"Authorization": value})
    assert error.reason == Reason.INTERNAL and "Authorization" in error.message
    assert "SECRET" not in str(error) + repr(error.__cause__) + repr(error.__context__) and fault_server.accepted == 0


def test_credentials_are_not_forwarded_to_another_origin(fault_server):
    other = FaultServer()
    try:
        target = other.add("/data", respond(200, b"{}"))
        url = fault_server.add("/start", redirect(target))
        assert (
            fetch_json(url, policy=POLICY, headers={"Authorization": "Bearer S", "X-Api-Key": "S", "Accept": "x/y"})
            == {}
        )
        assert "authorization" in fault_server.requests[0].headers
        moved = other.requests[0].headers
        assert "authorization" not in moved and "x-api-key" not in moved and moved["accept"] == "x/y"
    finally:
        other.close()


# --- H1: hang before headers ------------------------------------------------------


@pytest.mark.slow
def test_h1_hang_before_headers_is_a_timeout_after_retries_and_others_are_unaffected(fault_server, tmp_path):
    hung = fault_server.add("/hang", hang())
    fine = fault_server.add("/fine.csv", respond(200, CSV))
    results: dict[str, float] = {}

    def good() -> None:
        start = time.monotonic()
        fetch(fine, tmp_path / "fine.csv", policy=POLICY)
        results["fine"] = time.monotonic() - start

    other = threading.Thread(target=good)
    other.start()
    error, took = failure(fetch, hung, tmp_path / "hang.csv", policy=POLICY)
    other.join()
    assert error.reason == Reason.TIMEOUT and "after 3 attempts" in error.message
    assert fault_server.hits("/hang") == 3  # 1 + 2 retries
    assert 1.4 < took < POLICY.deadline_s  # three 0.5 s read timeouts, under the deadline
    assert results["fine"] < 1 and not (tmp_path / "hang.csv").exists()


@pytest.mark.slow
def test_h1_hang_longer_than_the_deadline_is_deadline_exceeded(fault_server, tmp_path):
    url = fault_server.add("/hang", hang())
    policy = dataclasses.replace(POLICY, read_timeout_s=30, deadline_s=1)
    error, took = failure(fetch, url, tmp_path / "x.csv", policy=policy)
    assert error.reason == Reason.DEADLINE_EXCEEDED and "1 s" in error.message
    assert 0.9 < took < 1.5


# --- H2: retries ------------------------------------------------------------------


def test_h2_500_then_503_retry_after_then_200_succeeds(fault_server):
    url = fault_server.add(
        "/flaky", sequence(respond(500, b"x"), respond(503, b"", {"Retry-After": "3"}), respond(200, b"[1]"))
    )
    start = time.monotonic()
    assert fetch_json(url, policy=POLICY) == [1]
    took = time.monotonic() - start
    assert fault_server.hits("/flaky") == 3
    assert POLICY.retry_after_cap_s <= took < 1.5  # Retry-After honoured, but capped at 0.3 s


def test_h2_retry_after_as_http_date(fault_server):
    when = email.utils.formatdate(time.time() + 1, usegmt=True)
    url = fault_server.add("/busy", sequence(respond(429, b"", {"Retry-After": when}), respond(200, b"{}")))
    policy = dataclasses.replace(POLICY, retry_after_cap_s=5)
    start = time.monotonic()
    assert fetch_json(url, policy=policy) == {}
    assert time.monotonic() - start < 2.5 and fault_server.hits("/busy") == 2


def test_h2_permanent_500_is_http_500_after_retries(fault_server):
    url = fault_server.add("/down", respond(500, b"down"))
    error, took = failure(fetch_bytes, url, policy=POLICY)
    assert (error.reason, error.status) == ("http_500", 500) and fault_server.hits("/down") == 3
    assert took < 1 and "500" in error.message and url in error.message


def test_h2_retry_after_beyond_the_deadline_fails_at_once(fault_server):
    url = fault_server.add("/later", respond(503, b"", {"Retry-After": "3600"}))
    error, took = failure(fetch_bytes, url, policy=dataclasses.replace(POLICY, retry_after_cap_s=60))
    assert error.reason == "http_503" and took < 0.5 and fault_server.hits("/later") == 1


@pytest.mark.parametrize("status", [404, 410, 403, 400])
def test_h2_4xx_is_never_retried(fault_server, status):
    url = fault_server.add("/gone", respond(status, b"no"))
    error, _ = failure(fetch_json, url, policy=POLICY)
    assert (error.reason, error.status) == (f"http_{status}", status) and fault_server.hits("/gone") == 1


def test_h2_fetch_bytes_can_return_the_last_error_response(fault_server):
    url = fault_server.add("/ckan", respond(500, b'{"success": false}', {"Content-Type": "application/json"}))
    got = fetch_bytes(url, policy=POLICY, raise_for_status=False)
    assert (got.status, got.body) == (500, b'{"success": false}') and fault_server.hits("/ckan") == 3
    assert got.headers["Content-Type"] == "application/json"
    url = fault_server.add("/missing", respond(404, b'{"error": "Not found"}'))
    assert fetch_bytes(url, policy=POLICY, raise_for_status=False).status == 404


def test_h2_connection_refused_is_retried_then_connection_error():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again: nothing listens here
    error, took = failure(fetch_bytes, f"http://127.0.0.1:{port}/x", policy=POLICY)
    assert error.reason == Reason.CONNECTION_ERROR and "after 3 attempts" in error.message and took < 1


# --- H3: truncated bodies ---------------------------------------------------------


@pytest.mark.parametrize(
    "behaviour", [truncated(10_000, 5_000), chunked_unterminated()], ids=["content-length", "chunked"]
)
def test_h3_truncated_body_is_never_a_success(fault_server, tmp_path, behaviour):
    url = fault_server.add("/cut.csv", behaviour)
    error, took = failure(fetch, url, tmp_path / "cut.csv", policy=POLICY)
    assert error.reason == Reason.TRUNCATED_BODY and took < 1
    assert leftovers(tmp_path) == []  # no destination, no partial temp file
    error, _ = failure(fetch_bytes, url, policy=POLICY)
    assert error.reason == Reason.TRUNCATED_BODY


# --- H4: slowloris ----------------------------------------------------------------


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd")) if os.path.isdir("/proc/self/fd") else 0


def settles_to(count: int, seconds: float = 1.0) -> bool:
    """The process is back to ``count`` open files within ``seconds`` (server threads close their side too)."""
    end = time.monotonic() + seconds
    while open_fds() > count and time.monotonic() < end:
        time.sleep(0.02)
    return open_fds() <= count


@pytest.mark.slow
def test_h4_drip_is_cut_at_the_total_deadline_and_releases_its_socket(fault_server, tmp_path):
    url = fault_server.add("/drip.csv", drip(every=0.1))  # every byte well within the 0.5 s read timeout
    policy = dataclasses.replace(POLICY, deadline_s=1.5)
    before = open_fds()
    error, took = failure(fetch, url, tmp_path / "drip.csv", policy=policy)
    assert error.reason == Reason.DEADLINE_EXCEEDED and "1.5 s" in error.message
    assert 1.4 < took < 2.0 and leftovers(tmp_path) == []
    assert settles_to(before)


# --- H5, H6: size caps with bounded memory -----------------------------------------


def test_h5_endless_body_is_cut_at_the_cap_with_bounded_memory(fault_server, tmp_path):
    url = fault_server.add("/big.csv", stream(endless()))
    before = open_fds()
    tracemalloc.start()
    try:
        error, took = failure(fetch, url, tmp_path / "big.csv", policy=POLICY)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert error.reason == Reason.TOO_LARGE and "more than 4 MB (the portal's fetch_max_bytes)" in error.message
    assert took < 2 and peak < 2 * MB and leftovers(tmp_path) == []
    assert settles_to(before)


def test_h5_announced_length_over_the_cap_is_refused_before_reading(fault_server):
    url = fault_server.add("/huge", stream(endless(), headers={"Content-Length": str(5 * 10**9)}))
    error, took = failure(fetch_bytes, url, policy=POLICY)
    assert error.reason == Reason.TOO_LARGE and "announced 5,000 MB" in error.message and took < 1


def test_h6_gzip_bomb_of_1_gb_is_cut_on_decoded_bytes_with_bounded_memory(fault_server, tmp_path):
    url = fault_server.add("/bomb.csv", stream(gzip_bomb(1024), headers={"Content-Encoding": "gzip"}))
    tracemalloc.start()
    try:
        error, took = failure(fetch, url, tmp_path / "bomb.csv", policy=POLICY)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert error.reason == Reason.TOO_LARGE and "4 MB" in error.message
    assert took < 2 and peak < 4 * MB and leftovers(tmp_path) == []


def test_h6_gzip_bomb_through_fetch_bytes_holds_at_most_the_cap(fault_server):
    url = fault_server.add("/bomb.json", stream(gzip_bomb(1024), headers={"Content-Encoding": "gzip"}, chunked=True))
    tracemalloc.start()
    try:
        error, _ = failure(fetch_json, url, policy=POLICY)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert error.reason == Reason.TOO_LARGE and peak < 3 * POLICY.max_bytes


@pytest.mark.parametrize("encoding", ["gzip, gzip", "gzip,deflate", "br", "zstd", "compress"])
def test_h6_stacked_or_unknown_encodings_are_refused(fault_server, encoding):
    url = fault_server.add("/enc", respond(200, gzip.compress(gzip.compress(CSV)), {"Content-Encoding": encoding}))
    error, _ = failure(fetch_bytes, url, policy=POLICY)
    assert error.reason == Reason.UNEXPECTED_CONTENT_TYPE
    assert ("several times" if "," in encoding else "did not ask for") in error.message


@pytest.mark.parametrize(
    "encoding,body",
    [
        ("gzip", gzip.compress(CSV)),
        ("x-gzip", gzip.compress(CSV[:5]) + gzip.compress(CSV[5:])),  # two concatenated members
        ("deflate", zlib.compress(CSV)),
        ("deflate", zlib.compress(CSV)[2:-4]),  # raw deflate, as some servers send it
        ("identity", CSV),
    ],
    ids=["gzip", "x-gzip-two-members", "zlib-deflate", "raw-deflate", "identity"],  # gzip bytes carry a time
)
def test_h6_honest_compressed_bodies_are_decoded(fault_server, tmp_path, encoding, body):
    url = fault_server.add("/z.csv", respond(200, body, {"Content-Encoding": encoding}))
    got = fetch(url, tmp_path / "z.csv", policy=POLICY, expect="csv")
    assert got.path.read_bytes() == CSV and got.bytes == len(CSV)


def test_h6_cut_gzip_stream_is_truncated(fault_server):
    url = fault_server.add("/half", respond(200, gzip.compress(CSV * 100)[:-20], {"Content-Encoding": "gzip"}))
    assert failure(fetch_bytes, url, policy=POLICY)[0].reason == Reason.TRUNCATED_BODY


# --- H8: HTML where data was expected ---------------------------------------------


HTML = b"<!DOCTYPE html><html><body>Please log in</body></html>"


@pytest.mark.parametrize(
    "body,content_type,expect",
    [
        (HTML, "text/html; charset=utf-8", "csv"),
        (b"id,name\n1,a\n", "text/html", "csv"),  # the header alone is enough
        (HTML, "text/csv", "csv"),
        (b"\xef\xbb\xbf \r\n\t<!doctype HTML>\n<p>Service unavailable", "application/octet-stream", "csv"),
        (b"<HTML><head><title>Captive portal</title>", None, "json"),
        (b"<!-- login --><html>", "application/json", "json"),
        (b"id,name\n1,a\n", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"),
    ],
)
def test_h8_html_or_wrong_magic_is_unexpected_content_type(fault_server, tmp_path, body, content_type, expect):
    headers = {"Content-Type": content_type} if content_type else {}
    url = fault_server.add("/data", respond(200, body, headers))
    error, _ = failure(fetch, url, tmp_path / "data", policy=POLICY, expect=expect)
    assert error.reason == Reason.UNEXPECTED_CONTENT_TYPE and leftovers(tmp_path) == []


def test_h8_fetch_json_sniffs_too_and_real_xlsx_passes(fault_server, tmp_path):
    url = fault_server.add("/j", respond(200, HTML, {"Content-Type": "application/json"}))
    assert failure(fetch_json, url, policy=POLICY)[0].reason == Reason.UNEXPECTED_CONTENT_TYPE
    url = fault_server.add("/x.xlsx", respond(200, b"PK\x03\x04" + b"\0" * 2000))
    assert fetch(url, tmp_path / "x.xlsx", policy=POLICY, expect="xlsx").bytes == 2004
    url = fault_server.add("/lt.csv", respond(200, b"<b>,c\n1,2\n"))  # a CSV may start with "<"
    assert fetch(url, tmp_path / "lt.csv", policy=POLICY, expect="csv").bytes == 10


# --- H9: redirects ----------------------------------------------------------------


def test_h9_redirect_loop(fault_server):
    fault_server.add("/a", redirect("/b"))
    url = fault_server.add("/b", redirect("/a", 301))
    error, took = failure(fetch_bytes, url, policy=POLICY)
    assert error.reason == Reason.REDIRECT_LOOP and "already visited" in error.message and took < 1


def test_h9_long_chain_stops_at_max_redirects(fault_server):
    for i in range(25):
        fault_server.add(f"/hop{i}", redirect(f"/hop{i + 1}", (301, 302, 303, 307, 308)[i % 5]))
    error, _ = failure(fetch_bytes, fault_server.url("/hop0"), policy=POLICY)
    assert error.reason == Reason.REDIRECT_LOOP and "more than 5 times" in error.message
    assert fault_server.hits("/hop5") == 1 and fault_server.hits("/hop6") == 0


def test_h9_short_chain_is_followed(fault_server):
    fault_server.add("/r1", redirect("/r2"))
    fault_server.add("/r2", redirect(fault_server.url("/final.json"), 308))
    fault_server.add("/final.json", respond(200, b"[]"))
    got = fetch_bytes(fault_server.url("/r1"), policy=POLICY)
    assert got.url.endswith("/final.json") and got.body == b"[]"


# --- H10: destinations ------------------------------------------------------------


def test_h10_loopback_canary_gets_no_connection_by_default(fault_server, tmp_path):
    url = fault_server.add("/secret", respond(200, b"internal"))
    error, took = failure(fetch, url, tmp_path / "x", policy=GUARDED)
    assert error.reason == Reason.DESTINATION_BLOCKED and "127.0.0.1" in error.message and took < 0.5
    assert fault_server.accepted == 0 and fault_server.requests == []


BLOCKED = [
    "http://169.254.169.254/latest/meta-data/",
    "http://[::ffff:127.0.0.1]/",
    "http://[::ffff:169.254.169.254]/",
    "http://0.0.0.0/",
    "http://2130706433/",  # 127.0.0.1 as one number
    "http://0x7f.1/",
    "http://[fd00::1]/",
    "http://[::1]/",
    "http://10.0.0.5/",
    "http://172.16.1.1/",
    "http://192.168.1.1/",
    "http://100.64.0.1/",
    "http://224.0.0.1/",
    "http://[fe80::1]/",
    "http://[64:ff9b::a00:5]/",  # NAT64 of 10.0.0.5
    "http://[2002:7f00:1::]/",  # 6to4 of 127.0.0.1
]


@pytest.mark.parametrize("url", BLOCKED)
def test_h10_forbidden_destinations_are_refused_before_connecting(url, monkeypatch):
    connects: list = []
    real_connect = netguard.httpcore.SyncBackend.connect_tcp
    monkeypatch.setattr(
        netguard.httpcore.SyncBackend, "connect_tcp", lambda *a, **k: connects.append(a) or real_connect(*a, **k)
    )
    error, took = failure(fetch_bytes, url, policy=GUARDED)
    assert error.reason == Reason.DESTINATION_BLOCKED and took < 0.5 and connects == []


@pytest.mark.parametrize("url", ["http://169.254.169.254/latest/meta-data/", "http://[fe80::1]/"])
def test_h10_link_local_stays_refused_when_private_networks_are_allowed(url):
    assert failure(fetch_bytes, url, policy=POLICY)[0].reason == Reason.DESTINATION_BLOCKED


def test_h10_address_policy_table():
    allowed_public = ["93.184.216.34", "2606:2800:220:1::1", "8.8.8.8"]
    for ip in allowed_public:
        assert netguard.refusal(ip, False) is None, ip
    for ip in [
        "127.0.0.1",
        "::1",
        "10.1.2.3",
        "100.64.0.1",
        "fc00::1",
        "fd12::1",
        "ff02::1",
        "0.1.2.3",
        "::ffff:10.0.0.1",
        "::ffff:127.0.0.1",
        "169.254.169.254",
        "fe80::1%1",
        "192.0.2.1",
    ]:
        assert netguard.refusal(ip, False), ip
    assert netguard.refusal("127.0.0.1", True) is None and netguard.refusal("10.0.0.5", True) is None
    assert netguard.refusal("169.254.169.254", True) and netguard.refusal("::ffff:169.254.169.254", True)


@pytest.fixture
def pretend_public(monkeypatch):
    """127.0.0.1 stands for a public server; every other address gets the real policy (private refused)."""
    real = netguard.refusal
    monkeypatch.setattr(netguard, "refusal", lambda ip, allow: None if ip == "127.0.0.1" else real(ip, allow))


def _canary(port: int = 0) -> FaultServer:
    try:
        return FaultServer(host="127.0.0.2", port=port)
    except OSError as e:
        pytest.skip(f"cannot listen on 127.0.0.2:{port} for the canary: {e}")


@pytest.mark.parametrize("status", [301, 302, 307, 308])
def test_h10_redirect_to_an_internal_canary_never_reaches_it(fault_server, pretend_public, status):
    canary = _canary()
    try:
        canary.add("/latest/meta-data/", respond(200, b"iam-credentials"))
        url = fault_server.add("/r", redirect(canary.url("/latest/meta-data/"), status))
        error, took = failure(fetch_bytes, url, policy=GUARDED)
        assert error.reason == Reason.DESTINATION_BLOCKED and "127.0.0.2" in error.message and took < 0.5
        assert fault_server.hits("/r") == 1 and canary.accepted == 0 and canary.requests == []
    finally:
        canary.close()


# Under ``pretend_public`` 127.0.0.1 itself passes, so these name other internal addresses.
REDIRECT_BLOCKED = [
    "http://169.254.169.254/latest/meta-data/",
    "http://[::ffff:127.0.0.2]/",
    "http://0.0.0.0/",
    "http://2130706434/",
    "http://0x7f.2/",
    "http://[fd00::1]/",
    "http://[::1]/",
    "http://10.0.0.5/",
]


@pytest.mark.parametrize("target", REDIRECT_BLOCKED)
def test_h10_redirect_hops_to_forbidden_addresses_are_refused(fault_server, pretend_public, target):
    url = fault_server.add("/r", redirect(target))
    error, took = failure(fetch_bytes, url, policy=GUARDED)
    assert error.reason == Reason.DESTINATION_BLOCKED and took < 0.5


def test_h10_dns_rebinding_is_checked_on_the_connected_address(fault_server, pretend_public, monkeypatch):
    """rebind.test answers 127.0.0.1 ("public") first and 127.0.0.2 (internal) next: the second connection is refused."""
    canary = _canary(fault_server.port)
    answers = iter(["127.0.0.1", "127.0.0.2", "127.0.0.2"])
    real_getaddrinfo = socket.getaddrinfo

    def fake_getaddrinfo(host, port, *args, **kwargs):
        if host == "rebind.test":
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (next(answers), port))]
        return real_getaddrinfo(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", fake_getaddrinfo)
    try:
        fault_server.add("/first", redirect("/second"))
        canary.add("/second", respond(200, b"internal"))
        fault_server.add("/second", respond(200, b"public"))
        error, _ = failure(fetch_bytes, f"http://rebind.test:{fault_server.port}/first", policy=GUARDED)
        assert error.reason == Reason.DESTINATION_BLOCKED and "rebind.test resolves to 127.0.0.2" in error.message
        assert fault_server.requests[0].headers["host"] == f"rebind.test:{fault_server.port}"  # the name, not the IP
        assert canary.accepted == 0 and fault_server.hits("/second") == 0
    finally:
        canary.close()


def test_h10_a_name_with_any_forbidden_answer_is_refused(fault_server, pretend_public, monkeypatch):
    real_getaddrinfo = socket.getaddrinfo

    def fake_getaddrinfo(host, port, *args, **kwargs):
        if host == "mixed.test":
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (ip, port)) for ip in ("127.0.0.1", "10.0.0.5")]
        return real_getaddrinfo(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", fake_getaddrinfo)
    fault_server.add("/x", respond(200, b"{}"))
    error, _ = failure(fetch_bytes, f"http://mixed.test:{fault_server.port}/x", policy=GUARDED)
    assert error.reason == Reason.DESTINATION_BLOCKED and fault_server.accepted == 0


# --- H11: schemes -----------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "ftp://example.org/x.csv",
        "gopher://example.org/",
        "data:text/csv,a%0A1",
        "\\\\host\\share\\x.csv",
        "javascript:alert(1)",
        "//example.org/x",
        "/etc/passwd",
        "http:///nohost",
        "ws://example.org/",
    ],
)
def test_h11_schemes_other_than_http_are_blocked(url, tmp_path):
    error, took = failure(fetch, url, tmp_path / "x", policy=GUARDED)
    assert error.reason == Reason.SCHEME_BLOCKED and took < 0.2 and leftovers(tmp_path) == []


@pytest.mark.parametrize("target", ["file:///etc/passwd", "ftp://example.org/", "gopher://127.0.0.1:70/", "data:,x"])
def test_h11_redirect_to_another_scheme_is_blocked(fault_server, target):
    url = fault_server.add("/r", redirect(target))
    error, _ = failure(fetch_bytes, url, policy=POLICY)
    assert error.reason == Reason.SCHEME_BLOCKED and "redirected from" in error.message


# --- H14, H16: JSON ---------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        b'{"a": [1, 2',
        b'{"a": NaN}',
        b"[Infinity]",
        b"[-Infinity]",
        b"\xff\xfe{}",
        b"[" * 100_000 + b"]" * 100_000,
        b"",
        b"{'a': 1}",
    ],
    ids=["truncated", "nan", "inf", "-inf", "not-utf8", "deep", "empty", "single-quotes"],
)
def test_h14_malformed_json_is_invalid_json(fault_server, body):
    url = fault_server.add("/j", respond(200, body, {"Content-Type": "application/json"}))
    error, _ = failure(fetch_json, url, policy=POLICY)
    assert error.reason == Reason.INVALID_JSON and url in error.message


def test_h14_top_level_scalar_is_returned_and_huge_string_is_capped(fault_server):
    url = fault_server.add("/n", respond(200, b"42"))
    assert fetch_json(url, policy=POLICY) == 42
    url = fault_server.add(
        "/s", stream(lambda: iter([b'"'] + [b"a" * 65536] * 200), headers={"Content-Type": "application/json"})
    )
    assert failure(fetch_json, url, policy=POLICY)[0].reason == Reason.TOO_LARGE


def test_h16_json_with_a_bom(fault_server):
    url = fault_server.add("/bom.json", respond(200, '\ufeff{"نام": "شفاف"}'.encode("utf-8")))
    assert fetch_json(url, policy=POLICY) == {"نام": "شفاف"}


# --- H20: TLS ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def certificate(tmp_path_factory) -> tuple[Path, Path]:
    """A self-signed certificate for the name localhost only (no IP in it)."""
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    try:
        import datetime

        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.x509.oid import NameOID

        private = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
        now = datetime.datetime.now(datetime.UTC)
        built = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(private.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(private, hashes.SHA256())
        )
        cert.write_bytes(built.public_bytes(serialization.Encoding.PEM))
        key.write_bytes(
            private.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        )
    except ImportError:
        try:
            subprocess.run(
                [
                    "openssl",
                    "req",
                    "-x509",
                    "-newkey",
                    "ec",
                    "-pkeyopt",
                    "ec_paramgen_curve:prime256v1",
                    "-nodes",
                    "-days",
                    "1",
                    "-subj",
                    "/CN=localhost",
                    "-addext",
                    "subjectAltName=DNS:localhost",
                    "-keyout",
                    str(key),
                    "-out",
                    str(cert),
                ],
                check=True,
                capture_output=True,
                timeout=30,
            )
        except (OSError, subprocess.SubprocessError) as e:
            pytest.skip(f"neither the cryptography package nor the openssl command can make a test certificate: {e}")
    return cert, key


@pytest.fixture
def https_server(certificate):
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*certificate)
    server = FaultServer(tls=context, url_host="localhost")
    server.add("/a.csv", respond(200, CSV, {"Content-Type": "text/csv"}))
    yield server
    server.close()


def test_h20_self_signed_certificate_is_a_tls_error(https_server, tmp_path):
    error, took = failure(fetch, https_server.url("/a.csv"), tmp_path / "a.csv", policy=POLICY)
    assert error.reason == Reason.TLS_ERROR and "certificate" in error.message and took < 1
    assert https_server.requests == [] and leftovers(tmp_path) == []


def test_h20_wrong_host_is_a_tls_error_even_with_the_ca_trusted(https_server, certificate):
    policy = dataclasses.replace(POLICY, ca_bundle=str(certificate[0]))
    error, _ = failure(fetch_bytes, f"https://127.0.0.1:{https_server.port}/a.csv", policy=policy)
    assert error.reason == Reason.TLS_ERROR and "127.0.0.1" in error.message and https_server.requests == []


def test_h20_trusted_ca_verifies_the_host_name_while_connecting_to_the_checked_ip(https_server, certificate, tmp_path):
    policy = dataclasses.replace(POLICY, ca_bundle=str(certificate[0]))
    got = fetch(https_server.url("/a.csv"), tmp_path / "a.csv", policy=policy, expect="csv")
    assert got.path.read_bytes() == CSV and https_server.requests[0].headers["host"].startswith("localhost:")
