"""One harvester per source kind; ``for_kind`` picks it."""

from __future__ import annotations

from .base import Capture, Harvester
from .file import FileHarvester

HARVESTERS: dict[str, Harvester] = {"file": FileHarvester()}


def for_kind(kind: str) -> Harvester:
    return HARVESTERS[kind]


__all__ = ["Capture", "Harvester", "HARVESTERS", "for_kind"]
