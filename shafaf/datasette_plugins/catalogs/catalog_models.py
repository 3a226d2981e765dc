"""What the portal's catalog holds: its organizations, datasets (packages), their resources and data age.

Split from ``catalog`` (which reads them from the published database, once
per version) by what it owns: the frozen records every serializer reads
(CKAN's shapes, DCAT, data.json, feeds, the sitemap). Titles and
descriptions in them come from the standard and the registry, never from
harvested text.
"""

from __future__ import annotations

import dataclasses

from shafaf.core.catalogue import number, say
from shafaf.datasette_plugins import common, i18n
from shafaf.standard import themes as standard_themes
from shafaf.standard.themes import Theme


@dataclasses.dataclass(frozen=True)
class License:
    id: str
    title: str
    url: str | None


@dataclasses.dataclass(frozen=True)
class Organization:
    """A published agency (CKAN's organization, DCAT's publisher)."""

    id: str
    name_fa: str
    name_en: str
    parent: str | None
    website: str | None
    contact_email: str | None
    description_fa: str | None
    description_en: str | None
    published_at: str | None
    page_url: str
    feed_url: str

    def name(self, lang: str) -> str:
        return common.name(dataclasses.asdict(self), lang)


@dataclasses.dataclass(frozen=True)
class Resource:
    """One way to download a dataset (CKAN's resource, DCAT's distribution)."""

    id: str
    package: str
    name: str
    description: str
    format: str  # CSV, JSON, ZIP
    mediatype: str
    url: str
    size: int | None  # known for exported files only; Datasette's CSV/JSON are made on request
    sha256: str | None
    last_modified: str | None
    position: int

    @property
    def datastore_active(self) -> bool:
        """The CSV and JSON are the rows of one agency's table, which ``datastore_search`` serves too; the ZIP is a file."""
        return self.format in ("CSV", "JSON")


@dataclasses.dataclass(frozen=True)
class DataAge:
    """A dataset's last month covered (the portal's calendar), how far behind the reference month, stale or not."""

    last_month: str | None
    months_behind: int | None
    stale: bool
    reference_month: str

    def sentence(self, lang: str) -> str:
        """What a harvester's reader should know, in the dataset's description."""
        text = say(
            lang,
            "Data to %(month)s, %(behind)s months behind the portal's reference month",
            month=i18n.calendar_month(self.last_month, lang),
            behind=number(self.months_behind, lang),
        )
        return say(lang, "%(sentence)s (stale).", sentence=text) if self.stale else text + "."


@dataclasses.dataclass(frozen=True)
class Package:
    name: str
    kind: str
    organization: Organization
    title_fa: str
    title_en: str
    description_fa: str
    description_en: str
    rows: int
    created: str | None
    modified: str | None
    temporal: tuple[str, str] | None  # ISO dates: the earliest period_start, the latest period_end
    data_age: DataAge | None  # how recent the rows are (data_coverage), where the dataset has dates
    tags: tuple[str, ...]
    landing_page: str
    schema_url: str  # the standard's Table Schema of the table, as JSON (catalogs/schemas.py)
    resources: tuple[Resource, ...]
    themes: tuple[Theme, ...] = ()  # EU data themes: dcat:theme, and the CKAN groups

    def title(self, lang: str) -> str:
        return self.title_fa if lang == "fa" else self.title_en

    def description(self, lang: str) -> str:
        return self.description_fa if lang == "fa" else self.description_en


@dataclasses.dataclass(frozen=True)
class Catalog:
    title_fa: str
    title_en: str
    description_fa: str
    description_en: str
    home_url: str
    license: License
    organizations: tuple[Organization, ...]
    packages: tuple[Package, ...]

    @property
    def modified(self) -> str | None:
        return max((p.modified for p in self.packages if p.modified), default=None)

    def title(self, lang: str) -> str:
        return self.title_fa if lang == "fa" else self.title_en

    def package(self, name_or_id: str) -> Package | None:
        return next((p for p in self.packages if p.name == name_or_id), None)

    def organization(self, name_or_id: str) -> Organization | None:
        return next((o for o in self.organizations if o.id == name_or_id), None)

    def resource(self, resource_id: str) -> Resource | None:
        return next((r for p in self.packages for r in p.resources if r.id == resource_id), None)

    def packages_of(self, organization_id: str) -> list[Package]:
        return [p for p in self.packages if p.organization.id == organization_id]

    @property
    def themes(self) -> tuple[Theme, ...]:
        """The themes some dataset is filed under, in the vocabulary's order (CKAN's groups)."""
        used = {t.code for p in self.packages for t in p.themes}
        return tuple(t for code, t in standard_themes.THEMES.items() if code in used)

    def theme(self, name: str) -> Theme | None:
        return next((t for t in self.themes if t.name == name), None)

    def packages_in(self, theme: Theme) -> list[Package]:
        return [p for p in self.packages if theme in p.themes]

    @property
    def tags(self) -> list[str]:
        return sorted({t for p in self.packages for t in p.tags})
