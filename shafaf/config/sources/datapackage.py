"""A source of kind ``datapackage``: one resource of a Frictionless data package."""

from __future__ import annotations

from typing import Literal

from shafaf.config.field_types import Text
from shafaf.config.sources.network import NetworkSource


class DatapackageSource(NetworkSource):
    """The resource named ``resource`` (default: the dataset kind) of the ``datapackage.json`` at ``url``."""

    kind: Literal["datapackage"]
    resource: Text | None = None
