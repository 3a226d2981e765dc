"""The ``file`` source kind: a path on this machine.

The same limits as a download: only a regular file is read (a FIFO, a
device, a socket or a folder is refused before it is opened, without
blocking), and the copy into the run's folder stops at the portal's byte
cap and deadline (``localfile``), so ``path: /dev/zero`` costs nothing.
"""

from __future__ import annotations

from pathlib import Path

from shafaf.config.registry import Source
from shafaf.core import localfile
from shafaf.core.errors import HarvestError
from shafaf.core.models import Reason
from shafaf.harvest.sources.base import Capture, HarvestContext, format_of


class FileHarvester:
    kind = "file"

    def capture(self, source: Source, dest: Path, ctx: HarvestContext | None = None) -> Capture:
        ctx = ctx or HarvestContext()
        if source.path is None:
            raise HarvestError(Reason.NOT_FOUND, f"source {source.id!r} of agency {source.agency_id!r} has no path")
        target = dest / source.path.name
        with localfile.open_regular(source.path) as reader:
            size, sha256 = localfile.copy_capped(
                reader,
                target,
                max_bytes=ctx.policy.max_bytes,
                deadline_s=ctx.policy.deadline_s,
                label=f"file {source.path}",
            )
        return Capture(path=target, bytes=size, sha256=sha256, format=format_of(source, target.name))
