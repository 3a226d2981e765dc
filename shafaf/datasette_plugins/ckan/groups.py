"""CKAN's group and tag actions: the EU data themes as groups, the datasets' keywords as tags.

Semantics follow CKAN 2.10's ``ckan/logic/action/get.py``: ``group_list``
answers names (whole dictionaries with ``all_fields``), sorted by ``sort``
and paged by ``limit``/``offset``; ``group_show`` lists the group's datasets
only with ``include_datasets``; ``tag_list`` answers the names of every tag
(``query`` narrows them to those containing it); ``tag_show`` a tag, with its
datasets under ``include_datasets``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from shafaf.datasette_plugins.catalogs.catalog import Catalog
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
)

Params = Mapping[str, Any]
GROUP_SORTS = ("name", "title", "package_count")


def group_list(catalog: Catalog, params: Params, lang: str) -> list[Any]:
    """Group (theme) names, or whole dictionaries with ``all_fields``; ``sort`` by name, title or package_count."""
    all_fields = boolean(params, "all_fields", False)
    field, descending = list_sort(params, GROUP_SORTS)
    for flag in ("include_dataset_count", "include_extras", "include_tags", "include_groups", "include_users"):
        boolean(params, flag, False)
    wanted = set(text_list(params, "groups"))
    themes = [t for t in catalog.themes if not wanted or t.name in wanted]
    themes.sort(key=lambda t: t.name)
    key = {
        "name": lambda t: t.name,
        "title": lambda t: t.title(lang),
        "package_count": lambda t: len(catalog.packages_in(t)),
    }[field]
    themes.sort(key=key, reverse=descending)
    offset = natural(params, "offset", 0)
    limit = natural(params, "limit", MAX_ROWS, maximum=MAX_ROWS)
    themes = themes[offset : offset + limit]
    return [ckan_shapes.group(catalog, t, lang) for t in themes] if all_fields else [t.name for t in themes]


def group_show(catalog: Catalog, params: Params, lang: str) -> dict[str, Any]:
    """One group (an EU data theme), by ``id`` (its code in lower case); its datasets with ``include_datasets``."""
    theme = catalog.theme(required_id(params).lower())
    if theme is None:
        raise not_found("Group not found")
    out = ckan_shapes.group(catalog, theme, lang)
    if boolean(params, "include_datasets", False):
        out["packages"] = [ckan_shapes.package(catalog, p, lang) for p in catalog.packages_in(theme)]
    for flag in ("include_users", "include_extras", "include_tags", "include_groups", "include_followers"):
        boolean(params, flag, False)
    out["users"] = []
    out["groups"] = []
    out["tags"] = []
    return out


def tag_list(catalog: Catalog, params: Params, lang: str) -> list[Any]:
    """Every tag's name, sorted (``query``: those containing it); whole dictionaries with ``all_fields``."""
    query = text(params, "query")
    all_fields = boolean(params, "all_fields", False)
    if text(params, "vocabulary_id"):
        raise not_found("Vocabulary not found")  # the portal's tags are free tags: no vocabulary exists
    names = [t for t in catalog.tags if query.lower() in t.lower()]
    return [ckan_shapes.tag(t) for t in names] if all_fields else names


def tag_show(catalog: Catalog, params: Params, lang: str) -> dict[str, Any]:
    """One tag, by ``id`` (its name or id); the datasets carrying it with ``include_datasets``."""
    wanted = required_id(params)
    name = next((t for t in catalog.tags if wanted in (t, ckan_shapes.tag(t)["id"])), None)
    if name is None:
        raise not_found(f'Could not find tag "{wanted}"')
    out = ckan_shapes.tag(name)
    if boolean(params, "include_datasets", False):
        out["packages"] = [ckan_shapes.package(catalog, p, lang) for p in catalog.packages if name in p.tags]
    return out
