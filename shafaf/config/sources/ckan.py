"""A source of kind ``ckan``: an organization's datasets on a CKAN portal."""

from __future__ import annotations

from typing import ClassVar, Literal

from shafaf.config.field_types import Text
from shafaf.config.sources.common import Part
from shafaf.config.sources.network import NetworkSource


class ResourceRules(Part):
    """Glob patterns that pick the resource to harvest among the organization's datasets."""

    dataset_name: Text | None = None
    dataset_tag: Text | None = None
    resource_name: Text | None = None
    resource_format: Text | None = None


class CkanSource(NetworkSource):
    """The datasets of ``organization`` on the CKAN portal at ``url``."""

    kind: Literal["ckan"]
    organization: Text
    select: ResourceRules | None = None

    NEEDS: ClassVar[dict[str, str]] = {"organization": " (its name on the portal)"}
