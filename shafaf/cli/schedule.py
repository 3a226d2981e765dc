"""The commands of scheduling: ``shafaf scheduler``, ``shafaf token ...``, ``shafaf schedule ...``.

Thin, like the rest of ``cli``: each parses, calls one function of
``scheduler``, ``tokens`` or ``agency_requests``, and prints. Imported at
the end of ``cli`` to add them to the ``shafaf`` group.
"""

from __future__ import annotations

import datetime as dt
import json
import signal
import threading
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import click

from shafaf.cli.options import common, friendly, json_records, table
from shafaf.config import registry as registry_mod
from shafaf.core.datadir import DataDir
from shafaf.core.errors import ShafafError, UsageError
from shafaf.state.store import StateStore


def _agency(reg: registry_mod.Registry, agency_id: str) -> registry_mod.Agency:
    return reg.select([agency_id])[0]


# --- scheduler -------------------------------------------------------------------


@click.command()
@common
@friendly
def scheduler(data_dir: Path, registry_path: Path) -> None:
    """Run in the foreground: harvest when due, run agencies' requests, publish what changed.

    At start-up every source whose latest slot was missed (the portal was
    down) runs once, not once per missed slot. At most the portal's
    harvest_concurrency runs at a time. SIGTERM or Ctrl+C lets running runs
    finish and starts no new one. The registry is read again before each
    pass; a broken edit keeps the last good one. One line per pass goes to
    stderr. For a system service see docs/operations.md.

    \b
    Example:
        shafaf scheduler --data-dir /srv/shafaf/var --registry /srv/shafaf/agencies.yml
    """
    from shafaf.schedule.scheduler import Pass, run_forever

    data = DataDir(data_dir)
    last = [registry_mod.load(registry_path)]

    def load() -> registry_mod.Registry:
        try:
            last[0] = registry_mod.load(registry_path)
        except ShafafError as e:
            click.echo(f"warning: keeping the previous registry: {e}", err=True)
        return last[0]

    previous: set[str] = set()  # a warning the last pass printed is not printed again at every poll

    def report(result: Pass) -> None:
        now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        outcomes: dict[str, int] = {}
        for run in result.runs:
            outcomes[str(run.outcome)] = outcomes.get(str(run.outcome), 0) + 1
        new = [p for p in result.problems if p not in previous]
        if result.runs or new:
            summary = ", ".join(f"{n} {k}" for k, n in sorted(outcomes.items())) or "no runs"
            published = f"; published {', '.join(result.published)}" if result.published else ""
            click.echo(f"{now} {summary}{published}", err=True)
        for problem in new:
            click.echo(f"{now} warning: {problem}", err=True)
        previous.clear()
        previous.update(result.problems)

    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    click.echo(f"scheduler: {data.state_db} (SIGTERM stops after the running runs)", err=True)
    run_forever(load, data, stop=stop, on_pass=report)
    click.echo("scheduler: stopped", err=True)


# --- token -----------------------------------------------------------------------


@click.group()
def schedule() -> None:
    """An agency's schedules: show them, set one over the registry's, reset to the registry's.

    A rule is a cron expression in the portal timezone, or JSON:
    {"jalali_day": 5, "at": "02:00"} (the 5th of each Jalali month),
    {"cron": "0 2 * * *", "working_days": true} (never on Thursday or
    Friday: moved to Saturday). The agency sets the same rules with PUT
    /-/agencies/<id>/schedule.

    \b
    Example:
        shafaf schedule show tax
        shafaf schedule set tax services '{"jalali_day": 5, "at": "02:00"}'
        shafaf schedule reset tax services
    """


@schedule.command("show")
@click.argument("agency")
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@common
@friendly
def schedule_show(agency: str, as_json: bool, data_dir: Path, registry_path: Path) -> None:
    """Show AGENCY's sources: the rule in force, where it comes from, the next run (UTC and local).

    \b
    Example:
        shafaf schedule show tax --json
    """
    from shafaf.config.schedule import format_utc, next_after, problem_text
    from shafaf.core.errors import ScheduleError
    from shafaf.state.agency_requests import in_force

    reg = registry_mod.load(registry_path)
    chosen = _agency(reg, agency)
    rules = in_force(reg, StateStore(DataDir(data_dir).state_db))
    now = dt.datetime.now(dt.UTC)
    zone = ZoneInfo(reg.portal.timezone)
    rows: list[dict[str, Any]] = []
    for source in chosen.sources:
        found = rules[(chosen.id, source.id)]
        upcoming, problem = None, found.problem
        try:
            upcoming = next_after(found.rule, now, tz=reg.portal.timezone) if found.rule else None
        except ScheduleError as e:
            problem = problem_text(e)
        rows.append(
            {
                "source_id": source.id,
                "schedule": found.rule.to_json() if found.rule else None,
                "from": "override" if found.overridden else "registry",
                "problem": problem,
                "next_run": format_utc(upcoming) if upcoming else None,
                "next_run_local": upcoming.astimezone(zone).strftime("%Y-%m-%d %H:%M") if upcoming else None,
            }
        )
    if as_json:
        click.echo(json_records(rows))
        return
    shown = [
        [
            r["source_id"],
            "" if r["schedule"] is None else json.dumps(r["schedule"]).strip('"'),
            r["from"],
            r["next_run"] or ("cannot be computed" if r["problem"] else ""),
            r["next_run_local"] or "",
        ]
        for r in rows
    ]
    click.echo(table(shown, ["source", "schedule", "from", "next run (UTC)", f"local ({reg.portal.timezone})"]))
    for row in rows:
        if row["problem"]:
            click.echo(
                f"warning: {chosen.id}/{row['source_id']}: {row['problem']}; set it again or "
                f"'shafaf schedule reset {chosen.id} {row['source_id']}'",
                err=True,
            )


@schedule.command("set")
@click.argument("agency")
@click.argument("source")
@click.argument("rule")
@common
@friendly
def schedule_set(agency: str, source: str, rule: str, data_dir: Path, registry_path: Path) -> None:
    """Set SOURCE of AGENCY to RULE (cron text, or JSON), over the registry's schedule.

    \b
    Example:
        shafaf schedule set tax services "30 1 * * 6"
        shafaf schedule set tax services '{"cron": "0 2 * * *", "working_days": true}'
    """
    from shafaf.config.schedule import format_utc
    from shafaf.state.agency_requests import set_schedule

    value: Any = rule
    if rule.lstrip().startswith(("{", "[")):
        try:
            value = json.loads(rule)
        except (json.JSONDecodeError, RecursionError) as e:
            raise UsageError(f"RULE looks like JSON but is not: {e}") from e
    reg = registry_mod.load(registry_path)
    parsed, upcoming = set_schedule(
        StateStore(DataDir(data_dir).state_db),
        _agency(reg, agency),
        source,
        value,
        by="cli",
        limits=reg.portal.schedule_limits,
        tz=reg.portal.timezone,
    )
    click.echo(f"{agency}/{source}: {parsed.describe()}; next run {format_utc(upcoming)}")


@schedule.command("reset")
@click.argument("agency")
@click.argument("source", required=False)
@common
@friendly
def schedule_reset(agency: str, source: str | None, data_dir: Path, registry_path: Path) -> None:
    """Go back to the registry's schedule for SOURCE of AGENCY (every source when none is named).

    \b
    Example:
        shafaf schedule reset tax services
        shafaf schedule reset tax
    """
    from shafaf.state.agency_requests import reset_schedule

    count = reset_schedule(
        StateStore(DataDir(data_dir).state_db), _agency(registry_mod.load(registry_path), agency), source
    )
    click.echo(f"{agency}: {count} schedule{'s' if count != 1 else ''} back to the registry's")
