"""The ``shafaf publish`` command: load staged packages into a new version of shafaf.db, then the downloads."""

from __future__ import annotations

import contextlib
import json
import sys
from pathlib import Path
from typing import Any

import click

from shafaf.cli.options import common, friendly, progress, table
from shafaf.config import registry as registry_mod
from shafaf.core.datadir import DataDir
from shafaf.core.errors import UsageError


def run_publish(
    reg: registry_mod.Registry,
    data: DataDir,
    agency_ids: tuple[str, ...],
    *,
    quiet: bool = False,
    rebuild: bool = False,
    exports: bool = True,
) -> list[Any]:
    """Publish with a progress bar, then the downloads (``publish.refresh``); a downloads problem is a warning."""
    from shafaf.publish.refresh import publish_and_export

    with contextlib.ExitStack() as stack:
        bars: list[Any] = []

        def start(n: int) -> None:
            bars.append(stack.enter_context(progress(n, "publish", quiet=quiet)))
            if exports and not quiet:
                click.echo(f"publishing, then writing downloads to {data.downloads} ...", err=True)

        results, problem = publish_and_export(
            agency_ids,
            registry=reg,
            data=data,
            rebuild=rebuild,
            exports=exports,
            on_start=start,
            on_result=lambda r: bars and bars[0].update(1),
        )
    if problem:
        click.echo(f"warning: {problem}", err=True)
    return results


def print_publish(results: list[Any], data: DataDir, as_json: bool) -> None:
    if as_json:
        click.echo(
            json.dumps(
                [
                    {
                        "agency_id": r.agency_id,
                        "ok": r.ok,
                        "rows": r.rows,
                        "reason": r.reason and str(r.reason),
                        "message": r.message,
                    }
                    for r in results
                ],
                ensure_ascii=False,
                indent=2,
                sort_keys=True,
            )
        )
        return
    rows = [
        [r.agency_id, "published" if r.ok else "failed", str(sum(r.rows.values())) if r.ok else "", str(r.reason or "")]
        for r in results
    ]
    click.echo(table(rows, ["agency", "outcome", "rows", "reason"]))
    for r in results:
        if not r.ok:
            click.echo(f"  {r.agency_id}: {r.message} (its previous publication is unchanged)", err=True)
    click.echo(f"database: {data.public_db}")


@click.command()
@click.argument("agencies", nargs=-1)
@click.option("--json", "as_json", is_flag=True, help="Print the results as JSON.")
@click.option("--rebuild", is_flag=True, help="Write every agency into a new file and swap it in atomically.")
@click.option("--no-downloads", is_flag=True, help="Skip rewriting the full CSV/JSON downloads and agency packages.")
@common
@friendly
def publish(
    agencies: tuple[str, ...], as_json: bool, rebuild: bool, no_downloads: bool, data_dir: Path, registry_path: Path
) -> None:
    """Load the staged packages of AGENCIES into DATA_DIR/shafaf.db.

    Each agency is replaced in one transaction: a failure keeps its
    previous rows. --rebuild writes a new file of every agency and swaps
    it in only if all succeeded; a running server picks it up without a
    restart. Then the full downloads (every public table as CSV, a
    spreadsheet-safe CSV and JSON, each agency's zipped data package, with
    SHA-256 sums) are rewritten under DATA_DIR/downloads/. Exits 1 if any
    agency failed.

    \b
    Example:
        shafaf publish
        shafaf publish tax --json
        shafaf publish --rebuild
    """
    if rebuild and agencies:
        raise UsageError("--rebuild rebuilds every agency; leave out the agency names")
    reg = registry_mod.load(registry_path)
    data = DataDir(data_dir)
    results = run_publish(reg, data, agencies, quiet=as_json, rebuild=rebuild, exports=not no_downloads)
    print_publish(results, data, as_json)
    if not all(r.ok for r in results):
        sys.exit(1)
