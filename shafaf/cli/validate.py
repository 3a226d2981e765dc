"""The ``shafaf validate`` command: check files against the standard, with a report in Persian or English."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import click

from shafaf import standard
from shafaf.cli.language import SpeakingCommand, option_value
from shafaf.cli.options import friendly
from shafaf.core.catalogue import DEFAULT_LANGUAGE, LANGUAGES, join, say
from shafaf.core.errors import ShafafError, UsageError
from shafaf.core.formats import format_of_name
from shafaf.core.models import Skip

DEFAULT_REGISTRY = Path("metadata/agencies.yml")


def report_language(lang: str | None, env_lang: str | None, registry_path: Path | None) -> str:
    """--lang, else SHAFAF_LANG (``fa_IR.UTF-8`` is fa), else the portal's default_language, else Persian."""
    if lang in LANGUAGES:
        return lang
    asked = (env_lang or "").strip().lower()[:2]
    if asked in LANGUAGES:
        return asked
    path = registry_path or DEFAULT_REGISTRY
    if path.is_file():
        from shafaf.config import registry

        try:
            return registry.load(path).portal.default_language
        except (ShafafError, OSError, ValueError):
            pass  # a registry that cannot be read says nothing about the language; validate says what it must
    return DEFAULT_LANGUAGE


def _language_of(args: list[str]) -> str:
    """The report's language from the raw command line, before click parses it (for usage errors)."""
    registry_path = option_value(args, "--registry") or os.environ.get("SHAFAF_REGISTRY")
    return report_language(
        option_value(args, "--lang"), os.environ.get("SHAFAF_LANG"), Path(registry_path) if registry_path else None
    )


class ValidateCommand(SpeakingCommand):
    language_of = staticmethod(_language_of)


@click.command(cls=ValidateCommand)
@click.argument("target", metavar="FILE|DIR|URL")
@click.option(
    "--dataset",
    "kind",
    type=click.Choice(standard.DATASET_KINDS),
    default=None,
    help="The dataset kind of the standard; by default the file name says it (services.csv, service_performance.xlsx).",
)
@click.option("--agency", "agency_id", default=None, help="Agency id to fill a missing agency_id column with.")
@click.option("--encoding", default=None, help="The file's encoding (e.g. cp1256) when it is not UTF-8.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["csv", "xlsx", "json"]),
    default=None,
    help="Format, when the name does not say it.",
)
@click.option(
    "--calendar", type=click.Choice(["gregorian", "jalali"]), default=None, help="Calendar of the period column."
)
@click.option(
    "--lang",
    type=click.Choice(LANGUAGES),
    default=None,
    help="Language of the report (default: SHAFAF_LANG if it names one, else the portal's "
    "default_language in the registry, else fa).",
)
@click.option("--env-lang", hidden=True, envvar="SHAFAF_LANG", default=None, help="SHAFAF_LANG, read by click.")
@click.option(
    "--registry",
    "registry_path",
    type=click.Path(dir_okay=False, path_type=Path),
    envvar="SHAFAF_REGISTRY",
    default=None,
    help="The registry whose portal's default_language is the report's (default "
    "metadata/agencies.yml when there is one, or SHAFAF_REGISTRY).",
)
@click.option(
    "--all", "show_all", is_flag=True, help="List every error in the text report, not the first of each kind."
)
@click.option("--json", "as_json", is_flag=True, help="Print the full report as JSON (for scripts) instead of text.")
@click.option(
    "--allow-private-networks",
    is_flag=True,
    hidden=True,
    envvar="SHAFAF_ALLOW_PRIVATE_NETWORKS",
    help="Let a URL point to a private or loopback address (tests, an intranet portal).",
)
@friendly
def validate(
    target: str,
    kind: str | None,
    agency_id: str | None,
    encoding: str | None,
    fmt: str | None,
    calendar: str | None,
    lang: str | None,
    env_lang: str | None,
    registry_path: Path | None,
    show_all: bool,
    as_json: bool,
    allow_private_networks: bool,
) -> None:
    """Check FILE, every dataset file in DIR, or the file at URL against the standard.

    The report says, per file, row and column, what is wrong and how to fix
    it, in Persian or English (--lang en), the first rows of each kind of error
    or all of them (--all). In a folder, files are checked in
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
        shafaf validate exports/ --lang en --all
        shafaf validate https://data.agency.ir/services.csv
    """
    from shafaf.core import localfile
    from shafaf.validate import report_text as report_mod
    from shafaf.validate.folder import folder_files, validate_files, validate_safely
    from shafaf.validate.mapping import MappingOptions

    mapping = MappingOptions(agency_id=agency_id, calendar=calendar)
    lang = report_language(lang, env_lang, registry_path)
    if _is_url(target):
        _validate_url(
            target,
            kind,
            fmt,
            lang=lang,
            as_json=as_json,
            allow_private_networks=allow_private_networks,
            show_all=show_all,
            options={"encoding": encoding, "mapping": mapping},
        )
        return
    path = Path(target)
    if localfile.is_folder(path):
        if kind or fmt:
            raise UsageError(
                say(lang, "--dataset and --format apply to one file; in a folder, each file's name says its dataset")
            )
        files, skipped = folder_files(path)
        if not files:
            unreadable = [name for name, why in skipped if why == Skip.UNREADABLE]
            message = say(
                lang,
                "%(folder)s has no file whose name gives a dataset of the standard (%(names)s)",
                folder=path,
                names=join((k + ".csv" for k in standard.DATASET_KINDS), lang),
            )
            if unreadable:
                message = say(
                    lang,
                    "%(message)s; not readable files (a link loop, a pipe or device, or no permission): %(files)s",
                    message=message,
                    files=join(unreadable, lang),
                )
            raise UsageError(message)
        reports = validate_files(files, encoding=encoding, mapping=mapping)
        if as_json:
            click.echo(
                json.dumps(
                    {
                        "path": str(path),
                        "valid": all(r.valid for r in reports),
                        "files": [r.to_dict() for r in reports],
                        "skipped": [{"file": name, "reason": why} for name, why in skipped],
                    },
                    ensure_ascii=False,
                    indent=2,
                    sort_keys=True,
                )
            )
        else:
            click.echo(report_mod.render_many(reports, lang, skipped=skipped, show_all=show_all))
        sys.exit(0 if all(r.valid for r in reports) else 1)
    if (why := localfile.problem(path)) is not None:  # a loop, a FIFO, /dev/zero...: said, never opened
        raise UsageError(say(lang, "cannot validate: %(why)s", why=why.message))
    report = validate_safely(
        path,
        _dataset_for(path.name, kind, lang),
        format=fmt or _format_of(path.name),
        encoding=encoding,
        mapping=mapping,
    )
    _print_report(report, lang, as_json, show_all=show_all)


def _is_url(target: str) -> bool:
    """``scheme://...``: a URL (to fetch, or to refuse), not a path."""
    scheme, sep, _ = target.partition("://")
    return bool(sep and scheme[:1].isalpha() and all(c.isalnum() or c in "+.-" for c in scheme))


def _format_of(name: str) -> str:
    return format_of_name(name)


def _dataset_for(name: str, kind: str | None, lang: str) -> str:
    from shafaf.validate.folder import dataset_of

    kind = kind or dataset_of(name)
    if kind is None:
        raise UsageError(
            say(
                lang,
                "the name '%(name)s' does not say which dataset it is: add --dataset (%(kinds)s) "
                "or name the file after it, e.g. services.csv",
                name=name,
                kinds=join(standard.DATASET_KINDS, lang),
            )
        )
    return kind


def _print_report(report: Any, lang: str, as_json: bool, *, url: str | None = None, show_all: bool = False) -> None:
    from shafaf.validate import report_text as report_mod

    if as_json:
        data = report.to_dict() | ({"url": url} if url else {})
        click.echo(json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True))
    else:
        click.echo(report_mod.render(report, lang, source=url, show_all=show_all))
    sys.exit(0 if report.valid else 1)


def _validate_url(
    url: str,
    kind: str | None,
    fmt: str | None,
    *,
    lang: str,
    as_json: bool,
    allow_private_networks: bool,
    show_all: bool,
    options: dict[str, Any],
) -> None:
    """Fetch through the guarded fetch into a temporary folder, then validate like a file."""
    import tempfile
    from urllib.parse import unquote, urlsplit

    from shafaf.core.errors import HarvestError
    from shafaf.harvest.net.fetch import FetchPolicy, fetch, redact
    from shafaf.validate import report_text as report_mod
    from shafaf.validate.folder import validate_safely

    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:
        host = None
    if not host or parts.scheme.lower() not in ("http", "https"):
        raise UsageError(
            say(lang, "%(url)s: only http:// and https:// addresses with a host can be fetched", url=redact(url))
        )
    last = unquote(parts.path.rstrip("/").rsplit("/", 1)[-1])
    name = "".join(c if c.isalnum() or c in "._-" else "_" for c in last).lstrip(".") or "download"
    kind = _dataset_for(name, kind, lang)
    fmt = fmt or _format_of(name)
    policy = FetchPolicy(allow_private_networks=allow_private_networks)
    with tempfile.TemporaryDirectory(prefix="shafaf-fetch-") as tmp:
        dest = Path(tmp) / name
        try:
            fetch(url, dest, policy=policy, expect=fmt)
        except HarvestError as e:
            shown = e.url or redact(url)
            if as_json:
                click.echo(
                    json.dumps(
                        report_mod.fetch_error_dict(shown, str(e.reason), e.message),
                        ensure_ascii=False,
                        indent=2,
                        sort_keys=True,
                    )
                )
            click.echo(report_mod.render_fetch_error(shown, str(e.reason), e.message, lang), err=True)
            sys.exit(1)
        report = validate_safely(dest, kind, format=fmt, **options)
    _print_report(report, lang, as_json, url=redact(url), show_all=show_all)
