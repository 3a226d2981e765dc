"""A source of kind ``jsonapi``: records from an API on a service bus, page by page (JSON, XML or SOAP)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import model_validator

from shafaf.config.field_types import Text, choice, count, number, refuse
from shafaf.config.registry_models import Source
from shafaf.config.service_bus import PLACEHOLDER
from shafaf.config.sources.common import Part
from shafaf.config.sources.network import NetworkSource
from shafaf.config.sources.service_bus import AuthSettings, SoapCall, TlsSettings
from shafaf.core.formats import FORMATS

PAGINATION_STYLES = ("page", "offset", "next", "link", "cursor")
API_FORMATS = (*FORMATS, "xml")
# The request parameter each style sends when ``param`` is not given (a SOAP body may use it as ``{name}``).
DEFAULT_PARAM = {"page": "page", "offset": "offset", "cursor": "cursor"}


class Pagination(Part):
    """How to ask for the next page: a number, an offset, a link in the answer or its headers, or a cursor."""

    style: choice(PAGINATION_STYLES, f"{{where}} must be one of {', '.join(PAGINATION_STYLES)}")
    param: Text | None = None
    size_param: Text | None = None
    size: count("{where}") | None = None
    start: count("{where}") | None = None
    next: Text | None = None
    cursor: Text | None = None  # dotted path of the next cursor in each answer
    total: Text | None = None  # dotted path of the total count, reconciled against what was received
    max_pages: count("{where}") | None = None
    max_records: number(int, 1, 10**12, name="{where}") | None = None
    max_bytes: number(int, 1, 10**13, name="{where}") | None = None

    @model_validator(mode="after")
    def _paths_given(self) -> Pagination:
        if self.style == "next" and not self.next:
            raise refuse("{where} with style 'next' needs 'next': the dotted path of the next link")
        if self.style == "cursor" and not self.cursor:
            raise refuse("{where} with style 'cursor' needs 'cursor': the dotted path of the next cursor")
        return self

    @property
    def parameter(self) -> str | None:
        return self.param or DEFAULT_PARAM.get(self.style)


class JsonApiSource(NetworkSource):
    """The records at the path ``records`` of each answer from ``url``, with a service bus's credentials."""

    kind: Literal["jsonapi"]
    format: choice(API_FORMATS, f"format {{value}} is not one of {', '.join(API_FORMATS)}") | None = None
    records: Text | None = None
    pagination: Pagination | None = None
    auth: AuthSettings | None = None
    tls: TlsSettings | None = None
    soap: SoapCall | None = None

    @model_validator(mode="after")
    def _soap_placeholders_filled(self) -> JsonApiSource:
        if self.soap is not None:
            paging = (self.pagination.parameter,) if self.pagination and self.pagination.parameter else ()
            unfilled = sorted(set(PLACEHOLDER.findall(self.soap.body)) - set(self.soap.params) - set(paging))
            if unfilled:
                raise refuse(
                    f"'soap.body' of {{where}} has placeholders with no value: "
                    f"{', '.join(unfilled)} (give them in 'soap.params')"
                )
        return self

    def source(self, **kwargs: Any) -> Source:
        import dataclasses

        made = super().source(**kwargs)
        return dataclasses.replace(
            made,
            auth=self.auth and self.auth.auth(),
            tls=self.tls and self.tls.tls(),
            soap=self.soap and self.soap.soap(),
        )
