"""The ``shafaf serve`` and ``shafaf demo`` commands: the portal on a port; the whole flow on the bundled demo agencies."""

from __future__ import annotations

from pathlib import Path

import click

from shafaf.cli.harvest import print_runs, run_harvest
from shafaf.cli.options import BUNDLED_REGISTRY, common, friendly
from shafaf.cli.publish import print_publish, run_publish
from shafaf.config import registry as registry_mod
from shafaf.core.datadir import DataDir
from shafaf.core.errors import ShafafError, UsageError


def _serve(
    reg: registry_mod.Registry,
    data: DataDir,
    host: str,
    port: int,
    *,
    replica: bool = False,
    header_timeout: float | None = None,
) -> None:
    from shafaf.datasette_plugins.app import serve as run_server

    if not data.public_db.exists():
        hint = "'shafaf snapshot install' a snapshot into it" if replica else "run 'shafaf publish'"
        raise UsageError(f"{data.public_db} does not exist yet: {hint} first")
    click.echo(
        f"serving {data.public_db}{' (read replica)' if replica else ''} at http://{host}:{port}/  (Ctrl+C stops)"
    )
    run_server(
        data.public_db,
        reg.portal,
        host=host,
        port=port,
        registry_path=reg.path.resolve(),
        replica=replica,
        header_timeout=header_timeout,
    )


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8001, show_default=True, type=int, help="Port to listen on.")
@click.option(
    "--replica",
    is_flag=True,
    help="A read replica of installed snapshots: no state.db, agency requests refused (the primary's).",
)
@click.option(
    "--header-timeout",
    type=click.FloatRange(min=0.1, max=600),
    default=None,
    metavar="SECONDS",
    help="Close a connection whose request headers are not complete in SECONDS (default 10; docs/reliability.md S13).",
)
@common
@friendly
def serve(
    host: str, port: int, replica: bool, header_timeout: float | None, data_dir: Path, registry_path: Path
) -> None:
    """Serve the published portal with Datasette and Shafaf's pages.

    With --replica, DATA_DIR is a replica directory that 'shafaf snapshot
    install' fills (docs/scaling.md); the server moves to a newly installed
    snapshot at its next query.

    \b
    Example:
        shafaf serve --port 8001
        shafaf serve --replica --data-dir /srv/shafaf/replica --port 8002
    """
    reg = registry_mod.load(registry_path)
    _serve(reg, DataDir(data_dir), host, port, replica=replica, header_timeout=header_timeout)


# --- demo ------------------------------------------------------------------------


@click.command()
@click.option("--no-serve", is_flag=True, help="Stop after publishing.")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8001, show_default=True, type=int, help="Port to listen on.")
@click.option(
    "--data-dir",
    type=click.Path(file_okay=False, path_type=Path),
    envvar="SHAFAF_DATA_DIR",
    default=Path("var"),
    show_default=True,
    help="Where the demo's data goes (or SHAFAF_DATA_DIR).",
)
@click.option(
    "--registry",
    "registry_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=BUNDLED_REGISTRY,
    help="The registry to run (default: the bundled demo agencies).",
)
@friendly
def demo(no_serve: bool, host: str, port: int, data_dir: Path, registry_path: Path) -> None:
    """Harvest, validate, publish and serve the bundled demo agencies.

    Failures of single agencies are shown and the demo goes on: that is
    what the portal does with real agencies too.

    \b
    Example:
        shafaf demo                     # then open http://127.0.0.1:8001
        shafaf demo --no-serve --data-dir /tmp/shafaf
    """
    reg = registry_mod.load(registry_path)
    data = DataDir(data_dir)
    runs = run_harvest(reg, data, ())
    print_runs(runs, as_json=False)
    click.echo("")
    results = run_publish(reg, data, ())
    print_publish(results, data, as_json=False)
    if not any(r.ok for r in results):
        raise ShafafError("no agency could be published")
    if not no_serve:
        _serve(reg, data, host, port)
