"""The one guarded fetch: every byte Shafaf reads from a network comes through here.

httpx alone is not enough for harvesting from servers we do not control
(see docs/reliability.md): its timeouts are per operation, it caps neither body
size nor decompression, it retries only connection errors, and it follows
redirects anywhere. ``fetch`` adds a total deadline, a byte cap after
decompression, retries with backoff, a scheme allow-list, a destination check
on the address actually connected to at every redirect hop, conditional
requests and a content sniff. Failures raise ``HarvestError`` with a
``Reason`` (or ``http_<status>``), the redacted URL and the last status.

INTERFACE CONTRACT (other modules code against this; keep it stable):

    policy = FetchPolicy.from_portal(registry.portal)
    got = fetch(url, dest_path, policy=policy, headers={...}, expect="csv",
                validators=Validators(etag=..., last_modified=...))
    got.not_modified  -> True on 304 (dest_path not written)
    got.path, got.bytes, got.sha256, got.status, got.url (final, redacted),
    got.content_type, got.etag, got.last_modified

    data = fetch_json(url, policy=policy, headers={...}, params={...})
    -> parsed JSON (bounded by policy.max_bytes; invalid JSON -> reason invalid_json)

    resp = fetch_bytes(url, policy=policy, headers=..., params=..., raise_for_status=False)
    -> Response(status, headers, body: bytes, url) for callers that must read
       error envelopes themselves (the CKAN adapter).

    resp = post_json(url, payload, policy=policy)
    -> Response of a JSON POST (the portal's webhook); redirects are not followed

    redact(url) -> the URL without user:pass@ and without secret-looking query values
                   (registry.redact_url; one function serves run records and errors).

Faults and their reasons:

    timeout                 no answer (or a stalled body) within read/connect timeout, after retries
    deadline_exceeded       the fetch's total deadline (retries, redirects and body included) passed
    connection_error        refused, reset, unresolvable, or closed before any response, after retries
    tls_error               certificate not trusted, wrong host, handshake failure (never retried)
    http_<status>           final 4xx/5xx (4xx never retried; 429/5xx after retries)
    too_large               more than max_bytes after decompression (or announced by Content-Length)
    truncated_body          connection closed before Content-Length / the last chunk, or a damaged
                            or unfinished gzip/deflate stream
    destination_blocked     a host resolving to a forbidden address, at any hop (see netguard)
    scheme_blocked          not http(s), no host, or unparseable, at any hop
    redirect_loop           a hop revisits an address, or more than max_redirects hops
    unexpected_content_type HTML where data was expected, xlsx without the zip signature, and
                            stacked (``gzip, gzip``) or unknown (br, zstd...) Content-Encoding
    invalid_json            fetch_json only: bad UTF-8, syntax, NaN/Infinity, nesting too deep
    internal                a caller-supplied header that cannot be sent (its value is never shown)

Retries (connection errors, timeouts before the headers, 429, 5xx) use
exponential backoff with full jitter, or Retry-After capped by
retry_after_cap_s; a wait that would not end before the deadline is not
taken and the last failure is reported instead. Secret-looking headers are
dropped when a redirect leaves the origin.
"""

from __future__ import annotations

import dataclasses
import email.utils
import functools
import hashlib
import json
import os
import random
import ssl
import tempfile
import time
import zlib
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Mapping
from urllib.parse import urljoin, urlsplit

import certifi
import httpcore
import httpx

from shafaf.core import jsonguard
from shafaf.harvest.net import netguard
from shafaf.core.errors import HarvestError
from shafaf.core.models import Reason, http_reason
from shafaf.config.registry import SECRET_HEADER, Portal, redact_url as redact
from shafaf.core import durable

MB = 1_000_000
CHUNK = 64 * 1024  # most bytes one decompression step may produce
SNIFF_BYTES = 1024
REDIRECTS = (301, 302, 303, 307, 308)
USER_AGENT = "Shafaf-harvester (+https://github.com/shafaf)"


@dataclasses.dataclass(frozen=True)
class FetchPolicy:
    """Limits of one fetch; made from the portal's settings."""

    deadline_s: float = 120.0  # total wall-clock per fetch, retries and redirects included
    max_bytes: int = 200 * MB  # decoded (after decompression) bytes
    connect_timeout_s: float = 10.0
    read_timeout_s: float = 30.0
    retries: int = 3  # extra attempts on connection errors, 429 and 5xx
    backoff_s: float = 0.5  # base of the exponential backoff, with full jitter
    retry_after_cap_s: float = 30.0
    max_redirects: int = 5
    allow_private_networks: bool = False  # link-local (169.254/16, fe80::/10) stays refused even when True
    allowed_schemes: tuple[str, ...] = ("https", "http")
    ca_bundle: str | None = None  # a reviewed per-agency CA file; None means the certifi bundle. Never "no verification".

    @classmethod
    def from_portal(cls, portal: Portal) -> "FetchPolicy":
        return cls(
            deadline_s=portal.fetch_deadline_s,
            max_bytes=portal.fetch_max_bytes,
            connect_timeout_s=portal.fetch_connect_timeout_s,
            read_timeout_s=portal.fetch_read_timeout_s,
            retries=portal.fetch_retries,
            allow_private_networks=portal.allow_private_networks,
        )


@dataclasses.dataclass(frozen=True)
class Validators:
    """What the last successful fetch of a URL answered, for a conditional request."""

    etag: str | None = None
    last_modified: str | None = None


@dataclasses.dataclass(frozen=True)
class Fetched:
    url: str  # final URL after redirects, redacted
    status: int
    path: Path | None  # None when not_modified
    bytes: int
    sha256: str | None
    content_type: str | None
    etag: str | None
    last_modified: str | None
    not_modified: bool = False


@dataclasses.dataclass(frozen=True)
class Response:
    url: str
    status: int
    headers: Mapping[str, str]
    body: bytes


# --- public functions ----------------------------------------------------------


def fetch(
    url: str,
    dest: Path,
    *,
    policy: FetchPolicy,
    headers: Mapping[str, str] | None = None,
    params: Mapping[str, Any] | None = None,
    expect: str | None = None,
    validators: Validators | None = None,
) -> Fetched:
    """Download ``url`` into ``dest``; ``dest`` appears only once the whole, checked body has arrived."""
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=dest.parent, prefix=f".{dest.name}.", suffix=".part")
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as out:
            got = _exchange(url, policy, headers, params, validators, expect, out.write, raise_for_status=True)
            out.flush()
            os.fsync(out.fileno())
        if got.status == 304:
            tmp.unlink()
            return Fetched(got.url, 304, None, 0, None, got.content_type, got.etag, got.last_modified, not_modified=True)
        tmp.chmod(0o644)  # mkstemp makes it 0600; the raw file is as readable as any we write
        durable.replace(tmp, dest)  # and the rename made durable
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return Fetched(got.url, got.status, dest, got.size, got.sha256, got.content_type, got.etag, got.last_modified)


def fetch_bytes(
    url: str,
    *,
    policy: FetchPolicy,
    headers: Mapping[str, str] | None = None,
    params: Mapping[str, Any] | None = None,
    raise_for_status: bool = True,
) -> Response:
    """The body in memory (bounded by max_bytes); with raise_for_status=False, 4xx/5xx come back too."""
    body = bytearray()
    got = _exchange(url, policy, headers, params, None, None, body.extend, raise_for_status=raise_for_status)
    return Response(got.url, got.status, got.headers, bytes(body))


def fetch_json(
    url: str,
    *,
    policy: FetchPolicy,
    headers: Mapping[str, str] | None = None,
    params: Mapping[str, Any] | None = None,
) -> Any:
    """Parsed JSON of ``url``; a BOM is fine, NaN/Infinity and absurd nesting are ``invalid_json``."""
    body = bytearray()
    got = _exchange(url, policy, headers, params, None, "json", body.extend, raise_for_status=True)
    return parse_json(bytes(body), what=f"the answer of {got.url}", url=got.url, status=got.status)


def post_json(url: str, payload: Any, *, policy: FetchPolicy) -> Response:
    """POST ``payload`` as JSON with the same guards and deadline; a redirect or non-2xx answer is a HarvestError."""
    body = bytearray()
    content = json.dumps(payload, ensure_ascii=False, sort_keys=True).encode("utf-8")
    got = _exchange(url, policy, {"Content-Type": "application/json"}, None, None, None, body.extend,
                    raise_for_status=True, method="POST", content=content)
    return Response(got.url, got.status, got.headers, bytes(body))


def parse_json(body: bytes, *, what: str, url: str | None = None, status: int | None = None) -> Any:
    """Strict JSON from bytes through ``jsonguard``: a BOM is fine; bad UTF-8, NaN/Infinity, numbers
    no parser reads faithfully and nesting past ``jsonguard.MAX_DEPTH`` are ``invalid_json``.

    The one parser for every JSON answer (fetch_json, data package
    descriptors, API pages), so they all refuse the same things.
    """
    try:
        return jsonguard.loads(body)
    except jsonguard.InvalidJson as e:
        raise HarvestError(Reason.INVALID_JSON, f"{what} {e.problem}", url=url, status=status) from None


# --- one exchange: redirects, retries, body --------------------------------------


@dataclasses.dataclass
class _Got:
    url: str
    status: int
    headers: httpx.Headers
    size: int = 0
    sha256: str | None = None

    @property
    def content_type(self) -> str | None:
        return self.headers.get("content-type")

    @property
    def etag(self) -> str | None:
        return self.headers.get("etag")

    @property
    def last_modified(self) -> str | None:
        return self.headers.get("last-modified")


class _Clock:
    """The fetch's total deadline, on the monotonic clock."""

    def __init__(self, seconds: float):
        self.seconds = seconds
        self.at = time.monotonic() + seconds

    def left(self) -> float:
        return self.at - time.monotonic()

    def timeout(self, policy: FetchPolicy) -> httpx.Timeout:
        left = max(self.left(), 0.001)
        read = min(policy.read_timeout_s, left)
        return httpx.Timeout(connect=min(policy.connect_timeout_s, left), read=read, write=read, pool=read)


def _exchange(
    url: str,
    policy: FetchPolicy,
    headers: Mapping[str, str] | None,
    params: Mapping[str, Any] | None,
    validators: Validators | None,
    expect: str | None,
    sink: Callable[[bytes], Any],
    *,
    raise_for_status: bool,
    method: str = "GET",
    content: bytes | None = None,
) -> _Got:
    clock = _Clock(policy.deadline_s)
    expect = expect.lower() if expect else None
    current = _checked_url(url, policy, params=params)
    request_headers = _request_headers(headers, validators, current)
    backend = netguard.GuardedBackend(allow_private=policy.allow_private_networks, deadline_at=clock.at)
    seen = {str(current)}
    with _transport(policy, backend) as transport:
        while True:
            response = _send(transport, current, request_headers, policy, clock, method=method, content=content)
            location = response.headers.get("location")
            if response.status_code not in REDIRECTS or location is None or method != "GET":
                break
            response.close()
            target = _checked_url(urljoin(str(current), location.strip()), policy, came_from=current)
            if str(target) in seen or len(seen) > policy.max_redirects:
                what = "back to an address it already visited" if str(target) in seen else f"more than {policy.max_redirects} times"
                raise HarvestError(Reason.REDIRECT_LOOP, f"{redact(url)} redirected {what} (last hop {redact(str(target))})",
                                   url=redact(str(target)), status=response.status_code)
            seen.add(str(target))
            if (target.scheme, target.host, target.port) != (current.scheme, current.host, current.port):
                request_headers = _without_secrets(request_headers)
            current = target
        try:
            got = _Got(redact(str(response.url)), response.status_code, httpx.Headers(response.headers))
            if response.status_code == 304 and validators is not None:
                return got
            if not 200 <= response.status_code < 300 and raise_for_status:
                raise HarvestError(http_reason(response.status_code),
                                   f"{got.url} answered HTTP {response.status_code} {response.reason_phrase}".rstrip(),
                                   url=got.url, status=response.status_code)
            if expect:
                _check_content_type(got, expect)
            got.size, got.sha256 = _read_body(response, got, policy, clock, expect, sink)
            return got
        finally:
            response.close()


def _transport(policy: FetchPolicy, backend: netguard.GuardedBackend) -> httpx.HTTPTransport:
    """An httpx transport whose connections all go through ``backend``; env proxies and netrc are ignored.

    We send through the transport, not httpx.Client: the client parses every
    redirect Location even when not following it (and raises on odd ones),
    while we want to check each hop ourselves.
    """
    context = _tls_context(policy.ca_bundle)
    transport = httpx.HTTPTransport(verify=context, trust_env=False)
    # httpx 0.28 has no public way to choose the network backend (encode/httpx#3180), so we
    # swap the pool for one built with httpcore's public constructor. Fail closed if that
    # attribute ever changes: a silently unused guard would be worse than no fetch.
    if not isinstance(getattr(transport, "_pool", None), httpcore.ConnectionPool):
        raise RuntimeError("this httpx version keeps its connection pool elsewhere; the destination guard cannot be installed")
    transport._pool = httpcore.ConnectionPool(ssl_context=context, network_backend=backend, max_connections=4)
    return transport


@functools.lru_cache(maxsize=8)
def _tls_context(ca_bundle: str | None) -> ssl.SSLContext:
    """Verifying context (certifi, or a reviewed CA file); built once, loading a bundle is slow."""
    context = ssl.create_default_context(cafile=ca_bundle or certifi.where())
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    return context


def _checked_url(url: str, policy: FetchPolicy, *, params: Mapping[str, Any] | None = None,
                 came_from: httpx.URL | None = None) -> httpx.URL:
    """The URL if its scheme is allowed and it names a host; ``scheme_blocked`` otherwise."""
    where = f" (redirected from {redact(str(came_from))})" if came_from is not None else ""
    try:
        scheme = urlsplit(url).scheme.lower()
    except ValueError:
        scheme = ""
    if scheme not in policy.allowed_schemes:
        shown = f"{scheme}:" if scheme else "no scheme"
        raise HarvestError(Reason.SCHEME_BLOCKED,
                           f"{redact(url)}{where} uses {shown}; only {', '.join(policy.allowed_schemes)} addresses are fetched",
                           url=redact(url))
    try:
        parsed = httpx.URL(url)
        if params:
            parsed = parsed.copy_merge_params(params)
    except (httpx.InvalidURL, TypeError) as e:
        raise HarvestError(Reason.SCHEME_BLOCKED, f"{redact(url)}{where} is not a valid address", url=redact(url)) from e
    if not parsed.host:
        raise HarvestError(Reason.SCHEME_BLOCKED, f"{redact(url)}{where} names no host", url=redact(url))
    return parsed


def _request_headers(headers: Mapping[str, str] | None, validators: Validators | None, url: httpx.URL) -> httpx.Headers:
    out = httpx.Headers({"User-Agent": USER_AGENT, "Accept": "*/*"})
    for name, value in (headers or {}).items():
        if not (_printable(str(value)) and _printable(str(name)) and ":" not in str(name) and " " not in str(name)):
            # Never echo the value: it is likely a token (httpx and h11 would put it in their exception).
            raise HarvestError(Reason.INTERNAL, f"request header {name!r} for {redact(str(url))} has an invalid name or value",
                               url=redact(str(url)))
        out[str(name)] = str(value)
    # Only what we decode ourselves, with a bound on the expansion (no br, no zstd).
    out["Accept-Encoding"] = "gzip, deflate"
    if validators is not None and validators.etag:
        out["If-None-Match"] = validators.etag
    if validators is not None and validators.last_modified:
        out["If-Modified-Since"] = validators.last_modified
    return out


def _printable(text: str) -> bool:
    return text.isascii() and all(c == "\t" or " " <= c < "\x7f" for c in text)


def _without_secrets(headers: httpx.Headers) -> httpx.Headers:
    """Headers safe to send to another origin: no credentials meant for the first one."""
    return httpx.Headers({k: v for k, v in headers.items() if not SECRET_HEADER.search(k)})


def _send(transport: httpx.HTTPTransport, url: httpx.URL, headers: httpx.Headers, policy: FetchPolicy, clock: _Clock,
          *, method: str = "GET", content: bytes | None = None) -> httpx.Response:
    """One hop with retries; returns the open response (possibly a 429/5xx once retries are spent)."""
    attempt = 0
    while True:
        if clock.left() <= 0:
            raise _deadline(url, clock)
        request = httpx.Request(method, url, headers=headers, content=content,
                                extensions={"timeout": clock.timeout(policy).as_dict()})
        try:
            response = transport.handle_request(request)
            response.request = request
        except netguard.DestinationBlocked as e:
            raise HarvestError(Reason.DESTINATION_BLOCKED,
                               f"{redact(str(url))} was not fetched: {e}",
                               url=redact(str(url))) from e
        except netguard.DeadlineReached as e:
            raise _deadline(url, clock) from e
        except httpx.TransportError as e:
            failure = _transport_failure(e, url, clock, attempt)
            if failure.reason in (Reason.TIMEOUT, Reason.CONNECTION_ERROR) and _pause(policy, clock, attempt, None):
                attempt += 1
                continue
            raise failure from e
        status = response.status_code
        if (status == 429 or status >= 500) and attempt < policy.retries:
            if _pause(policy, clock, attempt, response.headers.get("retry-after")):
                response.close()
                attempt += 1
                continue
        return response


def _pause(policy: FetchPolicy, clock: _Clock, attempt: int, retry_after: str | None) -> bool:
    """Sleep before the next attempt; False when no attempt is left or it could not finish in time."""
    if attempt >= policy.retries:
        return False
    asked = _retry_after_seconds(retry_after)
    if asked is not None:
        delay = min(asked, policy.retry_after_cap_s)
    else:
        delay = random.uniform(0, policy.backoff_s * 2**attempt)  # full jitter
    if delay >= clock.left() - 0.05:
        return False
    time.sleep(delay)
    return True


def _retry_after_seconds(value: str | None) -> float | None:
    """Retry-After as seconds from now: delta-seconds or an HTTP date; None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max((when - datetime.now(timezone.utc)).total_seconds(), 0.0)


def _deadline(url: httpx.URL, clock: _Clock) -> HarvestError:
    return HarvestError(Reason.DEADLINE_EXCEEDED,
                        f"{redact(str(url))} did not finish within {clock.seconds:g} s (the portal's fetch_deadline_s); gave up",
                        url=redact(str(url)))


def _transport_failure(e: httpx.TransportError, url: httpx.URL, clock: _Clock, attempt: int) -> HarvestError:
    """Name a failure before the response headers arrived; messages never carry header values."""
    shown = redact(str(url))
    tries = f" after {attempt + 1} attempts" if attempt else ""
    tls = _tls_cause(e)
    if tls is not None:
        detail = getattr(tls, "verify_message", None) or getattr(tls, "reason", None) or type(tls).__name__
        return HarvestError(Reason.TLS_ERROR, f"the TLS connection to {shown} failed: {detail}", url=shown)
    if isinstance(e, httpx.TimeoutException):
        if clock.left() <= 0:
            return _deadline(url, clock)
        return HarvestError(Reason.TIMEOUT, f"{shown} did not answer in time{tries}", url=shown)
    if isinstance(e, httpx.UnsupportedProtocol):
        return HarvestError(Reason.SCHEME_BLOCKED, f"{shown} could not be requested ({type(e).__name__})", url=shown)
    if isinstance(e, httpx.LocalProtocolError):
        return HarvestError(Reason.INTERNAL, f"the request for {shown} could not be sent ({type(e).__name__})", url=shown)
    if isinstance(e, httpx.RemoteProtocolError):
        return HarvestError(Reason.CONNECTION_ERROR, f"{shown} closed the connection or answered garbage{tries}", url=shown)
    cause = _root_os_error(e)
    detail = cause.strerror if cause is not None and cause.strerror else type(e).__name__
    return HarvestError(Reason.CONNECTION_ERROR, f"could not connect to {shown}{tries}: {detail}", url=shown)


def _tls_cause(e: BaseException) -> ssl.SSLError | None:
    seen: BaseException | None = e
    while seen is not None:
        if isinstance(seen, ssl.SSLError):
            return seen
        seen = seen.__cause__ or seen.__context__
    return None


def _root_os_error(e: BaseException) -> OSError | None:
    seen: BaseException | None = e
    while seen is not None:
        if isinstance(seen, OSError):
            return seen
        seen = seen.__cause__ or seen.__context__
    return None


# --- the body ------------------------------------------------------------------


def _read_body(response: httpx.Response, got: _Got, policy: FetchPolicy, clock: _Clock, expect: str | None,
               sink: Callable[[bytes], Any]) -> tuple[int, str]:
    """Stream raw bytes, decode them ourselves in bounded steps, count and sniff decoded bytes."""
    decoder = _decoder(got)
    length = response.headers.get("content-length", "")
    if decoder is None and length.isdigit() and int(length) > policy.max_bytes:
        raise _too_large(got, policy, f"announced {_size(int(length))}, more than")
    digest = hashlib.sha256()
    size = 0
    head = b""

    def take(piece: bytes) -> None:
        nonlocal size, head
        size += len(piece)
        if size > policy.max_bytes:
            raise _too_large(got, policy, "sent more than")
        if expect and len(head) < SNIFF_BYTES:
            head += piece[: SNIFF_BYTES - len(head)]
            if len(head) >= SNIFF_BYTES:
                _sniff(got, head, expect)
        digest.update(piece)
        sink(piece)

    try:
        for raw in response.iter_raw(CHUNK):
            if clock.left() <= 0:
                raise _deadline(response.url, clock)
            for piece in decoder.feed(raw) if decoder else (raw,):
                take(piece)
        for piece in decoder.finish() if decoder else ():
            take(piece)
    except netguard.DeadlineReached as e:
        raise _deadline(response.url, clock) from e
    except httpx.TimeoutException as e:
        if clock.left() <= 0:
            raise _deadline(response.url, clock) from e
        raise HarvestError(Reason.TIMEOUT, f"{got.url} stopped sending after {_size(size)}", url=got.url, status=got.status) from e
    except (httpx.RemoteProtocolError, httpx.ReadError) as e:
        raise HarvestError(Reason.TRUNCATED_BODY, f"{got.url} closed the connection before the whole body arrived "
                           f"({_size(size)} received)", url=got.url, status=got.status) from e
    except zlib.error as e:
        raise HarvestError(Reason.TRUNCATED_BODY, f"the compressed body of {got.url} is damaged", url=got.url, status=got.status) from e
    if expect and len(head) < SNIFF_BYTES:
        _sniff(got, head, expect)
    return size, digest.hexdigest()


class _Inflate:
    """zlib decompression in steps of at most CHUNK output bytes, so one chunk cannot explode in memory."""

    def __init__(self, encoding: str):
        self.encoding = encoding
        self.wbits = zlib.MAX_WBITS | 16 if encoding == "gzip" else zlib.MAX_WBITS
        self.inflater = zlib.decompressobj(self.wbits)
        self.started = False

    def feed(self, data: bytes):
        if not self.started and data and self.encoding == "deflate" and not _zlib_header(data):
            # Servers disagree on "deflate": raw deflate without the zlib wrapper is common.
            self.wbits = -zlib.MAX_WBITS
            self.inflater = zlib.decompressobj(self.wbits)
        self.started = self.started or bool(data)
        while data:
            if self.inflater.eof:
                if self.encoding != "gzip":
                    return  # bytes after the end of a deflate stream are ignored
                self.inflater = zlib.decompressobj(self.wbits)  # concatenated gzip members
            out = self.inflater.decompress(data, CHUNK)
            data = self.inflater.unconsumed_tail or (self.inflater.unused_data if self.inflater.eof else b"")
            if out:
                yield out

    def finish(self):
        while not self.inflater.eof:
            out = self.inflater.decompress(b"", CHUNK)
            if not out:
                break
            yield out
        if self.started and not self.inflater.eof:
            raise zlib.error("compressed stream ended early")


def _zlib_header(data: bytes) -> bool:
    return len(data) >= 2 and data[0] & 0x0F == 8 and (data[0] << 8 | data[1]) % 31 == 0


def _decoder(got: _Got) -> _Inflate | None:
    """The decoder for Content-Encoding; stacked or unknown encodings are refused, not guessed."""
    codings = [c.strip().lower() for c in got.headers.get("content-encoding", "").split(",")]
    codings = [c for c in codings if c and c != "identity"]
    if not codings:
        return None
    if len(codings) > 1:
        raise HarvestError(Reason.UNEXPECTED_CONTENT_TYPE,
                           f"{got.url} sent a body encoded several times ({', '.join(codings)}); refused",
                           url=got.url, status=got.status)
    coding = {"x-gzip": "gzip"}.get(codings[0], codings[0])
    if coding not in ("gzip", "deflate"):
        raise HarvestError(Reason.UNEXPECTED_CONTENT_TYPE,
                           f"{got.url} sent a body in the {codings[0]!r} encoding, which we did not ask for",
                           url=got.url, status=got.status)
    return _Inflate(coding)


def _check_content_type(got: _Got, expect: str) -> None:
    kind = (got.content_type or "").split(";", 1)[0].strip().lower()
    if kind in ("text/html", "application/xhtml+xml"):
        raise HarvestError(Reason.UNEXPECTED_CONTENT_TYPE,
                           f"{got.url} answered with a web page ({kind}) where a {expect} file was expected",
                           url=got.url, status=got.status)


def _sniff(got: _Got, head: bytes, expect: str) -> None:
    """Refuse a login page, captive portal or error page passed off as data."""
    if expect == "xlsx":
        if not head.startswith(b"PK\x03\x04"):
            raise HarvestError(Reason.UNEXPECTED_CONTENT_TYPE, f"{got.url} did not send an xlsx file (no zip signature)",
                               url=got.url, status=got.status)
        return
    text = head.removeprefix(b"\xef\xbb\xbf").lstrip().lower()
    if text.startswith(b"<") and (b"<!doctype html" in text or b"<html" in text):
        raise HarvestError(Reason.UNEXPECTED_CONTENT_TYPE, f"{got.url} sent a web page (HTML) where a {expect} file was expected",
                           url=got.url, status=got.status)


def _too_large(got: _Got, policy: FetchPolicy, what: str) -> HarvestError:
    return HarvestError(Reason.TOO_LARGE,
                        f"{got.url} {what} {_size(policy.max_bytes)} (the portal's fetch_max_bytes); stopped reading",
                        url=got.url, status=got.status)


def _size(n: int) -> str:
    if n >= MB and n % MB == 0:
        return f"{n // MB:,} MB"
    return f"{n:,} bytes"
