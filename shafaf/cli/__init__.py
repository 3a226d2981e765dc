"""The ``shafaf`` command: thin click commands over the library.

Each command parses its options, calls one library function, and turns our
errors into a short message and a non-zero exit. One module per command
group (``harvest``, ``publish``, ``serve`` with ``demo``, ``validate``,
``status``, ``schedule`` with ``scheduler``, ``tokens``, ``snapshot``, ``check_file``
(what the "check my file" page runs)); what they share is
in ``options``.
"""

from __future__ import annotations

import click

from shafaf import __version__
from shafaf.cli import check_file, harvest, publish, schedule, serve, snapshot, status, tokens, validate


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="shafaf")
def cli() -> None:
    """Shafaf: harvest agencies' service data, validate it, publish it, serve it.

    \b
    Example:
        shafaf demo                 # the whole flow on the bundled demo agencies
        shafaf harvest tax          # capture and validate one agency's sources
        shafaf publish              # load staged packages into var/shafaf.db
        shafaf serve --port 8001    # the portal at http://127.0.0.1:8001
    """


for command in (
    harvest.harvest,
    publish.publish,
    serve.serve,
    serve.demo,
    validate.validate,
    status.status,
    schedule.scheduler,
    schedule.schedule,
    tokens.token,
    snapshot.snapshot,
    check_file.check_file,
):
    cli.add_command(command)


def main() -> None:
    """The console script (and ``python -m shafaf``)."""
    cli()
