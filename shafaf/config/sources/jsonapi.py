"""A source of kind ``jsonapi``: records from a JSON API, page by page."""

from __future__ import annotations

from typing import Literal, Optional

from pydantic import model_validator

from shafaf.config.field_types import Text, choice, count, refuse
from shafaf.config.sources.common import Part
from shafaf.config.sources.network import NetworkSource

PAGINATION_STYLES = ("page", "offset", "next")


class Pagination(Part):
    """How to ask for the next page: a page number, an offset, or a link found in each answer."""

    style: choice(PAGINATION_STYLES, f"{{where}} must be one of {', '.join(PAGINATION_STYLES)}")
    param: Optional[Text] = None
    size_param: Optional[Text] = None
    size: Optional[count("{where}")] = None
    start: Optional[count("{where}")] = None
    next: Optional[Text] = None
    max_pages: Optional[count("{where}")] = None

    @model_validator(mode="after")
    def _next_has_a_path(self) -> "Pagination":
        if self.style == "next" and not self.next:
            raise refuse("{where} with style 'next' needs 'next': the dotted path of the next link")
        return self


class JsonApiSource(NetworkSource):
    """The records at the dotted path ``records`` of each answer from ``url``."""

    kind: Literal["jsonapi"]
    records: Optional[Text] = None
    pagination: Optional[Pagination] = None
