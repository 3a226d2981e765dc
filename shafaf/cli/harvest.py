"""The ``shafaf harvest`` command: capture, validate and stage; --due for what the schedule says."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from shafaf.cli.options import common, friendly, json_records, progress, table
from shafaf.config import registry as registry_mod
from shafaf.core.datadir import DataDir
from shafaf.core.errors import UsageError
from shafaf.core.models import Outcome


def run_harvest(
    reg: registry_mod.Registry,
    data: DataDir,
    agency_ids: tuple[str, ...],
    *,
    quiet: bool = False,
    force: bool = False,
    accept_shrink: bool = False,
) -> list[Any]:
    from shafaf.harvest.runner import harvest, prune_raw

    agencies = reg.select(agency_ids)
    for warning in reg.warnings:
        click.echo(f"warning: {warning}", err=True)
    total = sum(len(a.sources) for a in agencies)
    with progress(total, "harvest", quiet=quiet, item_show_func=lambda r: r and f"{r.agency_id}/{r.dataset}") as bar:
        runs = harvest(
            agencies,
            registry=reg,
            data=data,
            on_run=lambda r: bar.update(1, r),
            force=force,
            accept_shrink=accept_shrink,
        )
    for agency_id in dict.fromkeys(r.agency_id for r in runs):
        prune_raw(data, agency_id, keep=reg.portal.keep_raw_runs)
    return runs


def print_runs(runs: list[Any], as_json: bool) -> None:
    if as_json:
        click.echo(json_records([r.as_row() for r in runs]))
        return
    rows = [
        [
            r.agency_id,
            r.dataset,
            str(r.outcome),
            "" if r.rows_passed is None else str(r.rows_passed),
            "" if not r.rows_failed else str(r.rows_failed),
            str(r.reason or ""),
        ]
        for r in runs
    ]
    click.echo(table(rows, ["agency", "dataset", "outcome", "rows", "rejected", "reason"]))
    for r in runs:
        if r.outcome not in (Outcome.OK, Outcome.UNCHANGED):
            where = f" [{r.location}]" if r.location and r.location not in r.message else ""
            click.echo(f"  {r.agency_id}/{r.dataset}: {r.message}{where}", err=True)


@click.command()
@click.argument("agencies", nargs=-1)
@click.option("--json", "as_json", is_flag=True, help="Print the run records as JSON.")
@click.option("--force", is_flag=True, help="Validate again even when a source is unchanged since its last good run.")
@click.option(
    "--accept-shrink",
    is_flag=True,
    help="Accept files with far fewer rows than the last good ones (held as needs_review otherwise).",
)
@click.option(
    "--due",
    is_flag=True,
    help="Only what is due by its schedule and what agencies asked for, then publish what changed (for cron).",
)
@click.option(
    "--no-publish", is_flag=True, help="With --due: harvest only, leave publishing to a later 'shafaf publish'."
)
@common
@friendly
def harvest(
    agencies: tuple[str, ...],
    as_json: bool,
    force: bool,
    accept_shrink: bool,
    due: bool,
    no_publish: bool,
    data_dir: Path,
    registry_path: Path,
) -> None:
    """Capture and validate the sources of AGENCIES (all when none are named).

    Each source becomes a run: raw bytes under DATA_DIR/raw/<agency>/<run>/,
    accepted rows in DATA_DIR/packages/<agency>/. A source that answers
    "not modified", or with the same bytes as its last good run, ends
    'unchanged' and costs no validation. A source already being harvested
    (by the scheduler, cron or another command) is not harvested twice: the
    run is recorded 'skipped' with reason already_running. Exits 1 if any
    run failed or needs review.

    --due makes one pass of the scheduler and exits: the agencies'
    "harvest now" requests, then every source whose latest scheduled slot
    has no run yet (once, however many slots were missed), then a publish of
    the agencies whose data changed. Run it from cron or a systemd timer
    (docs/operations.md).

    \b
    Example:
        shafaf harvest                 # every agency
        shafaf harvest tax customs     # two agencies
        shafaf harvest --force tax     # validate again even if unchanged
        shafaf harvest --accept-shrink tax   # a smaller file really is right
        shafaf harvest --due           # from cron: */5 * * * *
    """
    if accept_shrink and not agencies:
        raise UsageError("--accept-shrink needs the agencies it applies to, e.g. shafaf harvest --accept-shrink tax")
    if due and (agencies or force or accept_shrink):
        raise UsageError(
            "--due chooses the sources by their schedules; leave out agency names, --force and --accept-shrink"
        )
    if no_publish and not due:
        raise UsageError("--no-publish goes with --due ('shafaf harvest' alone never publishes)")
    reg = registry_mod.load(registry_path)
    if due:
        from shafaf.schedule.scheduler import run_due

        result = run_due(reg, DataDir(data_dir), publish=not no_publish)
        runs = result.runs
        if runs or as_json:
            print_runs(runs, as_json)
        else:
            click.echo("nothing was due")
        for problem in result.problems:
            click.echo(f"warning: {problem}", err=True)
        if result.published and not as_json:
            click.echo(f"published: {', '.join(result.published)}")
    else:
        runs = run_harvest(
            reg, DataDir(data_dir), agencies, quiet=as_json, force=force or accept_shrink, accept_shrink=accept_shrink
        )
        print_runs(runs, as_json)
    if any(r.outcome not in (Outcome.OK, Outcome.UNCHANGED, Outcome.SKIPPED) for r in runs):
        sys.exit(1)
