"""What every ``shafaf`` command shares: --data-dir and --registry, friendly errors, aligned tables, progress.

The command modules beside this one are the only code that reads the
environment (through click's ``envvar``).
"""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import Any

import click

from shafaf.core.errors import ShafafError, UsageError

# The demo registry and its agencies' files ship inside the package (in the repository ``shafaf/bundled`` is
# a link to ``metadata/``, so there is one copy); ``shafaf demo`` runs them from wherever Shafaf is installed.
BUNDLED_REGISTRY = Path(str(resources.files("shafaf") / "bundled" / "agencies.yml"))


def common(func: Callable[..., Any]) -> Callable[..., Any]:
    """--data-dir and --registry, shared by every command."""
    func = click.option(
        "--registry",
        "registry_path",
        type=click.Path(dir_okay=False, path_type=Path),
        envvar="SHAFAF_REGISTRY",
        default=Path("metadata/agencies.yml"),
        show_default=True,
        help="The registry of agencies and their sources (or SHAFAF_REGISTRY).",
    )(func)
    func = click.option(
        "--data-dir",
        type=click.Path(file_okay=False, path_type=Path),
        envvar="SHAFAF_DATA_DIR",
        default=Path("var"),
        show_default=True,
        help="Where raw captures, packages and shafaf.db live (or SHAFAF_DATA_DIR).",
    )(func)
    return func


def friendly(func: Callable[..., Any]) -> Callable[..., Any]:
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


def table(rows: list[list[str]], headers: list[str]) -> str:
    """Rows aligned under their headers, for people."""
    widths = [max(len(str(x)) for x in col) for col in zip(headers, *rows)]
    lines = ["  ".join(str(h).ljust(w) for h, w in zip(headers, widths)).rstrip()]
    lines += ["  ".join(str(c).ljust(w) for c, w in zip(row, widths)).rstrip() for row in rows]
    return "\n".join(lines)


class _NoProgress:
    def __enter__(self) -> _NoProgress:
        return self

    def __exit__(self, *exc: Any) -> None:
        return None

    def update(self, n: int, item: Any = None) -> None:
        return None


def progress(length: int, label: str, *, quiet: bool, **kwargs: Any) -> Any:
    """click's progress bar on stderr, so stdout stays clean for tables and --json."""
    if quiet or not sys.stderr.isatty():
        return _NoProgress()  # a bar drawn into a log or a pipe is noise
    return click.progressbar(length=length, label=label.ljust(8), file=sys.stderr, show_pos=True, **kwargs)


def json_records(records: list[Any]) -> str:
    """``--json`` of a list of records: a JSON array with one record a line, keys sorted.

    Each line is written by the json module's C encoder, which ``indent`` turns off: 5,000 sources of
    ``shafaf status`` took 0.3 s to indent, and a reader or ``jq`` gets the same list either way.
    """
    lines = (json.dumps(record, ensure_ascii=False, sort_keys=True) for record in records)
    body = ",\n ".join(lines)
    return f"[\n {body}\n]" if records else "[]"
