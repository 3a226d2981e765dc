"""The harvester contract.

A harvester captures one source of one agency as bytes on disk, nothing more:

1. ``capture(source, dest, ctx)`` writes exactly the bytes it received into
   the run's folder ``dest`` (created by the runner), and returns a
   ``Capture`` describing them (file name, size, SHA-256, format). A harvester
   that gathers several responses (CKAN resources, API pages) keeps each as
   received in ``dest`` and hands staging one table: ``Capture.path``.
   ``ctx`` carries the fetch policy and what the last good run of the source
   saw (validators for a conditional request); every network byte goes
   through ``shafaf.fetch``.
2. It never parses, maps or validates: that is staging's job, so a run can be
   re-staged from its raw capture without touching the source again.
3. It fails by raising ``HarvestError`` with a ``Reason``; it catches only
   the narrow exceptions of the library it uses and re-raises ours ``from e``.
4. It is synchronous and holds no state between calls; concurrency belongs to
   the runner.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
from pathlib import Path
from typing import Protocol

from shafaf.config.registry import Source
from shafaf.core.formats import format_of_name
from shafaf.harvest.net.fetch import FetchPolicy, Validators

CHUNK = 1 << 20


@dataclasses.dataclass(frozen=True)
class Capture:
    """Bytes of one source as received, in the run's raw folder.

    ``not_modified`` means the source answered "unchanged" (HTTP 304): ``path``
    is None and nothing is staged. ``review`` holds a (reason, message) when
    the capture looks wrong in a way a person must judge (a CKAN count that
    does not match what was listed): the run ends ``needs_review`` and the
    last good data stays.
    """

    path: Path | None
    bytes: int
    sha256: str | None
    format: str
    url: str | None = None
    status: int | None = None
    etag: str | None = None
    last_modified: str | None = None
    not_modified: bool = False
    review: tuple[str, str] | None = None
    # Set when the harvester wrote ``path`` itself (a combined table, API records): staging reads
    # it in this encoding instead of the source's declared one.
    encoding: str | None = None


@dataclasses.dataclass(frozen=True)
class HarvestContext:
    """What a harvester needs besides the source: limits and the source's last good fetch."""

    policy: FetchPolicy = FetchPolicy()
    validators: Validators | None = None


class Harvester(Protocol):
    kind: str

    def capture(self, source: Source, dest: Path, ctx: HarvestContext) -> Capture: ...


def format_of(source: Source, name: str) -> str:
    """The declared format, else the one the file name suggests, else CSV."""
    if source.format:
        return source.format
    return format_of_name(name)


def safe_name(name: str, *, default: str) -> str:
    """A file name taken from a URL or a remote listing, made safe to create inside a run folder."""
    name = re.sub(r"[^\w.\-]+", "_", name.replace("\\", "/").rsplit("/", 1)[-1]).strip("._")
    return name[:120] or default


def file_digest(path: Path) -> tuple[int, str]:
    """Size and SHA-256 of a file a harvester wrote itself (a combined table, API records)."""
    with path.open("rb") as f:
        return path.stat().st_size, hashlib.file_digest(f, "sha256").hexdigest()
