"""Atom feeds of publications and failed harvests: ``/feed.atom`` (the portal) and ``/agencies/<id>/feed.atom``.

For journalists who want to hear when an agency's data changes or stops
arriving. An entry is one published harvest run that either brought new
data (``ok``) or did not (``failed``, ``needs_review``, ``aborted``); runs
that found nothing new (``unchanged``) or were skipped are left out, so a
feed reader is not told every night that nothing happened. The newest
``ENTRIES`` runs, newest first. An agency whose data has gone stale (its
schedule's slots passed without a good harvest, ``freshness``) gets an entry
of its own at the top, one per stale spell: its id names the agency's last
publication, so a reader is told once, not on every poll; so is a source that
started failing or recovered (``source_events``). feedgen writes the
XML (escaping included); entry texts are English, agency names in both
languages.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import email.utils
import hashlib
import re
import urllib.parse
from typing import TYPE_CHECKING, Any

from datasette import Request, Response
from feedgen.feed import FeedGenerator

from shafaf import __version__
from shafaf.core.models import Outcome
from shafaf.datasette_plugins import i18n
from shafaf.datasette_plugins.catalogs import catalog as catalog_module
from shafaf.datasette_plugins.catalogs.api_http import ATOM, absolute, response
from shafaf.datasette_plugins.catalogs.source_events import SourceEvent, add_entries, source_events
from shafaf.datasette_plugins.common import AGENCY_ID_PATTERN, DATABASE, not_found
from shafaf.datasette_plugins.pages import harvest_status

if TYPE_CHECKING:
    from datasette.app import Datasette

ENTRIES = 50
OUTCOMES = (Outcome.OK, Outcome.FAILED, Outcome.NEEDS_REVIEW, Outcome.ABORTED)
_RUNS_SQL = f"""
SELECT run_id, agency_id, source_id, dataset, started, finished, outcome, reason, message, rows_passed, rows_failed
FROM harvest_runs
WHERE outcome IN ({", ".join(repr(str(o)) for o in OUTCOMES)}) {{where}}
ORDER BY coalesce(finished, started) DESC, run_id DESC
LIMIT {ENTRIES}
"""


def _when(stamp: str | None) -> dt.datetime:
    """A stored UTC time as an aware datetime (the epoch when it is missing or unreadable)."""
    try:
        value = dt.datetime.fromisoformat(stamp or "")
    except ValueError:
        return dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def _title(run: dict[str, Any], agency: str) -> str:
    if run["outcome"] == Outcome.OK:
        return f"{agency}: {run['dataset']} published ({run['rows_passed'] or 0} rows)"
    why = f" ({run['reason']})" if run.get("reason") else ""
    return f"{agency}: {run['dataset']} harvest {run['outcome'].replace('_', ' ')}{why}"


@dataclasses.dataclass(frozen=True)
class Stale:
    """An agency not harvested within its schedule, and since which publication (its data's own age is the
    catalog packages' ``data_age``: both have entries of their own)."""

    agency_id: str
    name: str
    page_url: str
    sources: tuple[str, ...]
    since: str | None


def build(
    *,
    feed_url: str,
    title: str,
    page_url: str,
    runs: list[dict[str, Any]],
    names: dict[str, str],
    runs_url: Any,
    updated: str | None,
    stale: tuple[Stale, ...] = (),
    old_data: tuple[Any, ...] = (),
    sources: tuple[SourceEvent, ...] = (),
    agency_url: Any = None,
) -> bytes:
    """The Atom document; ``runs_url(run_id)`` links each entry to its row in ``harvest_runs``."""
    fg = FeedGenerator()
    fg.id(feed_url)
    fg.title(title)
    fg.link(href=feed_url, rel="self", type="application/atom+xml")
    fg.link(href=page_url, rel="alternate", type="text/html")
    fg.author({"name": title})
    fg.generator("Shafaf", version=__version__)
    fg.language("en")  # xml:lang on the feed: entry texts are English (agency names carry both languages)
    fg.updated(_when(runs[0]["finished"] or runs[0]["started"]) if runs else _when(updated))
    for agency in stale:
        entry = fg.add_entry(order="append")
        entry.id(f"{agency.page_url}#stale-{agency.since or 'never'}")
        entry.link(href=agency.page_url, rel="alternate", type="text/html")
        entry.title(f"{agency.name}: data is stale")
        entry.updated(_when(agency.since))
        entry.category(term="stale", label="stale")
        entry.summary(
            f"No good harvest within its schedule for: {', '.join(agency.sources)}. "
            f"The last publication stays on the portal."
        )
    add_entries(fg, sources, names=names, page_url=agency_url or (lambda _: page_url), when=_when)
    for package in old_data:
        age = package.data_age
        entry = fg.add_entry(order="append")
        entry.id(f"{package.organization.page_url}#data-stale-{package.kind}-{age.last_month}")
        entry.link(href=package.organization.page_url, rel="alternate", type="text/html")
        month = i18n.calendar_month(age.last_month, "en")
        entry.title(
            f"{names.get(package.organization.id, package.organization.id)}: {package.kind} data ends "
            f"{month}, {age.months_behind} months behind"
        )
        entry.updated(_when(package.modified or updated))
        entry.category(term="data_stale", label="data stale")
        entry.summary(
            f"The agency's {package.kind} rows end in {month}, {age.months_behind} months behind the "
            f"portal's reference month, {i18n.calendar_month(age.reference_month, 'en')}: they are stale."
        )
    for run in runs:
        entry = fg.add_entry(order="append")
        url = runs_url(run["run_id"])
        entry.id(url)
        entry.link(href=url, rel="alternate", type="text/html")
        entry.title(_title(run, names.get(run["agency_id"], run["agency_id"])))
        entry.updated(_when(run["finished"] or run["started"]))
        entry.published(_when(run["started"]))
        entry.category(term=run["outcome"], label=run["outcome"].replace("_", " "))
        entry.category(term=run["dataset"])
        details = [f"Source {run['source_id']}, dataset {run['dataset']}: {run['outcome']}."]
        if run.get("rows_passed") is not None:
            details.append(f"{run['rows_passed']} rows passed, {run['rows_failed'] or 0} failed.")
        if run.get("message") and run["outcome"] != Outcome.OK:
            details.append(str(run["message"])[:2000])
        entry.summary(" ".join(details))
    return fg.atom_str(pretty=True)


async def _runs(datasette: Datasette, agency_id: str | None) -> list[dict[str, Any]]:
    db = datasette.get_database(DATABASE)
    if "harvest_runs" not in await db.table_names():
        return []
    where, params = ("AND agency_id = :agency", {"agency": agency_id}) if agency_id else ("", {})
    return [dict(r) for r in (await db.execute(_RUNS_SQL.format(where=where), params)).rows]


async def _stale(datasette: Datasette, organizations: Any, names: dict[str, str]) -> tuple[Stale, ...]:
    stale = await harvest_status.stale_agencies(datasette)
    return tuple(
        Stale(o.id, names.get(o.id, o.id), o.page_url, tuple(stale[o.id]), o.published_at)
        for o in organizations
        if stale.get(o.id)
    )


def _runs_url(datasette: Datasette, to_absolute: Any) -> Any:
    table = datasette.urls.table(DATABASE, "harvest_runs")
    return lambda run_id: to_absolute(f"{table}?{urllib.parse.urlencode({'run_id': run_id})}")


def _agency_url(cat: Any) -> Any:
    pages = {o.id: o.page_url for o in cat.organizations}
    return lambda agency_id: pages.get(agency_id, cat.home_url)


async def portal_feed(request: Request, datasette: Datasette) -> Response:
    """``/feed.atom``: every agency's publications and failed harvests."""
    to_absolute = absolute(datasette, request)
    cat = await catalog_module.load(datasette, to_absolute)
    names = {
        o.id: f"{o.name_en} ({o.name_fa})" if o.name_fa and o.name_en else o.name_en or o.name_fa or o.id
        for o in cat.organizations
    }
    body = build(
        feed_url=to_absolute(datasette.urls.path("/feed.atom")),
        title=f"{cat.title_en}: publications and failed harvests",
        page_url=cat.home_url,
        runs=await _runs(datasette, None),
        names=names,
        runs_url=_runs_url(datasette, to_absolute),
        updated=cat.modified,
        stale=await _stale(datasette, cat.organizations, names),
        old_data=tuple(p for p in cat.packages if p.data_age and p.data_age.stale),
        sources=await source_events(datasette),
        agency_url=_agency_url(cat),
    )
    return conditional(request, body)


def conditional(request: Request, body: bytes) -> Response:
    """The feed with ``ETag`` (its bytes' hash) and ``Last-Modified`` (its ``<updated>``); 304 for a reader
    whose ``If-None-Match`` or ``If-Modified-Since`` shows it has this version already."""
    etag = f'"{hashlib.sha256(body).hexdigest()[:32]}"'
    found = re.search(rb"<updated>([^<]+)</updated>", body)
    modified = email.utils.format_datetime(_when(found[1].decode()).astimezone(dt.UTC), usegmt=True) if found else None
    headers = {"etag": etag, **({"last-modified": modified} if modified else {})}
    matches = request.headers.get("if-none-match")
    since = request.headers.get("if-modified-since")
    if (matches and etag in [m.strip() for m in matches.split(",")]) or (
        not matches and since and modified and _not_newer(modified, since)
    ):
        not_modified = response(b"", ATOM, status=304)
        not_modified.headers.update(headers)
        return not_modified
    out = response(body, ATOM)
    out.headers.update(headers)
    return out


def _not_newer(modified: str, since: str) -> bool:
    try:
        return email.utils.parsedate_to_datetime(modified) <= email.utils.parsedate_to_datetime(since)
    except (TypeError, ValueError):
        return False


async def agency_feed(request: Request, datasette: Datasette) -> Response:
    """``/agencies/<id>/feed.atom``: one agency's publications and failed harvests; 404 for an unknown agency."""
    to_absolute = absolute(datasette, request)
    cat = await catalog_module.load(datasette, to_absolute)
    org = cat.organization(request.url_vars["agency_id"])
    if org is None:
        return await not_found(request, datasette)
    name = f"{org.name_en} ({org.name_fa})" if org.name_fa and org.name_en else org.name_en or org.name_fa or org.id
    body = build(
        feed_url=org.feed_url,
        title=f"{name}: publications and failed harvests",
        page_url=org.page_url,
        runs=await _runs(datasette, org.id),
        names={org.id: name},
        runs_url=_runs_url(datasette, to_absolute),
        updated=org.published_at,
        stale=await _stale(datasette, [org], {org.id: name}),
        old_data=tuple(p for p in cat.packages_of(org.id) if p.data_age and p.data_age.stale),
        sources=await source_events(datasette, org.id),
    )
    return conditional(request, body)


ROUTES: list[tuple[str, Any]] = [
    (r"^/feed\.atom\Z", portal_feed),
    (rf"^/agencies/(?P<agency_id>{AGENCY_ID_PATTERN})/feed\.atom\Z", agency_feed),
]
