"""The catalog as CKAN 2.9/2.10 dictionaries: packages, resources, organizations, tags.

The keys and their types follow real CKAN answers (legado.dados.gov.br's
``package_show`` and ``package_search``, in tests/fixtures/ckan/), so a
client written against CKAN reads them unchanged. CKAN's timestamps are UTC
without a zone suffix (``2022-11-23T00:29:53.533713``); ours are written the
same way. Titles are in the request's language (``?lang=``, Persian by
default); ``title_translated`` and ``notes_translated`` (ckanext-fluent's
convention) carry both.
"""

from __future__ import annotations

import uuid
from typing import Any

from shafaf.datasette_plugins.catalogs.catalog import Catalog, Organization, Package, Resource
from shafaf.standard.themes import Theme

OPEN_LICENSES = {
    "CC-BY-4.0",
    "CC-BY-SA-4.0",
    "CC0-1.0",
    "ODC-BY-1.0",
    "ODbL-1.0",
    "cc-by",
    "cc-by-sa",
    "cc-zero",
    "odc-by",
    "odc-odbl",
    "odc-pddl",
    "other-open",
}
_NAMESPACE = uuid.UUID("6f1d8a4e-2b0c-4f5e-9c1a-5a7e0d3b9f21")  # Shafaf's: stable tag ids across portals


def ckan_time(stamp: str | None) -> str | None:
    """``2026-12-01T18:44:12Z`` as CKAN writes it: ``2026-12-01T18:44:12`` (UTC)."""
    return stamp[:-1] if stamp and stamp.endswith("Z") else stamp


def tag(name: str) -> dict[str, Any]:
    return {
        "id": str(uuid.uuid5(_NAMESPACE, f"tag:{name}")),
        "name": name,
        "display_name": name,
        "state": "active",
        "vocabulary_id": None,
    }


def group(catalog: Catalog, theme: Theme, lang: str, *, with_count: bool = True) -> dict[str, Any]:
    """A theme as CKAN's group: named by its EU data-theme code, described by the vocabulary's IRI."""
    out: dict[str, Any] = {
        "id": theme.name,
        "name": theme.name,
        "title": theme.title(lang),
        "display_name": theme.title(lang),
        "title_translated": {"fa": theme.title_fa, "en": theme.title_en},
        "description": theme.iri,
        "created": ckan_time(min((p.created for p in catalog.packages_in(theme) if p.created), default=None)),
        "image_url": "",
        "image_display_url": "",
        "is_organization": False,
        "approval_status": "approved",
        "state": "active",
        "type": "group",
        "num_followers": 0,
        "extras": [{"key": "uri", "value": theme.iri}],
    }
    if with_count:
        out["package_count"] = len(catalog.packages_in(theme))
    return out


def package_group(theme: Theme, lang: str) -> dict[str, Any]:
    """A group as a package lists it (CKAN's six keys)."""
    return {
        "id": theme.name,
        "name": theme.name,
        "title": theme.title(lang),
        "display_name": theme.title(lang),
        "description": theme.iri,
        "image_display_url": "",
    }


def organization(catalog: Catalog, org: Organization, lang: str, *, with_count: bool = True) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": org.id,
        "name": org.id,
        "title": org.name(lang),
        "display_name": org.name(lang),
        "title_translated": {"fa": org.name_fa, "en": org.name_en},
        "description": (org.description_fa if lang == "fa" else org.description_en) or "",
        "description_translated": {"fa": org.description_fa or "", "en": org.description_en or ""},
        # Not later than its first dataset (published_at is the agency's latest publication).
        "created": ckan_time(
            min(filter(None, (org.published_at, *(p.created for p in catalog.packages_of(org.id)))), default=None)
        ),
        "image_url": "",
        "image_display_url": "",
        "is_organization": True,
        "approval_status": "approved",
        "state": "active",
        "type": "organization",
        "num_followers": 0,
        "extras": [
            {"key": k, "value": v}
            for k, v in (
                ("website", org.website),
                ("parent", org.parent),
                ("contact_email", org.contact_email),
                ("page", org.page_url),
                ("feed", org.feed_url),
            )
            if v
        ],
    }
    if with_count:
        out["package_count"] = len(catalog.packages_of(org.id))
    return out


def resource(resource: Resource, package: Package) -> dict[str, Any]:
    return {
        "id": resource.id,
        "package_id": package.name,
        "name": resource.name,
        "description": resource.description,
        "format": resource.format,
        "mimetype": resource.mediatype,
        "mimetype_inner": None,
        "url": resource.url,
        "url_type": None,
        "size": resource.size,
        "hash": f"sha256:{resource.sha256}" if resource.sha256 else "",
        "created": ckan_time(package.created),
        "last_modified": ckan_time(resource.last_modified),
        "metadata_modified": ckan_time(package.modified),
        "position": resource.position,
        "state": "active",
        "resource_type": None,
        "cache_url": None,
        "cache_last_updated": None,
        "datastore_active": resource.datastore_active,
    }


def package(catalog: Catalog, package: Package, lang: str) -> dict[str, Any]:
    org = package.organization
    extras = {
        "dataset_kind": package.kind,
        "rows": str(package.rows),
        "schema": package.schema_url,
        "language": "fa,en",
    }
    if package.temporal:
        extras["temporal_start"], extras["temporal_end"] = package.temporal
    if package.data_age:
        extras["data_last_month"] = package.data_age.last_month or ""
        extras["data_months_behind"] = str(package.data_age.months_behind)
        extras["data_stale"] = "true" if package.data_age.stale else "false"
        extras["reference_month"] = package.data_age.reference_month
    return {
        "id": package.name,
        "name": package.name,
        "title": package.title(lang),
        "title_translated": {"fa": package.title_fa, "en": package.title_en},
        "notes": package.description(lang),
        "notes_translated": {"fa": package.description_fa, "en": package.description_en},
        "author": org.name(lang),
        "author_email": org.contact_email or "",
        "maintainer": org.name(lang),
        "maintainer_email": org.contact_email or "",
        "license_id": catalog.license.id,
        "license_title": catalog.license.title,
        "license_url": catalog.license.url or "",
        "isopen": catalog.license.id in OPEN_LICENSES,
        "metadata_created": ckan_time(package.created),
        "metadata_modified": ckan_time(package.modified),
        "num_resources": len(package.resources),
        "num_tags": len(package.tags),
        "organization": organization(catalog, org, lang, with_count=False),
        "owner_org": org.id,
        "private": False,
        "state": "active",
        "type": "dataset",
        "url": package.landing_page,
        "version": "",
        "tags": [tag(t) for t in package.tags],
        "groups": [package_group(t, lang) for t in package.themes],
        "extras": [{"key": k, "value": v} for k, v in sorted(extras.items())],
        "relationships_as_object": [],
        "relationships_as_subject": [],
        "resources": [resource(r, package) for r in package.resources],
    }
