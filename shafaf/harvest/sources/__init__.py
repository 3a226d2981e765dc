"""One harvester per source kind; ``for_kind`` picks it."""

from __future__ import annotations

from shafaf.harvest.sources.base import Capture, Harvester
from shafaf.harvest.sources.ckan import CkanHarvester
from shafaf.harvest.sources.datapackage import DataPackageHarvester
from shafaf.harvest.sources.dcat import DcatHarvester
from shafaf.harvest.sources.file import FileHarvester
from shafaf.harvest.sources.http import HttpHarvester
from shafaf.harvest.sources.jsonapi import JsonApiHarvester

HARVESTERS: dict[str, Harvester] = {
    "file": FileHarvester(),
    "http": HttpHarvester(),
    "ckan": CkanHarvester(),
    "datapackage": DataPackageHarvester(),
    "jsonapi": JsonApiHarvester(),
    "dcat": DcatHarvester(),
}


def for_kind(kind: str) -> Harvester:
    return HARVESTERS[kind]


__all__ = ["Capture", "Harvester", "HARVESTERS", "for_kind"]
