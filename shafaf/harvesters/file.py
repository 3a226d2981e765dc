"""The ``file`` source kind: a path on this machine."""

from __future__ import annotations

from pathlib import Path

from ..errors import HarvestError
from ..models import Reason
from ..registry import Source
from .base import Capture, HarvestContext, copy_with_digest, format_of


class FileHarvester:
    kind = "file"

    def capture(self, source: Source, dest: Path, ctx: HarvestContext | None = None) -> Capture:
        if source.path is None:
            raise HarvestError(Reason.NOT_FOUND, f"source {source.id!r} of agency {source.agency_id!r} has no path")
        target = dest / source.path.name
        try:
            with source.path.open("rb") as reader:
                size, sha256 = copy_with_digest(reader, target)
        except FileNotFoundError as e:
            raise HarvestError(Reason.NOT_FOUND, f"file {source.path} does not exist") from e
        except IsADirectoryError as e:
            raise HarvestError(Reason.UNREADABLE, f"{source.path} is a folder, not a file") from e
        except OSError as e:
            raise HarvestError(Reason.UNREADABLE, f"cannot read {source.path}: {e.strerror or e}") from e
        return Capture(path=target, bytes=size, sha256=sha256, format=format_of(source, target.name))
