"""A source of kind ``ckan``: an organization's datasets on a CKAN portal."""

from __future__ import annotations

from typing import ClassVar, Literal, Optional

from shafaf.config.field_types import Text
from shafaf.config.sources.common import Part
from shafaf.config.sources.network import NetworkSource


class ResourceRules(Part):
    """Glob patterns that pick the resource to harvest among the organization's datasets."""

    dataset_name: Optional[Text] = None
    dataset_tag: Optional[Text] = None
    resource_name: Optional[Text] = None
    resource_format: Optional[Text] = None


class CkanSource(NetworkSource):
    """The datasets of ``organization`` on the CKAN portal at ``url``."""

    kind: Literal["ckan"]
    organization: Text
    select: Optional[ResourceRules] = None

    NEEDS: ClassVar[dict[str, str]] = {"organization": " (its name on the portal)"}
