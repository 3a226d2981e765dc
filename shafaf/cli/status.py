"""The ``shafaf status`` command: every agency's sources, their runs, schedules, harvest freshness and data age."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import click

from shafaf.cli.options import common, friendly, json_records, table
from shafaf.config import registry as registry_mod
from shafaf.core.datadir import DataDir


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@common
@friendly
def status(as_json: bool, data_dir: Path, registry_path: Path) -> None:
    """Show every agency's sources: schedule, last run and outcome, next due time, freshness.

    Times are UTC. A source is stale when as many of its scheduled slots as
    the portal's stale_after_missed_runs have passed since its last good
    run; a schedule marked * was set by the agency or an operator over the
    registry's.

    \b
    Example:
        shafaf status
        shafaf status --json
    """
    from shafaf.state.found_agencies import with_found_agencies
    from shafaf.state.freshness import source_statuses
    from shafaf.state.store import StateStore

    reg = registry_mod.load(registry_path)
    data = DataDir(data_dir)
    state = StateStore(data.state_db)
    rows = [s.as_dict() for s in source_statuses(reg, state)]
    known = {a.id for a in reg.agencies}
    found = {a.id for a in with_found_agencies(reg, data).agencies} - known
    seen: set[tuple[str, str]] = set()
    # Agencies found in multi-agency files: their runs carry the publisher's source id. Only their runs are read
    # (reading every run of every agency grew with the whole history: issue 19).
    for run in (run for agency_id in sorted(found) for run in state.runs(agency_id)):
        key = (run["agency_id"], run["source_id"])
        if run["agency_id"] in found and key not in seen:
            seen.add(key)
            rows.append(
                {
                    "agency_id": run["agency_id"],
                    "source_id": run["source_id"],
                    "dataset": run["dataset"],
                    "schedule": None,
                    "overridden": False,
                    "last_run": run["started"],
                    "outcome": run["outcome"],
                    "reason": run["reason"],
                    "message": run["message"],
                    "rows": run["rows_passed"],
                    "last_attempt": run["started"],
                    "last_good": None,
                    "next_due": None,
                    "freshness_days": None,
                    "stale": False,
                    "schedule_problem": None,
                }
            )
    ages = _data_ages(data.public_db)
    for row in rows:  # how old the published data is, beside when it was last harvested
        age = ages.get((row["agency_id"], row["dataset"]), {})
        row.update(
            data_last_month=age.get("last_month"),
            data_months_behind=age.get("months_behind"),
            data_stale=bool(age.get("stale")),
        )
    if as_json:
        click.echo(json_records(rows))
        return
    headers = [
        "agency_id",
        "source_id",
        "schedule",
        "last_run",
        "outcome",
        "rows",
        "next_due",
        "freshness_days",
        "data_last_month",
        "reason",
    ]

    def cell(row: dict[str, Any], key: str) -> str:
        value = row[key]
        if key == "schedule" and value is not None:
            value = (value if isinstance(value, str) else json.dumps(value, sort_keys=True)) + (
                "*" if row["overridden"] else ""
            )
        if key == "freshness_days":
            return " ".join(([f"{value:g} d"] if value is not None else []) + (["STALE"] if row["stale"] else []))
        if key == "next_due" and row["schedule_problem"]:
            return "cannot be computed"
        if key == "data_last_month":
            behind = row["data_months_behind"]
            return "" if value is None else f"{value} ({behind} mo behind{', STALE' if row['data_stale'] else ''})"
        return "" if value is None else str(value)

    shown = [
        h.replace("_id", "").replace("freshness_days", "harvested").replace("data_last_month", "data to")
        for h in headers
    ]
    click.echo(table([[cell(r, h) for h in headers] for r in rows], shown))
    for row in rows:
        if row["schedule_problem"]:
            click.echo(f"warning: {row['agency_id']}/{row['source_id']}: {row['schedule_problem']}", err=True)


def _data_ages(public_db: Path) -> dict[tuple[str, str], dict[str, Any]]:
    """(agency, dataset) -> the last month its published data covers, months behind and stale, from data_coverage."""
    if not public_db.exists():
        return {}
    try:
        conn = sqlite3.connect(f"{public_db.resolve().as_uri()}?mode=ro", uri=True)
        try:
            conn.row_factory = sqlite3.Row
            return {
                (r["agency_id"], r["dataset"]): dict(r)
                for r in conn.execute("SELECT agency_id, dataset, last_month, months_behind, stale FROM data_coverage")
            }
        finally:
            conn.close()
    except sqlite3.Error:  # published by an older Shafaf, or unreadable: status still answers
        return {}
