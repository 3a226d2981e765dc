"""One harvester per source kind; ``for_kind`` picks it."""

from __future__ import annotations

from .base import Capture, Harvester
from .ckan import CkanHarvester
from .datapackage import DataPackageHarvester
from .file import FileHarvester
from .http import HttpHarvester
from .jsonapi import JsonApiHarvester

HARVESTERS: dict[str, Harvester] = {
    "file": FileHarvester(),
    "http": HttpHarvester(),
    "ckan": CkanHarvester(),
    "datapackage": DataPackageHarvester(),
    "jsonapi": JsonApiHarvester(),
}


def for_kind(kind: str) -> Harvester:
    return HARVESTERS[kind]


__all__ = ["Capture", "Harvester", "HARVESTERS", "for_kind"]
