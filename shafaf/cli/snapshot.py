"""The ``shafaf snapshot`` commands: an immutable snapshot of what is published, for read replicas (docs/scaling.md)."""

from __future__ import annotations

from pathlib import Path

import click

from shafaf.cli.options import friendly
from shafaf.core.datadir import DataDir
from shafaf.publish import snapshot as snapshot_mod


@click.group()
def snapshot() -> None:
    """Snapshots of the published database and downloads, to copy to read replicas.

    \b
    Example:
        shafaf snapshot write /srv/shafaf/snapshots
        rsync -a /srv/shafaf/snapshots/shafaf-20261203T101500000000 replica1:/srv/shafaf/incoming/
        ssh replica1 shafaf snapshot install /srv/shafaf/incoming/shafaf-20261203T101500000000 /srv/shafaf/replica
    """


@snapshot.command("write")
@click.argument("out", type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--data-dir",
    type=click.Path(file_okay=False, path_type=Path),
    envvar="SHAFAF_DATA_DIR",
    default=Path("var"),
    show_default=True,
    help="The primary's data directory (or SHAFAF_DATA_DIR).",
)
@friendly
def write(out: Path, data_dir: Path) -> None:
    """Write and verify a snapshot of the version published now into OUT/<version>/.

    \b
    Example:
        shafaf snapshot write /srv/shafaf/snapshots --data-dir var
    """
    folder = snapshot_mod.write(DataDir(data_dir), out)
    click.echo(str(folder))


@snapshot.command("verify")
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
@friendly
def verify(folder: Path) -> None:
    """Check every byte of a snapshot against its SNAPSHOT.json, and the database's integrity; exit 1 if wrong.

    \b
    Example:
        shafaf snapshot verify /srv/shafaf/incoming/shafaf-20261203T101500000000
    """
    record = snapshot_mod.verify(folder)
    click.echo(f"{folder}: version {record['version']}, {len(record['files'])} downloads, all as recorded")


@snapshot.command("install")
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
@click.argument("replica", type=click.Path(file_okay=False, path_type=Path))
@friendly
def install(folder: Path, replica: Path) -> None:
    """Verify the snapshot FOLDER and switch the replica directory REPLICA to it (one link swap).

    A server started with 'shafaf serve --replica --data-dir REPLICA' serves
    it from its next query on, without a restart.

    \b
    Example:
        shafaf snapshot install /srv/shafaf/incoming/shafaf-20261203T101500000000 /srv/shafaf/replica
    """
    placed = snapshot_mod.install(folder, replica)
    click.echo(f"{replica} serves {placed.name}")
