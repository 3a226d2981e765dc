"""What every source fetched over the network takes: its address and request headers."""

from __future__ import annotations

from shafaf.config.field_types import SourceUrl, Text, mapping_of
from shafaf.config.sources.common import SourceFields


class NetworkSource(SourceFields):
    """A source fetched through the guarded fetcher. A secret header's value is written ``${ENV_NAME}``."""

    url: SourceUrl
    headers: mapping_of(Text) = {}
