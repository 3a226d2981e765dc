"""The ``jsonapi`` source kind: an authenticated JSON API, page by page.

Government service buses answer with JSON pages behind a token. The token is
written in the registry only as ``${ENV_NAME}`` and read from the
environment when the request is made, so it never lands on disk: each page
is kept in ``dest`` exactly as received (``page-0001.json``...), request
headers never are, and any message that could echo a header value is
scrubbed. The pages are then turned into one ``records.csv`` in two passes
over the saved files (keys first, rows second), so at most one page of
records is in memory at a time.

Pagination (``source.pagination``):

- ``page``: ``?page=1,2,...`` (``param``, ``start``; ``size_param``/``size`` optional)
- ``offset``: ``?offset=0,100,...&limit=100`` (``param``, ``start``, ``size_param``, ``size``)
- ``next``: the body's ``next`` dotted path holds the next URL (relative ones
  resolve against the current URL); every next URL goes through ``fetch``,
  so its scheme and destination are checked like the first.

It stops at an empty page, a page shorter than ``size``, or no next link; at
most ``max_pages`` (default 1000) pages are fetched (more → ``too_large``).
A next link already fetched is a loop in the API's answers → ``structure``
(``redirect_loop`` stays reserved for HTTP redirects). An answer with no
records at all → ``no_resources``: the last published data stays (docs/reliability.md H18).
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path
from typing import Any, Mapping
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

from shafaf.core.errors import HarvestError
from shafaf.harvest.net.fetch import FetchPolicy, fetch, parse_json, redact
from shafaf.core.models import Reason
from shafaf.config.registry import ENV_REFERENCE, Source
from shafaf.harvest.sources import records as rec
from shafaf.harvest.sources.base import Capture, HarvestContext, file_digest

DEFAULT_MAX_PAGES = 1000
RECORDS_FILE = "records.csv"


class JsonApiHarvester:
    kind = "jsonapi"

    def capture(self, source: Source, dest: Path, ctx: HarvestContext | None = None) -> Capture:
        ctx = ctx or HarvestContext()
        if not source.url:
            raise HarvestError(Reason.NOT_FOUND, f"source {source.id!r} of agency {source.agency_id!r} has no url")
        headers = resolve_headers(source)  # before any request: a missing secret must cost nothing
        secrets = [v for v in headers.values() if v]
        pages, columns, count = _fetch_pages(source, dest, ctx.policy, headers, secrets)
        if count == 0:
            raise HarvestError(
                Reason.NO_RESOURCES,
                f"{redact(source.url)} returned no records; the last published data stays",
                url=redact(source.url),
            )
        target = dest / RECORDS_FILE
        write_records_csv(pages, target, records_path=source.records, columns=columns)
        size, sha256 = file_digest(target)
        return Capture(path=target, bytes=size, sha256=sha256, format="csv", url=redact(source.url), encoding="utf-8",
                       status=pages[0].status)


# --- headers and secrets ------------------------------------------------------


def resolve_headers(source: Source, environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """The source's headers with every ``${NAME}`` replaced by the environment variable's value.

    A missing (or empty) variable raises ``secret_missing`` naming the
    variable and the source, never any value.
    """
    env = os.environ if environ is None else environ
    out: dict[str, str] = {}
    for name, template in source.headers.items():
        def value_of(match: Any, header: str = name) -> str:
            var = match.group(1)
            value = env.get(var)
            if not value:
                raise HarvestError(
                    Reason.SECRET_MISSING,
                    f"header {header!r} of source {source.id!r} of agency {source.agency_id!r} needs the "
                    f"environment variable {var!r}, which is not set",
                    url=redact(source.url or ""),
                )
            return value

        out[name] = ENV_REFERENCE.sub(value_of, template)
    return out


def _scrub(error: HarvestError, secrets: list[str]) -> HarvestError:
    """The same error with any secret value in its message or URL replaced (defence in depth)."""
    message, url = error.message, error.url
    for secret in secrets:
        message = message.replace(secret, "REDACTED")
        url = url.replace(secret, "REDACTED") if url else url
    if message == error.message and url == error.url:
        return error
    return HarvestError(error.reason, message, url=url, status=error.status)


# --- paging -------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Page:
    number: int
    path: Path
    url: str  # redacted
    status: int | None


@dataclasses.dataclass(frozen=True)
class Paging:
    style: str | None  # None: a single request
    param: str | None
    start: int
    size_param: str | None
    size: int | None
    next: str | None
    max_pages: int

    @classmethod
    def of(cls, pagination: Mapping[str, Any]) -> "Paging":
        style = pagination.get("style")
        max_pages = max(1, int(pagination.get("max_pages") or DEFAULT_MAX_PAGES))
        if style == "page":
            return cls("page", str(pagination.get("param") or "page"), _int(pagination.get("start"), 1),
                       _opt(pagination.get("size_param")), _int(pagination.get("size")), None, max_pages)
        if style == "offset":
            return cls("offset", str(pagination.get("param") or "offset"), _int(pagination.get("start"), 0),
                       str(pagination.get("size_param") or "limit"), _int(pagination.get("size")) or 100, None, max_pages)
        if style == "next":
            return cls("next", None, 0, _opt(pagination.get("size_param")), _int(pagination.get("size")),
                       str(pagination.get("next") or "next"), max_pages)
        return cls(None, None, 0, None, None, None, 1)


def _opt(value: Any) -> str | None:
    return str(value) if value else None


def _int(value: Any, default: int | None = None) -> Any:
    return int(value) if value is not None else default


def with_params(url: str, params: Mapping[str, Any]) -> str:
    """``url`` with ``params`` set in its query (replacing any of the same name, keeping the rest)."""
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in params]
    query += [(k, str(v)) for k, v in params.items()]
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), parts.fragment))


def _fetch_pages(
    source: Source, dest: Path, policy: FetchPolicy, headers: dict[str, str], secrets: list[str]
) -> tuple[list[Page], list[str], int]:
    """Fetch every page into ``dest``, checking each as it arrives (the first pass).

    Returns the pages in order, the union of record keys in first-seen order
    and the number of records.
    """
    paging = Paging.of(source.pagination)
    assert source.url is not None
    url = _first_url(source.url, paging)
    seen = {url}
    pages: list[Page] = []
    columns: dict[str, None] = {}
    total = 0
    while True:
        number = len(pages) + 1
        path = dest / f"page-{number:04d}.json"
        try:
            got = fetch(url, path, policy=policy, headers=headers, expect="json")
        except HarvestError as e:
            raise _scrub(e, secrets) from e
        page = Page(number, path, got.url, got.status)
        pages.append(page)
        body = load_page(page)
        batch = _records_of(body, source.records, page)
        rec.union_keys(batch, columns)
        found = len(batch)
        total += found
        link = _next_link(body, paging.next, page) if paging.next else None
        del body, batch  # one page in memory at a time
        if paging.style is None or found == 0 or (paging.size is not None and found < paging.size):
            return pages, list(columns), total
        if paging.style == "next":
            if link is None:
                return pages, list(columns), total
            url = urljoin(url, link)
            if url in seen:
                raise HarvestError(
                    Reason.STRUCTURE,
                    f"pagination loop: page {number} of {redact(source.url)} links to {redact(url)} as its next page, "
                    f"which was already fetched",
                    url=redact(url),
                )
            seen.add(url)
        else:
            step = 1 if paging.style == "page" else (paging.size or found)
            url = with_params(url, {paging.param: paging.start + number * step})  # type: ignore[dict-item]
        if number >= paging.max_pages:
            raise HarvestError(
                Reason.TOO_LARGE,
                f"{redact(source.url)} has more than {paging.max_pages} pages (pagination.max_pages); "
                f"raise max_pages if this API really is that long",
                url=redact(url),
            )


def _first_url(url: str, paging: Paging) -> str:
    params: dict[str, Any] = {}
    if paging.style in ("page", "offset") and paging.param:
        params[paging.param] = paging.start
    if paging.size_param and paging.size is not None:
        params[paging.size_param] = paging.size
    return with_params(url, params) if params else url


def _next_link(body: Any, path: str, page: Page) -> str | None:
    value = body
    for key in path.split("."):
        if not isinstance(value, dict) or key not in value:
            return None
        value = value[key]
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise HarvestError(
            Reason.STRUCTURE,
            f"page {page.number} ({page.url}): next link {path!r} is {_describe(value)}, not a URL",
            url=page.url,
        )
    return value


# --- reading pages --------------------------------------------------------------


def load_page(page: Page) -> Any:
    """Parse a saved page; NaN/Infinity, bad UTF-8 and runaway nesting are ``invalid_json``."""
    return parse_json(page.path.read_bytes(), what=f"page {page.number} ({page.url})", url=page.url, status=page.status)


def _records_of(body: Any, path: str | None, page: Page) -> list[dict[str, Any]]:
    """The list of records at the dotted ``path`` (the body itself when empty), each an object."""
    value = body
    walked: list[str] = []
    for key in (path or "").split(".") if path else []:
        if isinstance(value, dict) and key in value:
            value = value[key]
        elif isinstance(value, list) and key.isdigit() and int(key) < len(value):
            value = value[int(key)]
        else:
            where = ".".join(walked) or "the top level"
            raise HarvestError(
                Reason.STRUCTURE,
                f"page {page.number} ({page.url}): records path {path!r} not found: "
                f"no {key!r} in {where}, which is {_describe(value)}",
                url=page.url,
            )
        walked.append(key)
    if not isinstance(value, list):
        raise HarvestError(
            Reason.STRUCTURE,
            f"page {page.number} ({page.url}): records path {path or '(top level)'!r} leads to "
            f"{_describe(value)}, not a list of records",
            url=page.url,
        )
    for index, record in enumerate(value):
        if not isinstance(record, dict):
            raise HarvestError(
                Reason.STRUCTURE,
                f"page {page.number} ({page.url}): record {index} is {_describe(record)}, not an object",
                url=page.url,
            )
    return value


def _describe(value: Any) -> str:
    if isinstance(value, dict):
        keys = ", ".join(repr(k) for k in list(value)[:10])
        return f"an object with keys {keys}" if keys else "an empty object"
    if isinstance(value, list):
        return f"a list of {len(value)}"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return "text"
    return f"a {type(value).__name__}"


def write_records_csv(pages: list[Page], target: Path, *, records_path: str | None, columns: list[str]) -> int:
    """Write all pages' records into ``target`` under ``columns`` (the second pass, one page at a time)."""
    total = 0
    with rec.open_csv(target) as out:
        rec.write_header(out, columns)
        for page in pages:
            total += rec.write_rows(out, columns, _records_of(load_page(page), records_path, page))
    return total
