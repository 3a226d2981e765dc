"""Staged packages written straight to disk, for tests of the publisher alone.

Publishing reads ``var/packages/<agency>/``; harvesting and validating a large
file only to get there would make crash tests slow, so these write the
canonical CSVs and descriptor that staging would have written.
"""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

from shafaf.config import registry
from shafaf.core.datadir import DataDir
from shafaf.stage.package import write_datapackage

AGENCIES = ("alpha", "beta")


def write_registry(root: Path, agencies: tuple[str, ...] = AGENCIES) -> registry.Registry:
    items = "".join(f"  - {{id: {a}, name_fa: {a}, name_en: {a.title()}}}\n" for a in agencies)
    path = root / "agencies.yml"
    path.write_text("agencies:\n" + items, encoding="utf-8")
    return registry.load(path)


def write_package(
    data: DataDir, reg: registry.Registry, agency_id: str, *, run_id: str, services: int, rows_per_service: int
) -> int:
    """A package of ``services`` services with ``rows_per_service`` monthly rows each; returns performance rows."""
    pkg = data.packages(agency_id)
    pkg.mkdir(parents=True, exist_ok=True)
    with (pkg / "services.csv").open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["agency_id", "service_id", "name_fa", "name_en"])
        w.writerows([agency_id, f"S{i}", f"خدمت {i}", f"Service {i} ({run_id})"] for i in range(services))
    months = [_month(m) for m in range(rows_per_service)]
    with (pkg / "service_performance.csv").open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["agency_id", "service_id", "period_start", "period_end", "period_label", "channel", "applications"])
        for i in range(services):
            w.writerows(
                [agency_id, f"S{i}", start, end, label, "online", m] for m, (start, end, label) in enumerate(months)
            )
    count = services * rows_per_service
    agency = reg.agency(agency_id)
    provenance = {kind: {"run_id": run_id, "source": "test"} for kind in ("services", "service_performance")}
    write_datapackage(pkg, agency, reg.portal, provenance=provenance)
    return count


def _month(m: int) -> tuple[str, str, str]:
    """The m-th month from January 2000 as (start, end, label)."""
    start = dt.date(2000 + m // 12, m % 12 + 1, 1)
    end = (start.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)
    return start.isoformat(), end.isoformat(), f"{start:%Y-%m}"


def republish(public_db: Path, sql: str, params: tuple = ()) -> None:
    """What a hand edit (or an older Shafaf) left published, as a publish would leave it: a new version.

    A served version is never written again (shafaf/publish/dbfile.py): the server
    reads versions immutable, so a test that changes what is served copies
    the version, changes the copy and swaps it in.
    """
    import sqlite3

    from shafaf.publish import dbfile

    building = dbfile.start_version(public_db, base=dbfile.current_version(public_db))
    with sqlite3.connect(building) as conn:
        conn.execute(sql, params)
    conn.close()
    dbfile.swap_in(public_db, building)
