"""The portals the figures are checked on: the demo, the Canada example on the real file, generated ones.

Each is published into its own folder and described by a ``Built``: the database, the registry and the
settings the oracle needs (read from the registry, not from the publisher).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import figures_generated
import figures_scenarios
from figures_oracle import Settings

from shafaf.config import registry
from shafaf.core.datadir import DataDir
from shafaf.harvest.runner import harvest
from shafaf.publish.writer import publish

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "metadata" / "agencies.yml"


@dataclasses.dataclass
class Built:
    name: str
    db: Path
    registry: registry.Registry
    registry_path: Path | None
    settings: Settings


def settings_of(portal: registry.Portal) -> Settings:
    plan = portal.smart_plan
    return Settings(
        timezone=portal.timezone,
        calendar=portal.calendar,
        lag_months=portal.reference_lag_months,
        stale_after_months=portal.stale_after_months,
        tolerance=portal.discrepancy_tolerance,
        plan=None if plan is None else (plan.start_year, plan.step, plan.years),
    )


def demo(root: Path) -> Built:
    """The bundled demo, harvested from its files and published, as ``shafaf demo --no-serve`` does."""
    reg = registry.load(DEMO)
    data = DataDir(root / "var")
    harvest(reg.agencies, registry=reg, data=data)
    with figures_generated.frozen(dt.datetime.now(dt.UTC)):  # one publication day, even across midnight
        results = publish(list(reg.agencies), registry=reg, data=data)
    assert all(r.ok for r in results), results
    return Built("demo", data.public_db, reg, DEMO, settings_of(reg.portal))


def canada(published: tuple) -> Built:
    """The Canada example on the real file (conftest's session-wide ``canada_published``)."""
    _, results, data, reg = published
    assert all(r.ok for r in results), [r for r in results if not r.ok][:3]
    return Built("canada", data.public_db, reg, None, settings_of(reg.portal))


def generated(name: str, root: Path) -> Built:
    """A generated portal (figures_scenarios), staged and published under its frozen clock."""
    path, reg, data = figures_generated.build(figures_scenarios.SPECS[name](), root)
    return Built(name, data.public_db, reg, path, settings_of(reg.portal))


NAMES: tuple[str, ...] = ("demo", "canada", *figures_scenarios.SPECS)


def build(name: str, root: Path) -> Built:
    """A portal by name (not "canada", which the session's fixture publishes: ``canada``)."""
    if name == "demo":
        return demo(root)
    return generated(name, root)
