"""The harvester contract.

A harvester captures one source of one agency as bytes on disk, nothing more:

1. ``capture(source, dest)`` writes exactly the bytes it received into the
   run's folder ``dest`` (created by the runner), and returns a ``Capture``
   describing them (file name, size, SHA-256, format).
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
from pathlib import Path
from typing import BinaryIO, Protocol

from ..registry import Source

FORMAT_BY_SUFFIX = {".csv": "csv", ".tsv": "csv", ".txt": "csv", ".xlsx": "xlsx", ".json": "json"}
CHUNK = 1 << 20


@dataclasses.dataclass(frozen=True)
class Capture:
    """Bytes of one source as received, in the run's raw folder."""

    path: Path
    bytes: int
    sha256: str
    format: str


class Harvester(Protocol):
    kind: str

    def capture(self, source: Source, dest: Path) -> Capture: ...


def format_of(source: Source, name: str) -> str:
    """The declared format, else the one the file name suggests, else CSV."""
    if source.format:
        return source.format
    return FORMAT_BY_SUFFIX.get(Path(name).suffix.lower(), "csv")


def copy_with_digest(reader: BinaryIO, target: Path) -> tuple[int, str]:
    """Stream ``reader`` into ``target``; return the size and SHA-256 of what was written."""
    digest = hashlib.sha256()
    size = 0
    with target.open("wb") as out:
        while chunk := reader.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
            out.write(chunk)
    return size, digest.hexdigest()
