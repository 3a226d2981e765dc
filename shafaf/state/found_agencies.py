"""Agencies known only from multi-agency files (a national inventory): registered in state.db, published too.

A source with ``new_agencies`` registers each agency it finds (``StateStore.found_agency``);
everything that publishes or reports adds them to the registry's own with ``with_found_agencies``.
"""

from __future__ import annotations

import dataclasses

from shafaf.config.registry import Agency, Registry
from shafaf.core import urls
from shafaf.core.datadir import DataDir
from shafaf.state.store import StateStore


def found_agency(agency_id: str, names: dict[str, str]) -> Agency:
    """An agency known only from a multi-agency file; either name stands in for the other.

    Its website is harvested text: kept only if it is a URL we publish
    (``urls.problem``), as the registry would require, so ``javascript:``
    never reaches a catalog.
    """
    name_en = names.get("name_en") or names.get("name_fa") or agency_id
    name_fa = names.get("name_fa") or name_en
    return Agency(id=agency_id, name_fa=name_fa, name_en=name_en, website=urls.published(names.get("website")))


def with_found_agencies(registry: Registry, data: DataDir) -> Registry:
    """The registry plus the agencies multi-agency sources registered, so they are published too."""
    if not data.state_db.exists():
        return registry
    known = {a.id for a in registry.agencies}
    found = [
        found_agency(row["id"], {k: row[k] for k in ("name_en", "name_fa", "website") if row[k]})
        for row in StateStore(data.state_db).found_agencies()
        if row["id"] not in known
    ]
    return dataclasses.replace(registry, agencies=registry.agencies + tuple(found)) if found else registry
