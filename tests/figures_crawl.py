"""Serving a published portal in-process and reading every page that shows figures, in both languages.

``/``, every ``/agencies/<id>``, the service pages of a sample of services and ``/discrepancies``, each with
``?lang=en`` and in Persian (the default).
"""

from __future__ import annotations

import asyncio
import dataclasses
import random
import sqlite3
from pathlib import Path

from figures_pages import Page, parse

from shafaf.config.registry import Registry
from shafaf.datasette_plugins.app import make_datasette

LANGS = ("fa", "en")


@dataclasses.dataclass
class Crawled:
    path: str
    lang: str
    status: int
    page: Page


def sample_services(db_path: Path, *, per_agency: int, seed: int = 16) -> list[tuple[str, str]]:
    """Up to ``per_agency`` services of each agency, those with monthly rows first, chosen reproducibly."""
    with sqlite3.connect(f"file:{db_path}?mode=ro", uri=True) as conn:
        rows = conn.execute(
            "SELECT s.agency_id, s.service_id, EXISTS (SELECT 1 FROM service_performance p WHERE "
            "p.agency_id = s.agency_id AND p.service_id = s.service_id) AS has_rows FROM services s "
            "ORDER BY s.agency_id, s.service_id"
        ).fetchall()
    rng = random.Random(seed)
    by_agency: dict[str, list[tuple[int, str]]] = {}
    for agency, service, has_rows in rows:
        by_agency.setdefault(agency, []).append((has_rows, service))
    out = []
    for agency, services in by_agency.items():
        rng.shuffle(services)
        services.sort(key=lambda s: -s[0])
        out += [(agency, s) for _, s in services[:per_agency]]
    return out


def crawl(db_path: Path, reg: Registry, registry_path: Path | None, *, services_per_agency: int = 2) -> list[Crawled]:
    ds = make_datasette(db_path, reg.portal, registry_path=registry_path)
    with sqlite3.connect(f"file:{db_path}?mode=ro", uri=True) as conn:
        agencies = [a for (a,) in conn.execute("SELECT id FROM agencies ORDER BY id")]
    paths = [
        "/",
        "/discrepancies",
        *(f"/agencies/{a}" for a in agencies),
        *(f"/agencies/{a}/services/{s}" for a, s in sample_services(db_path, per_agency=services_per_agency)),
    ]

    async def run() -> list[Crawled]:
        out = []
        for path in paths:
            for lang in LANGS:
                url = f"{path}?lang={lang}"
                response = await ds.client.get(url)
                out.append(Crawled(path, lang, response.status_code, parse(response.text)))
        return out

    return asyncio.run(run())
