"""The ``ckan`` source kind: the data files an organization lists on a CKAN portal.

The API client (``ckan_api``) routes ckanapi through ``shafaf.fetch``, so
every request has the deadline, the byte cap and the destination checks.

A capture:

1. ``organization_show``: the organization exists (else ``not_found``) and
   its canonical name is used to filter the search.
2. ``package_search`` with ``fq=organization:"<name>"``, paged with
   ``start`` until ``count``; datasets deduplicated by id and sorted (docs/reliability.md H19).
   ``count == 0`` raises ``no_resources`` (H18): an empty answer never wipes
   published data. Fewer distinct datasets than ``count`` still captures, but
   ``Capture.review`` asks a person to look.
3. The source's ``select`` globs pick resources; each is downloaded through
   ``fetch`` (scheme allow-list, destination check, sniff) and kept as
   received; several are combined into ``combined.csv``.
"""

from __future__ import annotations

import dataclasses
import fnmatch
import json
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from shafaf.config.registry import Source, redact_url
from shafaf.core.errors import HarvestError
from shafaf.core.formats import FORMATS  # what staging can read, in order of preference
from shafaf.core.models import Reason
from shafaf.core.public_message import listing
from shafaf.harvest.net import fetch as guarded
from shafaf.harvest.net.fetch import FetchPolicy
from shafaf.harvest.sources.base import Capture, HarvestContext
from shafaf.harvest.sources.ckan_api import PAGE_SIZE, CkanClient, Listing, list_datasets, organization_name
from shafaf.harvest.sources.combine import Part, combine

MAX_RESOURCES = 100
LISTING_FILE = "ckan-packages.json"
COMBINED_FILE = "combined.csv"
FORMAT_ALIASES = {
    "csv": "csv",
    "text/csv": "csv",
    "application/csv": "csv",
    "xlsx": "xlsx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xlsx",
    "json": "json",
    "application/json": "json",
    "text/json": "json",
}
ARCHIVE_SUFFIXES = (".zip", ".gz", ".tgz", ".bz2", ".xz", ".7z", ".rar", ".tar")
ARCHIVE_MAGIC = {b"PK\x03\x04": "ZIP", b"\x1f\x8b": "gzip", b"7z\xbc\xaf": "7z", b"Rar!": "RAR"}


# --- selection -----------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Picked:
    """One resource chosen for download."""

    dataset: str
    resource_id: str
    name: str
    format: str  # csv, xlsx or json
    url: str
    position: int

    @property
    def label(self) -> str:
        return f"resource {self.name or self.resource_id!r} ({self.format.upper()}, id {self.resource_id}) of dataset {self.dataset!r}"


@dataclasses.dataclass(frozen=True)
class Selection:
    picked: tuple[Picked, ...]
    datasets_seen: int
    resources_seen: int
    unreadable: tuple[str, ...]  # resources the rules matched but staging cannot read, with why


def resource_format(resource: Mapping[str, Any]) -> str:
    """CKAN's free-text format as csv/xlsx/json when it is one of them, else its lower-cased text."""
    raw = str(resource.get("format") or "").strip().lower().lstrip(".")
    if raw in FORMAT_ALIASES:
        return FORMAT_ALIASES[raw]
    mimetype = str(resource.get("mimetype") or "").strip().lower()
    if not raw and mimetype in FORMAT_ALIASES:
        return FORMAT_ALIASES[mimetype]
    if not raw:
        suffix = Path(urlsplit(str(resource.get("url") or "")).path).suffix.lower().lstrip(".")
        return FORMAT_ALIASES.get(suffix, suffix)
    return raw


def _glob(pattern: str, *values: Any) -> bool:
    """Case-insensitive shell-style match of any of ``values``."""
    pat = pattern.casefold()
    return any(fnmatch.fnmatchcase(str(v).casefold(), pat) for v in values if v is not None)


def dataset_matches(package: Mapping[str, Any], rules: Mapping[str, str]) -> bool:
    """``dataset_name`` against the name or title, ``dataset_tag`` against any tag name."""
    if "dataset_name" in rules and not _glob(rules["dataset_name"], package.get("name"), package.get("title")):
        return False
    if "dataset_tag" in rules:
        tags = [t.get("name") if isinstance(t, dict) else t for t in package.get("tags") or []]
        if not _glob(rules["dataset_tag"], *tags):
            return False
    return True


def resource_matches(resource: Mapping[str, Any], rules: Mapping[str, str]) -> bool:
    """``resource_name`` against the name (the URL's file name when unnamed), ``resource_format`` against the format."""
    if "resource_name" in rules:
        name = resource.get("name") or Path(urlsplit(str(resource.get("url") or "")).path).name
        if not _glob(rules["resource_name"], name):
            return False
    if "resource_format" in rules:
        raw = str(resource.get("format") or "").strip()
        if not _glob(rules["resource_format"], resource_format(resource), raw):
            return False
    return True


def _unreadable(resource: Mapping[str, Any], fmt: str) -> str | None:
    """Why staging could not read this resource, or None."""
    url = str(resource.get("url") or "").strip()
    if fmt not in FORMATS:
        return f"format {str(resource.get('format') or fmt or 'unknown')!r}"
    if not url:
        return "no URL"
    suffix = next((s for s in ARCHIVE_SUFFIXES if urlsplit(url).path.lower().endswith(s)), None)
    if suffix:
        return f"a {suffix} archive"
    return None


def select_resources(
    datasets: Iterable[Mapping[str, Any]], rules: Mapping[str, str], *, format: str | None = None
) -> Selection:
    """The resources the rules pick, in order of dataset name then resource position.

    Without a ``resource_format`` rule (or a source ``format``) any CSV, XLSX
    or JSON resource matches, but within one dataset only those of the first
    format present in that order: portals publish the same table as CSV and
    JSON side by side, and taking both would count every row twice.
    Resources are deduplicated by id and by URL.
    """
    picked: list[Picked] = []
    unreadable: list[str] = []
    seen_ids: set[str] = set()
    seen_urls: set[str] = set()
    datasets_seen = resources_seen = 0
    prefer_one_format = "resource_format" not in rules and format is None
    for package in datasets:
        datasets_seen += 1
        resources = [r for r in package.get("resources") or [] if isinstance(r, dict)]
        resources_seen += len(resources)
        if not dataset_matches(package, rules):
            continue
        dataset = str(package.get("name") or package.get("id") or "")
        candidates: list[Picked] = []
        order = sorted(enumerate(resources), key=lambda ir: (_position(ir[1], ir[0]), str(ir[1].get("id") or "")))
        for index, resource in order:
            if not resource_matches(resource, rules):
                continue
            fmt = resource_format(resource)
            if format is not None and fmt != format:
                continue
            why = _unreadable(resource, fmt)
            if why is not None:
                if fmt in FORMATS or "resource_format" in rules:
                    unreadable.append(f"{resource.get('name') or resource.get('id')!r} of {dataset!r} ({why})")
                continue
            candidates.append(
                Picked(
                    dataset=dataset,
                    resource_id=str(resource.get("id") or ""),
                    name=str(resource.get("name") or ""),
                    format=fmt,
                    url=str(resource["url"]).strip(),
                    position=_position(resource, index),
                )
            )
        if prefer_one_format and candidates:
            best = min(FORMATS.index(c.format) for c in candidates)
            candidates = [c for c in candidates if FORMATS.index(c.format) == best]
        for c in candidates:
            if (c.resource_id and c.resource_id in seen_ids) or c.url in seen_urls:
                continue
            seen_ids.add(c.resource_id)
            seen_urls.add(c.url)
            picked.append(c)
    return Selection(
        picked=tuple(picked), datasets_seen=datasets_seen, resources_seen=resources_seen, unreadable=tuple(unreadable)
    )


def _position(resource: Mapping[str, Any], index: int) -> int:
    position = resource.get("position")
    return position if isinstance(position, int) and not isinstance(position, bool) else index


def describe_rules(rules: Mapping[str, str], format: str | None = None) -> str:
    """The rules as a person reads them in a message."""
    parts = [f"{k}={v!r}" for k, v in sorted(rules.items())]
    if format:
        parts.append(f"format={format!r}")
    return f"the select rules {', '.join(parts)}" if parts else "no select rules (any CSV, XLSX or JSON resource)"


# --- the harvester -------------------------------------------------------------


class CkanHarvester:
    kind = "ckan"

    def __init__(self, page_size: int = PAGE_SIZE, max_resources: int = MAX_RESOURCES):
        self.page_size = page_size
        self.max_resources = max_resources

    def capture(self, source: Source, dest: Path, ctx: HarvestContext | None = None) -> Capture:
        ctx = ctx or HarvestContext()
        if not source.url or not source.organization:
            raise HarvestError(
                Reason.NOT_FOUND,
                f"source {source.id!r} of agency {source.agency_id!r} needs a 'url' and an 'organization'",
            )
        portal = redact_url(source.url)
        client = CkanClient(source.url, ctx.policy)
        try:
            org = organization_name(client, source.organization)
            listing = list_datasets(client, org, page_size=self.page_size)
        finally:
            client.close()
        rules = dict(source.select)
        selection = select_resources(listing.datasets, rules, format=source.format)
        write_listing(dest / LISTING_FILE, portal, listing, rules, selection)
        if listing.count == 0 or not listing.datasets:
            raise HarvestError(
                Reason.NO_RESOURCES,
                f"organization {org!r} on {portal} lists no datasets (CKAN answered count {listing.count}); "
                "nothing was harvested and the last published data stays",
                url=portal,
                status=200,
            )
        if not selection.picked:
            raise HarvestError(
                Reason.NO_RESOURCES,
                _nothing_selected(org, portal, rules, source.format, selection),
                url=portal,
                status=200,
            )
        if len(selection.picked) > self.max_resources:
            raise HarvestError(
                Reason.TOO_LARGE,
                f"{len(selection.picked)} resources of organization {org!r} match {describe_rules(rules, source.format)}; "
                f"at most {self.max_resources} are combined, so narrow the select rules",
                url=portal,
            )
        parts, fetched = download(selection.picked, dest, ctx.policy)
        review = (Reason.COUNT_MISMATCH, listing.mismatch) if listing.mismatch else None
        return capture_of(parts, fetched, dest, source=source, url=portal, review=review)


def capture_of(
    parts: list[Part],
    fetched: list[guarded.Fetched],
    dest: Path,
    *,
    source: Source,
    url: str,
    review: tuple[str, str] | None = None,
) -> Capture:
    """What the picked resources become: the one file as received, or several combined into one CSV."""
    if len(parts) == 1:
        got = fetched[0]
        return Capture(
            path=parts[0].path,
            bytes=got.bytes,
            sha256=got.sha256,
            format=parts[0].format,
            url=url,
            status=200,
            etag=got.etag,
            last_modified=got.last_modified,
            review=review,
        )
    try:
        combined = combine(parts, dest / COMBINED_FILE, encoding=source.encoding, sheet=source.sheet)
    except HarvestError as e:
        raise HarvestError(e.reason, e.message, url=e.url or url, status=e.status) from e
    return Capture(
        path=combined.path,
        bytes=combined.bytes,
        sha256=combined.sha256,
        format="csv",
        url=url,
        encoding="utf-8",
        status=200,
        review=review,
    )


def download(picked: Iterable[Picked], dest: Path, policy: FetchPolicy) -> tuple[list[Part], list[guarded.Fetched]]:
    """Fetch each resource into ``dest`` as received; all of them together stay under the byte cap."""
    parts: list[Part] = []
    fetched: list[guarded.Fetched] = []
    budget = policy.max_bytes
    for number, pick in enumerate(picked, 1):
        if budget <= 0:
            raise HarvestError(
                Reason.TOO_LARGE,
                f"the resources before {pick.label} already add up to the {policy.max_bytes}-byte limit",
                url=redact_url(pick.url),
            )
        target = dest / file_name(number, pick)
        try:
            got = guarded.fetch(
                pick.url, target, policy=dataclasses.replace(policy, max_bytes=budget), expect=pick.format
            )
        except HarvestError as e:
            raise HarvestError(
                e.reason, f"{pick.label}: {e.message}", url=e.url or redact_url(pick.url), status=e.status
            ) from e
        kind = archive_kind(target) if pick.format != "xlsx" else None  # an xlsx file is itself a ZIP
        if kind:
            raise HarvestError(
                Reason.UNEXPECTED_CONTENT_TYPE,
                f"{pick.label} is a {kind} archive, not {pick.format.upper()}; archives are not opened",
                url=got.url,
                status=got.status,
            )
        budget -= got.bytes
        parts.append(Part(path=target, format=pick.format, label=pick.label))
        fetched.append(got)
    return parts, fetched


def file_name(number: int, pick: Picked) -> str:
    """A safe local name: numbered (unique, in order), then the dataset and resource names in ASCII."""
    dataset = _safe(pick.dataset, 60) or "dataset"
    resource = _safe(pick.name, 40) or _safe(pick.resource_id, 40) or "resource"
    return f"{number:02d}-{dataset}-{resource}.{pick.format}"


def _safe(text: str, limit: int) -> str:
    return re.sub(r"[^A-Za-z0-9_-]+", "-", text).strip("-_")[:limit].strip("-_")


def archive_kind(path: Path) -> str | None:
    with path.open("rb") as f:
        head = f.read(4)
    return next((kind for magic, kind in ARCHIVE_MAGIC.items() if head.startswith(magic)), None)


def write_listing(path: Path, portal: str, listing: Listing, rules: Mapping[str, str], selection: Selection) -> None:
    """What CKAN answered (datasets as received) and what was picked, for the officer reading the raw run."""
    data = {
        "portal": portal,
        "organization": listing.organization,
        "count": listing.count,
        "pages": listing.pages,
        "duplicates": listing.duplicates,
        "select": rules,
        "picked": [{**dataclasses.asdict(p), "url": redact_url(p.url)} for p in selection.picked],
        "unreadable": list(selection.unreadable),
        "datasets": list(listing.datasets),
    }
    path.write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


def _nothing_selected(org: str, portal: str, rules: Mapping[str, str], format: str | None, selection: Selection) -> str:
    message = (
        f"no resource of organization {org!r} on {portal} can be harvested with {describe_rules(rules, format)} "
        f"(looked at {selection.datasets_seen} datasets and {selection.resources_seen} resources); "
        "nothing was harvested and the last published data stays"
    )
    if selection.unreadable:
        message += (
            f". {len(selection.unreadable)} matching resources cannot be read as CSV, XLSX or JSON: "
            f"{listing(selection.unreadable, limit=5, quote=False, sep='; ')}"
        )
    return message
