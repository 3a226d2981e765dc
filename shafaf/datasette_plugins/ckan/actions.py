"""The read-only CKAN actions: each takes the catalog and checked parameters and returns the ``result``.

Semantics follow CKAN 2.10's ``ckan/logic/action/get.py``: ``package_list``
is names sorted, paged by ``limit``/``offset``; ``package_search`` pages with
``rows`` (default 10, capped at 1000) and ``start``; ``organization_show``
lists datasets only with ``include_datasets``. There is no write action: a
name that is not here is CKAN's "Action name not known" (400).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from shafaf import __version__
from shafaf.datasette_plugins.catalogs.catalog import Catalog
from shafaf.datasette_plugins.ckan import datastore, groups
from shafaf.datasette_plugins.ckan import search as ckan_search
from shafaf.datasette_plugins.ckan import shapes as ckan_shapes
from shafaf.datasette_plugins.ckan.params import (
    MAX_ROWS,
    boolean,
    list_sort,
    natural,
    not_found,
    required_id,
    text,
    text_list,
    validation_error,
)

Params = Mapping[str, Any]
CKAN_VERSION = "2.10.0"  # the API version whose answers these follow
ORG_SORTS = {
    "name": lambda o, c, lang: o.id,
    "title": lambda o, c, lang: o.name(lang),
    "package_count": lambda o, c, lang: len(c.packages_of(o.id)),
}


def status_show(catalog: Catalog, params: Params, lang: str) -> dict[str, Any]:
    """The portal's name and the API it speaks."""
    return {
        "ckan_version": CKAN_VERSION,
        "shafaf_version": __version__,
        "site_title": catalog.title(lang),
        "site_description": catalog.description_fa if lang == "fa" else catalog.description_en,
        "site_url": catalog.home_url.rstrip("/"),
        "locale_default": lang,
        "error_emails_to": None,
        "extensions": [],
    }


def site_read(catalog: Catalog, params: Params, lang: str) -> bool:
    """Whether the site may be read: always (CKAN answers ``true`` to anyone allowed to see it)."""
    return True


def package_list(catalog: Catalog, params: Params, lang: str) -> list[str]:
    """Every dataset name, sorted; ``limit``/``offset`` page it."""
    names = sorted(p.name for p in catalog.packages)
    offset = natural(params, "offset", 0)
    limit = natural(params, "limit", len(names)) if "limit" in params else None
    return names[offset:] if limit is None else names[offset : offset + limit]


def package_show(catalog: Catalog, params: Params, lang: str) -> dict[str, Any]:
    """One dataset, by ``id`` (its name), with its resources; Not Found for an unknown one."""
    package = catalog.package(required_id(params))
    if package is None:
        raise not_found("Dataset not found")
    return ckan_shapes.package(catalog, package, lang)


def resource_show(catalog: Catalog, params: Params, lang: str) -> dict[str, Any]:
    """One resource, by ``id``: ``<dataset>-csv``, ``<dataset>-json`` or ``<dataset>-zip``."""
    resource = catalog.resource(required_id(params))
    if resource is None:
        raise not_found("Resource was not found.")
    return ckan_shapes.resource(resource, catalog.package(resource.package))  # type: ignore[arg-type]


def package_search(catalog: Catalog, params: Params, lang: str) -> dict[str, Any]:
    """``q``, ``fq`` (and ``fq_list``), ``sort``, ``rows``, ``start`` and facets (see ``ckan_search``)."""
    rows = natural(params, "rows", 10, maximum=MAX_ROWS)
    start = natural(params, "start", 0)
    sort = text(params, "sort", ckan_search.DEFAULT_SORT) or ckan_search.DEFAULT_SORT
    keys = ckan_search.parse_sort(sort)
    terms = ckan_search.parse(text(params, "q"), "q") + ckan_search.parse(text(params, "fq"), "fq")
    for fq in text_list(params, "fq_list"):
        terms += ckan_search.parse(fq, "fq_list")
    for flag in ("include_private", "include_drafts", "include_deleted", "use_default_schema", "facet"):
        boolean(params, flag, False)  # accepted, and checked, but nothing is private, draft or deleted
    fields = text_list(params, "facet.field")
    for field in fields:
        if field not in ckan_search.FACET_FIELDS:
            raise validation_error(
                "facet.field", f"Cannot facet on {field!r}: use {', '.join(ckan_search.FACET_FIELDS)}"
            )
    limit = _facet_limit(params)
    mincount = natural(params, "facet.mincount", 1)
    found = [p for p in catalog.packages if ckan_search.matches(p, terms, catalog)]
    ordered = ckan_search.sort_packages(found, keys, lang)
    facets, search_facets = ckan_search.facets(found, fields, catalog, limit=limit, mincount=mincount)
    results = [ckan_shapes.package(catalog, p, lang) for p in ordered[start : start + rows]]
    wanted = _fl(params)
    if wanted:
        results = [{k: r[k] for k in wanted if k in r} for r in results]
    return {"count": len(found), "sort": sort, "facets": facets, "search_facets": search_facets, "results": results}


def _fl(params: Params) -> list[str]:
    """``fl``: the fields each result keeps (comma- or space-separated, or a list); none given, every field."""
    value = params.get("fl")
    names = text_list(params, "fl") if isinstance(value, list) else text(params, "fl").replace(",", " ").split()
    return [] if names in ([], ["*"]) or "data_dict" in names else names


def _facet_limit(params: Params) -> int:
    """``facet.limit``: a whole number, or -1 for every value (CKAN's default is 50)."""
    value = params.get("facet.limit", 50)
    if value in (-1, "-1"):
        return -1
    return natural(params, "facet.limit", 50)


def current_package_list_with_resources(catalog: Catalog, params: Params, lang: str) -> list[dict[str, Any]]:
    """Datasets with their resources, most recently modified first; ``limit``, ``offset`` or ``page``."""
    limit = natural(params, "limit", 10, maximum=MAX_ROWS)
    offset = natural(params, "offset", 0)
    if "page" in params:
        page = natural(params, "page", 1)
        if page < 1:
            raise validation_error("page", "Must be larger than 0")
        offset = (page - 1) * limit
    ordered = ckan_search.sort_packages(list(catalog.packages), [("metadata_modified", True)], lang)
    return [ckan_shapes.package(catalog, p, lang) for p in ordered[offset : offset + limit]]


def organization_list(catalog: Catalog, params: Params, lang: str) -> list[Any]:
    """Organization names, or whole dictionaries with ``all_fields``; ``sort`` by name, title or package_count."""
    all_fields = boolean(params, "all_fields", False)
    field, descending = list_sort(params, tuple(ORG_SORTS))
    wanted = set(text_list(params, "organizations"))
    orgs = [o for o in catalog.organizations if not wanted or o.id in wanted]
    orgs.sort(key=lambda o: o.id)
    orgs.sort(key=lambda o: ORG_SORTS[field](o, catalog, lang), reverse=descending)
    offset = natural(params, "offset", 0)
    limit = natural(params, "limit", MAX_ROWS, maximum=MAX_ROWS)
    orgs = orgs[offset : offset + limit]
    return [ckan_shapes.organization(catalog, o, lang) for o in orgs] if all_fields else [o.id for o in orgs]


def organization_show(catalog: Catalog, params: Params, lang: str) -> dict[str, Any]:
    """One agency, by ``id``; its datasets too with ``include_datasets``."""
    org = catalog.organization(required_id(params))
    if org is None:
        raise not_found("Organization not found")
    out = ckan_shapes.organization(catalog, org, lang)
    if boolean(params, "include_datasets", False):
        out["packages"] = [ckan_shapes.package(catalog, p, lang) for p in catalog.packages_of(org.id)]
    for flag in ("include_users", "include_extras", "include_tags", "include_groups", "include_followers"):
        boolean(params, flag, False)
    out["users"] = []
    return out


def help_show(catalog: Catalog, params: Params, lang: str) -> str:
    """What an action does (CKAN returns the action's docstring)."""
    name = required_id(params, "name")
    action = ACTIONS.get(name) or ACTIONS_WITH_SQL.get(name)
    if action is None:
        raise not_found(f"Action function not found: {name}")
    return (action.__doc__ or name).strip()


ACTIONS: dict[str, Callable[..., Any]] = {
    "site_read": site_read,
    "status_show": status_show,
    "package_list": package_list,
    "package_show": package_show,
    "package_search": package_search,
    "resource_show": resource_show,
    "current_package_list_with_resources": current_package_list_with_resources,
    "organization_list": organization_list,
    "organization_show": organization_show,
    "group_list": groups.group_list,
    "group_show": groups.group_show,
    "tag_list": groups.tag_list,
    "tag_show": groups.tag_show,
    "help_show": help_show,
}
# Coroutines that also take ``datasette=`` and ``request=``: they run SQL the request shapes.
ACTIONS_WITH_SQL: dict[str, Callable[..., Any]] = {
    "datastore_search": datastore.datastore_search,
    "datastore_search_sql": datastore.datastore_search_sql,
}
