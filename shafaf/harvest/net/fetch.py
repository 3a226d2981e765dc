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

    resp = post(url, content, policy=policy, headers=..., raise_for_status=False)
    -> Response of any POST (an OAuth2 token request, a SOAP call)

Its parts: ``policy`` (the limits, the deadline's clock), ``tls`` (the
verifying context, a client certificate), ``attempts`` (one hop with
retries and the names of its failures), ``body`` (bounded decoding, the
sniff); credentials a service bus asks for are in ``auth``.

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
import json
import os
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx

from shafaf.config.registry import SECRET_HEADER
from shafaf.config.registry import redact_url as redact
from shafaf.core import durable, jsonguard
from shafaf.core.errors import HarvestError
from shafaf.core.models import Reason, http_reason
from shafaf.harvest.net import netguard
from shafaf.harvest.net.attempts import send
from shafaf.harvest.net.body import Got, check_content_type, read_body
from shafaf.harvest.net.policy import MB, Clock, FetchPolicy, Validators
from shafaf.harvest.net.tls import transport

__all__ = [
    "MB",
    "FetchPolicy",
    "Validators",
    "Fetched",
    "Response",
    "fetch",
    "fetch_bytes",
    "fetch_json",
    "post",
    "post_json",
    "parse_json",
    "redact",
]

REDIRECTS = (301, 302, 303, 307, 308)
USER_AGENT = "Shafaf-harvester (+https://github.com/shafaf)"


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
    link: str | None = None  # the Link header (RFC 8288), for APIs that page with rel="next"


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
            return Fetched(
                got.url, 304, None, 0, None, got.content_type, got.etag, got.last_modified, not_modified=True
            )
        tmp.chmod(0o644)  # mkstemp makes it 0600; the raw file is as readable as any we write
        durable.replace(tmp, dest)  # and the rename made durable
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return Fetched(
        got.url,
        got.status,
        dest,
        got.size,
        got.sha256,
        got.content_type,
        got.etag,
        got.last_modified,
        link=got.headers.get("link"),
    )


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
    url: str, *, policy: FetchPolicy, headers: Mapping[str, str] | None = None, params: Mapping[str, Any] | None = None
) -> Any:
    """Parsed JSON of ``url``; a BOM is fine, NaN/Infinity and absurd nesting are ``invalid_json``."""
    body = bytearray()
    got = _exchange(url, policy, headers, params, None, "json", body.extend, raise_for_status=True)
    return parse_json(bytes(body), what=f"the answer of {got.url}", url=got.url, status=got.status)


def post(
    url: str,
    content: bytes,
    *,
    policy: FetchPolicy,
    headers: Mapping[str, str] | None = None,
    raise_for_status: bool = True,
    expect: str | None = None,
) -> Response:
    """POST ``content`` with the same guards and deadline (a token request, a SOAP call); redirects are not followed.

    With raise_for_status=False a 4xx/5xx answer comes back, so a caller can
    read the error it carries (an OAuth2 ``error``, a SOAP fault).
    """
    body = bytearray()
    got = _exchange(
        url,
        policy,
        headers,
        None,
        None,
        expect,
        body.extend,
        raise_for_status=raise_for_status,
        method="POST",
        content=content,
    )
    return Response(got.url, got.status, got.headers, bytes(body))


def post_json(url: str, payload: Any, *, policy: FetchPolicy) -> Response:
    """POST ``payload`` as JSON with the same guards and deadline; a redirect or non-2xx answer is a HarvestError."""
    body = bytearray()
    content = json.dumps(payload, ensure_ascii=False, sort_keys=True).encode("utf-8")
    got = _exchange(
        url,
        policy,
        {"Content-Type": "application/json"},
        None,
        None,
        None,
        body.extend,
        raise_for_status=True,
        method="POST",
        content=content,
    )
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
) -> Got:
    clock = Clock(policy.deadline_s)
    expect = expect.lower() if expect else None
    current = _checked_url(url, policy, params=params)
    request_headers = _request_headers(headers, validators, current)
    backend = netguard.GuardedBackend(allow_private=policy.allow_private_networks, deadline_at=clock.at)
    seen = {str(current)}
    try:
        opened = transport(policy, backend)
    except HarvestError as e:  # an unreadable CA bundle or client certificate
        raise HarvestError(e.reason, f"{redact(url)} was not fetched: {e.message}", url=redact(url)) from None
    with opened as connection:
        while True:
            response = send(connection, current, request_headers, policy, clock, method=method, content=content)
            location = response.headers.get("location")
            if response.status_code not in REDIRECTS or location is None or method != "GET":
                break
            response.close()
            target = _checked_url(urljoin(str(current), location.strip()), policy, came_from=current)
            if str(target) in seen or len(seen) > policy.max_redirects:
                what = (
                    "back to an address it already visited"
                    if str(target) in seen
                    else f"more than {policy.max_redirects} times"
                )
                raise HarvestError(
                    Reason.REDIRECT_LOOP,
                    f"{redact(url)} redirected {what} (last hop {redact(str(target))})",
                    url=redact(str(target)),
                    status=response.status_code,
                )
            seen.add(str(target))
            if (target.scheme, target.host, target.port) != (current.scheme, current.host, current.port):
                request_headers = _without_secrets(request_headers)
            current = target
        try:
            got = Got(redact(str(response.url)), response.status_code, httpx.Headers(response.headers))
            if response.status_code == 304 and validators is not None:
                return got
            if not 200 <= response.status_code < 300 and raise_for_status:
                raise HarvestError(
                    http_reason(response.status_code),
                    f"{got.url} answered HTTP {response.status_code} {response.reason_phrase}".rstrip(),
                    url=got.url,
                    status=response.status_code,
                )
            if expect:
                check_content_type(got, expect)
            got.size, got.sha256 = read_body(response, got, policy, clock, expect, sink)
            return got
        finally:
            response.close()


def _checked_url(
    url: str, policy: FetchPolicy, *, params: Mapping[str, Any] | None = None, came_from: httpx.URL | None = None
) -> httpx.URL:
    """The URL if its scheme is allowed and it names a host; ``scheme_blocked`` otherwise."""
    where = f" (redirected from {redact(str(came_from))})" if came_from is not None else ""
    try:
        scheme = urlsplit(url).scheme.lower()
    except ValueError:
        scheme = ""
    if scheme not in policy.allowed_schemes:
        shown = f"{scheme}:" if scheme else "no scheme"
        raise HarvestError(
            Reason.SCHEME_BLOCKED,
            f"{redact(url)}{where} uses {shown}; only {', '.join(policy.allowed_schemes)} addresses are fetched",
            url=redact(url),
        )
    try:
        parsed = httpx.URL(url)
        if params:
            parsed = parsed.copy_merge_params(params)
    except (httpx.InvalidURL, TypeError) as e:
        raise HarvestError(
            Reason.SCHEME_BLOCKED, f"{redact(url)}{where} is not a valid address", url=redact(url)
        ) from e
    if not parsed.host:
        raise HarvestError(Reason.SCHEME_BLOCKED, f"{redact(url)}{where} names no host", url=redact(url))
    return parsed


def _request_headers(headers: Mapping[str, str] | None, validators: Validators | None, url: httpx.URL) -> httpx.Headers:
    out = httpx.Headers({"User-Agent": USER_AGENT, "Accept": "*/*"})
    for name, value in (headers or {}).items():
        if not (_printable(str(value)) and _printable(str(name)) and ":" not in str(name) and " " not in str(name)):
            # Never echo the value: it is likely a token (httpx and h11 would put it in their exception).
            raise HarvestError(
                Reason.INTERNAL,
                f"request header {name!r} for {redact(str(url))} has an invalid name or value",
                url=redact(str(url)),
            )
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
