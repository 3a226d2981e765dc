"""A source of kind ``dcat``: distributions picked from another portal's DCAT catalog (data.json or DCAT-AP)."""

from __future__ import annotations

from typing import Literal

from shafaf.config.field_types import Text
from shafaf.config.sources.ckan import ResourceRules
from shafaf.config.sources.network import NetworkSource


class CatalogRules(ResourceRules):
    """The ckan kind's glob rules, and a dataset's theme (an EU data-theme code or a theme URI)."""

    dataset_theme: Text | None = None


class DcatSource(NetworkSource):
    """The catalog at ``url``; ``organization`` (optional) names the publisher whose datasets are read."""

    kind: Literal["dcat"]
    organization: Text | None = None
    select: CatalogRules | None = None
