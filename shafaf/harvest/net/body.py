"""The body of an answer: streamed raw, decoded by us in bounded steps, counted, hashed and sniffed.

httpx caps neither the body nor its decompression (RELIABILITY H5, H6): a
gzip bomb expands in our own ``Inflate`` at most ``CHUNK`` bytes a step, and
the count after decoding stops at ``max_bytes``. Split from fetch.py (issue 23).
"""

from __future__ import annotations

import dataclasses
import hashlib
import zlib
from collections.abc import Callable
from typing import Any

import httpx

from shafaf.core.errors import HarvestError
from shafaf.core.models import Reason
from shafaf.harvest.net import netguard
from shafaf.harvest.net.attempts import deadline_error
from shafaf.harvest.net.policy import MB, Clock, FetchPolicy

CHUNK = 64 * 1024  # most bytes one decompression step may produce
SNIFF_BYTES = 1024


@dataclasses.dataclass
class Got:
    """The head of the final answer (URL redacted), then what its body came to."""

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


def read_body(
    response: httpx.Response,
    got: Got,
    policy: FetchPolicy,
    clock: Clock,
    expect: str | None,
    sink: Callable[[bytes], Any],
) -> tuple[int, str]:
    """Stream raw bytes, decode them ourselves in bounded steps, count and sniff decoded bytes."""
    decoder = decoder_for(got)
    length = response.headers.get("content-length", "")
    if decoder is None and length.isdigit() and int(length) > policy.max_bytes:
        raise too_large(got, policy, f"announced {size_text(int(length))}, more than")
    digest = hashlib.sha256()
    size = 0
    head = b""

    def take(piece: bytes) -> None:
        nonlocal size, head
        size += len(piece)
        if size > policy.max_bytes:
            raise too_large(got, policy, "sent more than")
        if expect and len(head) < SNIFF_BYTES:
            head += piece[: SNIFF_BYTES - len(head)]
            if len(head) >= SNIFF_BYTES:
                sniff(got, head, expect)
        digest.update(piece)
        sink(piece)

    try:
        for raw in response.iter_raw(CHUNK):
            if clock.left() <= 0:
                raise deadline_error(response.url, clock)
            for piece in decoder.feed(raw) if decoder else (raw,):
                take(piece)
        for piece in decoder.finish() if decoder else ():
            take(piece)
    except netguard.DeadlineReached as e:
        raise deadline_error(response.url, clock) from e
    except httpx.TimeoutException as e:
        if clock.left() <= 0:
            raise deadline_error(response.url, clock) from e
        raise HarvestError(
            Reason.TIMEOUT, f"{got.url} stopped sending after {size_text(size)}", url=got.url, status=got.status
        ) from e
    except (httpx.RemoteProtocolError, httpx.ReadError) as e:
        raise HarvestError(
            Reason.TRUNCATED_BODY,
            f"{got.url} closed the connection before the whole body arrived ({size_text(size)} received)",
            url=got.url,
            status=got.status,
        ) from e
    except zlib.error as e:
        raise HarvestError(
            Reason.TRUNCATED_BODY, f"the compressed body of {got.url} is damaged", url=got.url, status=got.status
        ) from e
    if expect and len(head) < SNIFF_BYTES:
        sniff(got, head, expect)
    return size, digest.hexdigest()


class Inflate:
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


def decoder_for(got: Got) -> Inflate | None:
    """The decoder for Content-Encoding; stacked or unknown encodings are refused, not guessed."""
    codings = [c.strip().lower() for c in got.headers.get("content-encoding", "").split(",")]
    codings = [c for c in codings if c and c != "identity"]
    if not codings:
        return None
    if len(codings) > 1:
        raise HarvestError(
            Reason.UNEXPECTED_CONTENT_TYPE,
            f"{got.url} sent a body encoded several times ({', '.join(codings)}); refused",
            url=got.url,
            status=got.status,
        )
    coding = {"x-gzip": "gzip"}.get(codings[0], codings[0])
    if coding not in ("gzip", "deflate"):
        raise HarvestError(
            Reason.UNEXPECTED_CONTENT_TYPE,
            f"{got.url} sent a body in the {codings[0]!r} encoding, which we did not ask for",
            url=got.url,
            status=got.status,
        )
    return Inflate(coding)


def check_content_type(got: Got, expect: str) -> None:
    kind = (got.content_type or "").split(";", 1)[0].strip().lower()
    if kind in ("text/html", "application/xhtml+xml"):
        raise HarvestError(
            Reason.UNEXPECTED_CONTENT_TYPE,
            f"{got.url} answered with a web page ({kind}) where a {expect} file was expected",
            url=got.url,
            status=got.status,
        )


def sniff(got: Got, head: bytes, expect: str) -> None:
    """Refuse a login page, captive portal or error page passed off as data."""
    if expect == "xlsx":
        if not head.startswith(b"PK\x03\x04"):
            raise HarvestError(
                Reason.UNEXPECTED_CONTENT_TYPE,
                f"{got.url} did not send an xlsx file (no zip signature)",
                url=got.url,
                status=got.status,
            )
        return
    text = head.removeprefix(b"\xef\xbb\xbf").lstrip().lower()
    if text.startswith(b"<") and (b"<!doctype html" in text or b"<html" in text):
        raise HarvestError(
            Reason.UNEXPECTED_CONTENT_TYPE,
            f"{got.url} sent a web page (HTML) where a {expect} file was expected",
            url=got.url,
            status=got.status,
        )


def too_large(got: Got, policy: FetchPolicy, what: str) -> HarvestError:
    return HarvestError(
        Reason.TOO_LARGE,
        f"{got.url} {what} {size_text(policy.max_bytes)} (the portal's fetch_max_bytes); stopped reading",
        url=got.url,
        status=got.status,
    )


def size_text(n: int) -> str:
    if n >= MB and n % MB == 0:
        return f"{n // MB:,} MB"
    return f"{n:,} bytes"
