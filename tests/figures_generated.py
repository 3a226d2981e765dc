"""Generated portals for the check of the figures: the edge cases by name, and random ones from seeds.

Each agency is written as a staged package (the canonical CSVs and descriptor staging writes, as
tests/publishing.py does) with its harvest runs in state.db, then published with ``shafaf.publish.publish``
under a frozen wall clock, so the publication day (and the reference window) is the one chosen here.
"""

from __future__ import annotations

import contextlib
import csv
import dataclasses
import datetime as dt
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import figures_calendar as cal

from shafaf import standard
from shafaf.config import registry
from shafaf.core.datadir import DataDir
from shafaf.core.models import Outcome
from shafaf.publish.writer import publish
from shafaf.stage.package import write_datapackage
from shafaf.state import store as state_mod
from shafaf.state.store import Run, StateStore

CHANNELS = ("online", "in_person", "service_office", "phone")


@dataclasses.dataclass
class Agency:
    id: str
    rows: dict[str, list[dict[str, Any]]] = dataclasses.field(default_factory=dict)  # dataset -> rows
    runs: list[dict[str, Any]] = dataclasses.field(default_factory=list)


@dataclasses.dataclass
class Spec:
    name: str
    now: dt.datetime  # the frozen wall clock (UTC) of the publication
    portal: dict[str, Any]  # portal settings for the registry
    agencies: list[Agency]
    republish: dict[str, dict[str, list[dict[str, Any]]]] = dataclasses.field(default_factory=dict)

    @property
    def today(self) -> dt.date:
        from zoneinfo import ZoneInfo

        return self.now.astimezone(ZoneInfo(self.portal.get("timezone", "Asia/Tehran"))).date()

    @property
    def window(self) -> cal.Window:
        return cal.Window(self.today, self.portal.get("calendar", "jalali"), self.portal.get("reference_lag_months", 1))


# -- rows


def months(first: cal.Month, count: int, calendar: str) -> list[tuple[dt.date, dt.date, str]]:
    out = []
    for n in range(count):
        month = cal.shift(first, n)
        start, end = cal.bounds(month, calendar)
        out.append((start, end, cal.label(month)))
    return out


def quarters(first: dt.date, count: int) -> list[tuple[dt.date, dt.date, str]]:
    """Gregorian quarters from the quarter starting on ``first``."""
    out = []
    start = first
    for _ in range(count):
        nxt = dt.date(start.year + (start.month > 9), (start.month + 2) % 12 + 1, 1)
        out.append((start, nxt - dt.timedelta(days=1), f"{start.year}-Q{(start.month - 1) // 3 + 1}"))
        start = nxt
    return out


def jalali_years(first: int, count: int) -> list[tuple[dt.date, dt.date, str]]:
    return [(*cal.jalali_year_bounds(y), str(y)) for y in range(first, first + count)]


def services(rng: random.Random, agency: str, count: int, *, gaps: float = 0.2) -> list[dict[str, Any]]:
    """An inventory with stages that apply or not (empty), flags true, false or empty, some how-to links."""
    out = []
    for n in range(count):
        row: dict[str, Any] = {
            "agency_id": agency,
            "service_id": f"{agency[:3].upper()}-{n:03d}",
            "name_fa": f"خدمت {n}",
            "name_en": f"Service {n}",
            "updated": "2025-12-01" if n % 2 else "2026-01-15",
        }
        for stage in (
            "online_information",
            "online_application",
            "online_identity",
            "online_payment",
            "online_decision",
            "online_issuance",
        ):
            row[stage] = "" if rng.random() < gaps else rng.choice(("true", "true", "false"))
        for flag in ("smart", "on_national_portal", "via_gsb"):
            row[flag] = "" if rng.random() < gaps / 2 else rng.choice(("true", "false"))
        row["standard_days"] = rng.choice(("", "3", "7.5", "30"))
        row["fee"] = rng.choice(("", "0", "150000"))
        row["how_to_url"] = f"https://{agency}.example.ir/{n}" if rng.random() > gaps else ""
        out.append(row)
    return out


def performance(
    rng: random.Random,
    agency: str,
    service_ids: list[str],
    periods: list[tuple[dt.date, dt.date, str]],
    *,
    gaps: float = 0.15,
    channels: tuple[str, ...] = CHANNELS[:3],
) -> list[dict[str, Any]]:
    """One row per service, period and channel; counts and measures sometimes left empty, as agencies do."""

    def maybe(value: Any) -> Any:
        return "" if rng.random() < gaps else value

    out = []
    for service in service_ids:
        for start, end, label in periods:
            for channel in rng.sample(channels, rng.randint(1, len(channels))):
                applications = rng.randint(0, 5000)
                completed = rng.randint(0, applications) if applications else 0
                out.append(
                    {
                        "agency_id": agency,
                        "service_id": service,
                        "period_start": start.isoformat(),
                        "period_end": end.isoformat(),
                        "period_label": label,
                        "channel": channel,
                        "applications": maybe(applications),
                        "completed": maybe(completed),
                        "within_standard": maybe(rng.randint(0, completed)),
                        "median_days": maybe(rng.randint(1, 90) / 4),
                        "satisfaction": maybe(round(rng.uniform(20, 100), 1)),
                        "complaints": maybe(rng.randint(0, 40)),
                        "cost": maybe(rng.randint(1000, 9000)),
                        "availability_pct": maybe(round(rng.uniform(90, 100), 2)) if channel == "online" else "",
                    }
                )
    return out


def target(
    agency: str,
    indicator: str,
    period: tuple[dt.date, dt.date, str],
    target_: Any,
    actual: Any,
    unit: str = "",
    direction: str = "",
) -> dict[str, Any]:
    start, end, label = period
    return {
        "agency_id": agency,
        "indicator": indicator,
        "period_start": start.isoformat(),
        "period_end": end.isoformat(),
        "period_label": label,
        "target": target_,
        "actual": actual,
        "unit": unit,
        "direction": direction,
        "source": "annual report",
    }


def run(
    source: str,
    dataset: str,
    started: dt.datetime,
    outcome: Outcome = Outcome.OK,
    read: int | None = None,
    passed: int | None = None,
) -> dict[str, Any]:
    return {
        "source_id": source,
        "dataset": dataset,
        "started": started,
        "outcome": outcome,
        "rows_read": read,
        "rows_passed": passed,
    }


# -- writing and publishing


def _registry_text(spec: Spec) -> str:
    lines = ["portal:", "  title_en: Generated portal", "  title_fa: درگاه ساختگی"]
    for key, value in spec.portal.items():
        if key == "smart_plan":
            lines.append(f"  smart_plan: {{start_year: {value[0]}, step: {value[1]}, years: {value[2]}}}")
        else:
            lines.append(f"  {key}: {value}")
    lines.append("agencies:")
    lines += [f"  - {{id: {a.id}, name_fa: دستگاه {a.id}, name_en: Agency {a.id}}}" for a in spec.agencies]
    return "\n".join(lines) + "\n"


def _write_package(
    data: DataDir,
    reg: registry.Registry,
    agency_id: str,
    rows: dict[str, list[dict[str, Any]]],
    run_ids: dict[str, str],
) -> None:
    pkg = data.packages(agency_id)
    pkg.mkdir(parents=True, exist_ok=True)
    for kind in standard.DATASET_KINDS:
        path = pkg / f"{kind}.csv"
        if kind not in rows:
            path.unlink(missing_ok=True)
            continue
        names = [f["name"] for f in standard.fields(kind)]
        with path.open("w", newline="", encoding="utf-8") as f:
            writer = csv.DictWriter(f, fieldnames=names, restval="")
            writer.writeheader()
            writer.writerows(rows[kind])
    provenance = {
        kind: {"run_id": run_ids.get(kind, f"gen-{agency_id}-{kind}"), "source": "generated"} for kind in rows
    }
    write_datapackage(pkg, reg.agency(agency_id), reg.portal, provenance=provenance)


@contextlib.contextmanager
def frozen(now: dt.datetime) -> Iterator[None]:
    """The one wall clock (shafaf.state.store.wall_clock) stopped at ``now`` while publishing."""
    original = state_mod.wall_clock
    state_mod.wall_clock = lambda: now
    try:
        yield
    finally:
        state_mod.wall_clock = original


def build(spec: Spec, root: Path) -> tuple[Path, registry.Registry, DataDir]:
    path = root / "agencies.yml"
    path.write_text(_registry_text(spec), encoding="utf-8")
    reg = registry.load(path)
    data = DataDir(root / "var")
    store = StateStore(data.state_db)
    for agency in spec.agencies:
        run_ids = {}
        for n, r in enumerate(agency.runs):
            run_id = f"{r['started']:%Y%m%dT%H%M%S}{n:06d}-{agency.id[:6]}"
            started = r["started"].strftime("%Y-%m-%dT%H:%M:%SZ")
            store.save(
                Run(
                    run_id=run_id,
                    agency_id=agency.id,
                    source_id=r["source_id"],
                    dataset=r["dataset"],
                    kind="file",
                    location=f"{r['dataset']}.csv",
                    started=started,
                    finished=started,
                    outcome=r["outcome"],
                    rows_read=r["rows_read"],
                    rows_passed=r["rows_passed"],
                    rows_failed=None if r["rows_read"] is None else r["rows_read"] - (r["rows_passed"] or 0),
                )
            )
            if r["outcome"] == Outcome.OK:
                run_ids[r["dataset"]] = run_id
        if agency.rows:
            _write_package(data, reg, agency.id, agency.rows, run_ids)
    with frozen(spec.now):
        results = publish(list(reg.agencies), registry=reg, data=data)
        assert all(r.ok for r in results), [r for r in results if not r.ok]
        for agency_id, rows in spec.republish.items():
            _write_package(data, reg, agency_id, rows, {kind: f"gen2-{agency_id}-{kind}" for kind in rows})
            results = publish([reg.agency(agency_id)], registry=reg, data=data)
            assert all(r.ok for r in results), results
    return path, reg, data
