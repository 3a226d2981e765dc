"""What the portal offers to other catalogs: its datasets, read once, for CKAN, DCAT, feeds and the sitemap.

A dataset (CKAN's "package") is one dataset kind of one agency, for example
``alpha-service-performance``: the agency's rows of that table. It exists
when the agency has published rows of it. Its resources are the Datasette
CSV (every row, streamed) and JSON (paged) of those rows, and the agency's
zipped Frictionless data package from ``/downloads/`` (with its size and
sha256 from the exports' manifest) when it has been exported.

Dates come from the published ``harvest_runs``: ``created`` is the first
good harvest of that agency's dataset, ``modified`` the last one (a run that
changed nothing is not a modification); the agency's ``published_at`` stands
in when no run is published. Temporal coverage is the span of the rows'
``period_start`` .. ``period_end``. Titles and descriptions come from the
standard and the registry, never from harvested text. A website or licence
URL that is not one we publish (``urls.problem``: ``javascript:``, a space,
no host...) is dropped here, so every serializer is spared it.

Every serializer (``ckan_shapes``, ``dcat``, ``datajson``, ``discovery``)
reads a ``Catalog``; none of them runs SQL. The catalog is cached per
published database version and manifest, so clients paging through the API
do not re-scan the tables. The records themselves are ``catalog_models``'
(imported from here too, as every serializer does).
"""

from __future__ import annotations

import os
import urllib.parse
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from shafaf import standard
from shafaf.core import urls
from shafaf.core.catalogue import say
from shafaf.core.models import Outcome
from shafaf.datasette_plugins import common, downloads
from shafaf.datasette_plugins.catalogs import schemas
from shafaf.datasette_plugins.catalogs.catalog_models import Catalog, DataAge, License, Organization, Package, Resource
from shafaf.publish import exports
from shafaf.standard import tables
from shafaf.standard import themes as standard_themes
from shafaf.standard.themes import Theme

if TYPE_CHECKING:
    from datasette.app import Datasette

Absolute = Callable[[str], str]  # a path on this portal -> its absolute URL
CACHED_ADDRESSES = 8

_AGENCIES_SQL = """
SELECT id, name_fa, name_en, parent, website, contact_email, description_fa, description_en, published_at
FROM agencies ORDER BY id
"""
_RUNS_SQL = f"""
SELECT agency_id, dataset, min(started) AS first_good, max(finished) AS last_good
FROM harvest_runs WHERE outcome = '{Outcome.OK}' GROUP BY agency_id, dataset
"""


def package_name(agency_id: str, kind: str) -> str:
    """CKAN's name rule (lowercase letters, digits, ``-`` and ``_``): ``<agency>-<kind with hyphens>``."""
    return f"{agency_id}-{kind.replace('_', '-')}"


_cache: dict[tuple[Any, ...], Catalog] = {}


async def load(datasette: Datasette, absolute: Absolute) -> Catalog:
    """The catalog of the published database, its URLs made absolute by ``absolute``."""
    db = datasette.get_database(common.DATABASE)
    root = downloads.downloads_dir(datasette)
    key = (_stamp(getattr(db, "path", None)), _stamp(str(root / exports.MANIFEST) if root else None), absolute("/"))
    cached = _cache.get(key)
    if cached is not None:
        return cached
    catalog = await _build(datasette, absolute, root)
    for old in [k for k in _cache if k[:2] != key[:2]]:  # one version is served at a time
        del _cache[old]
    while len(_cache) >= CACHED_ADDRESSES:  # per address the portal is reached at (Host); oldest out
        del _cache[next(iter(_cache))]
    _cache[key] = catalog
    return catalog


def _stamp(path: str | None) -> tuple[int, int, int] | None:
    """What changes when a file is replaced: the published database is swapped, the manifest rewritten."""
    try:
        st = os.stat(path) if path else None
    except OSError:
        return None
    return (st.st_ino, st.st_mtime_ns, st.st_size) if st else None


async def _build(datasette: Datasette, absolute: Absolute, root: Any) -> Catalog:
    db = datasette.get_database(common.DATABASE)
    present = set(await db.table_names())
    config = datasette.plugin_config("shafaf") or {}
    organizations = []
    if "agencies" in present:
        for row in (await db.execute(_AGENCIES_SQL)).rows:
            r = dict(row)
            r["website"] = urls.published(r["website"])  # the last line: a bad URL already published is dropped
            r["contact_email"] = urls.published_email(r["contact_email"])
            page = f"/agencies/{urllib.parse.quote(r['id'])}"
            organizations.append(
                Organization(
                    **r,
                    page_url=absolute(datasette.urls.path(page)),
                    feed_url=absolute(datasette.urls.path(f"{page}/feed.atom")),
                )
            )
    runs: dict[tuple[str, str], tuple[str | None, str | None]] = {}
    if "harvest_runs" in present:
        for row in (await db.execute(_RUNS_SQL)).rows:
            runs[(row["agency_id"], row["dataset"])] = (row["first_good"], row["last_good"])
    zips = _agency_zips(datasette, root, absolute)
    ages = await _data_ages(db) if "data_coverage" in present else {}
    by_id = {o.id: o for o in organizations}
    packages = []
    for kind in tables.DATASET_TABLES:
        if kind not in present:
            continue
        for agency_id, rows, start, end in await _coverage(db, kind):
            org = by_id.get(agency_id)
            if org is None or not rows:
                continue
            first, last = runs.get((agency_id, kind), (None, None))
            packages.append(
                _package(
                    datasette,
                    absolute,
                    org,
                    kind,
                    rows,
                    first or org.published_at,
                    last or org.published_at,
                    (start, end) if start and end else None,
                    zips.get(agency_id),
                    ages.get((agency_id, kind)),
                    standard_themes.themes_of(kind, config.get("themes")),
                )
            )
    packages.sort(key=lambda p: p.name)
    return Catalog(
        title_fa=config.get("title_fa") or datasette.metadata("title") or "شفاف",
        title_en=config.get("title_en") or "Shafaf",
        description_fa=config.get("description_fa") or "",
        description_en=config.get("description_en") or datasette.metadata("description") or "",
        home_url=absolute(datasette.urls.path("/")),
        license=License(
            id=config.get("license_id") or "other-open",
            title=datasette.metadata("license") or "",
            url=urls.published(datasette.metadata("license_url")),
        ),
        organizations=tuple(organizations),
        packages=tuple(packages),
    )


async def _coverage(db: Any, kind: str) -> list[tuple[str, int, str | None, str | None]]:
    """Per agency: its rows of ``kind`` and, for tables with periods, the span they cover."""
    span = "min(period_start), max(period_end)" if standard.has_periods(kind) else "NULL, NULL"
    sql = f"SELECT agency_id, count(*), {span} FROM [{kind}] GROUP BY agency_id ORDER BY agency_id"
    return [tuple(row) for row in (await db.execute(sql)).rows]


async def _data_ages(db: Any) -> dict[tuple[str, str], DataAge]:
    """Each agency's and dataset's data age, from the publisher's data_coverage table."""
    sql = (
        "SELECT agency_id, dataset, last_month, months_behind, stale, reference_month FROM data_coverage "
        "WHERE months_behind IS NOT NULL"
    )
    return {
        (r["agency_id"], r["dataset"]): DataAge(
            r["last_month"], r["months_behind"], bool(r["stale"]), r["reference_month"]
        )
        for r in (await db.execute(sql)).rows
    }


def _agency_zips(datasette: Datasette, root: Any, absolute: Absolute) -> dict[str, dict[str, Any]]:
    """Each agency's exported data package, from the manifest: URL, size, sha256 and when it was made."""
    manifest = exports.read_manifest(root) if root else None
    out = {}
    for f in (manifest or {}).get("files", []):
        if f.get("format") == "datapackage_zip" and f.get("agency"):
            out[f["agency"]] = dict(f, url=absolute(datasette.urls.path(f"/downloads/{f['file']}")))
    return out


def _package(
    datasette: Datasette,
    absolute: Absolute,
    org: Organization,
    kind: str,
    rows: int,
    created: str | None,
    modified: str | None,
    temporal: tuple[str, str] | None,
    zipped: dict[str, Any] | None,
    data_age: DataAge | None = None,
    themes: tuple[Theme, ...] = (),
) -> Package:
    schema = standard.load_schema(kind)
    name = package_name(org.id, kind)
    csv_url = absolute(common.table_href(datasette, kind, format="csv", agency_id=org.id))
    json_url = absolute(
        common.table_href(datasette, kind, format="json", agency_id=org.id, _shape="objects", _size="max")
    )
    resources = [
        Resource(
            f"{name}-csv",
            name,
            f"{kind}.csv",
            f"Every published row of {org.name_en}'s {kind}, as CSV (UTF-8).",
            "CSV",
            "text/csv",
            csv_url,
            None,
            None,
            modified,
            0,
        ),
        Resource(
            f"{name}-json",
            name,
            f"{kind}.json",
            f"{org.name_en}'s {kind} as JSON, up to 1000 rows a page; follow next_url for the rest.",
            "JSON",
            "application/json",
            json_url,
            None,
            None,
            modified,
            1,
        ),
    ]
    if zipped:
        resources.append(
            Resource(
                f"{name}-zip",
                name,
                f"{org.id}.zip",
                f"{org.name_en}'s Frictionless data package: every dataset table of the agency, with its schema.",
                "ZIP",
                "application/zip",
                zipped["url"],
                zipped.get("bytes"),
                zipped.get("sha256"),
                zipped.get("generated_at"),
                2,
            )
        )
    return Package(
        name=name,
        kind=kind,
        organization=org,
        title_fa=f"{schema.get('title_fa') or schema['title']} — {org.name_fa or org.name_en}",
        title_en=f"{org.name_en or org.name_fa}: {schema['title']}",
        description_fa=say(
            "fa",
            "%(description)s (%(agency)s, %(rows)s rows)",
            rows=rows,
            description=schema.get("description_fa") or schema["description"],
            agency=org.name_fa or org.name_en,
        )
        + (f" {data_age.sentence('fa')}" if data_age else ""),
        description_en=f"{schema['description']} Published by {org.name_en or org.id}; {rows} rows."
        + (f" {data_age.sentence('en')}" if data_age else ""),
        rows=rows,
        created=created,
        modified=modified,
        temporal=temporal,
        data_age=data_age,
        tags=(kind, "transparency"),
        landing_page=org.page_url,
        schema_url=absolute(datasette.urls.path(schemas.schema_path(kind))),
        resources=tuple(resources),
        themes=themes,
    )
