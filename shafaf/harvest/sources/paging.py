"""How an API's answers come in pages, and the bounds on how many a run may take.

Styles (``source.pagination.style``):

- ``page``: ``?page=1,2,...`` (``param``, ``start``; ``size_param``/``size`` optional)
- ``offset``: ``?offset=0,100,...&limit=100`` (``param``, ``start``, ``size_param``, ``size``)
- ``next``: the body's ``next`` dotted path holds the next URL
- ``link``: the ``Link: <...>; rel="next"`` response header (RFC 8288)
- ``cursor``: the body's ``cursor`` path holds an opaque token, passed back as ``param`` (default ``cursor``)

``total`` names the body's count of all records (on the first page): a run
that received another number ends ``needs_review`` (``count_mismatch``), as
the CKAN kind does, and the last good data stays. Every loop is bounded:
``max_pages`` (1000), ``max_records`` (1,000,000), ``max_bytes`` (the portal's
``fetch_max_bytes``, over all pages together) and the portal's
``fetch_deadline_s`` for all requests of the run together (as CKAN's API calls
share it). A next URL or cursor already seen is a loop → ``structure``.
"""

from __future__ import annotations

import dataclasses
import re
import time
from collections.abc import Mapping
from typing import Any

from shafaf.core.errors import HarvestError
from shafaf.core.models import Reason
from shafaf.harvest.net.fetch import FetchPolicy

DEFAULT_MAX_PAGES = 1000
DEFAULT_MAX_RECORDS = 1_000_000
# One link-value of a Link header: <target> then ;-separated parameters (quoted or not).
LINK_VALUE = re.compile(r'\s*<([^>]*)>((?:\s*;\s*[^;,"]+(?:=(?:"[^"]*"|[^;,]*))?)*)\s*(?:,|$)')
LINK_PARAM = re.compile(r';\s*([^;=\s]+)\s*(?:=\s*("[^"]*"|[^;,]*))?')


@dataclasses.dataclass(frozen=True)
class Paging:
    style: str | None  # None: a single request
    param: str | None
    start: int
    size_param: str | None
    size: int | None
    next: str | None  # dotted path of the next URL (style next)
    cursor: str | None  # path of the next cursor (style cursor)
    total: str | None  # path of the total count of records
    max_pages: int
    max_records: int
    max_bytes: int | None

    @classmethod
    def of(cls, pagination: Mapping[str, Any]) -> Paging:
        style = pagination.get("style")
        common = dict(
            total=_opt(pagination.get("total")),
            max_pages=max(1, int(pagination.get("max_pages") or DEFAULT_MAX_PAGES)),
            max_records=int(pagination.get("max_records") or DEFAULT_MAX_RECORDS),
            max_bytes=_int(pagination.get("max_bytes")),
        )
        size_param, size = _opt(pagination.get("size_param")), _int(pagination.get("size"))
        if style == "page":
            return cls(
                "page",
                str(pagination.get("param") or "page"),
                _int(pagination.get("start"), 1),
                size_param,
                size,
                None,
                None,
                **common,
            )
        if style == "offset":
            return cls(
                "offset",
                str(pagination.get("param") or "offset"),
                _int(pagination.get("start"), 0),
                size_param or "limit",
                size or 100,
                None,
                None,
                **common,
            )
        if style == "next":
            return cls("next", None, 0, size_param, size, str(pagination.get("next") or "next"), None, **common)
        if style == "link":
            return cls("link", None, 0, size_param, size, None, None, **common)
        if style == "cursor":
            return cls(
                "cursor",
                str(pagination.get("param") or "cursor"),
                0,
                size_param,
                size,
                None,
                str(pagination.get("cursor")),
                **common,
            )
        return cls(None, None, 0, None, None, None, None, **{**common, "max_pages": 1})

    def first_params(self) -> dict[str, Any]:
        params: dict[str, Any] = {}
        if self.style in ("page", "offset") and self.param:
            params[self.param] = self.start
        if self.size_param and self.size is not None:
            params[self.size_param] = self.size
        return params


def _opt(value: Any) -> str | None:
    return str(value) if value else None


def _int(value: Any, default: int | None = None) -> Any:
    return int(value) if value is not None else default


def next_link(header: str | None) -> str | None:
    """The target of the ``rel="next"`` link in an RFC 8288 ``Link`` header, or None."""
    if not header:
        return None
    for match in LINK_VALUE.finditer(header):
        for name, value in LINK_PARAM.findall(match.group(2)):
            if name.lower() == "rel" and "next" in value.strip('"').lower().split():
                return match.group(1).strip()
    return None


class Budget:
    """What is left of a run's pages, records, bytes and time; each page is charged as it arrives."""

    def __init__(self, paging: Paging, policy: FetchPolicy, *, where: str):
        self.paging = paging
        self.where = where
        self.deadline_s = policy.deadline_s
        self.deadline_at = time.monotonic() + policy.deadline_s
        self.max_bytes = paging.max_bytes or policy.max_bytes
        self.policy = policy
        self.pages = self.records = self.bytes = 0

    def page_policy(self) -> FetchPolicy:
        """The policy of the next request: what is left of the run's time and bytes."""
        left = self.deadline_at - time.monotonic()
        if left <= 0:
            raise HarvestError(
                Reason.DEADLINE_EXCEEDED,
                f"{self.where}: {self.pages} pages took longer than {self.deadline_s:g} s in all "
                f"(the portal's fetch_deadline_s); gave up",
                url=self.where,
            )
        return dataclasses.replace(
            self.policy,
            deadline_s=min(self.policy.deadline_s, left),
            max_bytes=max(1, min(self.policy.max_bytes, self.max_bytes - self.bytes)),
        )

    def explain(self, error: HarvestError) -> HarvestError:
        """A page too large for what is left of the run's bytes is over the run's bound, said in those words."""
        if error.reason == Reason.TOO_LARGE and self.max_bytes - self.bytes < self.policy.max_bytes:
            return self._over_bytes(pages=self.pages + 1)
        return error

    def _over_bytes(self, *, pages: int) -> HarvestError:
        return HarvestError(
            Reason.TOO_LARGE,
            f"{self.where} sent more than {self.max_bytes:,} bytes over "
            f"{pages} pages (pagination.max_bytes or fetch_max_bytes)",
            url=self.where,
        )

    def charge(self, size: int, records: int) -> None:
        self.pages += 1
        self.bytes += size
        self.records += records
        if self.records > self.paging.max_records:
            raise HarvestError(
                Reason.TOO_LARGE,
                f"{self.where} sent more than {self.paging.max_records:,} records (pagination.max_records); "
                f"raise it if this API really is that long",
                url=self.where,
            )
        if self.bytes > self.max_bytes:
            raise self._over_bytes(pages=self.pages)

    def more_pages(self) -> None:
        if self.pages >= self.paging.max_pages:
            raise HarvestError(
                Reason.TOO_LARGE,
                f"{self.where} has more than {self.paging.max_pages} pages (pagination.max_pages); "
                f"raise max_pages if this API really is that long",
                url=self.where,
            )


def count_problem(total: Any, received: int, *, where: str, path: str) -> str | None:
    """Why the announced total and the records received disagree; None when they agree (or none was announced)."""
    if total is None:
        return None
    if isinstance(total, str) and total.strip().isdigit():
        total = int(total.strip())
    if isinstance(total, bool) or not isinstance(total, int):
        return f"{where} announced its total ({path!r}) as {total!r}, not a whole number"
    if total != received:
        return f"{where} announced {total:,} records ({path!r}) but {received:,} were received"
    return None
