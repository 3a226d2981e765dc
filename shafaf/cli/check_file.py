"""The ``shafaf check-file`` command: what the "check my file" page runs, in a process of its own."""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

import click

from shafaf import standard
from shafaf.cli.options import friendly
from shafaf.core.errors import UsageError


@click.command("check-file")
@click.argument("file", required=False, type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--url", default=None, help="Check the file at this http(s) address instead (fetched by the guarded fetch)."
)
@click.option("--name", default=None, help="The file's name as sent (it says the dataset and the format).")
@click.option(
    "--dataset",
    "kind",
    type=click.Choice(standard.DATASET_KINDS),
    default=None,
    help="The dataset kind; by default the file name says it.",
)
@click.option(
    "--max-bytes",
    type=click.IntRange(1),
    default=10_000_000,
    show_default=True,
    help="Refuse a file (or a download, after decompression) past this many bytes.",
)
@click.option(
    "--max-rows",
    type=click.IntRange(1),
    default=100_000,
    show_default=True,
    help="Refuse a file with more rows than this.",
)
@click.option(
    "--deadline",
    type=click.FloatRange(1),
    default=30.0,
    show_default=True,
    help="Seconds a URL's download may take in all.",
)
@click.option(
    "--allow-private-networks",
    is_flag=True,
    help="Let the URL lead to a private address (as the portal's harvests may).",
)
@click.option(
    "--wait",
    is_flag=True,
    hidden=True,
    help='Import everything, then read one job from stdin: {"folder": ..., "args": [...]} (the page\'s spares).',
)
@friendly
def check_file(
    file: Path | None,
    url: str | None,
    name: str | None,
    kind: str | None,
    max_bytes: int,
    max_rows: int,
    deadline: float,
    allow_private_networks: bool,
    wait: bool,
) -> None:
    """Check FILE (or --url) like a harvested file and print the report and its page view as JSON.

    The report is the one 'shafaf validate --json' prints; "view" holds the
    same facts in English and Persian for the page. Nothing is stored: a URL
    is fetched into a temporary folder removed afterwards. Exits 0 when the
    file is valid, 1 when it is not (or could not be fetched), 2 on a usage
    error (no dataset, not http or https).

    \b
    Example:
        shafaf check-file upload.bin --name services.csv
        shafaf check-file --url https://data.agency.ir/services.csv --max-rows 5000
    """
    from shafaf.harvest.file_check import CheckLimits, check_url
    from shafaf.harvest.file_check import check_file as check
    from shafaf.harvest.net.fetch import FetchPolicy

    if wait:
        _one_job()
        return
    limits = CheckLimits(max_bytes=max_bytes, max_rows=max_rows)
    if (file is None) == (url is None):
        raise UsageError("give either FILE or --url")
    if url is not None:
        policy = FetchPolicy(
            deadline_s=deadline, max_bytes=max_bytes, retries=0, allow_private_networks=allow_private_networks
        )
        with tempfile.TemporaryDirectory(prefix="shafaf-check-") as tmp:
            result = check_url(url, Path(tmp), kind=kind, limits=limits, policy=policy)
    else:
        if not file.is_file():
            raise UsageError(f"{file} is not a file")
        result = check(file, name=name, kind=kind, limits=limits)
    click.echo(json.dumps(result, ensure_ascii=False, indent=2, sort_keys=True))
    sys.exit(0 if result["report"].get("valid") else 1)


def _one_job() -> None:
    """A spare of the page (``pages/check_workers``): wait for one job, run it in its folder, exit."""
    import os

    from shafaf.harvest.file_check import check_file as check

    with tempfile.TemporaryDirectory(prefix="shafaf-warm-") as tmp:  # first-use costs paid before the job
        sample = Path(tmp) / "services.csv"
        sample.write_text("agency_id,service_id,name_fa,name_en\nx,S1,a,b\n", encoding="utf-8")
        check(sample)
    line = sys.stdin.buffer.readline()
    if not line.strip():
        sys.exit(0)  # the server went away before it needed this spare
    job = json.loads(line)
    folder = str(job["folder"])
    os.chdir(folder)
    os.environ["TMPDIR"] = os.environ["HOME"] = folder
    tempfile.tempdir = folder  # validate's own temporary files land in the job's folder, removed with it
    check_file.main([str(a) for a in job["args"]], prog_name="shafaf check-file", standalone_mode=True)
