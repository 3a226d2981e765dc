"""The ``dcat`` source kind: data files listed in another portal's DCAT catalog (data.json, RDF/XML, Turtle, JSON-LD).

A capture:

1. The catalog at the source's ``url`` is fetched through the guarded
   fetcher (deadline, byte cap, destination checks) and read by
   ``dcat_catalog`` (DCAT-US ``data.json`` or DCAT-AP through rdflib). A
   catalog listing no dataset raises ``no_resources``: an empty answer never
   wipes published data.
2. Datasets are narrowed by ``organization`` (a glob on the publisher's
   name) and ``select.dataset_theme`` (a glob on a theme's IRI, its last
   segment such as ``GOVE``, or its label); then the ``ckan`` kind's rules
   pick the distributions (``dataset_name`` on identifier or title,
   ``dataset_tag`` on keywords, ``resource_name``, ``resource_format``).
3. Each picked distribution is downloaded through the guarded fetcher as the
   ``ckan`` kind does (``ckan.download``), several combined into one CSV.

The catalog as received and what was picked are kept beside the raw files
(``dcat-datasets.json``), for the officer reading the run.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from shafaf.config.registry import Source, redact_url
from shafaf.core.errors import HarvestError
from shafaf.core.models import Reason
from shafaf.harvest.net import fetch as guarded
from shafaf.harvest.sources.base import Capture, HarvestContext
from shafaf.harvest.sources.ckan import (
    MAX_RESOURCES,
    _glob,
    _nothing_selected,
    capture_of,
    describe_rules,
    download,
    select_resources,
)
from shafaf.harvest.sources.dcat_catalog import CatalogListing, read_catalog

CATALOG_FILE = "dcat-catalog"
LISTING_FILE = "dcat-datasets.json"
ACCEPT = (
    "application/json, application/ld+json;q=0.9, text/turtle;q=0.9, application/rdf+xml;q=0.9, "
    "application/xml;q=0.5, */*;q=0.1"
)


def narrow(datasets: tuple[dict[str, Any], ...], *, publisher: str | None, theme: str | None) -> list[dict[str, Any]]:
    """The datasets of the publisher and theme asked for (globs, case-insensitive); all when neither is given."""
    out = []
    for dataset in datasets:
        if publisher and not _glob(publisher, *dataset.get("publisher", "").split("; ")):
            continue
        if theme:
            names = [t.rstrip("/").rsplit("/", 1)[-1] for t in dataset.get("themes", [])]
            if not _glob(theme, *dataset.get("themes", []), *names):
                continue
        out.append(dataset)
    return out


class DcatHarvester:
    kind = "dcat"

    def __init__(self, max_resources: int = MAX_RESOURCES):
        self.max_resources = max_resources

    def capture(self, source: Source, dest: Path, ctx: HarvestContext | None = None) -> Capture:
        ctx = ctx or HarvestContext()
        if not source.url:
            raise HarvestError(
                Reason.NOT_FOUND,
                f"source {source.id!r} of agency {source.agency_id!r} needs a 'url' "
                "(the catalog: a data.json, or DCAT-AP as RDF/XML, Turtle or JSON-LD)",
            )
        shown = redact_url(source.url)
        target = dest / CATALOG_FILE
        got = guarded.fetch(source.url, target, policy=ctx.policy, headers={"Accept": ACCEPT})
        listing = read_catalog(target, url=shown)
        rules = {k: v for k, v in source.select.items() if k != "dataset_theme"}
        theme = source.select.get("dataset_theme")
        chosen = narrow(listing.datasets, publisher=source.organization, theme=theme)
        selection = select_resources(chosen, rules, format=source.format)
        _write_listing(dest / LISTING_FILE, shown, listing, dict(source.select), source.organization, selection)
        what = f"the {listing.format} catalog at {shown}"
        if not listing.datasets:
            skipped = f" ({'; '.join(listing.skipped[:5])})" if listing.skipped else ""
            raise HarvestError(
                Reason.NO_RESOURCES,
                f"{what} lists no datasets{skipped}; nothing was harvested and the last published data stays",
                url=shown,
                status=got.status,
            )
        if not chosen:
            asked = "; ".join(
                filter(
                    None, (source.organization and f"publisher {source.organization!r}", theme and f"theme {theme!r}")
                )
            )
            raise HarvestError(
                Reason.NO_RESOURCES,
                f"no dataset of {what} matches {asked} (it lists "
                f"{len(listing.datasets)}); nothing was harvested and the last published data stays",
                url=shown,
                status=got.status,
            )
        if not selection.picked:
            message = _nothing_selected(
                "(any publisher)" if not source.organization else source.organization,
                shown,
                source.select,
                source.format,
                selection,
            )
            raise HarvestError(
                Reason.NO_RESOURCES,
                message.replace("of organization", "of publisher", 1).replace(f" on {shown}", f" in {what}", 1),
                url=shown,
                status=got.status,
            )
        if len(selection.picked) > self.max_resources:
            raise HarvestError(
                Reason.TOO_LARGE,
                f"{len(selection.picked)} distributions of {what} match "
                f"{describe_rules(rules, source.format)}; at most {self.max_resources} are combined, "
                "so narrow the select rules",
                url=shown,
            )
        parts, fetched = download(selection.picked, dest, ctx.policy)
        return capture_of(parts, fetched, dest, source=source, url=shown)


def _write_listing(
    path: Path, catalog: str, listing: CatalogListing, rules: Mapping[str, str], publisher: str | None, selection: Any
) -> None:
    data = {
        "catalog": catalog,
        "format": listing.format,
        "publisher": publisher,
        "select": dict(rules),
        "skipped": list(listing.skipped),
        "picked": [{**dataclasses.asdict(p), "url": redact_url(p.url)} for p in selection.picked],
        "unreadable": list(selection.unreadable),
        "datasets": list(listing.datasets),
    }
    path.write_text(json.dumps(data, ensure_ascii=False, indent=1, sort_keys=True) + "\n", encoding="utf-8")
