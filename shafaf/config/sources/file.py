"""A source of kind ``file``: a file on the portal's own disk (the default kind)."""

from __future__ import annotations

from typing import Literal

from shafaf.config.field_types import Text
from shafaf.config.sources.common import SourceFields


class FileSource(SourceFields):
    """A file beside the registry (``path`` is relative to agencies.yml) or anywhere the portal may read."""

    kind: Literal["file"] = "file"
    path: Text
