"""The ``shafaf`` command: thin click commands over the library.

Each command parses its options, calls one library function, and turns our
errors into a short message and a non-zero exit. This is the only module that
reads the environment (through click's ``envvar``).
"""

from __future__ import annotations

import functools
import json
import sqlite3
import sys
from pathlib import Path
from typing import Any, Callable

import click

from . import __version__, registry as registry_mod, standard
from .datadir import DataDir
from .errors import ShafafError, UsageError
from .models import Outcome

BUNDLED_REGISTRY = Path(__file__).resolve().parent.parent / "metadata" / "agencies.yml"


def _common(func: Callable[..., Any]) -> Callable[..., Any]:
    """--data-dir and --registry, shared by every command."""
    func = click.option(
        "--registry", "registry_path", type=click.Path(dir_okay=False, path_type=Path),
        envvar="SHAFAF_REGISTRY", default=Path("metadata/agencies.yml"), show_default=True,
        help="The registry of agencies and their sources (or SHAFAF_REGISTRY).",
    )(func)
    func = click.option(
        "--data-dir", type=click.Path(file_okay=False, path_type=Path), envvar="SHAFAF_DATA_DIR",
        default=Path("var"), show_default=True, help="Where raw captures, packages and shafaf.db live (or SHAFAF_DATA_DIR).",
    )(func)
    return func


def _friendly(func: Callable[..., Any]) -> Callable[..., Any]:
    """Our errors become one clear message and exit 1 (2 for usage); never a traceback."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except UsageError as e:
            raise click.UsageError(str(e)) from e
        except ShafafError as e:
            raise click.ClickException(str(e)) from e

    return wrapper


def _table(rows: list[list[str]], headers: list[str]) -> str:
    """Rows aligned under their headers, for people."""
    widths = [max(len(str(x)) for x in col) for col in zip(headers, *rows)]
    lines = ["  ".join(str(h).ljust(w) for h, w in zip(headers, widths)).rstrip()]
    lines += ["  ".join(str(c).ljust(w) for c, w in zip(row, widths)).rstrip() for row in rows]
    return "\n".join(lines)


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


class _NoProgress:
    def __enter__(self) -> "_NoProgress":
        return self

    def __exit__(self, *exc: Any) -> None:
        return None

    def update(self, n: int, item: Any = None) -> None:
        return None


def _progress(length: int, label: str, *, quiet: bool, **kwargs: Any) -> Any:
    """click's progress bar on stderr, so stdout stays clean for tables and --json."""
    if quiet or not sys.stderr.isatty():
        return _NoProgress()  # a bar drawn into a log or a pipe is noise
    return click.progressbar(length=length, label=label.ljust(8), file=sys.stderr, show_pos=True, **kwargs)


# --- harvest ---------------------------------------------------------------------


def _run_harvest(reg: registry_mod.Registry, data: DataDir, agency_ids: tuple[str, ...], *,
                 quiet: bool = False, force: bool = False, accept_shrink: bool = False) -> list[Any]:
    from .harvest import harvest, prune_raw

    agencies = reg.select(agency_ids)
    for warning in reg.warnings:
        click.echo(f"warning: {warning}", err=True)
    total = sum(len(a.sources) for a in agencies)
    with _progress(total, "harvest", quiet=quiet, item_show_func=lambda r: r and f"{r.agency_id}/{r.dataset}") as bar:
        runs = harvest(agencies, registry=reg, data=data, on_run=lambda r: bar.update(1, r), force=force,
                       accept_shrink=accept_shrink)
    for agency_id in dict.fromkeys(r.agency_id for r in runs):
        prune_raw(data, agency_id, keep=reg.portal.keep_raw_runs)
    return runs


def _print_runs(runs: list[Any], as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps([r.as_row() for r in runs], ensure_ascii=False, indent=2, sort_keys=True))
        return
    rows = [[r.agency_id, r.dataset, str(r.outcome), "" if r.rows_passed is None else str(r.rows_passed),
             "" if not r.rows_failed else str(r.rows_failed), str(r.reason or "")] for r in runs]
    click.echo(_table(rows, ["agency", "dataset", "outcome", "rows", "rejected", "reason"]))
    for r in runs:
        if r.outcome not in (Outcome.OK, Outcome.UNCHANGED):
            where = f" [{r.location}]" if r.location and r.location not in r.message else ""
            click.echo(f"  {r.agency_id}/{r.dataset}: {r.message}{where}", err=True)


@cli.command()
@click.argument("agencies", nargs=-1)
@click.option("--json", "as_json", is_flag=True, help="Print the run records as JSON.")
@click.option("--force", is_flag=True, help="Validate again even when a source is unchanged since its last good run.")
@click.option("--accept-shrink", is_flag=True,
              help="Accept files with far fewer rows than the last good ones (held as needs_review otherwise).")
@click.option("--due", is_flag=True,
              help="Only what is due by its schedule and what agencies asked for, then publish what changed (for cron).")
@click.option("--no-publish", is_flag=True, help="With --due: harvest only, leave publishing to a later 'shafaf publish'.")
@_common
@_friendly
def harvest(agencies: tuple[str, ...], as_json: bool, force: bool, accept_shrink: bool, due: bool, no_publish: bool,
            data_dir: Path, registry_path: Path) -> None:
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
        raise UsageError("--due chooses the sources by their schedules; leave out agency names, --force and --accept-shrink")
    if no_publish and not due:
        raise UsageError("--no-publish goes with --due ('shafaf harvest' alone never publishes)")
    reg = registry_mod.load(registry_path)
    if due:
        from .scheduler import run_due

        result = run_due(reg, DataDir(data_dir), publish=not no_publish)
        runs = result.runs
        if runs or as_json:
            _print_runs(runs, as_json)
        else:
            click.echo("nothing was due")
        for problem in result.problems:
            click.echo(f"warning: {problem}", err=True)
        if result.published and not as_json:
            click.echo(f"published: {', '.join(result.published)}")
    else:
        runs = _run_harvest(reg, DataDir(data_dir), agencies, quiet=as_json, force=force or accept_shrink,
                            accept_shrink=accept_shrink)
        _print_runs(runs, as_json)
    if any(r.outcome not in (Outcome.OK, Outcome.UNCHANGED, Outcome.SKIPPED) for r in runs):
        sys.exit(1)


# --- publish ---------------------------------------------------------------------


def _run_publish(reg: registry_mod.Registry, data: DataDir, agency_ids: tuple[str, ...], *, quiet: bool = False,
                 rebuild: bool = False, exports: bool = True) -> list[Any]:
    from .harvest import with_found_agencies
    from .publish import as_publish_error, failed_results, publish

    try:
        reg = with_found_agencies(reg, data)
    except (sqlite3.Error, OSError) as e:  # state.db cannot even be opened (a full disk)
        return failed_results(list(reg.agencies) if rebuild else reg.select(agency_ids), as_publish_error(e, data.root))
    agencies = list(reg.agencies) if rebuild else reg.select(agency_ids)
    with _progress(len(agencies), "publish", quiet=quiet) as bar:
        results = publish(agencies, registry=reg, data=data, on_result=lambda r: bar.update(1), rebuild=rebuild)
    if exports and any(r.ok for r in results):
        _write_exports(reg, data, quiet=quiet)
    return results


def _write_exports(reg: registry_mod.Registry, data: DataDir, *, quiet: bool) -> None:
    """Full downloads of what is now published; a failure leaves the previous downloads served."""
    from .exports import ExportError, write_exports

    if not quiet:
        click.echo(f"writing downloads to {data.downloads} ...", err=True)
    try:
        write_exports(data.public_db, data.downloads, registry=reg)
    except ExportError as e:
        click.echo(f"warning: the downloads were not refreshed: {e}", err=True)


def _print_publish(results: list[Any], data: DataDir, as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps([{"agency_id": r.agency_id, "ok": r.ok, "rows": r.rows, "reason": r.reason and str(r.reason),
                                "message": r.message} for r in results], ensure_ascii=False, indent=2, sort_keys=True))
        return
    rows = [[r.agency_id, "published" if r.ok else "failed", str(sum(r.rows.values())) if r.ok else "", str(r.reason or "")]
            for r in results]
    click.echo(_table(rows, ["agency", "outcome", "rows", "reason"]))
    for r in results:
        if not r.ok:
            click.echo(f"  {r.agency_id}: {r.message} (its previous publication is unchanged)", err=True)
    click.echo(f"database: {data.public_db}")


@cli.command()
@click.argument("agencies", nargs=-1)
@click.option("--json", "as_json", is_flag=True, help="Print the results as JSON.")
@click.option("--rebuild", is_flag=True, help="Write every agency into a new file and swap it in atomically.")
@click.option("--no-downloads", is_flag=True, help="Skip rewriting the full CSV/JSON downloads and agency packages.")
@_common
@_friendly
def publish(agencies: tuple[str, ...], as_json: bool, rebuild: bool, no_downloads: bool, data_dir: Path,
            registry_path: Path) -> None:
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
    results = _run_publish(reg, data, agencies, quiet=as_json, rebuild=rebuild, exports=not no_downloads)
    _print_publish(results, data, as_json)
    if not all(r.ok for r in results):
        sys.exit(1)


# --- serve -----------------------------------------------------------------------


def _serve(reg: registry_mod.Registry, data: DataDir, host: str, port: int) -> None:
    from .serve import serve as run_server

    if not data.public_db.exists():
        raise UsageError(f"{data.public_db} does not exist yet: run 'shafaf publish' first")
    click.echo(f"serving {data.public_db} at http://{host}:{port}/  (Ctrl+C stops)")
    run_server(data.public_db, reg.portal, host=host, port=port, registry_path=reg.path.resolve())


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8001, show_default=True, type=int, help="Port to listen on.")
@_common
@_friendly
def serve(host: str, port: int, data_dir: Path, registry_path: Path) -> None:
    """Serve the published portal with Datasette and Shafaf's pages.

    \b
    Example:
        shafaf serve --port 8001
    """
    _serve(registry_mod.load(registry_path), DataDir(data_dir), host, port)


# --- demo ------------------------------------------------------------------------


@cli.command()
@click.option("--no-serve", is_flag=True, help="Stop after publishing.")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8001, show_default=True, type=int, help="Port to listen on.")
@click.option("--data-dir", type=click.Path(file_okay=False, path_type=Path), envvar="SHAFAF_DATA_DIR",
              default=Path("var"), show_default=True, help="Where the demo's data goes (or SHAFAF_DATA_DIR).")
@click.option("--registry", "registry_path", type=click.Path(dir_okay=False, path_type=Path),
              default=BUNDLED_REGISTRY, help="The registry to run (default: the bundled demo agencies).")
@_friendly
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
    runs = _run_harvest(reg, data, ())
    _print_runs(runs, as_json=False)
    click.echo("")
    results = _run_publish(reg, data, ())
    _print_publish(results, data, as_json=False)
    if not any(r.ok for r in results):
        raise ShafafError("no agency could be published")
    if not no_serve:
        _serve(reg, data, host, port)


# --- validate --------------------------------------------------------------------


@cli.command()
@click.argument("target", metavar="FILE|DIR|URL")
@click.option("--dataset", "kind", type=click.Choice(standard.DATASET_KINDS), default=None,
              help="The dataset kind of the standard; by default the file name says it (services.csv, service_performance.xlsx).")
@click.option("--agency", "agency_id", default=None, help="Agency id to fill a missing agency_id column with.")
@click.option("--encoding", default=None, help="The file's encoding (e.g. cp1256) when it is not UTF-8.")
@click.option("--format", "fmt", type=click.Choice(["csv", "xlsx", "json"]), default=None, help="Format, when the name does not say it.")
@click.option("--calendar", type=click.Choice(["gregorian", "jalali"]), default=None, help="Calendar of the period column.")
@click.option("--lang", type=click.Choice(["fa", "en"]), default=None,
              help="Language of the report (default en, or fa when SHAFAF_LANG starts with fa).")
@click.option("--env-lang", hidden=True, envvar="SHAFAF_LANG", default=None, help="SHAFAF_LANG, read by click.")
@click.option("--json", "as_json", is_flag=True, help="Print the full report as JSON (for scripts) instead of text.")
@click.option("--allow-private-networks", is_flag=True, hidden=True, envvar="SHAFAF_ALLOW_PRIVATE_NETWORKS",
              help="Let a URL point to a private or loopback address (tests, an intranet portal).")
@_friendly
def validate(target: str, kind: str | None, agency_id: str | None, encoding: str | None, fmt: str | None,
             calendar: str | None, lang: str | None, env_lang: str | None, as_json: bool,
             allow_private_networks: bool) -> None:
    """Check FILE, every dataset file in DIR, or the file at URL against the standard.

    The report says, per file, row and column, what is wrong and how to fix
    it, in English or Persian (--lang fa). In a folder, files are checked in
    the standard's order and the service ids of the other files against the
    services file's. Exits 0 when all are valid, 1 when any is invalid or a
    URL cannot be fetched, 2 on a usage error (no such file, unknown dataset,
    a URL that is not http or https). A URL may not lead to a loopback or
    private address unless SHAFAF_ALLOW_PRIVATE_NETWORKS=1 (tests, an
    intranet portal).

    \b
    Example:
        shafaf validate services.csv
        shafaf validate perf.csv --dataset service_performance --encoding cp1256 --json
        shafaf validate exports/ --lang fa
        shafaf validate https://data.agency.ir/services.csv
    """
    from . import localfile, report as report_mod
    from .validate import folder_files, validate_files, validate_safely

    lang = lang or ("fa" if (env_lang or "").strip().lower().startswith("fa") else "en")
    if _is_url(target):
        _validate_url(target, kind, fmt, lang=lang, as_json=as_json, allow_private_networks=allow_private_networks,
                      options={"encoding": encoding, "agency_id": agency_id, "calendar": calendar})
        return
    path = Path(target)
    if localfile.is_folder(path):
        if kind or fmt:
            raise UsageError("--dataset and --format apply to one file; in a folder, each file's name says its dataset")
        files, skipped = folder_files(path)
        if not files:
            unreadable = [name for name, why in skipped if why == "unreadable"]
            raise UsageError(f"{path} has no file whose name gives a dataset of the standard "
                             f"({', '.join(k + '.csv' for k in standard.DATASET_KINDS)})"
                             + (f"; not readable files (a link loop, a pipe or device, or no permission): "
                                f"{', '.join(unreadable)}" if unreadable else ""))
        reports = validate_files(files, encoding=encoding, agency_id=agency_id, calendar=calendar)
        if as_json:
            click.echo(json.dumps({"path": str(path), "valid": all(r.valid for r in reports),
                                   "files": [r.to_dict() for r in reports],
                                   "skipped": [{"file": name, "reason": why} for name, why in skipped]},
                                  ensure_ascii=False, indent=2, sort_keys=True))
        else:
            click.echo(report_mod.render_many(reports, lang, skipped=skipped))
        sys.exit(0 if all(r.valid for r in reports) else 1)
    if (why := localfile.problem(path)) is not None:  # a loop, a FIFO, /dev/zero...: said, never opened
        raise UsageError(f"cannot validate: {why.message}")
    report = validate_safely(path, _dataset_for(path.name, kind), format=fmt or _format_of(path.name), encoding=encoding,
                             agency_id=agency_id, calendar=calendar)
    _print_report(report, lang, as_json)


def _is_url(target: str) -> bool:
    """``scheme://...``: a URL (to fetch, or to refuse), not a path."""
    scheme, sep, _ = target.partition("://")
    return bool(sep and scheme[:1].isalpha() and all(c.isalnum() or c in "+.-" for c in scheme))


def _format_of(name: str) -> str:
    from .validate import DATA_FORMATS

    return DATA_FORMATS.get(Path(name).suffix.lower(), "csv")


def _dataset_for(name: str, kind: str | None) -> str:
    from .validate import dataset_of

    kind = kind or dataset_of(name)
    if kind is None:
        raise UsageError(f"the name {name!r} does not say which dataset it is: add --dataset "
                         f"({', '.join(standard.DATASET_KINDS)}) or name the file after it, e.g. services.csv")
    return kind


def _print_report(report: Any, lang: str, as_json: bool, *, url: str | None = None) -> None:
    from . import report as report_mod

    if as_json:
        data = report.to_dict() | ({"url": url} if url else {})
        click.echo(json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True))
    else:
        click.echo(report_mod.render(report, lang, source=url))
    sys.exit(0 if report.valid else 1)


def _validate_url(url: str, kind: str | None, fmt: str | None, *, lang: str, as_json: bool,
                  allow_private_networks: bool, options: dict[str, Any]) -> None:
    """Fetch through the guarded fetch into a temporary folder, then validate like a file."""
    import tempfile
    from urllib.parse import unquote, urlsplit

    from . import report as report_mod
    from .errors import HarvestError
    from .fetch import FetchPolicy, fetch, redact
    from .validate import validate_safely

    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:
        host = None
    if not host or parts.scheme.lower() not in ("http", "https"):
        raise UsageError(f"{redact(url)}: only http:// and https:// addresses with a host can be fetched")
    last = unquote(parts.path.rstrip("/").rsplit("/", 1)[-1])
    name = "".join(c if c.isalnum() or c in "._-" else "_" for c in last).lstrip(".") or "download"
    kind = _dataset_for(name, kind)
    fmt = fmt or _format_of(name)
    policy = FetchPolicy(allow_private_networks=allow_private_networks)
    with tempfile.TemporaryDirectory(prefix="shafaf-fetch-") as tmp:
        dest = Path(tmp) / name
        try:
            fetch(url, dest, policy=policy, expect=fmt)
        except HarvestError as e:
            shown = e.url or redact(url)
            if as_json:
                click.echo(json.dumps(report_mod.fetch_error_dict(shown, str(e.reason), e.message),
                                      ensure_ascii=False, indent=2, sort_keys=True))
            click.echo(report_mod.render_fetch_error(shown, str(e.reason), e.message, lang), err=True)
            sys.exit(1)
        report = validate_safely(dest, kind, format=fmt, **options)
    _print_report(report, lang, as_json, url=redact(url))


# --- status ----------------------------------------------------------------------


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@_common
@_friendly
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
    from .freshness import source_statuses
    from .harvest import with_found_agencies
    from .state import StateStore

    reg = registry_mod.load(registry_path)
    data = DataDir(data_dir)
    state = StateStore(data.state_db)
    rows = [s.as_dict() for s in source_statuses(reg, state)]
    known = {a.id for a in reg.agencies}
    found = {a.id for a in with_found_agencies(reg, data).agencies} - known
    seen: set[tuple[str, str]] = set()
    for run in state.runs():  # agencies found in multi-agency files: their runs carry the publisher's source id
        key = (run["agency_id"], run["source_id"])
        if run["agency_id"] in found and key not in seen:
            seen.add(key)
            rows.append({"agency_id": run["agency_id"], "source_id": run["source_id"], "dataset": run["dataset"],
                         "schedule": None, "overridden": False, "last_run": run["started"], "outcome": run["outcome"],
                         "reason": run["reason"], "message": run["message"], "rows": run["rows_passed"],
                         "last_attempt": run["started"], "last_good": None, "next_due": None, "freshness_days": None,
                         "stale": False, "schedule_problem": None})
    ages = _data_ages(data.public_db)
    for row in rows:  # how old the published data is, beside when it was last harvested
        age = ages.get((row["agency_id"], row["dataset"]), {})
        row.update(data_last_month=age.get("last_month"), data_months_behind=age.get("months_behind"),
                   data_stale=bool(age.get("stale")))
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2, sort_keys=True))
        return
    headers = ["agency_id", "source_id", "schedule", "last_run", "outcome", "rows", "next_due", "freshness_days",
               "data_last_month", "reason"]

    def cell(row: dict[str, Any], key: str) -> str:
        value = row[key]
        if key == "schedule" and value is not None:
            value = (value if isinstance(value, str) else json.dumps(value, sort_keys=True)) + ("*" if row["overridden"] else "")
        if key == "freshness_days":
            return " ".join(([f"{value:g} d"] if value is not None else []) + (["STALE"] if row["stale"] else []))
        if key == "next_due" and row["schedule_problem"]:
            return "cannot be computed"
        if key == "data_last_month":
            behind = row["data_months_behind"]
            return "" if value is None else f"{value} ({behind} mo behind{', STALE' if row['data_stale'] else ''})"
        return "" if value is None else str(value)

    shown = [h.replace("_id", "").replace("freshness_days", "harvested").replace("data_last_month", "data to")
             for h in headers]
    click.echo(_table([[cell(r, h) for h in headers] for r in rows], shown))
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
            return {(r["agency_id"], r["dataset"]): dict(r) for r in conn.execute(
                "SELECT agency_id, dataset, last_month, months_behind, stale FROM data_coverage")}
        finally:
            conn.close()
    except sqlite3.Error:  # published by an older Shafaf, or unreadable: status still answers
        return {}


def main() -> None:  # pragma: no cover - console entry for python -m
    cli()


from . import cli_schedule  # noqa: E402,F401  registers scheduler, token and schedule on the group

if __name__ == "__main__":  # pragma: no cover
    from shafaf.cli import main as _main  # the module proper, whose group cli_schedule added its commands to

    _main()
