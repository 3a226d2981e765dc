"""The sources of ``agencies.yml``, one model a kind, told apart by ``kind`` (``file`` when it is left out)."""

from __future__ import annotations

from typing import Annotated, Any, Union

from pydantic import Discriminator, Tag

from shafaf.config.sources.ckan import CkanSource
from shafaf.config.sources.common import SourceFields
from shafaf.config.sources.datapackage import DatapackageSource
from shafaf.config.sources.dcat import DcatSource
from shafaf.config.sources.file import FileSource
from shafaf.config.sources.http import HttpSource
from shafaf.config.sources.jsonapi import JsonApiSource

SOURCE_MODELS: dict[str, type[SourceFields]] = {
    "file": FileSource,
    "http": HttpSource,
    "ckan": CkanSource,
    "datapackage": DatapackageSource,
    "jsonapi": JsonApiSource,
    "dcat": DcatSource,
}
SOURCE_KINDS = tuple(SOURCE_MODELS)
NETWORK_KINDS = tuple(kind for kind in SOURCE_KINDS if kind != "file")


def kind_of(raw: Any) -> Any:
    """The tag of a source mapping: its ``kind``, ``file`` when left out; None for a value that is not a mapping."""
    if not isinstance(raw, dict):
        return getattr(raw, "kind", None)
    kind = raw.get("kind")
    if kind is None:
        return "file"
    return kind if isinstance(kind, str) else repr(kind)


AnySource = Annotated[
    Union[tuple(Annotated[model, Tag(kind)] for kind, model in SOURCE_MODELS.items())],  # noqa: UP007 (built at run time)
    Discriminator(kind_of),
]
