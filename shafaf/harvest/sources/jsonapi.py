"""The ``jsonapi`` source kind: an authenticated API on a service bus, page by page (JSON, XML or SOAP).

Government service buses answer with JSON or XML pages behind credentials.
Every secret is written in the registry only as ``${ENV_NAME}`` and read
from the environment when the request is made (``net.auth``: headers, an
API key in a header or the query, OAuth2 client credentials with a cached
token renewed once on a 401, a client certificate), so it never lands on
disk: each page is kept in ``dest`` exactly as received
(``page-0001.json`` or ``.xml``), request headers never are, and every
message and URL shown is scrubbed of every secret value. The pages are then
turned into one ``records.csv`` in two passes over the saved files (keys
first, rows second), so at most one page of records is in memory at a time.

``format: xml`` reads each page as XML and ``records`` as a ``/`` path of
local names (``xml_records``, parsed safely); ``soap`` makes each request a
SOAP call whose fault ends the run ``source_error`` with the fault's code
and text. Paging styles and their bounds are in ``paging``: page, offset,
a next link in the body, the ``Link`` header, an opaque cursor; a total
that does not match what was received ends the run ``needs_review``.
An answer with no records at all → ``no_resources``: the last published
data stays (H18).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

from shafaf.config.registry import Source
from shafaf.core.errors import HarvestError
from shafaf.core.models import Reason, http_reason
from shafaf.harvest.net.auth import Credentials, fill
from shafaf.harvest.net.fetch import FetchPolicy, fetch, parse_json, post, redact
from shafaf.harvest.sources import records as rec
from shafaf.harvest.sources import xml_records
from shafaf.harvest.sources.base import Capture, HarvestContext, file_digest
from shafaf.harvest.sources.paging import Budget, Paging, count_problem, next_link

RECORDS_FILE = "records.csv"


class JsonApiHarvester:
    kind = "jsonapi"

    def capture(self, source: Source, dest: Path, ctx: HarvestContext | None = None) -> Capture:
        ctx = ctx or HarvestContext()
        if not source.url:
            raise HarvestError(Reason.NOT_FOUND, f"source {source.id!r} of agency {source.agency_id!r} has no url")
        creds = Credentials(source)  # before any request: a missing secret must cost nothing
        pages, columns, count, review = _Pages(source, dest, creds.policy(ctx.policy), creds).fetch_all()
        if count == 0:
            raise HarvestError(
                Reason.NO_RESOURCES,
                f"{creds.scrub(redact(source.url))} returned no records"
                f"{f' at {source.records!r}' if source.records else ''}; the last published data stays",
                url=creds.scrub(redact(source.url)),
            )
        target = dest / RECORDS_FILE
        write_records_csv(pages, target, records_path=source.records, columns=columns)
        size, sha256 = file_digest(target)
        return Capture(
            path=target,
            bytes=size,
            sha256=sha256,
            format="csv",
            url=creds.scrub(redact(source.url)),
            encoding="utf-8",
            status=pages[0].status,
            review=review,
        )


def resolve_headers(source: Source, environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """The source's headers with every ``${NAME}`` replaced by the environment variable's value.

    A missing (or empty) variable raises ``secret_missing`` naming the
    variable and the source, never any value.
    """
    return {
        name: fill(value, what=f"header {name!r}", source=source, environ=environ)
        for name, value in source.headers.items()
    }


# --- paging -------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Page:
    number: int
    path: Path
    url: str  # redacted and scrubbed of secrets
    status: int | None
    xml: bool = False


def with_params(url: str, params: Mapping[str, Any]) -> str:
    """``url`` with ``params`` set in its query (replacing any of the same name, keeping the rest)."""
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in params]
    query += [(k, str(v)) for k, v in params.items()]
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), parts.fragment))


class _Pages:
    """One run's page loop: fetch each page into ``dest`` and check it as it arrives (the first pass)."""

    def __init__(self, source: Source, dest: Path, policy: FetchPolicy, creds: Credentials):
        assert source.url is not None
        self.source, self.dest, self.creds = source, dest, creds
        self.paging = Paging.of(source.pagination)
        self.xml = source.format == "xml" or source.soap is not None
        self.where = creds.scrub(redact(source.url))
        self.budget = Budget(self.paging, policy, where=self.where)
        self.soap_values = {
            name: fill(value, what=f"soap.params.{name}", source=source)
            for name, value in (source.soap.params.items() if source.soap else ())
        }
        if source.soap is not None:
            creds.secrets += [v for k, v in self.soap_values.items() if v != source.soap.params[k]]

    def fetch_all(self) -> tuple[list[Page], list[str], int, tuple[str, str] | None]:
        """The pages in order, the union of record keys in first-seen order, the number of records, a review."""
        paging, source = self.paging, self.source
        assert source.url is not None
        soap = source.soap is not None
        url = source.url if soap else with_params(source.url, paging.first_params())
        position: Any = paging.start if paging.style in ("page", "offset") else ""
        seen_urls, seen_cursors = {url}, set()
        pages: list[Page] = []
        columns: dict[str, None] = {}
        announced: Any = None
        while True:
            number = len(pages) + 1
            page = self._get(url, number, position)
            pages.append(page)
            batch, values, link = self._read(page)
            rec.union_keys(batch, columns)
            found = len(batch)
            self.budget.charge(page.path.stat().st_size, found)
            if number == 1 and paging.total:
                announced = values.get(paging.total)
            del batch  # one page in memory at a time
            if paging.style is None or found == 0 or (paging.size is not None and found < paging.size):
                break
            if paging.style in ("next", "link"):
                if link is None:
                    break
                url = urljoin(url, link)
                if url in seen_urls:
                    shown = self.creds.scrub(redact(url))
                    raise HarvestError(
                        Reason.STRUCTURE,
                        f"pagination loop: page {number} of {self.where} links to "
                        f"{shown} as its next page, which was already fetched",
                        url=shown,
                    )
                seen_urls.add(url)
            elif paging.style == "cursor":
                cursor = values.get(paging.cursor or "")
                if cursor is None or cursor == "":
                    break
                if not isinstance(cursor, (str, int)) or isinstance(cursor, bool):
                    raise HarvestError(
                        Reason.STRUCTURE,
                        f"page {number} ({page.url}): cursor {paging.cursor!r} is {_describe(cursor)}, not a token",
                        url=page.url,
                    )
                if str(cursor) in seen_cursors:
                    raise HarvestError(
                        Reason.STRUCTURE,
                        f"pagination loop: page {number} of {self.where} gave a cursor "
                        f"it had already given (pagination.cursor {paging.cursor!r}); the API repeats itself",
                        url=page.url,
                    )
                seen_cursors.add(str(cursor))
                position = str(cursor)
                if not soap:
                    url = with_params(url, {paging.param: position})  # type: ignore[dict-item]
            else:
                step = 1 if paging.style == "page" else (paging.size or found)
                position = paging.start + number * step
                if not soap:
                    url = with_params(url, {paging.param: position})  # type: ignore[dict-item]
            self.budget.more_pages()
        problem = count_problem(announced, self.budget.records, where=self.where, path=paging.total or "")
        review = (Reason.COUNT_MISMATCH, problem) if problem else None
        return pages, list(columns), self.budget.records, review

    def _get(self, url: str, number: int, position: Any) -> Page:
        """One page into ``dest``; a 401 with an OAuth2 token is retried once with a new token."""
        path = self.dest / f"page-{number:04d}.{'xml' if self.xml else 'json'}"
        for attempt in (0, 1):
            policy = self.budget.page_policy()
            try:
                headers = self.creds.request_headers(policy)
                if self.source.soap is None:
                    got = fetch(
                        url,
                        path,
                        policy=policy,
                        headers=headers,
                        params=self.creds.params or None,
                        expect="xml" if self.xml else "json",
                    )
                    self.link = got.link
                    return Page(number, path, self.creds.scrub(got.url), got.status, self.xml)
                return self._call(url, path, number, position, policy, headers)
            except HarvestError as e:
                if e.status == 401 and attempt == 0 and self.creds.renew():
                    continue
                raise self.creds.scrub_error(self.budget.explain(e)) from None
        raise AssertionError("unreachable")

    def _call(
        self, url: str, path: Path, number: int, position: Any, policy: FetchPolicy, headers: dict[str, str]
    ) -> Page:
        """One SOAP call; its answer is kept as received, and a fault (with any status) is ``source_error``."""
        soap = self.source.soap
        assert soap is not None
        values = dict(self.soap_values)
        if self.paging.param:
            values[self.paging.param] = str(position)
        answer = post(
            with_params(url, self.creds.params) if self.creds.params else url,
            xml_records.envelope(soap, values),
            policy=policy,
            headers={**headers, **xml_records.soap_headers(soap)},
            raise_for_status=False,
            expect="xml",
        )
        path.write_bytes(answer.body)
        shown = self.creds.scrub(answer.url)
        page = Page(number, path, shown, answer.status, True)
        if answer.status == 401:
            raise HarvestError(http_reason(401), f"{shown} answered HTTP 401", url=shown, status=401)
        if not 200 <= answer.status < 300 and not answer.body.lstrip().startswith(b"<"):
            raise HarvestError(
                http_reason(answer.status), f"{shown} answered HTTP {answer.status}", url=shown, status=answer.status
            )
        parsed = self._xml(page)
        if parsed.fault:
            raise HarvestError(
                Reason.SOURCE_ERROR,
                f"the SOAP service {shown} ({soap.action}) answered a fault: "
                f"{self.creds.scrub(xml_records.fault_message(parsed))}",
                url=shown,
                status=answer.status,
            )
        if not 200 <= answer.status < 300:
            raise HarvestError(
                http_reason(answer.status), f"{shown} answered HTTP {answer.status}", url=shown, status=answer.status
            )
        return page

    def _xml(self, page: Page) -> xml_records.XmlPage:
        wanted = tuple(p for p in (self.paging.cursor, self.paging.total, self.paging.next) if p)
        return xml_records.read(
            page.path,
            self.source.records,
            wanted,
            what=f"page {page.number} ({page.url})",
            url=page.url,
            status=page.status,
        )

    def _read(self, page: Page) -> tuple[list[dict[str, Any]], dict[str, Any], str | None]:
        """The page's records, the values at the paging paths, and its next link (body or Link header)."""
        paging = self.paging
        if page.xml:
            parsed = self._xml(page)
            if parsed.fault:
                raise HarvestError(
                    Reason.SOURCE_ERROR,
                    f"page {page.number} ({page.url}) is a SOAP fault: "
                    f"{self.creds.scrub(xml_records.fault_message(parsed))}",
                    url=page.url,
                )
            values: dict[str, Any] = dict(parsed.values)
            batch = parsed.records
        else:
            body = load_page(page)
            batch = _records_of(body, self.source.records, page)
            values = {p: _value_at(body, p) for p in (paging.cursor, paging.total, paging.next) if p}
        if paging.style == "link":
            return batch, values, next_link(getattr(self, "link", None))
        link = values.get(paging.next) if paging.next else None
        if link is not None and link != "" and not isinstance(link, str):
            raise HarvestError(
                Reason.STRUCTURE,
                f"page {page.number} ({page.url}): next link {paging.next!r} is {_describe(link)}, not a URL",
                url=page.url,
            )
        return batch, values, link or None


def _value_at(body: Any, path: str) -> Any:
    value = body
    for key in path.split("."):
        if not isinstance(value, dict) or key not in value:
            return None
        value = value[key]
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
            if page.xml:
                batch = xml_records.read(
                    page.path, records_path, what=f"page {page.number} ({page.url})", url=page.url
                ).records
            else:
                batch = _records_of(load_page(page), records_path, page)
            total += rec.write_rows(out, columns, batch)
    return total
