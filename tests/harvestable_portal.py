"""A published portal for the harvestable-API tests: built from the conftest registry, served in-process or by
``shafaf serve`` on a free 127.0.0.1 port.

The registry adds a third agency, gamma, whose only source is missing: it
has a failed run (for the feeds) and no dataset (so catalogs must leave it
without packages).
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx
from conftest import write_registry

from shafaf.config import registry
from shafaf.core.datadir import DataDir
from shafaf.datasette_plugins.app import make_datasette
from shafaf.harvest.runner import harvest
from shafaf.publish.exports import write_exports
from shafaf.publish.writer import publish

GAMMA = """\
  - id: gamma
    name_fa: سازمان ج
    name_en: Gamma Organization
    contact_email: data@gamma.example.ir
    sources:
      - dataset: services
        path: files/gamma_missing.csv
"""


def build(root: Path) -> tuple[Path, registry.Registry, DataDir]:
    """The registry harvested, published and exported under ``root``; returns the registry's path too."""
    path = write_registry(root / "src", extra=GAMMA)
    reg = registry.load(path)
    data = DataDir(root / "var")
    harvest(reg.agencies, registry=reg, data=data)
    publish(list(reg.agencies), registry=reg, data=data)
    write_exports(data.public_db, data.downloads, registry=reg)
    return path, reg, data


def datasette_for(reg: registry.Registry, data: DataDir) -> Any:
    return make_datasette(data.public_db, reg.portal)


def get(ds: Any, path: str, **kwargs: Any) -> httpx.Response:
    return asyncio.run(ds.client.get(path, **kwargs))


def post(ds: Any, path: str, **kwargs: Any) -> httpx.Response:
    return asyncio.run(ds.client.post(path, **kwargs))
