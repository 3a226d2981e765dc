"""A source of kind ``http``: one file at an address."""

from __future__ import annotations

from typing import Literal

from shafaf.config.sources.network import NetworkSource


class HttpSource(NetworkSource):
    """A CSV, XLSX or JSON file fetched from ``url``."""

    kind: Literal["http"]
